/**
 * When and how long to wait before an Action's next attempt: a declarative,
 * JSON-serializable policy and pure functions over it. Randomness is passed in,
 * so a backoff schedule is a table of numbers a test can check without a timer.
 * All durations are milliseconds.
 */
import type { RandomSource } from './clock.js';
import { checkKnownKeys, invalid, kindOf, oneOf } from './validate.js';

/**
 * How a backoff delay is randomized (AWS "Exponential Backoff and Jitter" names).
 * @example
 * const jitter: Jitter = 'decorrelated';
 */
export type Jitter = 'none' | 'full' | 'equal' | 'decorrelated';

/**
 * A retry policy; every field is plain JSON, so a policy can be stored with its Action.
 * @example
 * const policy: RetryPolicy = resolveRetryPolicy({ attempts: 5, deadline: 60_000 });
 */
export interface RetryPolicy {
  /** Total attempts including the first. @default 3 */
  readonly attempts: number;
  /** Delay before the second attempt, before jitter. @default 100 */
  readonly initialDelay: number;
  /** Growth of the delay per attempt. @default 2 */
  readonly factor: number;
  /** Cap applied after jitter. @default 30_000 */
  readonly maxDelay: number;
  /** @default 'full' */
  readonly jitter: Jitter;
  /** Error names never retried, in addition to NEVER_RETRIED. @default [] */
  readonly nonRetryable: readonly string[];
  /** Honour an error-supplied retry-after hint. @default true */
  readonly retryAfter: boolean;
  /** Ms after the first attempt's start past which no retry may start. null = none. @default null */
  readonly deadline: number | null;
}

/**
 * The policy used when none is given.
 * @example
 * defaultRetryPolicy.attempts; // 3
 */
export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  attempts: 3,
  initialDelay: 100,
  factor: 2,
  maxDelay: 30_000,
  jitter: 'full',
  nonRetryable: Object.freeze([]) as readonly string[],
  retryAfter: true,
  deadline: null,
} satisfies Required<RetryPolicy>);

/**
 * Names of Echo errors that retrying cannot fix, whatever the policy says.
 * @example
 * NEVER_RETRIED.includes('LicenseError'); // true
 */
export const NEVER_RETRIED: readonly string[] = Object.freeze([
  'LicenseError',
  'RoutingError',
  'CancellationError',
  'ValidationError',
  'HookError',
  'BackpressureError',
  'SerializationError',
]);

const JITTERS: readonly Jitter[] = ['none', 'full', 'equal', 'decorrelated'];
const POLICY_KEYS: ReadonlySet<string> = new Set(Object.keys(defaultRetryPolicy));
/** How far down a cause chain hints and wrapped errors are looked for. */
const MAX_CAUSE_DEPTH = 8;

/** The policies `resolveRetryPolicy` made (frozen, complete, checked): a restored action passes its own again. */
const resolvedPolicies = new WeakSet<object>();

/**
 * Merges `options` over `base` (absent or `undefined` fields keep the base's; `deadline: null`
 * clears a deadline), validates every field and returns a frozen policy. Accepts JSON-parsed input.
 * Throws a `TypeError` saying what was expected and what came.
 * @example
 * const policy = resolveRetryPolicy({ attempts: 5, jitter: 'none' });
 * resolveRetryPolicy({ attempts: -2 }); // TypeError: Expected `attempts` to be an integer >= 1, got -2 (number)
 */
export function resolveRetryPolicy(options?: Partial<RetryPolicy>, base: RetryPolicy = defaultRetryPolicy): RetryPolicy {
  // A policy this function made has every field, checked: it overrides the whole base, so it is the answer.
  if (options !== undefined && resolvedPolicies.has(options)) return options as RetryPolicy;
  const given: unknown = options ?? {};
  if (kindOf(given) !== 'object') throw invalid('retry', 'an object of retry policy options', given);
  checkKnownKeys(given as object, POLICY_KEYS, 'retry policy option');
  const input = given as Partial<Record<keyof RetryPolicy, unknown>>;
  // Only an absent field (or `undefined`) falls back to the base: `attempts: null` is refused, not read
  // as "the default"; `deadline: null` is a value ("no deadline").
  const pick = <K extends keyof RetryPolicy>(key: K): unknown => (input[key] !== undefined ? input[key] : base[key]);

  const attempts = checkNumber('attempts', pick('attempts'), 1, true);
  const initialDelay = checkNumber('initialDelay', pick('initialDelay'), 0);
  const factor = checkNumber('factor', pick('factor'), 1);
  const maxDelay = checkNumber('maxDelay', pick('maxDelay'), 0);
  const jitter = pick('jitter');
  if (!JITTERS.includes(jitter as Jitter)) throw expected('jitter', oneOf(JITTERS), jitter);
  const nonRetryable = pick('nonRetryable');
  if (!Array.isArray(nonRetryable)) throw expected('nonRetryable', 'an array of error names', nonRetryable);
  nonRetryable.forEach((name: unknown, i) => {
    if (typeof name !== 'string') throw expected(`nonRetryable[${i}]`, 'a string', name);
  });
  const retryAfter = pick('retryAfter');
  if (typeof retryAfter !== 'boolean') throw expected('retryAfter', 'a boolean', retryAfter);
  const deadline = pick('deadline');
  if (deadline !== null) checkNumber('deadline', deadline, 0, false, ' or null');
  const policy: RetryPolicy = Object.freeze({
    attempts,
    initialDelay,
    factor,
    maxDelay,
    jitter: jitter as Jitter,
    nonRetryable: Object.freeze([...(nonRetryable as string[])]),
    retryAfter,
    deadline: deadline as number | null,
  });
  resolvedPolicies.add(policy);
  return policy;
}


