/**
 * Thrown values to JSON and back to `Error`s, without knowing Echo's classes:
 * `errors.ts` builds its typed errors on top of this and re-exports it.
 *
 * Anything can be thrown in JavaScript (strings, numbers, `undefined`, cyclic
 * objects), and an Action's context must stay JSON-serializable, so this module
 * never throws: whatever it cannot represent is dropped, never fatal.
 */
import { jsonText } from './validate.js';

/**
 * Echo's JSON form of an error: versioned, with the cause chain nested.
 * @example
 * const json: SerializedError = { version: 1, name: 'ExecutionError', message: 'Attempt 1 failed', data: { attempt: 1 } };
 */
export interface SerializedError {
  readonly version: 1;
  readonly name: string;
  readonly message: string;
  /** JSON-able own enumerable properties (`code`, `status`, an Echo error's fields...). */
  readonly data?: Readonly<Record<string, unknown>>;
  readonly cause?: SerializedError;
  readonly stack?: string;
}

/**
 * Name given to errors made from thrown values that were not `Error`s.
 * @internal
 */
export const NON_ERROR_THROWN = 'NonErrorThrown';

/** How many causes {@link serializeError} follows unless told otherwise. */
const DEFAULT_CAUSE_DEPTH = 8;
/** A thrown 10 MB object should not become a 10 MB message. */
const MAX_MESSAGE_LENGTH = 1_000;
/** Up to this many links, `serializeChain` looks for a loop in its list rather than a Set. */
const SHORT_CHAIN = 16;
/** Own keys an error's JSON form carries in its own fields rather than in `data`. */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['name', 'message', 'stack', 'cause']);

/**
 * The `Error` that {@link toError} wraps a thrown non-`Error` value in; the
 * value is its `cause`. A class (rather than a name check) so a user error that
 * happens to be called `NonErrorThrown` is still serialized as an error.
 * @internal
 */
export class ThrownValue extends Error {
  override name = NON_ERROR_THROWN;

  constructor(value: unknown) {
    super(describeThrown(value), { cause: value });
  }
}

/**
 * Returns `value` if it is an `Error`, else an `Error` named `NonErrorThrown`
 * whose message shows the value and whose `cause` is the value itself.
 * @example
 * const error = toError('boom'); // error.name === 'NonErrorThrown', error.message === 'boom', error.cause === 'boom'
 */
export function toError(value: unknown): Error {
  return isErrorLike(value) ? value : new ThrownValue(value);
}

/**
 * What a thrown value says, for a message: an error's `message`, any other value's
 * printed form. Never throws, even for a Proxy whose traps throw or an error whose
 * `message` getter throws.
 * @example
 * messageOf(new Error('disk full')); // 'disk full'
 * messageOf(42); // '42'
 */
export function messageOf(value: unknown): string {
  if (isErrorLike(value)) return truncate(readString(value, 'message') ?? '[unreadable message]', MAX_MESSAGE_LENGTH);
  return describeThrown(value);
}

/**
 * Any thrown value as a {@link SerializedError}: keeps the cause chain (up to
 * `depth` causes, `Infinity` for all; a cause that loops back is cut off), the stack, and the
 * JSON-able own enumerable properties in `data`. Never throws.
 * @example
 * const json = serializeError(Object.assign(new Error('rate limited'), { status: 429 }));
 * // { version: 1, name: 'Error', message: 'rate limited', data: { status: 429 }, stack: '...' }
 */
export function serializeError(value: unknown, depth: number = DEFAULT_CAUSE_DEPTH): SerializedError {
  const limit = Number.isNaN(depth) ? DEFAULT_CAUSE_DEPTH : Math.max(0, Math.floor(depth));
  try {
    return serializeChain(value, limit);
  } catch {
    // Only a hostile value gets here (a revoked proxy throws even on `Object.prototype.toString`);
    // the promise is "never throws", so it is reported as a value that could not be read.
    return { version: 1, name: NON_ERROR_THROWN, message: '[unreadable thrown value]' };
  }
}

/**
 * The record {@link serializeError} gives a wrapper not made yet: an error named `name` with
 * `message`, own fields `data` and `cause` (an `Error`), that captures no frames of its own (see
 * `errors/wrapperStack.ts`). Its `stack` is its header: known now unless the user installed a
 * formatter (`Error.prepareStackTrace`, which V8 asks on the first read of a stack), else read
 * from `stackSource` (the wrapper, made then) on the record's first read of `stack`.
 * @internal
 */
