/**
 * Flow limits of a Sequence, declared once and validated: a rate limit per queue and per
 * action name, and a concurrency limit per action name across every Site of the Sequence.
 * @example
 * const limits: FlowLimits = {
 *   actions: { Charge: { concurrency: 2, rate: { limit: 10, interval: 1_000 } } },
 *   queues: { email: { rate: { limit: 100, interval: 60_000 } } },
 * };
 */
import { describeValue, withoutUndefined } from '../validate.js';

/** At most `limit` starts in any `interval` ms (a sliding window, see `SlidingWindow`). */
export interface RateLimit {
  readonly limit: number;
  /** ms */
  readonly interval: number;
}

/** Limits of one action name. */
export interface ActionLimits {
  /** Starts of this name (attempts, retries included) across all Sites. @default none */
  readonly rate?: RateLimit;
  /** Attempts of this name running at once across all Sites. @default Infinity */
  readonly concurrency?: number;
}

/** Limits of one queue. */
export interface QueueLimits {
  /** Starts of actions taken from this queue, across all Sites. @default none */
  readonly rate?: RateLimit;
}

/** The `limits` option of a Sequence. */
export interface FlowLimits {
  /** By action name. @default {} */
  readonly actions?: Readonly<Record<string, ActionLimits>>;
  /** By queue name. @default {} */
  readonly queues?: Readonly<Record<string, QueueLimits>>;
}

/** Limits with their defaults applied. @internal */
export interface ResolvedLimits {
  readonly actions: ReadonlyMap<string, { readonly rate: RateLimit | null; readonly concurrency: number }>;
  readonly queues: ReadonlyMap<string, { readonly rate: RateLimit | null }>;
}

const defaultActionLimits = { rate: undefined as RateLimit | undefined, concurrency: Infinity } satisfies Record<keyof ActionLimits, unknown>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(field: string, expected: string, value: unknown): never {
  throw new TypeError(`Expected \`${field}\` to be ${expected}, got ${describeValue(value)}`);
}

function readRate(value: unknown, field: string): RateLimit | null {
  if (value === undefined) return null;
  if (!isRecord(value)) fail(field, 'an object { limit, interval }', value);
  for (const key of Object.keys(value)) if (key !== 'limit' && key !== 'interval') fail(`${field}.${key}`, 'absent (a rate has `limit` and `interval`)', value[key]);
  const { limit, interval } = value;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) fail(`${field}.limit`, 'an integer >= 1', limit);
  if (typeof interval !== 'number' || !Number.isFinite(interval) || interval <= 0) fail(`${field}.interval`, 'a finite number > 0 (ms)', interval);
  return { limit, interval };
}

/** Validates the `limits` option and applies defaults. @internal */
export function resolveLimits(limits: FlowLimits | undefined): ResolvedLimits {
  const actions = new Map<string, { rate: RateLimit | null; concurrency: number }>();
  const queues = new Map<string, { rate: RateLimit | null }>();
  if (limits === undefined) return { actions, queues };
  if (!isRecord(limits)) fail('limits', 'an object { actions?, queues? }', limits);
  for (const key of Object.keys(limits)) if (key !== 'actions' && key !== 'queues') fail(`limits.${key}`, 'absent (limits have `actions` and `queues`)', limits[key]);
  const byName = limits.actions ?? {};
  if (!isRecord(byName)) fail('limits.actions', 'an object of action names', byName);
  for (const [name, value] of Object.entries(byName)) {
    const field = `limits.actions.${name}`;
    if (!isRecord(value)) fail(field, 'an object { rate?, concurrency? }', value);
    for (const key of Object.keys(value)) if (!(key in defaultActionLimits)) fail(`${field}.${key}`, 'absent (an action has `rate` and `concurrency`)', value[key]);
    const { rate, concurrency } = { ...defaultActionLimits, ...withoutUndefined(value) };
    if (typeof concurrency !== 'number' || !(concurrency === Infinity || (Number.isInteger(concurrency) && concurrency >= 1))) {
      fail(`${field}.concurrency`, 'an integer >= 1', concurrency);
    }
    actions.set(name, { rate: readRate(rate, `${field}.rate`), concurrency });
  }
  const byQueue = limits.queues ?? {};
  if (!isRecord(byQueue)) fail('limits.queues', 'an object of queue names', byQueue);
  for (const [name, value] of Object.entries(byQueue)) {
    const field = `limits.queues.${name}`;
    if (!isRecord(value)) fail(field, 'an object { rate? }', value);
    for (const key of Object.keys(value)) if (key !== 'rate') fail(`${field}.${key}`, 'absent (a queue has `rate`)', value[key]);
    queues.set(name, { rate: readRate(value.rate, `${field}.rate`) });
  }
  return { actions, queues };
}
