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
import { compileTrigger, nextOccurrence, occurrencesUntil, readTrigger, type CompiledTrigger, type ScheduleTrigger } from './trigger.js';

/** Options of one schedule, besides its trigger. */
export interface ScheduleOptions {
  /** A stable id (for pause/resume/remove and for a store). @default the action name */
  readonly id?: string;
  /** @default 'skip' */
  readonly overlap?: 'skip' | 'queue' | 'cancel-previous';
  /** @default 'one' */
  readonly catchUp?: 'none' | 'one' | 'all';
  /** Bound of runs caught up at once (`all`) and of runs waiting (`queue`). @default 10 */
  readonly maxCatchUp?: number;
  /** A run this late (ms) is on time, not missed. @default 1000 */
  readonly lateness?: number;
  /** Start paused. @default false */
  readonly paused?: boolean;
  /** Metadata of each assigned action (plus `schedule` and `scheduledFor`). @default {} */
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly priority?: Priority;
  readonly queue?: string;
}

/** The third argument of `sequence.schedule`: a trigger and its options. */
export type ScheduleSpec = ScheduleTrigger & ScheduleOptions;

/** Everything about a schedule, JSON-safe: what a store persists, what `restore` takes. */
export interface ScheduleState {
  readonly version: 1;
  readonly id: string;
  readonly name: string;
  readonly content: unknown;
  readonly trigger: ScheduleTrigger;
  readonly options: Required<Omit<ScheduleOptions, 'id' | 'paused' | 'priority' | 'queue'>> & Pick<ScheduleOptions, 'priority' | 'queue'>;
  readonly createdAt: number;
  readonly paused: boolean;
  /** The next run, on the Sequence clock; null when paused or the trigger never fires again. */
  readonly nextRunAt: number | null;
  /** The scheduled time of the last run assigned. */
  readonly lastRunAt: number | null;
  /** Runs assigned, skipped (overlap or catch-up), and that could not be assigned. */
  readonly runs: number;
  readonly skipped: number;
  readonly failedToAssign: number;
}

const defaultOptions = {
  overlap: 'skip',
  catchUp: 'one',
  maxCatchUp: 10,
  lateness: 1000,
  paused: false,
  metadata: {},
  priority: undefined,
  queue: undefined,
  id: undefined,
} satisfies Record<keyof ScheduleOptions, unknown>;

const OVERLAP = ['skip', 'queue', 'cancel-previous'] as const;
const CATCH_UP = ['none', 'one', 'all'] as const;
const TRIGGER_KEYS = new Set(['every', 'startAt', 'cron', 'timezone']);

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

/** A schedule's spec read and checked: its id, trigger, options and whether it starts paused. @internal */
export function readScheduleSpec(name: string, spec: ScheduleSpec): { id: string; trigger: ScheduleTrigger; options: ScheduleState['options']; paused: boolean } {
  if (typeof name !== 'string' || name === '') throw new TypeError(`Expected \`name\` to be an action name, got ${describeValue(name)}`);
  if (typeof spec !== 'object' || spec === null) throw new TypeError(`Expected a schedule ({ every } or { cron, timezone? } with options), got ${describeValue(spec)}`);
  const triggerPart: Record<string, unknown> = {};
  const optionPart: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec)) {
    if (TRIGGER_KEYS.has(key)) triggerPart[key] = value;
    else if (key in defaultOptions) optionPart[key] = value;
    else throw new TypeError(`Unknown schedule option \`${key}\``);
  }
  const trigger = readTrigger(triggerPart);
  compileTrigger(trigger, 0); // a bad cron pattern or time zone is refused here, naming the field
  const { paused, ...options } = readOptions(optionPart);
  return { id: (optionPart.id as string | undefined) ?? name, trigger, options, paused };
}

