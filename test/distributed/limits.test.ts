/**
 * Flow limits across real worker processes sharing one BullMQ production: a name's concurrency,
 * a name's rate, and a RateLimitError's pause hold for all processes together; a lease held by a
 * process killed with SIGKILL lapses, so its slot is not lost. The workers record what their
 * functions saw in Redis, on Redis's clock (test/distributed/fixtures/limitsWorker.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createPlan } from '../../src/Plan.js';
import { Sequence } from '../../src/Sequence.js';
import type { FlowLimits } from '../../src/flow/limits.js';
import { bullmqProduction } from '../../src/distributed/index.js';
import { connection, dropPrefix, randomPrefix } from './redis.js';
import { killWorker, startWorker, WorkerLog, type WorkerProcess, type WorkerSettings } from './workers.js';

/** The worker's names; never run here (this process claims nothing). */
const plan = createPlan({
  Charge: async (_: { ms: number }) => ({ pid: 0, running: 0 }),
  Ping: async (_: null) => ({ pid: 0, at: 0 }),
  Api: async (_: { retryAfter: number | null }) => ({ pid: 0, at: 0 }),
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(workerCount: number, limits: FlowLimits, overrides: Partial<WorkerSettings> = {}) {
  const prefix = randomPrefix();
  const settings: WorkerSettings = { prefix, queue: 'jobs', fixture: 'limitsWorker', args: [JSON.stringify(limits)], ...overrides };
  const log = new WorkerLog();
  const production = bullmqProduction({ connection, prefix, queue: 'jobs', worker: false });
  const sequence = new Sequence({ plan, production, sites: 1 }).start();
  const probe = new Redis(connection);
  await production.ready();
  const workers: WorkerProcess[] = [];
  cleanups.push(async () => {
    await Promise.all(workers.map(killWorker));
    await sequence.shutdown({ deadline: 0 });
    await probe.quit();
    await dropPrefix(prefix);
  });
  const start = async (name: string) => {
    const worker = await startWorker(name, settings, log);
    workers.push(worker);
    return worker;
  };
  for (let i = 0; i < workerCount; i++) await start(`w${i + 1}`);
  const list = (name: string) => probe.lrange(`${prefix}:probe:${name}`, 0, -1);
  return { sequence, log, workers, start, list };
}

describe('flow limits across BullMQ worker processes', () => {
  it('a name with concurrency 2 never runs more than 2 attempts at once across 2 processes', { timeout: 30_000 }, async () => {
    // Each process may run 4 at once, and its own limit would let 2 run in each: 4 together without Redis's semaphore.
    const { sequence, log, list } = await setup(2, { actions: { Charge: { concurrency: 2 } } }, { concurrency: 4 });
    const handles = Array.from({ length: 12 }, () => sequence.assign('Charge', { ms: 80 }));
    const results = await Promise.all(handles.map((handle) => handle.result));
    const seen = (await list('seen')).map(Number);
    expect(seen).toHaveLength(12);
    expect(Math.max(...seen)).toBe(2);
    expect(results.every((result) => result.running <= 2)).toBe(true);
    // Both processes ran some.
    expect(new Set(log.of('end').map((line) => line.worker))).toEqual(new Set(['w1', 'w2']));
  });

  it('the lease of a process killed with SIGKILL lapses: its slot serves the next actions', { timeout: 30_000 }, async () => {
    const { sequence, log, workers, start } = await setup(1, { actions: { Charge: { concurrency: 1 } } }, { lockDuration: 1000, stalledInterval: 500 });
    const first = sequence.assign('Charge', { ms: 1500 });
    await log.until(() => log.of('start').length === 1);
    await killWorker(workers[0]!);
    const rescuer = await start('w2');
    // The killed process never gave its lease back: only its lapse lets anything of this name start again.
    const second = sequence.assign('Charge', { ms: 10 });
    const results = await Promise.all([first.result, second.result]);
    expect(results.map((result) => result.pid)).toEqual([rescuer.child.pid, rescuer.child.pid]);
    expect(log.of('end').map((line) => [line.worker, line.words[1]]).sort()).toEqual([['w2', first.id], ['w2', second.id]].sort());
    expect(first.getSnapshot().context.attempts.map((attempt) => attempt.outcome)).toEqual(['interrupted', 'succeeded']);
  });

  it('a name rate of 3 per second holds in every window across 2 processes', { timeout: 30_000 }, async () => {
    const { sequence, log, list } = await setup(2, { actions: { Ping: { rate: { limit: 3, interval: 1000 } } } });
    const handles = Array.from({ length: 9 }, () => sequence.assign('Ping', null));
    await Promise.all(handles.map((handle) => handle.result));
    const starts = (await list('starts')).map(Number).sort((a, b) => a - b);
    expect(starts).toHaveLength(9);
    // Any 4 consecutive admissions span at least one interval (Redis's clock, in the Lua script). The
    // function records its start a little after its admission (the claim's own latency on this box):
    // LATENCY bounds that difference. Without the shared window, 4 starts come within a few ms.
    const LATENCY = 150;
    for (let i = 3; i < starts.length; i++) expect(starts[i]! - starts[i - 3]!).toBeGreaterThanOrEqual(1000 - LATENCY);
    expect(new Set(log.of('start').map((line) => line.worker))).toEqual(new Set(['w1', 'w2']));
  });

  it('a RateLimitError in one process pauses its name in every process for retryAfter', { timeout: 30_000 }, async () => {
    const { sequence, log, list } = await setup(2, {});
    const limited = sequence.assign('Api', { retryAfter: 1500 });
    await log.until(() => log.of('start').length === 1);
    const thrower = log.of('start')[0]!.worker;
    const [first] = await list('starts');
    const pausedAt = Number(first!.split(' ')[2]);
    // Retrying: its process recorded the pause before it failed the job.
    await new Promise<void>((resolve) => limited.subscribe((snapshot) => void (snapshot.value === 'retrying' && resolve())));
    // Assigned after the pause began: none may start before it ends, on either process.
    const others = Array.from({ length: 6 }, () => sequence.assign('Api', { retryAfter: null }));
    await Promise.all([limited.result, ...others.map((handle) => handle.result)]);
    const starts = (await list('starts')).slice(1).map((line) => line.split(' '));
    expect(starts).toHaveLength(7);
    for (const [, , at] of starts) expect(Number(at) - pausedAt).toBeGreaterThanOrEqual(1500);
    // The other process held back too, not only the one that saw the error.
    expect(log.of('start').some((line) => line.worker !== thrower)).toBe(true);
  });
});