/**
 * The delay after failed attempt number `attempt` (1-based): exponential, jittered with
 * `random`, clamped to `[0, maxDelay]` and rounded to whole ms. `previousDelay` feeds
 * decorrelated jitter. Safe for any attempt number (no `Infinity`, no `NaN`).
 * @example
 * const policy = resolveRetryPolicy({ jitter: 'none', initialDelay: 100, factor: 2 });
 * backoffDelay(policy, 3, null, () => 0.5); // 400
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, previousDelay: number | null, random: RandomSource): number {
  checkNumber('attempt', attempt, 1, true);
  if (previousDelay !== null) checkNumber('previousDelay', previousDelay, 0, false, ' or null');
  const { initialDelay, maxDelay } = policy;
  let delay: number;
  switch (policy.jitter) {
    case 'none':
      delay = exponential(policy, attempt);
      break;
    case 'full':
      delay = draw(random) * exponential(policy, attempt);
      break;
    case 'equal': {
      const base = exponential(policy, attempt);
      delay = base / 2 + (draw(random) * base) / 2;
      break;
    }
    case 'decorrelated': {
      // AWS's "decorrelated jitter": min(cap, random_between(base, previous * 3)). The product is
      // capped at MAX_VALUE so a huge previous delay cannot make `0 * Infinity` (NaN).
      const upper = Math.max(initialDelay, Math.min(Number.MAX_VALUE, (previousDelay ?? initialDelay) * 3));
      delay = Math.min(maxDelay, initialDelay + draw(random) * (upper - initialDelay));
      break;
    }
  }
  // Round, then clamp: a fractional `maxDelay` (0.07 * 1000) must still cap the result.
  return Math.max(0, Math.min(Math.round(delay), Math.floor(maxDelay)));
}

/** `min(maxDelay, initialDelay * factor^(attempt - 1))`, finite for any attempt. */
function exponential({ initialDelay, factor, maxDelay }: RetryPolicy, attempt: number): number {
  if (initialDelay === 0) return 0; // 0 * Infinity would be NaN
  const raw = initialDelay * factor ** (attempt - 1);
  return Number.isFinite(raw) ? Math.min(maxDelay, raw) : maxDelay;
}

function draw(random: RandomSource): number {
  const value = random();
  if (!(typeof value === 'number' && value >= 0 && value < 1)) {
    throw invalid('random()', 'a number in [0, 1)', value);
  }
  return value;
}

/**
 * The retry-after hint (ms) an error carries as `retryAfter` or `retryAfterMs`, on itself or
 * down its cause chain (nearest first); negative, non-finite and non-number values are ignored.
 * @example
 * retryAfterHint(new Error('slow down', { cause: Object.assign(new Error('429'), { retryAfter: 2_000 }) })); // 2000
 */
export function retryAfterHint(error: unknown): number | undefined {
  const seen: object[] = [];
  for (let link = firstLink(error); link !== null; link = nextLink(link, seen)) {
    const hint = readRetryAfter(link);
    if (isHint(hint)) return hint;
    const hintMs = readRetryAfterMs(link);
    if (isHint(hintMs)) return hintMs;
  }
  return undefined;
}