export function serializeWrapper(stackSource: { readonly stack?: unknown }, name: string, message: string, data: Readonly<Record<string, unknown>>, cause: Error): SerializedError {
  // The cause's chain is the wrapper's after its first link: one cause fewer to follow.
  const causeRecord = serializeError(cause, DEFAULT_CAUSE_DEPTH - 1);
  // V8 formats a stack without frames as `name: message` (a lazy stack's getter costs more than the record).
  if (typeof Error.prepareStackTrace !== 'function' && typeof Error.stackTraceLimit === 'number') {
    return { version: 1, name, message, data, cause: causeRecord, stack: message === '' ? name : `${name}: ${message}` };
  }
  return withLazyStack({ version: 1 as const, name, message, data, cause: causeRecord }, stackSource);
}

/**
 * Collects the chain first (a loop, so a long chain with a large `depth` cannot overflow
 * the stack), then nests it from the innermost cause outwards.
 */
function serializeChain(value: unknown, depth: number): SerializedError {
  const chain: unknown[] = [];
  // Every link before the current one: a cause that is one of them loops back. A short chain
  // (the common one: an error and its cause) is searched in `chain`; a long one gets a Set.
  let seen: Set<unknown> | null = null;
  for (let current = value; ; ) {
    chain.push(current);
    if (current instanceof ThrownValue || !isErrorLike(current) || chain.length > depth) break;
    if (seen !== null) seen.add(current);
    else if (chain.length > SHORT_CHAIN) seen = new Set(chain);
    const next = readCause(current);
    if (!next.found || (seen === null ? chain.includes(next.cause) : seen.has(next.cause))) break;
    current = next.cause;
  }
  let result: SerializedError | undefined;
  for (let i = chain.length - 1; i >= 0; i--) result = serializeLink(chain[i], result);
  return result!;
}

function serializeLink(value: unknown, cause: SerializedError | undefined): SerializedError {
  if (value instanceof ThrownValue) {
    const inner = serializeThrown(value.cause);
    return withLazyStack(inner, value);
  }
  if (!isErrorLike(value)) return serializeThrown(value);
  const name = readString(value, 'name') ?? 'Error';
  const message = readString(value, 'message') ?? '';
  const data = readData(value);
  // Fields added in the order of the JSON form (version, name, message, data, cause, stack).
  const record: { version: 1; name: string; message: string; data?: Readonly<Record<string, unknown>>; cause?: SerializedError } = { version: 1, name, message };
  if (data !== undefined) record.data = data;
  if (cause !== undefined) record.cause = cause;
  return hasStack(value) ? withLazyStack(record, value) : record;
}

/** Whether `error` has a `stack` to read (asking does not format it). */
function hasStack(error: Error): boolean {
  try {
    return 'stack' in error;
  } catch {
    // A proxy whose `has` trap throws: no stack we can read.
    return false;
  }
}

/**
 * The base constructor returns the object it is given, so a subclass's private field lands on that
 * object: a slot that keys, JSON, spreads, equality checks and `structuredClone` do not see, and
 * that stays writable on a frozen record.
 */
class Lent {
  constructor(target: object) {
    return target as Lent;
  }
}

/** What a record's `stack` is read from: an error, or what stands for one not made yet. */
type StackHolder = { readonly stack?: unknown };

/** A record's source of its `stack`: the error until the first read, then the text read from it. */
class StackSource extends Lent {
  #source: StackHolder | string | undefined;

  private constructor(record: object, error: StackHolder) {
    super(record);
    this.#source = error;
  }

  static attach(record: object, error: StackHolder): void {
    new StackSource(record, error);
  }

