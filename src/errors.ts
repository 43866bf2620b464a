/**
 * Echo's typed errors: `Error` subclasses with a stable `name`, a `cause`, and a
 * versioned JSON form that {@link reviveError} turns back into the same class.
 *
 * Each class's own fields are plain enumerable properties, so
 * {@link serializeError} puts them in `data` without knowing the class, and the
 * table in this file restores them.
 */
import { NON_ERROR_THROWN, ThrownValue, serializeError, type SerializedError } from './serializeError.js';
import { describeValue, expectedMessage, oneOf } from './validate.js';
import { CANCELLATION_REASONS, type CancellationReason } from '../machines/actionConstants.js';

export { describeThrown, messageOf, serializeError, toError, type SerializedError } from './serializeError.js';

export type { CancellationReason } from '../machines/actionConstants.js';
const TIMEOUT_KINDS: readonly ('attempt' | 'total')[] = ['attempt', 'total'];
const RATE_LIMIT_SCOPES: readonly ('name' | 'queue')[] = ['name', 'queue'];
const HOOK_PHASES: readonly ('before' | 'after')[] = ['before', 'after'];

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

  constructor(message: string, options?: EchoErrorOptions) {
    super(message, options !== undefined && 'cause' in options ? { cause: options.cause } : undefined);
    if (options?.actionId !== undefined) this.actionId = options.actionId;
  }

  /** This error's {@link SerializedError}; `JSON.stringify` calls it. */
  toJSON(): SerializedError {
    return serializeError(this);
  }
}

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

/** Reads and checks one Echo class's fields from `data`, naming the field on failure. */
class FieldReader {
  readonly #data: Readonly<Record<string, unknown>>;
  readonly #depth: number;

  constructor(data: Readonly<Record<string, unknown>>, depth: number) {
    this.#data = data;
    this.#depth = depth;
  }

  string(key: string): string {
    const value = this.#data[key];
    if (typeof value !== 'string') this.#fail(key, 'a string', value);
    return value;
  }

  number(key: string, min: number, integer = false): number {
    const value = this.#data[key];
    const ok = typeof value === 'number' && value >= min && (integer ? Number.isSafeInteger(value) : Number.isFinite(value));
    if (!ok) this.#fail(key, `${integer ? 'an integer' : 'a number'} >= ${min}`, value);
    return value as number;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const value = this.#data[key];
    if (!allowed.includes(value as T)) this.#fail(key, oneOf(allowed), value);
    return value as T;
  }

  issues(key: string): ValidationIssue[] {
    const value = this.#data[key];
    if (!Array.isArray(value)) this.#fail(key, 'an array', value);
    return value.map((issue: unknown, i): ValidationIssue => {
      if (!isRecord(issue)) this.#fail(`${key}[${i}]`, 'an object', issue);
      if (typeof issue.message !== 'string') this.#fail(`${key}[${i}].message`, 'a string', issue.message);
      const path = issue.path;
      if (path === undefined) return { message: issue.message };
      const ok = Array.isArray(path) && path.every((p) => typeof p === 'string' || typeof p === 'number');
      if (!ok) this.#fail(`${key}[${i}].path`, 'an array of strings and numbers', path);
      return { message: issue.message, path: [...(path as (string | number)[])] };
    });
  }

  #fail(key: string, expected: string, value: unknown): never {
    throw mismatch(pathOf(this.#depth, `data.${key}`), expected, value);
  }
}

type Create = (message: string, read: FieldReader, options: EchoErrorOptions) => EchoError;

/** Each Echo class by name: the fields it keeps in `data`, and how to build it from them. */
const ECHO_CLASSES: ReadonlyMap<string, { readonly fields: readonly string[]; readonly create: Create }> = new Map([
  ['EchoError', { fields: [], create: (m, _r, o) => new EchoError(m, o) }],
  ['LicenseError', { fields: [], create: (m, _r, o) => new LicenseError(m, o) }],
  ['ExecutionError', { fields: ['attempt'], create: (m, r, o) => new ExecutionError(m, { ...o, attempt: r.number('attempt', 1, true) }) }],
  ['RoutingError', { fields: ['target'], create: (m, r, o) => new RoutingError(m, { ...o, target: r.string('target') }) }],
  ['CancellationError', { fields: ['reason'], create: (m, r, o) => new CancellationError(m, { ...o, reason: r.oneOf('reason', CANCELLATION_REASONS) }) }],
  ['TimeoutError', { fields: ['timeout', 'ms'], create: (m, r, o) => new TimeoutError(m, { ...o, timeout: r.oneOf('timeout', TIMEOUT_KINDS), ms: r.number('ms', 0) }) }],
  ['HookError', { fields: ['hook', 'phase'], create: (m, r, o) => new HookError(m, { ...o, hook: r.string('hook'), phase: r.oneOf('phase', HOOK_PHASES) }) }],
  ['BackpressureError', { fields: ['capacity', 'queue'], create: (m, r, o) => new BackpressureError(m, { ...o, capacity: r.number('capacity', 0), queue: r.string('queue') }) }],
  ['ValidationError', { fields: ['issues'], create: (m, r, o) => new ValidationError(m, { ...o, issues: r.issues('issues') }) }],
  ['RateLimitError', { fields: ['retryAfter', 'scope'], create: (m, r, o) => new RateLimitError(m, { ...o, retryAfter: r.number('retryAfter', 0), scope: r.oneOf('scope', RATE_LIMIT_SCOPES) }) }],
  ['SerializationError', { fields: ['path'], create: (m, r, o) => new SerializationError(m, { ...o, path: r.string('path') }) }],
]);

/** Standard errors come back as their own class, so `instanceof TypeError` still holds. */
const BUILT_IN_ERRORS: ReadonlyMap<string, ErrorConstructor> = new Map(
  [TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError].map((type): [string, ErrorConstructor] => [type.name, type]),
);

/** Keys that `data` must never overwrite on a revived error. */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['name', 'message', 'stack', 'cause']);

