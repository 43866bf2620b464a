/**
 * A process lost the BullMQ lock of a job it was running (its event loop stalled past
 * `lockDuration`, or Redis was out of reach): the job is another process's now, so this
 * process's attempt is stopped and its outcome, if it came, is discarded (never committed).
 * Reported to the Sequence's `onError` of the process that lost the lock; the action itself
 * goes on elsewhere (at-least-once).
 */
import { EchoError, type EchoErrorOptions } from '../errors.js';

/**
 * The lock of a claimed job was lost: this process's attempt commits nothing.
 * @example
 * sequence = new Sequence({ plan, production, onError: (error) => error.name === 'LockLostError' && console.warn(error.message) });
 */
export class LockLostError extends EchoError {
  override name = 'LockLostError';
  /** The attempt that was cut off (its outcome, if any, is discarded). */
  readonly attempt: number;

  constructor(message: string, options: EchoErrorOptions & { readonly attempt: number }) {
    super(message, options);
    this.attempt = options.attempt;
  }
}
