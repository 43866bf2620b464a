/**
 * An action's outcome as the runtime hands it out: the chart decides it (its
 * final output), and the run maps the chart's error record back to the live
 * error behind it, so a rejected `result` keeps its class and cause chain.
 * @internal
 */
import type { ActionContext, ActionOutput, ErrorRecord } from '../../machines/actionTypes.js';
import { CancellationError, reviveError } from '../errors.js';
import type { ActionRun } from './ActionRun.js';

/** Settled result, kept until someone asks for `result`. */
export type Settlement = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: Error };

/** The settlement of every action done without an output (a function returning nothing): one object, not one per action. */
const DONE_WITHOUT_OUTPUT: Settlement = Object.freeze({ ok: true, value: undefined });

/** The outcome's error when the chart failed it without a record (a user's machine may). */
const NO_ERROR_RECORD: ErrorRecord = Object.freeze({ version: 1, name: 'Error', message: 'failed' });

/**
 * The outcome the chart decided for `run`: the output, or the live error behind the
 * chart's record (its `cancellation` when cancelled). The same error object every
 * time it is asked.
 */
export function outcomeOf(run: ActionRun, output: ActionOutput, context: ActionContext): Settlement {
  if (output.status === 'done') return output.output === undefined ? DONE_WITHOUT_OUTPUT : { ok: true, value: output.output };
  if (output.status === 'cancelled') {
    const cancellation = context.cancellation;
    const made = (): CancellationError =>
      new CancellationError(cancellation?.message ?? `Action "${run.name}" was cancelled`, { reason: cancellation?.reason ?? 'user', actionId: run.id });
    return { ok: false, error: cancellation === null ? made() : (run.liveError(cancellation) ?? run.keepLive(cancellation, made())) };
  }
  const record = output.error ?? NO_ERROR_RECORD;
  return { ok: false, error: run.liveError(record) ?? run.keepLive(record, reviveError(record)) };
}
