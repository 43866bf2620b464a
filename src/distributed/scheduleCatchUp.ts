/**
 * Catch-up `all` on BullMQ job schedulers. After downtime BullMQ's pending job of a schedule is the
 * first due time missed, and when a worker claims it BullMQ makes the next job for the next slot
 * after now: the slots between them are made by nobody. The admission of that pending job (of a
 * catch-up-`all` schedule) computes them on BullMQ's grid (`every`: the pending due time plus whole
 * intervals, as BullMQ's `getJobSchedulerEveryNextMillis` steps; a cron pattern: its occurrences in
 * its time zone, by `croner`, which gives the slots BullMQ's `cron-parser` gives), keeps the latest
 * as the in-memory Scheduler does (`maxCatchUp`, or more when more are within `lateness`), and adds
 * each as a job with the id BullMQ's scheduler gives a due time (`repeat:<id>:<due ms>`), flagged
 * `catchUp` in its data so its own admission never catches up again. The runs not kept count as
 * skipped; when the pending job itself is not kept, it is skipped. Under overlap `queue` their due
 * times go into the schedule's waiting set as they are added, so they run one at a time in due
 * order (the regular job BullMQ made next waits behind them, or is skipped should `maxCatchUp` wait).
 *
 * At-least-once, as BullMQ: the jobs are added before the schedule's counts record how far catch-up
 * went (`caughtUpTo`, with the skipped count, in one step that only moves forward). A pending job
 * claimed again (its process stalled or died) adds nothing past that mark; one claimed again
 * between the two steps adds the same ids again, which BullMQ ignores while those jobs are kept.
 * @internal
 */
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { SerializationError } from '../errors.js';
import { compileTrigger, occurrencesUntil, type CompiledTrigger } from '../schedule/trigger.js';
import type { JobData } from './jobData.js';
import type { ScheduleRecord } from './scheduleRecord.js';

/**
 * Moves `caughtUpTo` forward and counts the runs not kept, once per mark.
 * KEYS: counts. ARGV: the latest due time caught up, skipped.
 */
const MARK = `
local done = redis.call('HGET', KEYS[1], 'caughtUpTo')
if done and tonumber(done) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'caughtUpTo', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'skipped', ARGV[2])
return 1`;

/** The runs catch-up keeps for a pending job: the later ones to add, and whether the pending one is kept. */
export interface CatchUpPlan {
  /** The due times to add as jobs, oldest first (not the pending one's, none already added). */
  readonly added: readonly number[];
  readonly keptPending: boolean;
  /** The due times from the pending one to BullMQ's next job, and how many of them are kept. */
  readonly missed: number;
  readonly kept: number;
  /** Adds the jobs, then records how far catch-up went and counts the runs not kept (the pending one's skip is its admission's). */
  commit(): Promise<void>;
}

/**
 * What catch-up `all` does for the pending job `job` (due at `scheduledFor`) of schedule `record`:
 * null when BullMQ skipped no due time since it (or the job is itself a catch-up run).
 */
export async function planCatchUp(
  settings: { readonly redis: Redis; readonly queue: Queue; readonly counts: string; readonly waiting: string; readonly now: number },
  record: ScheduleRecord,
  job: Job,
  data: JobData,
  scheduledFor: number,
): Promise<CatchUpPlan | null> {
  const { redis, queue, counts, waiting, now } = settings;
  if (data.catchUp === true) return null;
  const next = (await queue.getJobScheduler(record.id))?.next;
  if (next === undefined || next === null || next <= scheduledFor) return null;
  const trigger: CompiledTrigger = 'every' in record.trigger ? { kind: 'every', every: record.trigger.every, anchor: scheduledFor } : compileTrigger(record.trigger, record.createdAt);
  const { maxCatchUp, lateness } = record.options;
  // The due times from the pending one up to BullMQ's next job (made when this one was claimed), kept as in memory (Scheduler #fire).
  const { latest, count } = occurrencesUntil(trigger, scheduledFor, Math.min(next - 1, now), maxCatchUp + 1);
  if (count <= 1) return null;
  const onTime = latest.filter((at) => now - at <= lateness);
  const missed = latest.filter((at) => now - at > lateness);
  const runs = [...missed.slice(-maxCatchUp), ...onTime].slice(-Math.max(maxCatchUp, onTime.length));
  const done = await caughtUpTo(redis, counts, record.id);
  const added = runs.filter((at) => at !== scheduledFor && at > done);
  const keptPending = runs.includes(scheduledFor);
  const commit = async (): Promise<void> => {
    if (added.length > 0) {
      const { jobId: _jobId, delay: _delay, timestamp: _timestamp, ...opts } = job.opts;
      // Overlap 'queue': they wait in due order from the start (claimed at once, they would otherwise race for the lease).
      if (record.options.overlap === 'queue') await redis.zadd(waiting, ...added.flatMap((at) => [at, `repeat:${record.id}:${at}`]));
      const catchUpData: JobData = { ...data, catchUp: true };
      await queue.addBulk(added.map((at) => ({ name: job.name, data: catchUpData, opts: { ...opts, jobId: `repeat:${record.id}:${at}`, repeatJobKey: record.id, prevMillis: at } })));
    }
    await redis.eval(MARK, 1, counts, runs.at(-1)!, count - runs.length - (keptPending ? 0 : 1));
  };
  return { added, keptPending, missed: count, kept: runs.length, commit };
}

/** How far catch-up went for schedule `id` (-Infinity: never); a SerializationError when the mark in Redis is damaged. */
async function caughtUpTo(redis: Redis, counts: string, id: string): Promise<number> {
  const text = await redis.hget(counts, 'caughtUpTo');
  if (text === null) return -Infinity;
  const mark = Number(text);
  if (!Number.isFinite(mark)) throw new SerializationError(`The catch-up mark of schedule "${id}" in Redis cannot be read: Expected a finite number, got "${text}"`, { path: 'caughtUpTo', payload: text });
  return mark;
}
