/**
 * A failed attempt's throw before it is wrapped: the `ExecutionError` that wraps it is made only
 * when someone reads it (the action's outcome, an after-hook, a tracer, `run.lastError`).
 *
 * An attempt that fails and is retried is seen by nobody but its error record (the context's
 * attempt record, the `attempt-failed` event), and the wrapper around a throw that carries a
 * stack captures no stack of its own (`wrapperStack.ts`): made later, it is the same error. So
 * its record is built from the parts the wrapper would have (`serializeWrapper`, the same record
 * as `serializeError` of the wrapper), and the wrapper, an `Error` whose making V8 charges for
 * more than anything else the failure does, is made on first read only.
 *
 * It carries the wrapper's `name` and `cause`, which is all a cause-chain walk reads of it
 * (`decideRetry`'s non-retryable names and retry-after hints, `rateLimitErrorIn`).
 * @internal
 */
import type { ErrorRecord } from '../../machines/actionTypes.js';
import { ExecutionError } from '../errors.js';
import { serializeWrapper } from '../serializeError.js';

export class AttemptFailure {
  readonly name = 'ExecutionError';
  /** The wrapper's message, read from the throw now (the throw may change later). */
  readonly message: string;
  /** What the function threw: an `Error` with a stack. */
  readonly cause: Error;
  readonly attempt: number;
  readonly actionId: string;
  #error: ExecutionError | null = null;

  constructor(message: string, cause: Error, attempt: number, actionId: string) {
    this.message = message;
    this.cause = cause;
    this.attempt = attempt;
    this.actionId = actionId;
  }

  /** The `ExecutionError` wrapping the throw, made on first read (the same one every time). */
  get error(): ExecutionError {
    return (this.#error ??= new ExecutionError(this.message, { cause: this.cause, attempt: this.attempt, actionId: this.actionId }));
  }

  /** The wrapper's stack (what its record's `stack` reads, on first read). */
  get stack(): string | undefined {
    return this.error.stack;
  }

  /** The wrapper's error record, as `serializeError` of the wrapper gives it, without making the wrapper. */
  record(): ErrorRecord {
    // `data` in the order of the wrapper's own enumerable fields (`actionId`, then `attempt`).
    return serializeWrapper(this, this.name, this.message, { actionId: this.actionId, attempt: this.attempt }, this.cause);
  }
}

/** A failure as an `Error`: the wrapper of an {@link AttemptFailure} is made now. */
export function liveErrorOf(failure: Error | AttemptFailure): Error {
  return failure instanceof AttemptFailure ? failure.error : failure;
}
