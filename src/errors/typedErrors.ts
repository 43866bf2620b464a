/**
 * Echo's typed errors, one class per way an Action can fail or be refused. Each class's own fields
 * are plain enumerable properties, so `serializeError` puts them in `data` without knowing
 * the class, and `reviveError.ts` restores them.
 */
import { describeValue } from '../validate.js';
import type { CancellationReason } from '../../machines/actionConstants.js';
import { EchoError, type EchoErrorOptions } from './EchoError.js';

/**
 * The Action's License was revoked or a hook vetoed it; never retried.
 * @example
 * throw new LicenseError('License revoked before attempt 2', { actionId: 'a1' });
 */
export class LicenseError extends EchoError {
  override name = 'LicenseError';
}

/**
 * The action function failed; `cause` is what it threw.
 * @example
 * const error = new ExecutionError('Attempt 2 of `sendEmail` failed', { attempt: 2, cause: new Error('ECONNRESET') });
 */
export class ExecutionError extends EchoError {
  override name = 'ExecutionError';
  /** Its stack is its header; the frames of the user code that threw are its cause's. @internal */
  protected static override readonly stackFromCause: boolean = true;
  /** The 1-based attempt that failed. */
  readonly attempt: number;

  constructor(message: string, options: EchoErrorOptions & { readonly attempt: number }) {
    super(message, options);
    this.attempt = options.attempt;
  }
}

/**
 * No action function is known by that name, or no Site serves that queue.
 * @example
 * throw new RoutingError('No action named `sendEmail` in the Plan', { target: 'sendEmail' });
 */
export class RoutingError extends EchoError {
  override name = 'RoutingError';
  /** The action name or queue that could not be routed. */
  readonly target: string;

  constructor(message: string, options: EchoErrorOptions & { readonly target: string }) {
    super(message, options);
    this.target = options.target;
  }
}

/**
 * The Action was cancelled; `reason` says by whom.
 * @example
 * const error = new CancellationError('Cancelled by shutdown', { reason: 'shutdown' });
 */
export class CancellationError extends EchoError {
  override name = 'CancellationError';
  readonly reason: CancellationReason;

  constructor(message: string, options: EchoErrorOptions & { readonly reason: CancellationReason }) {
    super(message, options);
    this.reason = options.reason;
  }
}

/**
 * An attempt, or the whole Action, ran past its timeout.
 * @example
 * const error = new TimeoutError('Attempt 1 ran past its 500 ms timeout', { timeout: 'attempt', ms: 500 });
 */
export class TimeoutError extends EchoError {
  override name = 'TimeoutError';
  /** Which timeout fired: one attempt's, or the Action's total. */
  readonly timeout: 'attempt' | 'total';
  readonly ms: number;

  constructor(message: string, options: EchoErrorOptions & { readonly timeout: 'attempt' | 'total'; readonly ms: number }) {
    super(message, options);
    this.timeout = options.timeout;
    this.ms = options.ms;
  }
}

/**
 * A before- or after-hook threw; `cause` is what it threw.
 * @example
 * const error = new HookError('Before-hook `audit` threw', { hook: 'audit', phase: 'before', cause: new Error('disk full') });
 */
export class HookError extends EchoError {
  override name = 'HookError';
  /** Its stack is its header; the frames of the user code that threw are its cause's. @internal */
  protected static override readonly stackFromCause: boolean = true;
  /** The hook's name. */
  readonly hook: string;
  readonly phase: 'before' | 'after';

  constructor(message: string, options: EchoErrorOptions & { readonly hook: string; readonly phase: 'before' | 'after' }) {
    super(message, options);
    this.hook = options.hook;
    this.phase = options.phase;
  }
}

/**
 * A Production (named queue) is full.
 * @example
 * throw new BackpressureError('Queue `email` is full (1000 actions)', { queue: 'email', capacity: 1000 });
 */
export class BackpressureError extends EchoError {
  override name = 'BackpressureError';
  readonly capacity: number;
  readonly queue: string;

  constructor(message: string, options: EchoErrorOptions & { readonly capacity: number; readonly queue: string }) {
    super(message, options);
    this.capacity = options.capacity;
    this.queue = options.queue;
  }
}

/**
 * One reason content failed its schema; `path` leads to the offending value.
 * @example
 * const issue: ValidationIssue = { message: 'Expected a string', path: ['to', 0] };
 */
export interface ValidationIssue {
  readonly message: string;
  readonly path?: readonly (string | number)[];
}

/**
 * An Action's content failed its schema.
 * @example
 * const error = new ValidationError('Content of `sendEmail` is invalid', { issues: [{ message: 'Expected a string', path: ['to'] }] });
 */
export class ValidationError extends EchoError {
  override name = 'ValidationError';
  readonly issues: readonly ValidationIssue[];

  constructor(message: string, options: EchoErrorOptions & { readonly issues: readonly ValidationIssue[] }) {
    super(message, options);
    this.issues = options.issues;
  }
}

/**
 * A payload (an action, a result, an error, a policy) could not be read.
 * @example
 * const error = new SerializationError('Expected `name` to be a string, got 42 (number)', { path: 'name' });
 */
export class SerializationError extends EchoError {
  override name = 'SerializationError';
  /** Which field was wrong, dotted (`cause.data.attempt`); `''` for the payload itself. */
  readonly path: string;
  /** The raw payload that could not be read, when it is kept (a result that came from another process). */
  declare readonly payload?: string;

  constructor(message: string, options: EchoErrorOptions & { readonly path: string; readonly payload?: string }) {
    super(message, options);
    this.path = options.path;
    if (options.payload !== undefined) this.payload = options.payload;
  }
}

/**
 * An action asks its limiter to back off (e.g. after an HTTP 429): every action of the same
 * name (`scope: 'name'`, the default) or of the same queue (`scope: 'queue'`) waits `retryAfter`
 * ms before it starts; this action itself retries per its retry policy.
 * @example
 * throw new RateLimitError('Payment API said 429', { retryAfter: 30_000 });
 */
export class RateLimitError extends EchoError {
  override name = 'RateLimitError';
  /** How long the name or queue pauses, ms. */
  readonly retryAfter: number;
  /** What pauses: every action of this name, or every action of this queue. */
  readonly scope: 'name' | 'queue';

  constructor(message: string, options: EchoErrorOptions & { readonly retryAfter: number; readonly scope?: 'name' | 'queue' }) {
    super(message, options);
    const { retryAfter, scope = 'name' } = options;
    if (typeof retryAfter !== 'number' || !(retryAfter >= 0) || !Number.isFinite(retryAfter)) {
      throw new TypeError(`Expected \`retryAfter\` to be a finite number >= 0, got ${describeValue(retryAfter)}`);
    }
    if (scope !== 'name' && scope !== 'queue') throw new TypeError(`Expected \`scope\` to be 'name' or 'queue', got ${describeValue(scope)}`);
    this.retryAfter = retryAfter;
    this.scope = scope;
  }
}

