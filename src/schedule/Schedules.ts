import type { Scheduler } from './Scheduler.js';
import type { ScheduleState } from './scheduleSpec.js';
import type { ScheduleKeeper } from './ScheduleKeeper.js';

/**
 * The schedules of a Sequence (`sequence.schedules`): list them with their next run, pause,
 * resume, remove, and restore one from its persisted state.
 *
 * On a production that keeps schedules itself (`bullmqProduction`: in Redis, shared by every
 * process), manage them there (`production.schedules`, async); these methods throw a TypeError
 * that says so.
 * @example
 * sequence.schedule('Report', null, { cron: '0 9 * * *', timezone: 'Europe/Berlin' });
 * sequence.schedules.list(); // [{ id: 'Report', nextRunAt: …, paused: false, runs: 0, … }]
 * sequence.schedules.pause('Report');
 */
export class Schedules {
  readonly #local: Scheduler;
  readonly #keeper: () => ScheduleKeeper | undefined;

  /** @internal */
  constructor(scheduler: Scheduler, keeper: () => ScheduleKeeper | undefined = () => undefined) {
    this.#local = scheduler;
    this.#keeper = keeper;
  }

  /** This process's Scheduler, unless the production keeps the schedules. */
  get #scheduler(): Scheduler {
    const keeper = this.#keeper();
    if (keeper !== undefined) throw new TypeError(`Expected schedules kept by this Sequence, got a production that keeps them: use ${keeper.managedAt}`);
    return this.#local;
  }

  /** Every schedule with its state and next run (JSON-safe: a store can persist each). */
  list(): ScheduleState[] {
    return this.#scheduler.list();
  }

  /** The schedule named `id`, or undefined. */
  get(id: string): ScheduleState | undefined {
    return this.#scheduler.get(id);
  }

  /** Stops a schedule's runs until `resume` (runs due meanwhile are not caught up). */
  pause(id: string): ScheduleState {
    return this.#scheduler.pause(id);
  }

  /** Runs it again from the next run after now. */
  resume(id: string): ScheduleState {
    return this.#scheduler.resume(id);
  }

  /** Removes it; actions it assigned go on. False when there was none. */
  remove(id: string): boolean {
    return this.#scheduler.remove(id);
  }

  /** Takes a schedule back from a state `list()` gave (e.g. after a restart); missed runs follow its catch-up policy. */
  restore(state: ScheduleState): ScheduleState {
    return this.#scheduler.restore(state);
  }
}
