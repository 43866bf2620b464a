/**
 * Life: the context every action shares. The seed's four parts, typed:
 * - `span`: hooks — global before/after hooks and named hooks that actions list in metadata `hooks`;
 * - `fate`: configuration with defaults (retry policy, timeouts, cancel grace, shutdown deadline);
 * - `cache`: a shared key/value store;
 * - `karma`: the named Productions (queues) Sites serve.
 */
import { nameHooks, type Hook, type NamedHook } from './action/hooks.js';
import type { Production } from './work/Production.js';
import { defaultRetryPolicy, resolveRetryPolicy, type RetryPolicy } from './retryPolicy.js';

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
  cancelGrace: 1000,
  shutdownDeadline: 30_000,
} satisfies Fate;

function nonNegative(value: number | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new TypeError(`Expected \`${field}\` to be a finite number >= 0, got ${String(value)} (${typeof value})`);
  }
  return value;
}

function positive(value: number, field: string): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new TypeError(`Expected \`${field}\` to be a finite number > 0, got ${String(value)} (${typeof value})`);
  }
  return value;
}

/** Validates and resolves `FateOptions` over the defaults. */
export function resolveFate(options: FateOptions = {}): Fate {
  const known = new Set(['retry', 'attempts', 'timeout', 'cancelGrace', 'shutdownDeadline']);
  for (const key of Object.keys(options)) if (!known.has(key)) throw new TypeError(`Unknown fate option \`${key}\``);
  const retry = resolveRetryPolicy({ ...options.retry, ...(options.attempts !== undefined && { attempts: options.attempts }) });
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
    if (typeof name !== 'string' || name.length === 0) throw new TypeError(`Expected a hook name, got ${String(name)}`);
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