interface CheckedLink {
  readonly name: string;
  readonly message: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly stack: string | undefined;
  readonly hasCause: boolean;
  /** How many `cause` steps down the chain this link is. */
  readonly depth: number;
}

/**
 * Turns a {@link SerializedError} (e.g. from `JSON.parse`) back into an `Error`: an instance of
 * the matching Echo class with its fields, or a plain `Error` carrying the serialized `name` and
 * `data`. Throws a {@link SerializationError} naming the field when the payload is malformed.
 * @example
 * const error = reviveError(JSON.parse(JSON.stringify(new RoutingError('No Site serves `email`', { target: 'email' }))));
 * // error instanceof RoutingError && error.target === 'email'
 */
export function reviveError(json: unknown): Error {
  // Walk the chain first, iteratively, so a deep or cyclic payload cannot blow the stack;
  // then build from the innermost cause outwards, since each constructor takes its cause.
  const links: CheckedLink[] = [];
  const seen = new Set<unknown>();
  let current = json;
  for (let depth = 0; ; depth++) {
    if (seen.has(current)) {
      const path = pathOf(depth);
      throw new SerializationError(`Expected \`${path}\` to end the cause chain, but it loops back to an earlier error`, { path });
    }
    seen.add(current);
    const link = checkLink(current, depth);
    links.push(link);
    if (!link.hasCause) break;
    current = (current as Record<string, unknown>).cause;
  }
  let revived: Error | undefined;
  for (let i = links.length - 1; i >= 0; i--) revived = buildLink(links[i]!, revived);
  return revived!;
}

function checkLink(value: unknown, depth: number): CheckedLink {
  if (!isRecord(value)) {
    const self = pathOf(depth);
    const where = self === '' ? 'a serialized error' : `\`${self}\` to be a serialized error`;
    throw new SerializationError(`Expected ${where} object, got ${describeValue(value)}`, { path: self });
  }
  if (value.version !== 1) throw mismatch(pathOf(depth, 'version'), '1', value.version);
  if (typeof value.name !== 'string') throw mismatch(pathOf(depth, 'name'), 'a string', value.name);
  if (typeof value.message !== 'string') throw mismatch(pathOf(depth, 'message'), 'a string', value.message);
  if (value.data !== undefined && !isRecord(value.data)) throw mismatch(pathOf(depth, 'data'), 'an object', value.data);
  if (value.stack !== undefined && typeof value.stack !== 'string') throw mismatch(pathOf(depth, 'stack'), 'a string', value.stack);
  return {
    name: value.name,
    message: value.message,
    data: value.data ?? {},
    stack: value.stack,
    hasCause: value.cause !== undefined,
    depth,
  };
}

function buildLink(link: CheckedLink, cause: Error | undefined): Error {
  const { name, message, data, depth } = link;
  const options: { cause?: unknown; actionId?: string } = cause === undefined ? {} : { cause };
  const spec = ECHO_CLASSES.get(name);
  let error: Error;
  let kept: ReadonlySet<string>;
  // A foreign error sharing an Echo name (the DOMException `TimeoutError` of `AbortSignal.timeout`)
  // carries none of the class's fields: it comes back as a plain Error rather than failing.
  if (spec !== undefined && (spec.fields.length === 0 || spec.fields.some((field) => Object.hasOwn(data, field)))) {
    const actionId = data.actionId;
    if (actionId !== undefined && typeof actionId !== 'string') throw mismatch(pathOf(depth, 'data.actionId'), 'a string', actionId);
    if (actionId !== undefined) options.actionId = actionId;
    error = spec.create(message, new FieldReader(data, depth), options);
    kept = new Set([...spec.fields, 'actionId']);
  } else if (name === NON_ERROR_THROWN && cause === undefined) {
    error = new ThrownValue(data.value);
    error.message = message;
    kept = new Set(['value']);
  } else {
    error = new (BUILT_IN_ERRORS.get(name) ?? Error)(message, options);
    error.name = name;
    kept = new Set();
  }
  for (const [key, value] of Object.entries(data)) {
    if (kept.has(key) || RESERVED_KEYS.has(key)) continue;
    // `defineProperty`, not assignment: a `__proto__` key from JSON.parse must stay a plain property.
    Object.defineProperty(error, key, { value, writable: true, enumerable: true, configurable: true });
  }
  // Without a serialized stack, the new one would point into this function: show the header only.
  error.stack = link.stack ?? `${name}: ${message}`;
  return error;
}

/** The dotted path of `field` in the link `depth` causes down: `pathOf(2, 'name')` is `cause.cause.name`. */
function pathOf(depth: number, field?: string): string {
  const steps: string[] = new Array<string>(depth).fill('cause');
  if (field !== undefined) steps.push(field);
  return steps.join('.');
}

function mismatch(path: string, expected: string, value: unknown): SerializationError {
  return new SerializationError(expectedMessage(path, expected, value), { path });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
