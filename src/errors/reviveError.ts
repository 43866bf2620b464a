/**
 * Serialized errors back into `Error`s: each Echo class by its name with its fields checked,
 * standard errors as their own class, anything else as a plain `Error` carrying the serialized
 * `name` and `data`. A malformed payload is a `SerializationError` naming the field.
 */
import { NON_ERROR_THROWN, ThrownValue, type SerializedError } from '../serializeError.js';
import { describeValue, expectedMessage, oneOf } from '../validate.js';
import { CANCELLATION_REASONS } from '../../machines/actionConstants.js';
import { EchoError, type EchoErrorOptions } from './EchoError.js';
import {
  BackpressureError,
  CancellationError,
  ExecutionError,
  HookError,
  LicenseError,
  RateLimitError,
  RoutingError,
  SerializationError,
  TimeoutError,
  ValidationError,
  type ValidationIssue,
} from './typedErrors.js';

const TIMEOUT_KINDS: readonly ('attempt' | 'total')[] = ['attempt', 'total'];
const RATE_LIMIT_SCOPES: readonly ('name' | 'queue')[] = ['name', 'queue'];
const HOOK_PHASES: readonly ('before' | 'after')[] = ['before', 'after'];

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
