/**
 * The effects that fill the Action statechart's action slots (the phases its
 * states invoke are `actionPhases.ts`). Each answers the machine by sending it an
 * event; none throws into the machine. The same implementations serve both
 * engines (XState's `createActor` and the table engine).
 * @internal
 */
import type { ActionEffectName } from '../../machines/action.machine.js';
import type { ActionContext, ActionEvent, ActionOutput } from '../../machines/actionTypes.js';
import { positionalAction, type PositionalAction } from '../../machines/positional.js';
import type { ActionRun, Settlement, WorkPiece } from './ActionRun.js';
import { outcomeOf } from './runOutcome.js';
import {
  CancellationError,
  EchoError,
  ExecutionError,
  LicenseError,
  isInstance,
  messageOf,
  serializeError,
  TimeoutError,
  type CancellationReason,
} from '../errors.js';
import type { Phase } from './Phase.js';
import { AttemptFailure, liveErrorOf } from './AttemptFailure.js';
import { runAfterHooks, type HookInfo, type NamedHook } from './hooks.js';
import { decideRetry, type RetryDecision } from '../retryPolicy.js';

type Self = { send(event: ActionEvent): void };
type AnyEvent = { readonly type: string };

/** Finds the ActionRun of an actor. */
export type RunLookup = (self: unknown) => ActionRun;

/** Keeps `run.working` naming the hook that runs now (for shutdown's report of abandoned work). */
export function tracking(run: ActionRun, piece: 'before-hook' | 'after-hook'): (hook: NamedHook | null) => void {
  let current: WorkPiece | null = null;
  return (hook) => {
    if (hook === null) {
      run.workEnded(current);
      current = null;
      return;
    }
    current = { piece, name: hook.name };
    run.workStarted(current);
  };
}

/** What a hook of `phase` sees; its signal is the phase's. */
export function hookInfo(run: ActionRun, phase: Phase, which: 'before' | 'after', attempt: number, outcome?: HookInfo['outcome']): HookInfo {
  return {
    phase: which,
    action: { id: run.id, name: run.name, content: run.content, metadata: run.metadata },
    attempt,
    signal: phase.signal()!,
    ...(outcome !== undefined && { outcome }),
  };
}

/**
 * Makes the thrown value of an attempt an Error: Echo's own errors pass, others are wrapped with
 * their cause, an `Error` with a stack in a wrapper made only when first read (`AttemptFailure`).
 */
export function attemptError(thrown: unknown, run: ActionRun, attempt: number): Error | AttemptFailure {
  if (isInstance(thrown, EchoError)) return thrown;
  const message = `Action "${run.name}" failed on attempt ${attempt}: ${messageOf(thrown)}`;
  if (isInstance(thrown, Error) && hasStack(thrown)) return new AttemptFailure(message, thrown, attempt, run.id);
  return new ExecutionError(message, { cause: thrown, attempt, actionId: run.id });
}

/** Whether `error` has a `stack` (its wrapper then captures none of its own, see `wrapperStack.ts`). */
function hasStack(error: Error): boolean {
  try {
    return 'stack' in error;
  } catch {
    // A Proxy whose `has` trap throws: wrapped now, as any other throw.
    return false;
  }
}

export function failAttempt(run: ActionRun, self: Self, context: ActionContext, error: Error | AttemptFailure): void {
  const now = run.services.clock.now();
  const attempt = context.attempts.length;
  if (context.cancellation !== null) {
    // Cancelled while it ran: the attempt is over and the outcome is the cancellation (no retry is decided).
    self.send({ type: 'ATTEMPT_FAILED', error: run.recordError(error), retryDelay: null, at: now });
    return;
  }
  const previousDelay = context.attempts[attempt - 2]?.backoff ?? null;
  const firstStart = context.attempts[0]?.startedAt ?? now;
  let failure = error;
  let decision: RetryDecision;
  try {
    decision = decideRetry({
      policy: run.policy,
      attempt,
      error,
      previousDelay,
      // A wall clock may step back (NTP): a negative elapsed time is no reason to stop deciding.
      elapsed: Math.max(0, now - firstStart),
      random: run.services.random,
    });
  } catch (thrown) {
    // A broken random source must not leave the action hanging in `running` (this often runs in a
    // promise callback, where a throw would only be an unhandled rejection): the action fails
    // with a TypeError that says why, its cause the attempt's own error.
    failure = new TypeError(`Could not decide whether to retry action "${run.name}" after attempt ${attempt}: ${messageOf(thrown)}`, { cause: liveErrorOf(error) });
    decision = { retry: false, reason: 'non-retryable' };
  }
  run.services.attemptFailed(run, attempt, failure, decision.retry ? decision.delay : null);
  const serialized = run.recordError(failure);
  const emit = run.services.emit;
  if (run.services.listening) emit({ type: 'attempt-failed', actionId: run.id, name: run.name, at: now, attempt, error: serialized });
  if (decision.retry && run.services.listening) {
    emit({ type: 'retrying', actionId: run.id, name: run.name, at: now, attempt, delay: decision.delay, retryAt: now + decision.delay });
  }
  self.send({ type: 'ATTEMPT_FAILED', error: serialized, retryDelay: decision.retry ? decision.delay : null, at: now });
}

/** The outcome `finalizing` goes on to (its guards' order: cancelled, then done unless an error). */
function outcomeFromContext(context: ActionContext): ActionOutput {
  const status = context.cancellation !== null ? 'cancelled' : context.error === null ? 'done' : 'failed';
  return { status, output: context.output, error: context.error };
}