  static read(record: object): string | undefined {
    if (!(#source in record)) return undefined;
    const slot = record as StackSource;
    const source = slot.#source;
    if (typeof source !== 'object') return source;
    const stack = readString(source, 'stack');
    slot.#source = stack;
    return stack;
  }
}

/** One accessor for every record: no closure per record, and records keep one shared shape. */
const LAZY_STACK: PropertyDescriptor = {
  enumerable: true,
  configurable: false,
  get(this: object): string | undefined {
    return StackSource.read(this);
  },
};

/**
 * `record` with `stack` read from `error` on first read (JSON, the store's codec, the inspector),
 * not now: V8 formats a stack when `stack` is first read, which was most of the cost of a failed
 * attempt that nobody looks at. The getter is enumerable, so spreads and `JSON.stringify` see the
 * stack; once read, `error` is let go and the text kept.
 */
function withLazyStack<Record extends object>(record: Record, error: StackHolder): Record & { readonly stack?: string } {
  StackSource.attach(record, error);
  return Object.defineProperty(record, 'stack', LAZY_STACK);
}

function readCause(error: Error): { readonly found: boolean; readonly cause?: unknown } {
  try {
    // `cause: undefined` is how `{ cause: maybeError }` says "no cause", not a thrown `undefined`.
    const cause = 'cause' in error ? error.cause : undefined;
    return cause === undefined ? { found: false } : { found: true, cause };
  } catch {
    // A throwing `cause` getter (or proxy trap) leaves the chain cut here.
    return { found: false };
  }
}

/** A thrown non-`Error`: its printed form as the message, its JSON form (when it has one) as `data.value`. */
function serializeThrown(value: unknown): SerializedError {
  const json = toJsonValue(value);
  return {
    version: 1,
    name: NON_ERROR_THROWN,
    message: describeThrown(value),
    ...(json !== NO_JSON_FORM ? { data: { value: json } } : {}),
  };
}

function readData(error: Error): Readonly<Record<string, unknown>> | undefined {
  const data: Record<string, unknown> = {};
  let kept = 0;
  let keys: string[];
  try {
    keys = Object.keys(error);
  } catch {
    // A proxy whose `ownKeys` trap throws has no properties we can read.
    return undefined;
  }
  for (const key of keys) {
    if (RESERVED_KEYS.has(key)) continue;
    let raw: unknown;
    try {
      raw = (error as unknown as Record<string, unknown>)[key];
    } catch {
      // A throwing getter is a property we cannot represent: dropped, as documented.
      continue;
    }
    const json = toJsonValue(raw);
    if (json === NO_JSON_FORM) continue;
    data[key] = json;
    kept++;
  }
  return kept === 0 ? undefined : data;
}

function readString(error: Error | StackHolder, key: 'name' | 'message' | 'stack'): string | undefined {
  try {
    const value: unknown = (error as Record<string, unknown>)[key];
    return typeof value === 'string' ? value : undefined;
  } catch {
    // A throwing getter: the caller falls back to a default.
    return undefined;
  }
}

/** What {@link toJsonValue} answers for a value without a JSON form (no result object per field). */
const NO_JSON_FORM: unique symbol = Symbol('no JSON form');

/**
 * `value` as it will come back from `JSON.parse(JSON.stringify(value))`, or
 * {@link NO_JSON_FORM} when it has none (functions, symbols, `undefined`,
 * bigints, cycles, a throwing `toJSON`).
 */
function toJsonValue(value: unknown): unknown {
  // The primitives an error's fields mostly are (`attempt`, `actionId`, `code`, `status`) come back
  // from a JSON round trip as they went in, but a non-finite number (null) and -0 (0).
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value + 0 : null;
    case 'undefined':
      return NO_JSON_FORM;
  }
  try {
    const text = JSON.stringify(value);
    return text === undefined ? NO_JSON_FORM : (JSON.parse(text) as unknown);
  } catch {
    // Cycles, bigints and throwing `toJSON`s have no JSON form: reported as such.
    return NO_JSON_FORM;
  }
}

/** The message for a thrown non-`Error`: strings as they are, objects as JSON when they have a JSON form. @internal */
export function describeThrown(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'object' && value !== null) text = jsonText(value) ?? safeString(value);
  else text = safeString(value);
  return truncate(text, MAX_MESSAGE_LENGTH);
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    // `String(Object.create(null))` throws: there is no printed form at all.
    try {
      return Object.prototype.toString.call(value);
    } catch {
      // A Proxy whose `get` trap throws refuses even that.
      return '[unreadable value]';
    }
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `Error`s from this realm and others (a worker, a VM context). */
function isErrorLike(value: unknown): value is Error {
  try {
    return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
  } catch {
    // A Proxy whose `getPrototypeOf` or `get` trap throws: not an error we can read.
    return false;
  }
}
