/**
 * When a schedule fires: every `every` ms from an anchor, or on a cron pattern in a time zone
 * (parsed and stepped by `croner`, which handles the DST gaps and repeats of a zone: a daily
 * 02:30 in Europe/Berlin fires at 03:00 on the day the clocks skip 02:00–03:00, and once on the
 * day 02:00–03:00 repeats; an hourly pattern fires once per real hour across both).
 *
 * Times are ms on the Sequence clock, read as Unix epoch ms for cron (a `ManualClock` started at
 * `Date.UTC(...)` drives a cron schedule through any date in tests).
 * @example
 * const next = nextOccurrence(compileTrigger({ cron: '0 * * * *', timezone: 'Europe/Berlin' }, 0), Date.UTC(2026, 2, 29, 0, 30));
 * // Date.UTC(2026, 2, 29, 1, 0)
 */
import { Cron } from 'croner';
import { describeValue } from '../validate.js';

/** Every `every` ms; the first run at `startAt` (default: created + `every`). */
export interface EveryTrigger {
  readonly every: number;
  readonly startAt?: number;
}

/** A cron pattern (5 fields, or 6 with seconds), read in `timezone` (IANA name; default UTC). */
export interface CronTrigger {
  readonly cron: string;
  readonly timezone?: string;
}

/** When a schedule runs: every `every` ms, or on a cron expression (in a timezone). */
export type ScheduleTrigger = EveryTrigger | CronTrigger;

/** A trigger ready to step. @internal */
export type CompiledTrigger =
  | { readonly kind: 'every'; readonly every: number; readonly anchor: number }
  | { readonly kind: 'cron'; readonly cron: Cron };

function fail(field: string, expected: string, value: unknown, detail = ''): never {
  throw new TypeError(`Expected \`${field}\` to be ${expected}, got ${describeValue(value)}${detail}`);
}

/** The trigger as given (JSON-safe, for the schedule's persisted state), validated. @internal */
export function readTrigger(value: unknown): ScheduleTrigger {
  if (typeof value !== 'object' || value === null) fail('trigger', "an object { every } or { cron, timezone? }", value);
  const trigger = value as Record<string, unknown>;
  if ('every' in trigger === 'cron' in trigger) fail('trigger', 'exactly one of `every` and `cron`', value);
  if ('every' in trigger) {
    const { every, startAt } = trigger;
    if (typeof every !== 'number' || !Number.isFinite(every) || every < 1) fail('every', 'a finite number >= 1 (ms)', every);
    if (startAt !== undefined && (typeof startAt !== 'number' || !Number.isFinite(startAt))) fail('startAt', 'a finite number (ms on the Sequence clock)', startAt);
    return startAt === undefined ? { every } : { every, startAt };
  }
  const { cron, timezone } = trigger;
  if (typeof cron !== 'string' || cron.trim() === '') fail('cron', 'a cron pattern', cron);
  if (timezone !== undefined && (typeof timezone !== 'string' || timezone === '')) fail('timezone', 'an IANA time zone name', timezone);
  return timezone === undefined ? { cron } : { cron, timezone };
}

/** Compiles a trigger; `createdAt` anchors an `every` without `startAt`. @internal */
export function compileTrigger(trigger: ScheduleTrigger, createdAt: number): CompiledTrigger {
  if ('every' in trigger) return { kind: 'every', every: trigger.every, anchor: trigger.startAt ?? createdAt + trigger.every };
  let cron: Cron;
  try {
    cron = new Cron(trigger.cron, { paused: true, ...(trigger.timezone !== undefined && { timezone: trigger.timezone }) });
  } catch (error) {
    fail('cron', 'a cron pattern', trigger.cron, `: ${(error as Error).message}`);
  }
  try {
    cron.nextRun(new Date(0)); // an unknown time zone only shows when a date is converted
  } catch (error) {
    fail('timezone', 'an IANA time zone name', trigger.timezone, `: ${(error as Error).message}`);
  }
  return { kind: 'cron', cron };
}

/** Missed cron occurrences counted one by one at most (the count is a floor past it). */
const MAX_COUNTED = 10_000;

/** The first occurrence strictly after `after`, or null when there is none (a cron pattern that never matches again). @internal */
export function nextOccurrence(trigger: CompiledTrigger, after: number): number | null {
  if (trigger.kind === 'every') {
    if (after < trigger.anchor) return trigger.anchor;
    return trigger.anchor + (Math.floor((after - trigger.anchor) / trigger.every) + 1) * trigger.every;
  }
  const next = trigger.cron.nextRun(new Date(after));
  return next === null ? null : next.getTime();
}

/**
 * The occurrences from `from` (itself an occurrence) up to `until`, at most `limit` of the
 * latest ones, and how many there were in all.
 * @internal
 */
export function occurrencesUntil(trigger: CompiledTrigger, from: number, until: number, limit: number): { readonly latest: number[]; readonly count: number } {
  if (from > until) return { latest: [], count: 0 };
  if (trigger.kind === 'every') {
    const count = Math.floor((until - from) / trigger.every) + 1;
    const latest: number[] = [];
    for (let k = Math.max(0, count - limit); k < count; k++) latest.push(from + k * trigger.every);
    return { latest, count };
  }
  const latest: number[] = [];
  let count = 0;
  for (let at: number | null = from; at !== null && at <= until; at = nextOccurrence(trigger, at)) {
    if (++count > MAX_COUNTED) {
      // A long downtime of a frequent pattern: the latest ones straight from croner, the count a floor.
      const previous = trigger.cron.previousRuns(limit, new Date(until + 1)).map((date) => date.getTime());
      return { latest: previous.reverse(), count: MAX_COUNTED };
    }
    latest.push(at);
    if (latest.length > limit) latest.shift();
  }
  return { latest, count };
}
