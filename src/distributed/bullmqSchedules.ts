/**
 * Schedules on BullMQ job schedulers: `sequence.schedule(...)` on a Sequence whose production is
 * `bullmqProduction` keeps the schedule in Redis, so it fires once across any number of processes
 * (one BullMQ job per due time, `repeat:<id>:<due ms>`, claimed by one worker) and survives a
 * restart of every process. `production.schedules` lists (with the next run BullMQ holds), pauses,
 * resumes and removes them from any process.
 *
 * Redis holds, beside BullMQ's job scheduler, Echo's record of each schedule (its definition and
 * whether it is paused, in the hash `<prefix>:<queue>:echo-schedules`) and its counts (runs,
 * skipped, last run, in `<prefix>:<queue>:echo-schedule:<id>`). Pause removes the job scheduler and
 * keeps the record; resume upserts it again from the next run after now.
 *
 * Policies, honoured by the worker that claims a due job (`scheduledRuns.ts`):
 * - overlap `skip`: a run due while the previous one still runs (in any process) is skipped;
 *   `cancel-previous`: the previous one is cancelled wherever it runs, then the new one runs;
 *   `queue`: a run due while the previous one runs waits (its job parked in BullMQ's delayed set,
 *   its due time in the sorted set `<prefix>:<queue>:echo-schedule:<id>:waiting`) and runs when the
 *   previous ends, oldest first; at most `maxCatchUp` wait, more are skipped.
 * - catch-up `one` is BullMQ's own: after downtime the one pending job runs late, once, and the next
 *   is the next slot after now; `none` skips that late job when it is more than `lateness` ms late;
 *   `all`: the worker that claims that late job adds a job for each due time BullMQ skipped (the
 *   latest `maxCatchUp`, on BullMQ's grid, with BullMQ's job ids; `scheduleCatchUp.ts`), at least
 *   once, as BullMQ runs jobs. A schedule id with a `:` cannot have such jobs (BullMQ refuses the id):
 *   catch-up `all` is refused for it (ScheduleNotSupportedError).
 * Times are BullMQ's: Unix epoch ms of the machines' clocks (a `ManualClock` does not drive them).
 */
import type { Queue, JobSchedulerTemplateOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RunInit } from '../action/ActionRun.js';
import { prepareAssignment } from '../action/assignment.js';
import { EchoError, SerializationError } from '../errors.js';
import { readScheduleSpec, sameDefinition, type ScheduleSpec, type ScheduleState } from '../schedule/scheduleSpec.js';
import type { ScheduleKeeper } from '../schedule/ScheduleKeeper.js';
import { encodeAction } from '../store/codec.js';
import type { ExternalProductionHost } from '../work/ExternalProduction.js';
import { describeValue } from '../validate.js';
import { compactJobData } from './compactJobData.js';
import { newJobData } from './jobData.js';
import { readRecord, scheduleKeys, type ScheduleRecord } from './scheduleRecord.js';

export type { ScheduleRecord } from './scheduleRecord.js';

/**
 * A schedule option BullMQ's job schedulers cannot honour (catch-up `all` for a schedule id with a
 * `:`, which BullMQ refuses in the id of a job Echo adds): refused when the schedule is made, never ignored.
 * @example
 * try {
 *   sequence.schedule('Sync', null, { every: 60_000, catchUp: 'all', id: 'sync:eu' });
 * } catch (error) {
 *   if (error instanceof ScheduleNotSupportedError) console.log(error.option, error.value); // 'catchUp' 'all'
 * }
 */
export class ScheduleNotSupportedError extends EchoError {
  override name = 'ScheduleNotSupportedError';
  /** The option refused. */
  readonly option: 'catchUp';
  /** Its value. */
  readonly value: string;

  constructor(option: 'catchUp', value: string, why: string) {
    super(`Expected \`${option}\` to be one BullMQ job schedulers can honour, got '${value}': ${why}`);
    this.option = option;
    this.value = value;
  }
}

/** What the schedules of a bullmqProduction need from it. @internal */
export interface BullMQSchedulesServices {
  readonly queue: Queue;
  readonly redis: Redis;
  /** `<prefix>:<queue>`. */
  readonly base: string;
  readonly host: ExternalProductionHost;
  /** The BullMQ options of an Echo job (priority, attempts, Echo's backoff, what Redis keeps). */
  jobOptions(init: RunInit): JobSchedulerTemplateOptions;
}