function readOptions(value: Record<string, unknown>): ScheduleState['options'] & { paused: boolean } {
  const merged = { ...defaultOptions, ...Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) };
  const { overlap, catchUp, maxCatchUp, lateness, paused, metadata, priority, queue, id } = merged as Record<string, unknown>;
  const fail = (field: string, expected: string, got: unknown): never => {
    throw new TypeError(`Expected \`${field}\` to be ${expected}, got ${describeValue(got)}`);
  };
  if (id !== undefined && (typeof id !== 'string' || id === '')) fail('id', 'a non-empty string', id);
  if (!OVERLAP.includes(overlap as never)) fail('overlap', "'skip', 'queue' or 'cancel-previous'", overlap);
  if (!CATCH_UP.includes(catchUp as never)) fail('catchUp', "'none', 'one' or 'all'", catchUp);
  if (typeof maxCatchUp !== 'number' || !Number.isInteger(maxCatchUp) || maxCatchUp < 1) fail('maxCatchUp', 'an integer >= 1', maxCatchUp);
  if (typeof lateness !== 'number' || !(lateness >= 0) || !Number.isFinite(lateness)) fail('lateness', 'a finite number >= 0 (ms)', lateness);
  if (typeof paused !== 'boolean') fail('paused', 'a boolean', paused);
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) fail('metadata', 'an object', metadata);
  if (priority !== undefined && priority !== 'high' && priority !== 'normal' && priority !== 'low') fail('priority', "'high', 'normal' or 'low'", priority);
  if (queue !== undefined && (typeof queue !== 'string' || queue === '')) fail('queue', 'a queue name', queue);
  return {
    overlap: overlap as ScheduleState['options']['overlap'],
    catchUp: catchUp as ScheduleState['options']['catchUp'],
    maxCatchUp: maxCatchUp as number,
    lateness: lateness as number,
    metadata: metadata as Record<string, unknown>,
    paused: paused as boolean,
    ...(priority !== undefined && { priority: priority as Priority }),
    ...(queue !== undefined && { queue: queue as string }),
  };
}

/** Whether a stored schedule is the one being made again: same action, content, trigger and options. @internal */
export function sameDefinition(stored: ScheduleState, made: Pick<ScheduleState, 'name' | 'content' | 'trigger' | 'options'>): boolean {
  const definition = (state: Pick<ScheduleState, 'name' | 'content' | 'trigger' | 'options'>): string => JSON.stringify([state.name, state.content, canonical(state.trigger), canonical(state.options)]);
  return definition(stored) === definition(made);
}

/** A JSON value with its object keys sorted (so key order does not make two definitions differ). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.keys(value).sort().filter((key) => (value as Record<string, unknown>)[key] !== undefined).map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
}

/** The idempotency key of a durable schedule's run due at `scheduledFor`. */
function runKey(id: string, scheduledFor: number): string {
  return `schedule:${id}@${scheduledFor}`;
}

/** Checks the waiting runs of a stored schedule: due times, at most `max` (the queue's bound). */
function readWaiting(waiting: unknown, max: number): number[] {
  if (!Array.isArray(waiting) || waiting.length > max || !waiting.every((at) => typeof at === 'number' && Number.isFinite(at))) {
    throw new TypeError(`Expected \`waiting\` to be at most ${max} due times, got ${describeValue(waiting)}`);
  }
  return waiting as number[];
}

/** Checks a persisted state (it may come from a store). */
function readState(state: ScheduleState): ScheduleState {
  if (typeof state !== 'object' || state === null || state.version !== 1) {
    throw new TypeError(`Expected a schedule state of version 1, got ${describeValue(state)}`);
  }
  const trigger = readTrigger(state.trigger);
  const { paused: _ignored, ...options } = readOptions({ ...state.options });
  for (const field of ['createdAt', 'runs', 'skipped', 'failedToAssign'] as const) {
    if (typeof state[field] !== 'number' || !Number.isFinite(state[field])) throw new TypeError(`Expected \`${field}\` to be a number, got ${describeValue(state[field])}`);
  }
  if (state.nextRunAt !== null && typeof state.nextRunAt !== 'number') throw new TypeError(`Expected \`nextRunAt\` to be a number or null, got ${describeValue(state.nextRunAt)}`);
  if (typeof state.id !== 'string' || state.id === '') throw new TypeError(`Expected \`id\` to be a non-empty string, got ${describeValue(state.id)}`);
  return { ...state, trigger, options };
}
