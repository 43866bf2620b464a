/**
 * Catch-up `all`'s plan for a late pending job, against a real BullMQ job scheduler on the real Redis: the due
 * times it adds, the mark that keeps a pending job claimed again (after a crash) from adding them twice, and a
 * damaged mark answered as a SerializationError instead of being read as "never".
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { SerializationError } from '../../src/errors.js';
import type { JobData } from '../../src/distributed/jobData.js';
import { planCatchUp } from '../../src/distributed/scheduleCatchUp.js';
import { scheduleKeys, type ScheduleRecord } from '../../src/distributed/scheduleRecord.js';
import { connection, dropPrefix, randomPrefix } from './redis.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A queue with a job scheduler `s` every second, its pending job, and what planCatchUp needs for it 5 s late. */
async function lateSchedule() {
  const prefix = randomPrefix();
  const queue = new Queue('jobs', { connection, prefix });
  const redis = new Redis(connection);
  cleanups.push(async () => {
    await queue.close();
    await redis.quit();
    await dropPrefix(prefix);
  });
  const pending = await queue.upsertJobScheduler('s', { every: 1_000 }, { name: 'Tick', data: {} });
  const next = (await queue.getJobScheduler('s'))!.next!;
  const keys = scheduleKeys(`${prefix}:jobs`);
  const record: ScheduleRecord = {
    version: 1, id: 's', name: 'Tick', content: null, trigger: { every: 1_000 }, createdAt: 0, paused: false,
    options: { overlap: 'skip', catchUp: 'all', maxCatchUp: 3, lateness: 0, metadata: {} },
  };
  const scheduledFor = next - 5_000; // claimed 5 s late: BullMQ's next job is due at `next`
  const settings = { redis, queue, counts: keys.counts('s'), waiting: keys.waiting('s'), now: next - 1 };
  const plan = () => planCatchUp(settings, record, pending, {} as JobData, scheduledFor);
  return { queue, redis, keys, next, scheduledFor, plan };
}

describe("catch-up 'all' on a BullMQ job scheduler", () => {
  it('adds the latest maxCatchUp due times once; the same pending job claimed again adds nothing more', async () => {
    const { queue, redis, keys, next, plan } = await lateSchedule();
    const first = (await plan())!;
    expect(first).toMatchObject({ missed: 5, kept: 3, keptPending: false });
    expect(first.added).toEqual([next - 3_000, next - 2_000, next - 1_000]);
    await first.commit();
    for (const at of first.added) expect((await queue.getJob(`repeat:s:${at}`))?.data).toMatchObject({ catchUp: true });
    expect(await redis.hget(keys.counts('s'), 'caughtUpTo')).toBe(String(next - 1_000));
    expect(await redis.hget(keys.counts('s'), 'skipped')).toBe('1'); // the one due time older than the three kept, besides the pending one (its admission counts that skip)
    const again = (await plan())!;
    expect(again.added).toEqual([]);
    await again.commit();
    expect(await redis.hget(keys.counts('s'), 'skipped')).toBe('1'); // counted once per mark
  });

  it('a damaged mark in Redis is a SerializationError naming it, never read as "not caught up"', async () => {
    const { redis, keys, plan } = await lateSchedule();
    await redis.hset(keys.counts('s'), 'caughtUpTo', 'soon');
    const error = await plan().catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(SerializationError);
    expect(error).toMatchObject({ path: 'caughtUpTo', payload: 'soon' });
    expect((error as Error).message).toContain('schedule "s"');
  });
});