/**
 * The schedules of a Sequence on BullMQ, shared by every process (`production.schedules`). Every
 * method reads or writes Redis; `sequence.schedule(...)` returns at once and its write is awaited by
 * {@link BullMQSchedules.ready} (or made and awaited in one step with {@link BullMQSchedules.add}).
 * @example
 * sequence.schedule('Report', null, { cron: '0 9 * * *', timezone: 'Europe/Berlin' });
 * await production.schedules.ready();
 * const [report] = await production.schedules.list(); // { id: 'Report', nextRunAt: …, runs: 0, … }
 * await production.schedules.pause('Report');
 */
export class BullMQSchedules implements ScheduleKeeper {
  /** @internal */
  readonly managedAt = 'production.schedules (bullmqProduction: its schedules live in Redis; each method is async)';
  readonly #services: BullMQSchedulesServices;
  readonly #keys: ReturnType<typeof scheduleKeys>;
  /** Writes started by `schedule` and not finished yet. */
  readonly #writes = new Set<Promise<void>>();

  /** @internal */
  constructor(services: BullMQSchedulesServices) {
    this.#services = services;
    this.#keys = scheduleKeys(services.base);
  }

  /**
   * Checks the spec (a TypeError naming a bad field; ScheduleNotSupportedError for catch-up `all` with an id that has a `:`) and keeps the schedule in Redis. The same definition made again (every
   * process makes its schedules at boot) goes on as it was, paused or not; a changed one replaces it.
   * Returns its state as known now, `nextRunAt` as predicted here; a failed write goes to `onError`.
   * @internal
   */
  schedule(name: string, content: unknown, spec: ScheduleSpec): ScheduleState {
    const { record, template } = this.#prepare(name, content, spec);
    const write = this.#keep(record, template).catch((error: unknown) => this.#services.host.report(error));
    this.#writes.add(write);
    void write.finally(() => this.#writes.delete(write));
    return { ...record, nextRunAt: null, lastRunAt: null, runs: 0, skipped: 0, failedToAssign: 0 };
  }

  /** Makes a schedule as `sequence.schedule` does and resolves with its state in Redis once it is kept. */
  async add(name: string, content: unknown, spec: ScheduleSpec): Promise<ScheduleState> {
    const { record, template } = this.#prepare(name, content, spec);
    await this.#keep(record, template);
    return (await this.get(record.id))!;
  }

  /** Resolves once every schedule made so far by `sequence.schedule` is kept in Redis. */
  async ready(): Promise<void> {
    await Promise.all([...this.#writes]);
  }

  /**
   * Every schedule of this queue, with its next run (BullMQ's), counts and pause, from Redis.
   * Rejects with a SerializationError naming the schedule and the bad field when a record in
   * Redis is damaged (a list without it would look complete); `remove(id)` or making it again fixes it.
   */
  async list(): Promise<ScheduleState[]> {
    const records = await this.#services.redis.hgetall(this.#keys.records);
    const states = await Promise.all(Object.keys(records).sort().map((id) => this.get(id)));
    return states.filter((state): state is ScheduleState => state !== undefined);
  }

  /** The schedule `id`, or undefined; a SerializationError when its record in Redis is damaged. */
  async get(id: string): Promise<ScheduleState | undefined> {
    const { redis, queue, base } = this.#services;
    const [record, counts, scheduler] = await Promise.all([readRecord(redis, base, id), redis.hgetall(this.#keys.counts(id)), queue.getJobScheduler(id)]);
    if (record === null) return undefined;
    const count = (field: string): number => Number(counts[field] ?? 0);
    return {
      ...record,
      nextRunAt: record.paused ? null : (scheduler?.next ?? null),
      lastRunAt: counts.lastRunAt === undefined ? null : count('lastRunAt'),
      runs: count('runs'),
      skipped: count('skipped'),
      failedToAssign: count('failedToAssign'), // due jobs that could not become a run: a damaged record, or a Plan that cannot run it
    };
  }

  /** Stops its runs in every process until `resume` (its pending job is removed; runs due meanwhile are not caught up). */
  async pause(id: string): Promise<ScheduleState> {
    const record = await this.#require(id);
    await this.#services.redis.hset(this.#keys.records, id, JSON.stringify({ ...record, paused: true }));
    await this.#services.queue.removeJobScheduler(id);
    return (await this.get(id))!;
  }

  /** Runs it again from the next run after now. */
  async resume(id: string): Promise<ScheduleState> {
    const record = await this.#require(id);
    if (record.paused) {
      const resumed = { ...record, paused: false };
      await this.#services.redis.hset(this.#keys.records, id, JSON.stringify(resumed));
      await this.#upsert(resumed, this.#template(resumed));
    }
    return (await this.get(id))!;
  }

  /** Removes it everywhere; runs under way go on. False when there was none. */
  async remove(id: string): Promise<boolean> {
    const { redis, queue } = this.#services;
    const removed = await redis.hdel(this.#keys.records, id);
    await queue.removeJobScheduler(id);
    await redis.del(this.#keys.counts(id), this.#keys.waiting(id));
    return removed === 1;
  }

  #prepare(name: string, content: unknown, spec: ScheduleSpec): { record: ScheduleRecord; template: RunInit } {
    this.#services.host.deps.plan.require(name);
    const { id, trigger, options, paused } = readScheduleSpec(name, spec);
    if (options.catchUp === 'all' && id.includes(':')) {
      throw new ScheduleNotSupportedError('catchUp', 'all', `the schedule id "${id}" has a ':', which BullMQ refuses in the ids of the jobs catch-up adds; use another id, or 'one' or 'none'`);
    }
    const record: ScheduleRecord = { version: 1, id, name, content, trigger, options, createdAt: this.#services.host.clock.now(), paused };
    return { record, template: this.#template(record) };
  }

  /** The action each due job runs (its id and due time are the job's, given by the worker that claims it). */
  #template(record: ScheduleRecord): RunInit {
    const { metadata, priority, queue } = record.options;
    const init = prepareAssignment(record.name, record.content, { metadata: { ...metadata, schedule: record.id }, ...(priority !== undefined && { priority }), ...(queue !== undefined && { queue }) }, this.#services.host.deps);
    encodeAction({ ...init, license: null, parentId: null }); // content that has no JSON form is refused here, synchronously
    return init;
  }

  async #keep(made: ScheduleRecord, template: RunInit): Promise<void> {
    const { redis, queue } = this.#services;
    const stored = await readRecord(redis, this.#services.base, made.id).catch((error: unknown) => {
      if (!(error instanceof SerializationError)) throw error;
      this.#services.host.report(error); // a damaged record is reported and replaced by the definition made now
      return null;
    });
    if (stored !== null && sameDefinition(stored as ScheduleState, made)) {
      // Made again at boot: it goes on as it was; only a lost job scheduler (not paused) is made again.
      if (!stored.paused && (await queue.getJobScheduler(made.id)) === undefined) await this.#upsert(stored, template);
      return;
    }
    const record = stored === null ? made : { ...made, paused: stored.paused || made.paused };
    await redis.hset(this.#keys.records, record.id, JSON.stringify(record));
    if (record.paused) await queue.removeJobScheduler(record.id);
    else await this.#upsert(record, template);
  }

  async #upsert(record: ScheduleRecord, template: RunInit): Promise<void> {
    const { trigger } = record;
    const repeat =
      'every' in trigger
        ? { every: trigger.every, startDate: trigger.startAt ?? this.#services.host.clock.now() + trigger.every }
        : { pattern: trigger.cron, ...(trigger.timezone !== undefined && { tz: trigger.timezone }) };
    const action = encodeAction({ ...template, license: null, parentId: null });
    await this.#services.queue.upsertJobScheduler(record.id, repeat, { name: record.name, data: compactJobData(newJobData(action)), opts: this.#services.jobOptions(template) });
  }

  async #require(id: string): Promise<ScheduleRecord> {
    const record = await readRecord(this.#services.redis, this.#services.base, id);
    if (record === null) throw new TypeError(`Expected the id of a schedule, got ${describeValue(id)}`);
    return record;
  }
}
