/**
 * Recurring actions of a Sequence: each schedule assigns its action when its trigger fires, on
 * the Sequence clock (one timer per schedule, at its next run).
 *
 * - Overlap, when a run is due while the previous one has not settled: `skip` it (counted),
 *   `queue` it (assigned when the previous settles; at most `maxCatchUp` wait, more are skipped),
 *   or `cancel-previous` (the previous is cancelled, then the new one is assigned).
 * - Catch-up, for runs missed (due more than `lateness` ms ago: the process was down, the clock
 *   jumped, the event loop stalled): `none` runs none of them, `one` runs one for all of them,
 *   `all` runs each, the latest `maxCatchUp` at most. A run on time is never a missed one.
 *   Caught-up runs meet the overlap policy like any other: with `skip` the ones after the first
 *   are skipped while it has not settled; `queue` runs each in turn.
 * - Pause stops a schedule (runs due while paused are not caught up); resume starts again from
 *   the next run after now. Remove stops it for good. Actions already assigned go on.
 *
 * Its state (`ScheduleState`) is JSON-safe and holds everything needed to go on later:
 * `restore(state)` after a restart applies the catch-up policy to the runs missed meanwhile.
 * @internal
 */
import type { ActionHandle } from '../action/ActionHandle.js';
import type { Clock } from '../clock.js';
import type { Priority } from '../work/Production.js';
import { describeValue } from '../validate.js';
import { readScheduleSpec, readState, readWaiting, sameDefinition, type ScheduleSpec, type ScheduleState } from './scheduleSpec.js';
import { compileTrigger, nextOccurrence, occurrencesUntil, type CompiledTrigger } from './trigger.js';

/** What a Scheduler needs from its Sequence. */
export interface SchedulerServices {
  readonly clock: Clock;
  assign(name: string, content: unknown, options: { metadata: Record<string, unknown>; priority?: Priority; queue?: string; idempotencyKey?: string }): ActionHandle;
  /** An assignment failed (unknown name, full queue, shutting down): reported, counted, never thrown from a timer. */
  report(error: unknown): void;
  /**
   * A durable Sequence's store: every change of a schedule's state is saved, and each run is
   * assigned with the idempotency key `schedule:<id>@<due time>`; the fire and its action are
   * written in the same turn, so they commit together and a slot never fires twice. Runs waiting
   * under overlap `queue` are saved with the state (`waiting`), so they survive a restart too.
   */
  readonly store?: { saved(state: StoredScheduleState): void; removed(id: string): void };
  /** The live action assigned with this idempotency key (after a restart: the restored run a queue waits for). */
  running?(idempotencyKey: string): ActionHandle | undefined;
}

/** What a store keeps of a schedule: its state, and the due times of the runs waiting under overlap `queue` (absent when none). */
export interface StoredScheduleState extends ScheduleState {
  readonly waiting?: readonly number[];
}

class Entry {
  state: ScheduleState;
  readonly trigger: CompiledTrigger;
  timer: unknown = null;
  readonly live = new Set<ActionHandle>();
  /** Due times of the runs waiting under overlap `queue`, oldest first. */
  readonly waiting: number[];
  /** Restored with waiting runs: they go on once the Sequence has restored the run they wait for (see `wake`). */
  resumeQueue: boolean;

  constructor(state: ScheduleState, waiting: readonly number[] = []) {
    this.state = state;
    this.trigger = compileTrigger(state.trigger, state.createdAt);
    this.waiting = [...waiting];
    this.resumeQueue = waiting.length > 0;
  }
}

export class Scheduler {
  readonly #services: SchedulerServices;
  readonly #entries = new Map<string, Entry>();
  /** Stored schedules not taken back yet: `add` with their id keeps their state, `wake` takes the rest. */
  readonly #dormant = new Map<string, ScheduleState>();
  /** The waiting runs of stored schedules, by id, until they are taken back. */
  readonly #dormantWaiting = new Map<string, readonly number[]>();
  /** True once `wake` ran: the Sequence restored its actions, so a queue can find the run it waits for. */
  #awake = false;
  #stopped = false;

  constructor(services: SchedulerServices) {
    this.#services = services;
  }

  /** Adds a schedule; throws a TypeError naming the field for a bad spec, or a taken id. */
  add(name: string, content: unknown, spec: ScheduleSpec): ScheduleState {
    const { id, trigger, options, paused } = readScheduleSpec(name, spec);
    const now = this.#services.clock.now();
    const stored = this.#dormant.get(id);
    if (stored !== undefined) {
      this.#dormant.delete(id);
      const waiting = this.#takeWaiting(id);
      // The same schedule made again at boot (the usual way): it goes on from its stored state, paused or not.
      if (sameDefinition(stored, { name, content, trigger, options })) return this.#restore(stored, waiting);
      // Changed since: the new definition, with its stored pause and counts.
      const changed: ScheduleState = { ...stored, name, content, trigger, options, createdAt: now, paused: stored.paused || paused, nextRunAt: null };
      return this.#install(changed, (entry) => (entry.state.paused ? null : nextOccurrence(entry.trigger, now)), waiting);
    }
    const state: ScheduleState = {
      version: 1, id, name, content, trigger, options, createdAt: now,
      paused, nextRunAt: null, lastRunAt: null, runs: 0, skipped: 0, failedToAssign: 0,
    };
    // The first run is the first occurrence after now (a cron schedule made at 09:00 for '0 9 * * *' runs tomorrow).
    return this.#install(state, (entry) => (entry.state.paused ? null : nextOccurrence(entry.trigger, now)));
  }

