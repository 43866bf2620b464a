/**
 * The base of Echo's errors: an `Error` with a stable `name`, a `cause`, the Action it belongs to,
 * and a JSON form (`serializeError`; `reviveError.ts` turns it back into the same class).
 */
import { serializeError, type SerializedError } from '../serializeError.js';
import { restoreCapture, suspendCapture } from './wrapperStack.js';

/**
 * What every Echo error's constructor takes besides its message and its own fields.
 * @example
 * const options: EchoErrorOptions = { cause: new Error('ECONNRESET'), actionId: 'a1' };
 */
export interface EchoErrorOptions {
  /** What caused this error: the action function's throw, an abort reason... */
  readonly cause?: unknown;
  /** The Action the error belongs to, when there is one. */
  readonly actionId?: string;
}

/**
 * The base of Echo's errors; `name` is a class field, so every subclass has its own stable name.
 * @example
 * const error = new EchoError('Site is shut down', { actionId: 'a1' });
 * error.toJSON(); // { version: 1, name: 'EchoError', message: 'Site is shut down', data: { actionId: 'a1' }, stack: '...' }
 */
export class EchoError extends Error {
  override name = 'EchoError';
  declare readonly actionId?: string;

  /**
   * Whether an error of this class whose `cause` carries a stack captures none of its own: a
   * wrapper around user code's throw, whose frames are the cause's (see `wrapperStack.ts`).
   * @internal
   */
  protected static readonly stackFromCause: boolean = false;

  constructor(message: string, options?: EchoErrorOptions) {
    const hasCause = options !== undefined && 'cause' in options;
    const cause = hasCause ? options.cause : undefined;
    // Only with a string message: converting anything else could throw while capture is off.
    const limit = hasCause && typeof message === 'string' && (new.target as typeof EchoError).stackFromCause ? suspendCapture(cause) : null;
    super(message, hasCause ? { cause } : undefined);
    if (limit !== null) restoreCapture(limit);
    if (options?.actionId !== undefined) this.actionId = options.actionId;
  }

  /** This error's {@link SerializedError}; `JSON.stringify` calls it. */
  toJSON(): SerializedError {
    return serializeError(this);
  }
}

/**
 * Whether `value` is one of Echo's errors.
 * @example
 * isEchoError(new LicenseError('revoked')); // true
 * isEchoError(new Error('x')); // false
 */
export function isEchoError(value: unknown): value is EchoError {
  return isInstance(value, EchoError);
}

/**
 * `value instanceof type`, but false instead of a throw for a Proxy whose
 * `getPrototypeOf` trap throws (user code may throw anything).
 * @internal
 */
export function isInstance<T>(value: unknown, type: abstract new (...args: never[]) => T): value is T {
  try {
    return value instanceof type;
  } catch {
    // A hostile Proxy refuses to say what it is: it is none of Echo's errors.
    return false;
  }
}

