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

/** The Action statechart's guards, by name (pure functions of context and event). */
export const actionGuards: Readonly<Record<'hasStartDelay' | 'retryPlanned' | 'succeeded' | 'notCancelling' | 'wasCancelled', ActionGuard>> = {
  hasStartDelay: (context) => context.startDelay > 0,
  retryPlanned: (_context, event) => event.type === 'ATTEMPT_FAILED' && (event as { retryDelay?: number | null }).retryDelay !== null,
  succeeded: (context) => context.error === null,
  notCancelling: (context) => context.cancellation === null,
  wasCancelled: (context) => context.cancellation !== null,
};

/** The Action statechart's delays, by name, in ms from its context. */
export const actionDelays: Readonly<Record<'startDelay' | 'backoff' | 'attemptTimeout' | 'totalTimeout' | 'cancelGrace', ActionDelay>> = {
  startDelay: (context) => context.startDelay,
  backoff: (context) => context.attempts[context.attempts.length - 1]?.backoff ?? 0,
  attemptTimeout: (context) => context.attemptTimeout ?? Infinity,
  totalTimeout: (context) => context.totalTimeout ?? Infinity,
  cancelGrace: (context) => context.cancelGrace,
};