  /** Takes a schedule back from its persisted state; runs missed since `nextRunAt` follow the catch-up policy. */
  restore(state: ScheduleState): ScheduleState {
    return this.#restore(state, []);
  }

  #restore(state: ScheduleState, waiting: readonly number[]): ScheduleState {
    const checked = readState(state);
    return this.#install(checked, () => (checked.paused ? null : checked.nextRunAt), waiting);
  }

  #takeWaiting(id: string): readonly number[] {
    const waiting = this.#dormantWaiting.get(id) ?? [];
    this.#dormantWaiting.delete(id);
    return waiting;
  }

  /**
   * Holds the states a store kept, until `add` names one of them or `wake` takes them back.
   * A state that does not read is reported, not taken.
   */
  adopt(states: readonly unknown[]): void {
    for (const state of states) {
      try {
        const { waiting, ...rest } = state as StoredScheduleState;
        const checked = readState(rest);
        if (waiting !== undefined) this.#dormantWaiting.set(checked.id, readWaiting(waiting, checked.options.maxCatchUp));
        this.#dormant.set(checked.id, checked);
      } catch (error) {
        this.#services.report(new TypeError(`A stored schedule cannot be read: ${(error as Error).message}`, { cause: error }));
      }
    }
  }

  /** Takes back every adopted schedule not made again (the Sequence starts); missed runs follow their catch-up policy. */
  wake(): void {
    this.#awake = true;
    for (const state of this.#dormant.values()) {
      if (this.#entries.has(state.id)) continue;
      this.#restore(state, this.#takeWaiting(state.id));
    }
    this.#dormant.clear();
    for (const entry of this.#entries.values()) this.#resumeQueue(entry);
  }

  /**
   * A schedule restored with waiting runs: they wait for its last run, restored by the
   * Sequence when it was still live; when it is not (it settled), the next one is assigned now.
   */
  #resumeQueue(entry: Entry): void {
    if (!entry.resumeQueue || !this.#awake || this.#stopped) return;
    entry.resumeQueue = false;
    const { id, lastRunAt } = entry.state;
    const last = lastRunAt === null ? undefined : this.#services.running?.(runKey(id, lastRunAt));
    if (last !== undefined) this.#follow(entry, last);
    else this.#next(entry);
  }

  pause(id: string): ScheduleState {
    const entry = this.#entry(id);
    this.#disarm(entry);
    this.#set(entry, { ...entry.state, paused: true, nextRunAt: null });
    return entry.state;
  }

  resume(id: string): ScheduleState {
    const entry = this.#entry(id);
    if (!entry.state.paused) return entry.state;
    this.#set(entry, { ...entry.state, paused: false, nextRunAt: nextOccurrence(entry.trigger, this.#services.clock.now()) });
    this.#arm(entry);
    return entry.state;
  }

  /** Removes a schedule; its actions already assigned go on. */
  remove(id: string): boolean {
    const entry = this.#entries.get(id);
    if (entry === undefined) return false;
    this.#disarm(entry);
    this.#entries.delete(id);
    this.#services.store?.removed(id);
    return true;
  }

  /** Every schedule, with its next run. */
  list(): ScheduleState[] {
    return [...this.#entries.values()].map((entry) => entry.state);
  }

  get(id: string): ScheduleState | undefined {
    return this.#entries.get(id)?.state;
  }

  /** Stops every timer (the Sequence shuts down); the states stay readable. */
  stop(): void {
    this.#stopped = true;
    for (const entry of this.#entries.values()) this.#disarm(entry);
  }

  #install(state: ScheduleState, first: (entry: Entry) => number | null, waiting: readonly number[] = []): ScheduleState {
    if (this.#stopped) throw new TypeError('Expected a running Sequence, got one that is shutting down (schedules are stopped)');
    if (this.#entries.has(state.id)) throw new TypeError(`Expected a new schedule id, got "${state.id}", which is taken (give \`id\`)`);
    const entry = new Entry(state, waiting);
    this.#entries.set(state.id, entry);
    this.#set(entry, { ...state, nextRunAt: first(entry) });
    this.#arm(entry);
    this.#resumeQueue(entry);
    return entry.state;
  }

  /** Every change of a schedule's state goes through here (and to the store, when there is one). */
  #set(entry: Entry, state: ScheduleState): void {
    entry.state = state;
    this.#save(entry);
  }

  /** Saves the state and the waiting runs (with the writes of the same turn). */
  #save(entry: Entry): void {
    const { state, waiting } = entry;
    if (this.#entries.get(state.id) === entry) this.#services.store?.saved(waiting.length === 0 ? state : { ...state, waiting: [...waiting] });
  }

  #entry(id: string): Entry {
    const entry = this.#entries.get(id);
    if (entry === undefined) throw new TypeError(`Expected the id of a schedule, got ${describeValue(id)}`);
    return entry;
  }

  #arm(entry: Entry): void {
    this.#disarm(entry);
    const at = entry.state.nextRunAt;
    if (at === null || this.#stopped) return;
    const clock = this.#services.clock;
    entry.timer = clock.setTimeout(() => {
      entry.timer = null;
      this.#fire(entry);
    }, Math.max(0, at - clock.now()));
  }

  #disarm(entry: Entry): void {
    if (entry.timer === null) return;
    this.#services.clock.clearTimeout(entry.timer);
    entry.timer = null;
  }

  #fire(entry: Entry): void {
    const { nextRunAt, options } = entry.state;
    if (nextRunAt === null || entry.state.paused || this.#entries.get(entry.state.id) !== entry) return;
    const now = this.#services.clock.now();
    const { latest, count } = occurrencesUntil(entry.trigger, nextRunAt, now, options.maxCatchUp + 1);
    const onTime = latest.filter((at) => now - at <= options.lateness);
    const missed = latest.filter((at) => now - at > options.lateness);
    const missedCount = count - onTime.length;
    let runs: number[];
    if (options.catchUp === 'none') runs = onTime;
    else if (options.catchUp === 'one') runs = onTime.length > 0 ? onTime : missed.slice(-1);
    else runs = [...missed.slice(-options.maxCatchUp), ...onTime].slice(-Math.max(options.maxCatchUp, onTime.length));
    const caughtUp = runs.length - onTime.length;
    this.#set(entry, {
      ...entry.state,
      skipped: entry.state.skipped + (missedCount - Math.max(0, caughtUp)),
      nextRunAt: nextOccurrence(entry.trigger, now),
    });
    for (const at of runs) this.#run(entry, at);
    this.#arm(entry);
  }

  /** One due run, under the overlap policy. */
  #run(entry: Entry, scheduledFor: number): void {
    const overlap = entry.state.options.overlap;
    if (entry.live.size > 0) {
      if (overlap === 'skip') {
        this.#set(entry, { ...entry.state, skipped: entry.state.skipped + 1 });
        return;
      }
      if (overlap === 'queue') {
        if (entry.waiting.length >= entry.state.options.maxCatchUp) this.#set(entry, { ...entry.state, skipped: entry.state.skipped + 1 });
        else {
          entry.waiting.push(scheduledFor);
          this.#save(entry);
        }
        return;
      }
      for (const handle of entry.live) handle.cancel('user', `Replaced by the run of schedule "${entry.state.id}" due at ${scheduledFor}`);
    }
    this.#assign(entry, scheduledFor);
  }

  #assign(entry: Entry, scheduledFor: number): void {
    const { name, content, options, id } = entry.state;
    let handle: ActionHandle;
    try {
      handle = this.#services.assign(name, content, {
        metadata: { ...options.metadata, schedule: id, scheduledFor },
        ...(this.#services.store !== undefined && { idempotencyKey: runKey(id, scheduledFor) }),
        ...(options.priority !== undefined && { priority: options.priority }),
        ...(options.queue !== undefined && { queue: options.queue }),
      });
    } catch (error) {
      this.#set(entry, { ...entry.state, failedToAssign: entry.state.failedToAssign + 1 });
      this.#services.report(new Error(`Schedule "${id}" could not assign "${name}" due at ${scheduledFor}: ${(error as Error)?.message ?? String(error)}`, { cause: error }));
      return;
    }
    this.#set(entry, { ...entry.state, runs: entry.state.runs + 1, lastRunAt: scheduledFor });
    this.#follow(entry, handle);
  }

  /** Follows a live run: when it settles, the next waiting run (overlap `queue`) is assigned. */
  #follow(entry: Entry, handle: ActionHandle): void {
    entry.live.add(handle);
    const settled = (): void => {
      entry.live.delete(handle);
      this.#next(entry);
    };
    handle.result.then(settled, settled);
  }

  /** Assigns the oldest waiting run, if any (its removal from the queue is saved with the run). */
  #next(entry: Entry): void {
    if (this.#entries.get(entry.state.id) !== entry || this.#stopped) return;
    const next = entry.waiting.shift();
    if (next !== undefined) this.#assign(entry, next);
  }
}

/** The idempotency key of a durable schedule's run due at `scheduledFor`. */
function runKey(id: string, scheduledFor: number): string {
  return `schedule:${id}@${scheduledFor}`;
}
