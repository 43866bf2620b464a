/**
 * The worker side of schedules on BullMQ (`bullmqSchedules.ts`): a job a job scheduler made is
 * admitted here before it runs. It becomes its own action (id: the job's id, `repeat:<id>:<due ms>`,
 * which names one due time, so a slot is one job and one action however many processes claim), with
 * `schedule` and `scheduledFor` in its metadata; then the schedule's policies decide:
 * - paused or removed since the job was made: skipped;
 * - catch-up `none`: skipped when more than `lateness` ms late; `all`: the due times BullMQ skipped
 *   since this one are added as jobs (`scheduleCatchUp.ts`), the latest `maxCatchUp`; this one is
 *   skipped when it is not among those kept;
 * - overlap `skip`: skipped while the previous run holds the schedule's lease (a Redis key renewed
 *   while it runs, so a process that dies frees it within `leaseDuration`);
 *   `cancel-previous`: takes the lease and cancels the run that held it, in whichever process.
 *   `queue`: waits while the lease is held or an earlier due time waits (parked in BullMQ's delayed
 *   set, its due time in a sorted set); the run that ends promotes the oldest; `maxCatchUp` bound it.
 *   A pending job planning catch-up `all` holds its place in line first, so BullMQ's next job cannot
 *   pass the due times it adds; a place whose job is gone or ended leaves the line when it is met.
 * A skipped job settles as cancelled (reason `user`, its message says why) and counts as skipped.
 * A job whose schedule's record in Redis is damaged fails with the SerializationError (reported, counted as failedToAssign).
 * A later attempt of an admitted run (a retry, or a claim after a stall) is not admitted again.
 * @internal
 */
import { Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import { CancellationError, SerializationError } from '../errors.js';
import { encodeError, encodeResult, type EncodedResult } from '../store/codec.js';
import type { ControlRelay } from './controlRelay.js';
import { readRecord, scheduleKeys, type ScheduleRecord } from './scheduleRecord.js';
import type { JobData } from './jobData.js';
import { planCatchUp } from './scheduleCatchUp.js';

/** What a claimed job of a job scheduler may do. */
export type ScheduledAdmission =
  /** `counted`: this admission counted it in `runs` (false for a later attempt, counted when it first ran). */
  | { readonly kind: 'run'; readonly data: JobData; readonly counted: boolean; release(): Promise<void> }
  | { readonly kind: 'skip'; readonly result: EncodedResult }
  /** Overlap `queue`: the job went back to BullMQ's delayed set until the previous run ends. */
  | { readonly kind: 'deferred' };

/** Extends a lease only while its holder still holds it. */
const RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";
/** Ends a lease only while its holder still holds it. */
const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
/**
 * Overlap `queue`, in one step: the run takes the lease when it is free and no earlier due time
 * waits (`run`); else it waits in the schedule's sorted set of waiting runs, by due time (`wait`),
 * unless `maxCatchUp` already wait (`full`; with the lease free, the oldest is about to take it and
 * waits no more: catch-up `all` puts the due times it adds there at once, the first yet to claim it).
 * KEYS: lease, waiting. ARGV: action id, due time, lease ms, maxCatchUp.
 */
const QUEUE_ACQUIRE = `
local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
if redis.call('EXISTS', KEYS[1]) == 0 and (head == nil or head == ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 'run'
end
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 'wait' end
local waiting = redis.call('ZCARD', KEYS[2])
if head ~= nil and redis.call('EXISTS', KEYS[1]) == 0 then waiting = waiting - 1 end
if waiting >= tonumber(ARGV[4]) then return 'full' end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 'wait'`;

export class ScheduledRuns {
  readonly #redis: Redis;
  readonly #base: string;
  readonly #keys: ReturnType<typeof scheduleKeys>;
  readonly #relay: ControlRelay;
  readonly #clock: Clock;
  readonly #leaseDuration: number;
  readonly #report: (error: unknown) => void;
  readonly #queue: Queue;

  constructor(settings: { redis: Redis; base: string; relay: ControlRelay; clock: Clock; leaseDuration: number; report: (error: unknown) => void; queue: Queue }) {
    this.#queue = settings.queue;
    this.#redis = settings.redis;
    this.#base = settings.base;
    this.#keys = scheduleKeys(settings.base);
    this.#relay = settings.relay;
    this.#clock = settings.clock;
    this.#leaseDuration = settings.leaseDuration;
    this.#report = settings.report;
  }

  /** Null for a job no job scheduler made; else whether and as what it runs. */
  async admit(job: Job, data: JobData, token: string | undefined): Promise<ScheduledAdmission | null> {
    const id = job.repeatJobKey;
    if (id === undefined || job.id === undefined) return null;
    const actionId = job.id;
    const scheduledFor = Number(actionId.slice(actionId.lastIndexOf(':') + 1));
    const action = { ...data.action, id: actionId, createdAt: scheduledFor, metadata: { ...data.action.metadata, schedule: id, scheduledFor } };
    const run = { kind: 'run', data: { ...data, action }, counted: false, release: async () => undefined } as const;
    if (data.action.id === actionId) return run; // a later attempt: admitted when it first ran
    let record: ScheduleRecord | null;
    try {
      record = await readRecord(this.#redis, this.#base, id);
    } catch (error) {
      if (!(error instanceof SerializationError)) throw error;
      // A damaged record is never used: the due job fails with the error (naming the schedule and field), reported and counted.
      this.#report(error);
      await this.failedToAssign(id);
      return { kind: 'skip', result: encodeResult({ id: actionId, status: 'failed', output: undefined, error: encodeError(error), settledAt: this.#clock.now(), attempts: [] }) };
    }
    const waiting = this.#keys.waiting(id);
    const skip = async (why: string): Promise<ScheduledAdmission> => {
      await this.#redis.multi().hincrby(this.#keys.counts(id), 'skipped', 1).zrem(waiting, actionId).exec();
      const error = new CancellationError(`Skipped the run of schedule "${id}" due at ${scheduledFor}: ${why}`, { reason: 'user', actionId });
      return { kind: 'skip', result: encodeResult({ id: actionId, status: 'cancelled', output: undefined, error: encodeError(error), settledAt: this.#clock.now(), attempts: [] }) };
    };
    if (record === null) return skip('the schedule was removed');
    if (record.paused) return skip('the schedule is paused');
    const late = this.#clock.now() - scheduledFor;
    if (record.options.catchUp === 'none' && late > record.options.lateness) return skip(`it is ${late} ms late (catch-up 'none', lateness ${record.options.lateness} ms)`);
    const lease = this.#keys.live(id);
    const queued = record.options.overlap === 'queue';
    // Catch-up 'all' under overlap 'queue': while this job plans, it holds its place among the waiting runs (its due
    // time is the oldest), so BullMQ's next job, claimable meanwhile, waits behind the due times it adds instead of
    // taking the lease before them (under load the plan can take longer than the time to the next slot).
    const reserved = queued && record.options.catchUp === 'all' && data.catchUp !== true;
    if (reserved) await this.#redis.zadd(waiting, scheduledFor, actionId);
    // Catch-up 'all': the due times BullMQ skipped since this one are added as jobs once this one's overlap decision is made (so they follow it, in due order).
    const catchUp = record.options.catchUp === 'all' ? await planCatchUp({ redis: this.#redis, queue: this.#queue, counts: this.#keys.counts(id), waiting, now: this.#clock.now() }, record, job, data, scheduledFor) : null;
    // Nothing to catch up: it waits, or not, as any run (maxCatchUp counts it).
    if (reserved && catchUp === null) await this.#redis.zrem(waiting, actionId);
    if (catchUp !== null && !catchUp.keptPending) {
      await catchUp.commit();
      const { maxCatchUp } = record.options;
      const skipped = await skip(`${catchUp.missed} due times were missed and the latest ${catchUp.kept} run (catch-up 'all', maxCatchUp ${maxCatchUp})`);
      // It held the head of the waiting runs: the oldest one left goes now, unless a run holds the lease (its end wakes it).
      if (reserved && (await this.#redis.exists(lease)) === 0) await this.#wakeOldest(waiting);
      return skipped;
    }
    if (queued) {
      const answer = await this.#redis.eval(QUEUE_ACQUIRE, 2, lease, waiting, actionId, scheduledFor, this.#leaseDuration, record.options.maxCatchUp);
      if (answer === 'full') {
        await catchUp?.commit();
        return skip(`${record.options.maxCatchUp} runs already wait for the previous one (overlap 'queue', maxCatchUp ${record.options.maxCatchUp})`);
      }
      if (answer === 'wait') {
        // Parked until the run before it ends (its release promotes the oldest waiting job); the
        // delay is the fallback should that run's process die: its lease lapses by then.
        await catchUp?.commit();
        try {
          await job.moveToDelayed(Date.now() + this.#leaseDuration, token);
        } catch (error) {
          // Not parked (its lock was lost, say): it does not wait in line, where it would hold back every later run.
          await this.#redis.zrem(waiting, actionId);
          throw error;
        }
        // The run it waited for may have ended between the answer and the park: its release then found
        // this job not yet delayed and promoted nothing. Parked now, it is woken here if the lease is free.
        if ((await this.#redis.exists(lease)) === 0) await this.#wakeOldest(waiting);
        return { kind: 'deferred' };
      }
    } else if (record.options.overlap === 'skip') {
      if ((await this.#redis.set(lease, actionId, 'PX', this.#leaseDuration, 'NX')) === null) {
        await catchUp?.commit();
        return skip("the previous run still runs (overlap 'skip')");
      }
    } else {
      const previous = await this.#redis.set(lease, actionId, 'PX', this.#leaseDuration, 'GET');
      if (previous !== null && previous !== actionId) {
        await this.#relay.cancel(previous, { reason: 'user', message: `Replaced by the run of schedule "${id}" due at ${scheduledFor} (overlap 'cancel-previous')` });
      }
    }
    await catchUp?.commit();
    await this.#redis.multi().hincrby(this.#keys.counts(id), 'runs', 1).hset(this.#keys.counts(id), 'lastRunAt', scheduledFor).exec();
    return { ...run, counted: true, release: this.#hold(lease, actionId, waiting) };
  }

  /**
   * A due job of schedule `id` could not become a run (a damaged record; the claiming process's
   * Plan cannot run it): counted in `failedToAssign`, and no longer in `runs` when its admission
   * counted it there (as in memory, a run that could not be assigned is not a run).
   */
  async failedToAssign(id: string, countedAsRun = false): Promise<void> {
    const counts = this.#keys.counts(id);
    const step = this.#redis.multi().hincrby(counts, 'failedToAssign', 1);
    if (countedAsRun) step.hincrby(counts, 'runs', -1);
    await step.exec();
  }

  /** Renews the lease while the run runs; the function returned ends it. */
  #hold(lease: string, holder: string, waiting: string): () => Promise<void> {
    let timer: unknown = null;
    let held = true;
    const renew = (): void => {
      if (!held) return;
      timer = this.#clock.setTimeout(() => {
        this.#redis.eval(RENEW, 1, lease, holder, this.#leaseDuration).then(renew, this.#report);
      }, this.#leaseDuration / 2);
    };
    renew();
    return async () => {
      held = false;
      this.#clock.clearTimeout(timer);
      await this.#redis.eval(RELEASE, 1, lease, holder);
      await this.#wakeOldest(waiting);
    };
  }

  /**
   * Wakes the oldest run waiting under overlap `queue`, if one does. One whose job is gone or has ended (it will never
   * take the lease: a process lost it between its place in line and its park) leaves the line first: it would hold
   * back every later run.
   */
  async #wakeOldest(waiting: string): Promise<void> {
    for (;;) {
      const [next] = await this.#redis.zrange(waiting, 0, 0);
      if (next === undefined) return;
      const job = await Job.fromId(this.#queue, next);
      const state = job === undefined ? 'unknown' : await job.getState();
      if (state === 'unknown' || state === 'completed' || state === 'failed') {
        await this.#redis.zrem(waiting, next);
        continue;
      }
      if (state === 'delayed') await this.#promote(job!);
      return;
    }
  }

  /** Wakes a run waiting under overlap `queue` (parked in BullMQ's delayed set). */
  async #promote(job: Job): Promise<void> {
    try {
      await job.promote();
    } catch (error) {
      // It left the delayed set between the check and the promote (its fallback woke it): nothing to do.
      if (!(await job.isDelayed())) return;
      throw error;
    }
  }
}
