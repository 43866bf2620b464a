/**
 * Plain counters per action name, the `actions` part of `sequence.stats()`: assigned and
 * settled counts by outcome, attempts, attempt durations and queue wait times. Durations
 * come from each action's own attempt records (on the Sequence clock) when it settles, so
 * counting costs nothing per attempt.
 *
 * Queue wait of an attempt: from when it could start (assigned + start delay, or the end of
 * the previous attempt + its backoff) to its start; before-hooks are part of the wait.
 * @internal
 */
import type { ActionContext, ActionOutput } from '../../machines/actionTypes.js';

/** Count, sum and max of a duration, ms. */
export interface DurationStats {
  readonly count: number;
  readonly total: number;
  readonly max: number;
}

/** What one action name did so far. */
export interface ActionNameStats {
  readonly assigned: number;
  readonly done: number;
  readonly failed: number;
  readonly cancelled: number;
  /** Attempts started, by how they ended. */
  readonly attempts: { readonly succeeded: number; readonly failed: number; readonly other: number };
  readonly attemptDuration: DurationStats;
  readonly queueWait: DurationStats;
  /** Actions of this name on a Site now (hooks, attempt or after-hooks). */
  readonly inFlight: number;
}

class Duration {
  count = 0;
  total = 0;
  max = 0;

  add(ms: number): void {
    this.count++;
    this.total += ms;
    if (ms > this.max) this.max = ms;
  }

  snapshot(): DurationStats {
    return { count: this.count, total: this.total, max: this.max };
  }
}

class NameCounters {
  assigned = 0;
  done = 0;
  failed = 0;
  cancelled = 0;
  succeededAttempts = 0;
  failedAttempts = 0;
  otherAttempts = 0;
  readonly attemptDuration = new Duration();
  readonly queueWait = new Duration();
}

/** One attempt as the stats and metrics see it. */
export interface AttemptMeasure {
  readonly outcome: string;
  readonly duration: number;
  readonly queueWait: number;
}

/** Every attempt of a settled action: its outcome, duration (to settlement when it never ended) and queue wait (as `ActionStats.settled` counts them). */
export function measureAttempts(context: ActionContext, settledAt: number): AttemptMeasure[] {
  const out: AttemptMeasure[] = [];
  let readyAt = context.createdAt + context.startDelay;
  for (const attempt of context.attempts) {
    const end = attempt.endedAt ?? settledAt;
    out.push({ outcome: attempt.outcome, duration: Math.max(0, end - attempt.startedAt), queueWait: Math.max(0, attempt.startedAt - readyAt) });
    readyAt = end + (attempt.backoff ?? 0);
  }
  return out;
}

export class ActionStats {
  readonly #names = new Map<string, NameCounters>();
  /** The name counted last and its counters: most runs in a row share a name (no map lookup for them). */
  #lastName: string | null = null;
  #last: NameCounters | null = null;

  assigned(name: string): void {
    this.#counters(name).assigned++;
  }

  /** Counts a settled action from its attempt records (no allocation: this runs for every action). */
  settled(name: string, output: ActionOutput, context: ActionContext, settledAt: number): void {
    const counters = this.#counters(name);
    counters[output.status]++;
    let readyAt = context.createdAt + context.startDelay;
    for (const attempt of context.attempts) {
      const outcome = attempt.outcome;
      if (outcome === 'succeeded') counters.succeededAttempts++;
      else if (outcome === 'failed' || outcome === 'timed-out') counters.failedAttempts++;
      else counters.otherAttempts++;
      const end = attempt.endedAt ?? settledAt;
      counters.attemptDuration.add(Math.max(0, end - attempt.startedAt));
      counters.queueWait.add(Math.max(0, attempt.startedAt - readyAt));
      readyAt = end + (attempt.backoff ?? 0);
    }
  }

  /** A snapshot; `inFlight` counts by name are given (the Sequence knows its live actions). */
  snapshot(inFlight: ReadonlyMap<string, number>): Record<string, ActionNameStats> {
    const out: Record<string, ActionNameStats> = {};
    for (const [name, c] of this.#names) {
      out[name] = {
        assigned: c.assigned,
        done: c.done,
        failed: c.failed,
        cancelled: c.cancelled,
        attempts: { succeeded: c.succeededAttempts, failed: c.failedAttempts, other: c.otherAttempts },
        attemptDuration: c.attemptDuration.snapshot(),
        queueWait: c.queueWait.snapshot(),
        inFlight: inFlight.get(name) ?? 0,
      };
    }
    return out;
  }

  #counters(name: string): NameCounters {
    if (name === this.#lastName) return this.#last!;
    let counters = this.#names.get(name);
    if (counters === undefined) this.#names.set(name, (counters = new NameCounters()));
    this.#lastName = name;
    this.#last = counters;
    return counters;
  }
}
