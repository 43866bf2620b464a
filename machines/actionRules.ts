/**
 * The Action statechart's guards and delays, as plain functions of `(context, event)`.
 *
 * XState calls them through the machine's `setup()` with one argument object; the
 * table engine calls these same functions directly, without building that object.
 */
import type { ActionContext } from './actionTypes.js';
import type { AnyActionEvent } from './actionUpdates.js';

/** A guard: may the transition be taken? */
export type ActionGuard = (context: ActionContext, event: AnyActionEvent) => boolean;

/** A delay in ms (`Infinity`: never). */
export type ActionDelay = (context: ActionContext, event: AnyActionEvent) => number;

/**
 * How many zero-backoff retries in a row an action queues at once, in the step that failed it:
 * every this-many-th waits its 0 ms backoff on the engine's clock instead (whose own cap on a
 * burst of zero delays then lets the event loop turn), so a function that keeps failing at once,
 * even synchronously with `attempts: Infinity`, cannot hold the thread in one step.
 */
export const RETRIES_AT_ONCE = 16;

/** The backoff the last failed attempt chose (0 when none was recorded). */
function backoffOf(context: ActionContext): number {
  return context.attempts[context.attempts.length - 1]?.backoff ?? 0;
}

/** In `retrying`: a zero backoff queues the retry at once, without a timer (but see {@link RETRIES_AT_ONCE}). */
function retryAtOnce(context: ActionContext): boolean {
  return backoffOf(context) <= 0 && context.attempts.length % RETRIES_AT_ONCE !== 0;
}

/** The Action statechart's guards, by name (pure functions of context and event). */
export const actionGuards: Readonly<
  Record<'hasStartDelay' | 'noHooks' | 'retryPlanned' | 'retryAtOnce' | 'succeeded' | 'notCancelling' | 'wasCancelled', ActionGuard>
> = {
  hasStartDelay: (context) => context.startDelay > 0,
  /**
   * The event says no hook runs in the hooks state it would enter (START: no before-hook and no
   * License to check; ATTEMPT_SUCCEEDED: no after-hook): the chart passes that state over.
   */
  noHooks: (_context, event) => (event as { noHooks?: boolean }).noHooks === true,
  retryPlanned: (_context, event) => event.type === 'ATTEMPT_FAILED' && (event as { retryDelay?: number | null }).retryDelay !== null,
  retryAtOnce,
  succeeded: (context) => context.error === null,
  notCancelling: (context) => context.cancellation === null,
  wasCancelled: (context) => context.cancellation !== null,
};

/** The Action statechart's delays, by name, in ms from its context. */
export const actionDelays: Readonly<Record<'startDelay' | 'backoff' | 'attemptTimeout' | 'totalTimeout' | 'cancelGrace', ActionDelay>> = {
  startDelay: (context) => context.startDelay,
  // A retry queued at once (the `retryAtOnce` guard) arms no timer.
  backoff: (context) => (retryAtOnce(context) ? Infinity : backoffOf(context)),
  attemptTimeout: (context) => context.attemptTimeout ?? Infinity,
  totalTimeout: (context) => context.totalTimeout ?? Infinity,
  cancelGrace: (context) => context.cancelGrace,
};
