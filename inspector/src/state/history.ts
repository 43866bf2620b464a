/**
 * An actor's state history and the event log, as the reducer extends them: the states an
 * op says the actor went through (its `steps`, its `trail`, then its state now), and log
 * entries kept in time order. Pure.
 */
import { stateValueToString, type Json, type TrailStep } from '../../../src/inspect/protocol.js';
import type { LogEntry } from './model.js';

/** A state entered: `[state, source-clock ms, event type?]`. */
export type HistoryEntry = [state: string, at: number, event?: string];

const NO_TRAIL: readonly TrailStep[] = [];

/** An op's `trail` (version 2), or none: a step not of the wire's shape is left out (a remote producer's ops are not checked on arrival). */
export function trailOf(trail: unknown): readonly TrailStep[] {
  if (!Array.isArray(trail) || trail.length === 0) return NO_TRAIL;
  return trail.every(isStep) ? (trail as TrailStep[]) : trail.filter(isStep);
}

function isStep(step: unknown): step is TrailStep {
  return Array.isArray(step) && typeof step[0] === 'string' && typeof step[1] === 'number' && typeof step[2] === 'string';
}

/** `history` with the states of `steps`, then of `trail`, then `state` at `at` (reached on `event`), at most `max` of them. */
export function extendHistory(history: readonly HistoryEntry[], steps: Array<[Json, number]> | undefined, trail: readonly TrailStep[], state: string, at: number, max: number, event?: string): HistoryEntry[] {
  const out = [...history];
  const push = (value: string, time: number, cause?: string): void => {
    if (value !== '' && out.at(-1)?.[0] !== value) out.push(cause === undefined ? [value, time] : [value, time, cause]);
  };
  for (const [value, time] of steps ?? []) push(stateValueToString(value), time);
  for (const [value, time, cause] of trail) push(value, time, cause);
  push(state, at, event ?? trail.at(-1)?.[2]);
  return out.length > max ? out.slice(out.length - max) : out;
}

/**
 * Appends an entry, keeping the log in time order: events of one source arrive in
 * order, but a late viewer's history or a second source can bring older ones.
 */
export function insertByTime(log: LogEntry[], entry: LogEntry): void {
  let at = log.length;
  while (at > 0 && log[at - 1]!.at > entry.at) at--;
  if (at === log.length) log.push(entry);
  else log.splice(at, 0, entry);
}
