/**
 * Echo on BullMQ across real processes: the test process assigns (its production runs no worker),
 * worker processes claim and run; SIGKILL, SIGTERM, cross-process cancel and License revoke are real.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPlan } from '../../src/Plan.js';
import { Sequence } from '../../src/Sequence.js';
import { License } from '../../src/License.js';
import { CancellationError, LicenseError } from '../../src/errors.js';
import { bullmqProduction } from '../../src/distributed/index.js';
import { connection, dropPrefix, randomPrefix } from './redis.js';
import { killWorker, startWorker, WorkerLog, type WorkerProcess, type WorkerSettings } from './workers.js';

/** The same names and content types as the worker's Plan; never run here (this process claims nothing). */
const plan = createPlan({
  Work: async (_: { ms: number; tag?: number }) => ({ pid: 0, tag: null as number | null }),
  Flaky: { run: async (_: { failures: number }) => ({ pid: 0, attempt: 0 }), retry: { attempts: 5, initialDelay: 200, factor: 2, jitter: 'none' } },
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(workerCount: number, overrides: Partial<WorkerSettings> = {}) {
  const prefix = randomPrefix();
  const settings: WorkerSettings = { prefix, queue: 'jobs', ...overrides };
  const log = new WorkerLog();
  const production = bullmqProduction({ connection, prefix, queue: 'jobs', worker: false });
  const sequence = new Sequence({ plan, production, sites: 1 }).start();
  await production.ready();
  const workers: WorkerProcess[] = [];
  cleanups.push(async () => {
    await Promise.all(workers.map(killWorker));
    await sequence.shutdown({ deadline: 0 });
    await dropPrefix(prefix);
  });
  for (let i = 0; i < workerCount; i++) workers.push(await startWorker(`w${i + 1}`, settings, log));
  const start = async (name: string) => {
    const worker = await startWorker(name, settings, log);
    workers.push(worker);
    return worker;
  };
  return { sequence, production, log, workers, start };
}

describe('Echo on BullMQ across processes', () => {
  it('two worker processes share the work', { timeout: 30_000 }, async () => {
    const { sequence, log } = await setup(2, { concurrency: 2 });
    const handles = Array.from({ length: 16 }, (_, tag) => sequence.assign('Work', { ms: 60, tag }));
    const results = await Promise.all(handles.map((handle) => handle.result));
    expect(results.map((result) => result.tag)).toEqual(handles.map((_, tag) => tag));
    const byWorker = new Map<string, number>();
    for (const line of log.of('end')) byWorker.set(line.worker, (byWorker.get(line.worker) ?? 0) + 1);
    expect([...byWorker.keys()].sort()).toEqual(['w1', 'w2']);
    expect([...byWorker.values()].reduce((a, b) => a + b)).toBe(16);
    expect(new Set(results.map((result) => result.pid)).size).toBe(2);
  });

  it('a worker killed with SIGKILL mid-action has its job recovered and completed by another, once', { timeout: 30_000 }, async () => {
    const { sequence, log, workers, start } = await setup(1, { lockDuration: 1000, stalledInterval: 500 });
    const handle = sequence.assign('Work', { ms: 1200 });
    let settlements = 0;
    handle.subscribe((snapshot) => void (snapshot.status === 'done' && settlements++));
    await log.until(() => log.of('start').length === 1);
    await killWorker(workers[0]!);
    const rescuer = await start('w2');
    const result = await handle.result;
    expect(result.pid).toBe(rescuer.child.pid);
    expect(log.of('start').map((line) => [line.worker, line.words[2]])).toEqual([['w1', '1'], ['w2', '2']]);
    // At-least-once: the attempt cut off by the kill is in the history as interrupted.
    expect(handle.getSnapshot().context.attempts.map((attempt) => attempt.outcome)).toEqual(['interrupted', 'succeeded']);
    expect(handle.getSnapshot().value).toBe('done');
    expect(settlements).toBe(1);
    await expect(sequence.result(handle.id)).resolves.toEqual(result);
  });

  it('a cancel from the assigning process stops a function running in another process', { timeout: 30_000 }, async () => {
    const { sequence, log } = await setup(1);
    const handle = sequence.assign('Work', { ms: 60_000 });
    await log.until(() => log.of('start').length === 1);
    handle.cancel('user', 'no longer wanted');
    const error = await handle.result.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(CancellationError);
    expect((error as CancellationError).message).toBe('no longer wanted');
    expect(log.of('aborted').map((line) => line.words[1])).toEqual([handle.id]);
    expect(handle.getSnapshot().value).toBe('cancelled');
  });

  it('a License revoked in the assigning process fails the action running in another', { timeout: 30_000 }, async () => {
    const { sequence, log } = await setup(1);
    const license = new License('tenant-9');
    const handle = sequence.assign('Work', { ms: 60_000 }, { license });
    await log.until(() => log.of('start').length === 1);
    license.revoke('tenant deleted');
    const error = await handle.result.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(LicenseError);
    expect(log.of('aborted').map((line) => line.words[1])).toEqual([handle.id]);
    // A job claimed later learns it too.
    const later = sequence.assign('Work', { ms: 10 }, { license: new License('tenant-9') });
    await expect(later.result).rejects.toBeInstanceOf(LicenseError);
  });

  it('retries across processes wait the delays the policy chose', { timeout: 30_000 }, async () => {
    const { sequence, log } = await setup(2, { concurrency: 1 });
    const handle = sequence.assign('Flaky', { failures: 2 });
    const result = await handle.result;
    expect(result.attempt).toBe(3);
    const attempts = handle.getSnapshot().context.attempts;
    expect(attempts.map((attempt) => [attempt.outcome, attempt.backoff])).toEqual([['failed', 200], ['failed', 400], ['succeeded', null]]);
    expect(attempts[1]!.startedAt - attempts[0]!.endedAt!).toBeGreaterThanOrEqual(200);
    expect(attempts[2]!.startedAt - attempts[1]!.endedAt!).toBeGreaterThanOrEqual(400);
    expect(log.of('start').map((line) => line.words[2])).toEqual(['1', '2', '3']);
  });

  it('a graceful shutdown hands unfinished work back to the queue, and another process finishes it', { timeout: 30_000 }, async () => {
    const { sequence, log, workers, start } = await setup(1);
    const handle = sequence.assign('Work', { ms: 1500 });
    await log.until(() => log.of('start').length === 1);
    workers[0]!.child.kill('SIGTERM');
    await log.until(() => log.of('shutdown').length === 1);
    expect(JSON.parse(log.of('shutdown')[0]!.words.slice(1).join(' '))).toEqual({ handedBack: 1, unfinished: 0 });
    const next = await start('w2');
    await expect(handle.result).resolves.toEqual({ pid: next.child.pid, tag: null });
    expect(log.of('aborted').map((line) => line.worker)).toEqual(['w1']);
  });
});