function isHint(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * What {@link decideRetry} decided: retry after `delay` ms, or stop and why.
 * @example
 * const stop: RetryDecision = { retry: false, reason: 'attempts-exhausted' };
 */
export type RetryDecision =
  | { readonly retry: true; readonly delay: number }
  | { readonly retry: false; readonly reason: 'attempts-exhausted' | 'non-retryable' | 'deadline' };

/**
 * Whether to retry after failed attempt `attempt` with `error`, and after how long. Checked in
 * order: a non-retryable error, attempts used up, then the delay (the error's retry-after hint
 * when the policy honours one, not capped by `maxDelay`; else {@link backoffDelay}) against the deadline.
 * `elapsed` is ms since the first attempt started.
 * @example
 * const policy = resolveRetryPolicy({ jitter: 'none' });
 * decideRetry({ policy, attempt: 1, error: new Error('ECONNRESET'), previousDelay: null, elapsed: 40, random: () => 0 });
 * // { retry: true, delay: 100 }
 */
export function decideRetry(input: {
  policy: RetryPolicy;
  attempt: number;
  error: unknown;
  previousDelay: number | null;
  elapsed: number;
  random: RandomSource;
}): RetryDecision {
  const { policy, attempt, error, previousDelay, elapsed, random } = input;
  checkNumber('attempt', attempt, 1, true);
  checkNumber('elapsed', elapsed, 0);
  if (isNonRetryable(error, policy)) return { retry: false, reason: 'non-retryable' };
  if (attempt >= policy.attempts) return { retry: false, reason: 'attempts-exhausted' };
  const hint = policy.retryAfter ? retryAfterHint(error) : undefined;
  // Waiting a fraction of a ms less than the server asked for would be too early: round up.
  const delay = hint !== undefined ? Math.ceil(hint) : backoffDelay(policy, attempt, previousDelay, random);
  if (policy.deadline !== null && elapsed + delay > policy.deadline) return { retry: false, reason: 'deadline' };
  return { retry: true, delay };
}

/**
 * An error, or (through `ExecutionError` wrappers) what it wraps, is named in NEVER_RETRIED or
 * `policy.nonRetryable`, or says `retryable: false`. Checked by name, so revived errors count too.
 */
function isNonRetryable(error: unknown, policy: RetryPolicy): boolean {
  const seen: object[] = [];
  for (let link = firstLink(error); link !== null; link = nextLink(link, seen)) {
    const name = readName(link);
    if (typeof name === 'string' && (NEVER_RETRIED.includes(name) || policy.nonRetryable.includes(name))) return true;
    if (readRetryable(link) === false) return true;
    if (name !== 'ExecutionError') return false;
  }
  return false;
}

/*
 * The properties of a thrown value a cause-chain walk reads, each undefined when reading it throws
 * (a getter, a Proxy trap): user code threw while we looked, so the property says nothing. One
 * reader per property, each a load by name: a keyed load by a variable key went megamorphic and
 * cost several times as much on every failed attempt.
 */
function readName(value: object): unknown {
  try {
    return (value as { name?: unknown }).name;
  } catch {
    return undefined;
  }
}

function readRetryable(value: object): unknown {
  try {
    return (value as { retryable?: unknown }).retryable;
  } catch {
    return undefined;
  }
}

/** A retry-after hint's first name; `readRetryAfterMs` reads its second. */
function readRetryAfter(value: object): unknown {
  try {
    return (value as { retryAfter?: unknown }).retryAfter;
  } catch {
    return undefined;
  }
}

function readRetryAfterMs(value: object): unknown {
  try {
    return (value as { retryAfterMs?: unknown }).retryAfterMs;
  } catch {
    return undefined;
  }
}

function readCause(value: object): unknown {
  try {
    return (value as { cause?: unknown }).cause;
  } catch {
    return undefined;
  }
}

/**
 * A cause chain is walked link by link, reading only what the caller asks of each (no object per
 * link, no generator: this runs on every failed attempt): `error` itself when it is an object...
 */
function firstLink(error: unknown): object | null {
  return typeof error === 'object' && error !== null ? error : null;
}

/**
 * ...then its `cause`, its cause's `cause`... while they are objects; null at the end, at a cycle
 * (`seen` holds the links walked so far) or past MAX_CAUSE_DEPTH causes. Never throws.
 */
function nextLink(link: object, seen: object[]): object | null {
  seen.push(link);
  if (seen.length > MAX_CAUSE_DEPTH) return null;
  const cause = readCause(link);
  return typeof cause === 'object' && cause !== null && !seen.includes(cause) ? cause : null;
}

function checkNumber(name: string, value: unknown, min: number, integer = false, orElse = ''): number {
  const ok = typeof value === 'number' && value >= min && (integer ? Number.isSafeInteger(value) : Number.isFinite(value));
  if (!ok) throw expected(name, `${integer ? 'an integer' : 'a number'} >= ${min}${orElse}`, value);
  return value as number;
}

function expected(name: string, what: string, value: unknown): TypeError {
  return invalid(name, what, value);
}