/** An effect, called with the machine's context, the event and the actor. */
export type ActionEffect = (context: ActionContext, event: AnyEvent, self: unknown) => void;

/**
 * The same effects as XState action implementations (one argument object), each
 * carrying its positional form for the table engine (`machines/positional.ts`).
 */
export function asXStateActions(effects: Readonly<Record<string, ActionEffect>>): Record<string, PositionalAction<ActionContext, AnyEvent>> {
  const actions: Record<string, PositionalAction<ActionContext, AnyEvent>> = {};
  for (const [name, effect] of Object.entries(effects)) actions[name] = positionalAction(effect);
  return actions;
}

/** Builds the effect implementations; `runOf` maps an actor to its ActionRun. */
export function createActionEffects(runOf: RunLookup): Record<ActionEffectName, ActionEffect> {
  return {
    enqueue: (_context: ActionContext, _event: AnyEvent, self: unknown) => {
      const run = runOf(self);
      if (run.takePreQueued()) return;
      const previous = run.attempt;
      if (previous === null || previous.isOver(run.services.clock.now(), run.cancelGrace)) {
        run.services.enqueue(run);
        return;
      }
      // A retry never overlaps the attempt it abandoned: it queues once that one stopped, or its cancel grace passed.
      // (Later, so the actor's snapshot says where it is by then.)
      previous.whenStoppedOrAbandoned(run.services.clock, run.cancelGrace, () => {
        if (!run.settled && String(run.actor.getSnapshot().value) === 'queued') run.services.enqueue(run);
      });
    },

    releaseSite: (_context: ActionContext, _event: AnyEvent, self: unknown) => {
      const run = runOf(self);
      run.services.releaseSite(run);
    },

    timeOutAttempt: (context: ActionContext, _event: AnyEvent, self: unknown) => {
      const run = runOf(self);
      const attempt = context.attempts.length;
      const ms = context.attemptTimeout ?? 0;
      const error = new TimeoutError(`Attempt ${attempt} of action "${run.name}" timed out after ${ms} ms`, {
        timeout: 'attempt',
        ms,
        actionId: run.id,
      });
      run.abort(error);
      run.endPhase(); // a function that ignores its signal is abandoned; its late answer is dropped
      failAttempt(run, self as Self, context, error);
    },

    /**
     * Runs after the transition's record (`recordCancellation`, `recordLicenseRevoked`,
     * `recordTotalTimeout`): the live error it aborts with is kept behind the record the
     * chart now holds, so the outcome the chart decides on is that error.
     */
    abortWork: (context: ActionContext, event: AnyEvent, self: unknown) => {
      const run = runOf(self);
      let reason: Error;
      if (event.type === 'CANCEL' && context.cancellation !== null) {
        const cancel = event as Extract<ActionEvent, { type: 'CANCEL' }>;
        const made = new CancellationError(cancel.message, { reason: cancel.reason as CancellationReason, actionId: run.id, ...run.takeCancelCause() });
        reason = run.keepLive(context.cancellation, made);
      } else if (event.type === 'LICENSE_REVOKED' && context.error !== null) {
        reason =
          run.liveError(context.error) ??
          run.keepLive(context.error, run.license?.error ?? new LicenseError(`License of action "${run.name}" was revoked`, { actionId: run.id }));
      } else {
        const ms = context.totalTimeout ?? 0;
        const made = new TimeoutError(`Action "${run.name}" exceeded its total timeout of ${ms} ms`, { timeout: 'total', ms, actionId: run.id });
        reason = context.error === null ? made : (run.liveError(context.error) ?? run.keepLive(context.error, made));
      }
      run.abort(reason);
    },

    /** In `finalizing`: the outcome is decided (the chart's context); the after-hooks it still owes run now. */
    runOwedAfterHooks: (context: ActionContext, _event: AnyEvent, self: unknown) => {
      const run = runOf(self);
      // Most ends owe nothing (their after-hooks ran in `afterHooks`): no outcome object is made for them.
      if (run.owesAfterHooks) runOwedAfterHooks(run, outcomeOf(run, outcomeFromContext(context), context), context.attempts.length);
    },

  };
}

/**
 * After an abrupt end (cancel, License revocation, total timeout, a rejection),
 * runs the after-hooks a started action still owes: on its way through the
 * chart's `finalizing` state (the `runOwedAfterHooks` effect), or when the runtime
 * settles it without the chart (shutdown abandons it, an effect threw). They see
 * the outcome, cannot change it, and a throw is reported as an `after-hook-failed` event.
 */
export function runOwedAfterHooks(run: ActionRun, outcome: Settlement, attempts: number): void {
  if (!run.takeOwedAfterHooks()) return;
  const status: NonNullable<HookInfo['outcome']> = outcome.ok
    ? { status: 'done', output: outcome.value }
    : outcome.error instanceof CancellationError
      ? { status: 'cancelled', error: outcome.error }
      : { status: 'failed', error: outcome.error };
  const info: HookInfo = {
    phase: 'after',
    action: { id: run.id, name: run.name, content: run.content, metadata: run.metadata },
    attempt: attempts,
    signal: new AbortController().signal, // cleanup is not cut short: the action is over already
    outcome: status,
  };
  void runAfterHooks(run.after, info, tracking(run, 'after-hook')).then((failures) => {
    for (const failure of failures) {
      run.services.emit({ type: 'after-hook-failed', actionId: run.id, name: run.name, hook: failure.hook, error: serializeError(failure), at: run.services.clock.now() });
    }
  });
}
