/**
 * Life: the context every action shares. The seed's four parts, typed:
 * - `span`: hooks — global before/after hooks and named hooks that actions list in metadata `hooks`;
 * - `fate`: configuration with defaults (retry policy, timeouts, cancel grace, shutdown deadline);
 * - `cache`: a shared key/value store;
 * - `karma`: the named Productions (queues) Sites serve.
 */
import { nameHooks, type Hook, type NamedHook } from './action/hooks.js';
import { DEFAULT_CANCEL_GRACE } from '../machines/actionConstants.js';
import type { Production } from './work/Production.js';
import { defaultRetryPolicy, resolveRetryPolicy, type RetryPolicy } from './retryPolicy.js';
import { checkKnownKeys, checkNumber, checkRecord, checkString } from './validate.js';

/** Configuration with defaults. */
export interface FateOptions {
  /** Default retry policy of every action (a Plan entry overrides fields). */
  readonly retry?: Partial<RetryPolicy>;
  /** The seed's `End`: default total attempts; shorthand for `retry.attempts`. @default 3 */
  readonly attempts?: number;
  /** Default per-attempt and total timeouts, ms. @default none */
  readonly timeout?: { readonly attempt?: number; readonly total?: number };
  /** How long a cancelled running function may take to stop before it is abandoned, ms. @default 1000 */
  readonly cancelGrace?: number;
  /** How long `shutdown()` drains before it aborts what is left, ms. @default 30000 */
  readonly shutdownDeadline?: number;
}

/** Resolved configuration. */
export interface Fate {
  readonly retry: RetryPolicy;
  readonly timeout: { readonly attempt: number | null; readonly total: number | null };
  readonly cancelGrace: number;
  readonly shutdownDeadline: number;
}

const defaultFate = {
  retry: defaultRetryPolicy,
  timeout: { attempt: null, total: null },
  cancelGrace: DEFAULT_CANCEL_GRACE,
  shutdownDeadline: 30_000,
} satisfies Fate;

function nonNegative(value: number | undefined, field: string, fallback: number): number {
  return value === undefined ? fallback : checkNumber(value, { field }, { min: 0 });
}

function positive(value: number, field: string): number {
  return checkNumber(value, { field }, { min: 0, above: true });
}

const FATE_KEYS: ReadonlySet<string> = new Set(['retry', 'attempts', 'timeout', 'cancelGrace', 'shutdownDeadline']);
const TIMEOUT_KEYS: ReadonlySet<string> = new Set(['attempt', 'total']);

/** Validates and resolves `FateOptions` over the defaults. */
export function resolveFate(options: FateOptions = {}): Fate {
  checkKnownKeys(checkRecord(options, { field: 'fate' }), FATE_KEYS, 'fate option');
  const retry = resolveRetryPolicy({ ...options.retry, ...(options.attempts !== undefined && { attempts: options.attempts }) });
  // A timeout that is not `{ attempt?, total? }` (`'x'`, `500`) would otherwise read as "no timeout".
  if (options.timeout !== undefined) checkKnownKeys(checkRecord(options.timeout, { field: 'timeout' }, '{ attempt?, total? } (ms)'), TIMEOUT_KEYS, 'fate option', undefined, 'timeout.');
  const attempt = options.timeout?.attempt;
  const total = options.timeout?.total;
  return Object.freeze({
    retry,
    timeout: Object.freeze({
      attempt: attempt === undefined ? null : positive(attempt, 'timeout.attempt'),
      total: total === undefined ? null : positive(total, 'timeout.total'),
    }),
    cancelGrace: nonNegative(options.cancelGrace, 'cancelGrace', defaultFate.cancelGrace),
    shutdownDeadline: nonNegative(options.shutdownDeadline, 'shutdownDeadline', defaultFate.shutdownDeadline),
  });
}

/** The hooks registry. */
export class Span {
  readonly #before: NamedHook[] = [];
  readonly #after: NamedHook[] = [];
  readonly #named = new Map<string, NamedHook>();

  /** Adds a global before-hook (runs before every attempt of every action). */
  before(hook: Hook | NamedHook): this {
    this.#before.push(...nameHooks(hook, 'global before hook'));
    return this;
  }

  /** Adds a global after-hook (runs once every action's outcome is known). */
  after(hook: Hook | NamedHook): this {
    this.#after.push(...nameHooks(hook, 'global after hook'));
    return this;
  }

  /** Registers a named hook that actions list in metadata `hooks` (the seed's `LogStart`). */
  define(name: string, hook: Hook): this {
    checkString(name, { field: 'name' }, { nonEmpty: true });
    if (this.#named.has(name)) throw new TypeError(`Expected a new hook name, but "${name}" is already defined`);
    this.#named.set(name, nameHooks({ name, run: hook }, name)[0]!);
    return this;
  }

  /** The named hook, or undefined. */
  get(name: string): NamedHook | undefined {
    return this.#named.get(name);
  }

  get globalBefore(): readonly NamedHook[] {
    return this.#before;
  }

  get globalAfter(): readonly NamedHook[] {
    return this.#after;
  }
}

/** Options of a Life. */
export interface LifeOptions {
  readonly fate?: FateOptions;
  readonly cache?: Map<string, unknown>;
}

/** The shared context of a runtime. */
export class Life {
  readonly span = new Span();
  readonly fate: Fate;
  readonly cache: Map<string, unknown>;
  /** Named Productions, filled by the Sequence from its `queues` option. */
  readonly karma = new Map<string, Production<unknown>>();

  constructor(options: LifeOptions = {}) {
    this.fate = resolveFate(options.fate);
    this.cache = options.cache ?? new Map();
  }
}
