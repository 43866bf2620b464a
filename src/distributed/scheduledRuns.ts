/**
 * The worker side of schedules on BullMQ (`bullmqSchedules.ts`): a job a job scheduler made is
 * admitted here before it runs. It becomes its own action (id: the job's id, `repeat:<id>:<due ms>`,
 * which names one due time, so a slot is one job and one action however many processes claim), with
 * `schedule` and `scheduledFor` in its metadata; then the schedule's policies decide:
 * - paused or removed since the job was made: skipped;
 * - catch-up `none`: skipped when more than `lateness` ms late;
 * - overlap `skip`: skipped while the previous run holds the schedule's lease (a Redis key renewed
 *   while it runs, so a process that dies frees it within `leaseDuration`);
 *   `cancel-previous`: takes the lease and cancels the run that held it, in whichever process.
 * A skipped job settles as cancelled (reason `user`, its message says why) and counts as skipped.
 * A job whose schedule's record in Redis is damaged fails with the SerializationError (reported, counted as failedToAssign).
 * A later attempt of an admitted run (a retry, or a claim after a stall) is not admitted again.
 * @internal
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import { CancellationError, SerializationError } from '../errors.js';
import { encodeError, encodeResult, type EncodedResult } from '../store/codec.js';
import type { ControlRelay } from './controlRelay.js';
import { readRecord, scheduleKeys, type ScheduleRecord } from './scheduleRecord.js';
import type { JobData } from './jobData.js';

/** What a claimed job of a job scheduler may do. */
export type ScheduledAdmission =
  | { readonly kind: 'run'; readonly data: JobData; release(): Promise<void> }
  | { readonly kind: 'skip'; readonly result: EncodedResult };

/** Extends a lease only while its holder still holds it. */
const RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";
/** Ends a lease only while its holder still holds it. */
const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

export class ScheduledRuns {
  readonly #redis: Redis;
  readonly #base: string;
  readonly #keys: ReturnType<typeof scheduleKeys>;
  readonly #relay: ControlRelay;
  readonly #clock: Clock;
  readonly #leaseDuration: number;
  readonly #report: (error: unknown) => void;

  constructor(settings: { redis: Redis; base: string; relay: ControlRelay; clock: Clock; leaseDuration: number; report: (error: unknown) => void }) {
    this.#redis = settings.redis;
    this.#base = settings.base;
    this.#keys = scheduleKeys(settings.base);
    this.#relay = settings.relay;
    this.#clock = settings.clock;
    this.#leaseDuration = settings.leaseDuration;
    this.#report = settings.report;
  }

  /** Null for a job no job scheduler made; else whether and as what it runs. */
  async admit(job: Job, data: JobData): Promise<ScheduledAdmission | null> {
    const id = job.repeatJobKey;
    if (id === undefined || job.id === undefined) return null;
    const actionId = job.id;
    const scheduledFor = Number(actionId.slice(actionId.lastIndexOf(':') + 1));
    const action = { ...data.action, id: actionId, createdAt: scheduledFor, metadata: { ...data.action.metadata, schedule: id, scheduledFor } };
    const run: ScheduledAdmission = { kind: 'run', data: { ...data, action }, release: async () => undefined };
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
    const skip = async (why: string): Promise<ScheduledAdmission> => {
      await this.#redis.hincrby(this.#keys.counts(id), 'skipped', 1);
      const error = new CancellationError(`Skipped the run of schedule "${id}" due at ${scheduledFor}: ${why}`, { reason: 'user', actionId });
      return { kind: 'skip', result: encodeResult({ id: actionId, status: 'cancelled', output: undefined, error: encodeError(error), settledAt: this.#clock.now(), attempts: [] }) };
    };
    if (record === null) return skip('the schedule was removed');
    if (record.paused) return skip('the schedule is paused');
    const late = this.#clock.now() - scheduledFor;
    if (record.options.catchUp === 'none' && late > record.options.lateness) return skip(`it is ${late} ms late (catch-up 'none', lateness ${record.options.lateness} ms)`);
    const lease = this.#keys.live(id);
    if (record.options.overlap === 'skip') {
      if ((await this.#redis.set(lease, actionId, 'PX', this.#leaseDuration, 'NX')) === null) return skip("the previous run still runs (overlap 'skip')");
    } else {
      const previous = await this.#redis.set(lease, actionId, 'PX', this.#leaseDuration, 'GET');
      if (previous !== null && previous !== actionId) {
        await this.#relay.cancel(previous, { reason: 'user', message: `Replaced by the run of schedule "${id}" due at ${scheduledFor} (overlap 'cancel-previous')` });
      }
    }
    await this.#redis.multi().hincrby(this.#keys.counts(id), 'runs', 1).hset(this.#keys.counts(id), 'lastRunAt', scheduledFor).exec();
    return { ...run, release: this.#hold(lease, actionId) };
  }

  /** A due job of schedule `id` could not become a run (the claiming process's Plan cannot run it): counted. */
  async failedToAssign(id: string): Promise<void> {
    await this.#redis.hincrby(this.#keys.counts(id), 'failedToAssign', 1);
  }

  /** Renews the lease while the run runs; the function returned ends it. */
  #hold(lease: string, holder: string): () => Promise<void> {
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
    };
  }
}
