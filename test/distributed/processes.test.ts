/**
 * Echo on BullMQ across real processes: the test process assigns (its production runs no worker),
 * worker processes claim and run; SIGKILL, SIGTERM, cross-process cancel and License revoke are real.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPlan } from '../../src/Plan.js';
import { Sequence } from '../../src/Sequence.js';
import { License } from '../../src/License.js';
import { CancellationError, LicenseError } from '../../src/errors.js';
import { bullmqProduction } from '../../src/distributed/index.js';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { inspect } from '../../src/inspect/server.js';
import type { ServerMessage } from '../../src/inspect/protocol.js';
import { connection, dropPrefix, randomPrefix } from './redis.js';
import { killWorker, startWorker, WorkerLog, type WorkerProcess, type WorkerSettings } from './workers.js';

/** The same names and content types as the worker's Plan; never run here (this process claims nothing). */
const plan = createPlan({
  Work: async (_: { ms: number; tag?: number }) => ({ pid: 0, tag: null as number | null }),
  Flaky: { run: async (_: { failures: number }) => ({ pid: 0, attempt: 0 }), retry: { attempts: 5, initialDelay: 200, factor: 2, jitter: 'none' } },
  Gate: async (_: null) => ({ pid: 0, attempt: 0 }),
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
  const start = async (name: string, more: Partial<WorkerSettings> = {}) => {
    const worker = await startWorker(name, { ...settings, ...more }, log);
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

  it('a zombie attempt that finishes after its lock was lost commits nothing: the lock token fences it', { timeout: 30_000 }, async () => {
    const { sequence, production, log, workers, start } = await setup(1, { lockDuration: 1000, stalledInterval: 500 });
    const events = new QueueEvents('jobs', { connection, prefix: production.prefix });
    const queue = new Queue('jobs', { connection, prefix: production.prefix });
    const gates = new Redis(connection);
    cleanups.push(async () => {
      await Promise.all([events.close(), queue.close(), gates.quit()]);
    });
    await events.waitUntilReady();
    const completions: string[] = [];
    const completed = new Promise<void>((resolve) => events.on('completed', ({ jobId }) => void (completions.push(jobId), resolve())));
    const handle = sequence.assign('Gate', null);
    let settlements = 0;
    handle.subscribe((snapshot) => void (snapshot.status === 'done' && settlements++));
    await log.until(() => log.of('start').length === 1);
    // w1's event loop is frozen mid-attempt: it cannot renew its lock, which lapses; w2's stalled check
    // hands the job to w2, which starts attempt 2.
    const zombie = workers[0]!;
    zombie.child.kill('SIGSTOP');
    const rescuer = await start('w2');
    await log.until(() => log.of('start').length === 2);
    expect(log.of('start').map((line) => [line.worker, line.words[2]])).toEqual([['w1', '1'], ['w2', '2']]);
    // The zombie's attempt 1 finishes now, while w2 holds the lock: its outcome must not commit.
    await gates.rpush(`${production.prefix}:probe:gate:1`, 'go');
    zombie.child.kill('SIGCONT');
    await log.until(() => log.of('end').length === 1 && log.lines.some((line) => line.worker === 'w1' && line.words[0] === 'error' && line.words.includes('LockLostError:')));
    expect(log.of('end').map((line) => [line.worker, line.words[2]])).toEqual([['w1', '1']]);
    const lost = log.lines.find((line) => line.worker === 'w1' && line.words[0] === 'error')!;
    expect(lost.words.join(' ')).toContain(`lost the lock of action ${handle.id} during attempt 1`);
    // The job is still w2's, unsettled: nothing of attempt 1 reached Redis or the handle.
    expect(await queue.getJobState(handle.id)).toBe('active');
    expect(completions).toEqual([]);
    expect(handle.settled).toBe(false);
    // The job's history is as assigned; its two claims are the two start times kept beside it (the first is recorded
    // as interrupted by the second claimer, which runs attempt 2 now).
    const job = await queue.getJob(handle.id);
    expect((job!.data as { attempts: unknown[] }).attempts).toEqual([]);
    const starts = await gates.hget(`${production.prefix}:jobs:${handle.id}`, 'echoStarts');
    expect(starts?.split(',').map(Number).every((at) => Number.isFinite(at) && at > 0)).toBe(true);
    expect(starts?.split(',')).toHaveLength(2);
    await gates.rpush(`${production.prefix}:probe:gate:2`, 'go');
    await expect(handle.result).resolves.toEqual({ pid: rescuer.child.pid, attempt: 2 });
    expect(handle.getSnapshot().context.attempts.map((attempt) => attempt.outcome)).toEqual(['interrupted', 'succeeded']);
    await completed;
    expect(completions).toEqual([handle.id]);
    expect(settlements).toBe(1);
    console.log(`zombie: ${lost.words.slice(1).join(' ')}`);
  });

  it('an attempt that finishes after its lock lapsed cannot commit its result: the fenced write refuses it', { timeout: 30_000 }, async () => {
    // w1 renews its lock only every 15 s: it cannot learn of the loss before its attempt ends; it runs
    // one action at a time, so the job goes to w2.
    const { sequence, production, log, start } = await setup(0);
    const zombie = await start('w1', { lockDuration: 30_000, concurrency: 1 });
    const queue = new Queue('jobs', { connection, prefix: production.prefix });
    const redis = new Redis(connection);
    cleanups.push(async () => {
      await Promise.all([queue.close(), redis.quit()]);
    });
    const handle = sequence.assign('Gate', null);
    await log.until(() => log.of('start').length === 1);
    // The lock lapses (as it does when its holder stalls past lockDuration): w2's stalled check gives the job to w2.
    await redis.del(`${production.prefix}:jobs:${handle.id}:lock`);
    const rescuer = await start('w2', { lockDuration: 1000 });
    await log.until(() => log.of('start').length === 2);
    expect(log.of('start').map((line) => [line.worker, line.words[2]])).toEqual([['w1', '1'], ['w2', '2']]);
    await redis.rpush(`${production.prefix}:probe:gate:1`, 'go');
    await log.until(() => log.lines.some((line) => line.worker === 'w1' && line.words[0] === 'error'));
    const lost = log.lines.find((line) => line.worker === 'w1' && line.words[0] === 'error')!;
    expect(lost.words.join(' ')).toContain(`lost the lock of action ${handle.id} during attempt 1: its outcome came after the lock was lost and is discarded`);
    expect(log.of('end').map((line) => [line.worker, line.words[2]])).toEqual([['w1', '1']]);
    expect(await queue.getJobState(handle.id)).toBe('active');
    expect(handle.settled).toBe(false);
    // Nor did it leave a result: the job (BullMQ keeps it) holds the committed one, nothing is written beside it.
    const kept = `${production.prefix}:jobs:echo:result:${handle.id}`;
    expect(await redis.exists(kept)).toBe(0);
    await redis.rpush(`${production.prefix}:probe:gate:2`, 'go');
    await expect(handle.result).resolves.toEqual({ pid: rescuer.child.pid, attempt: 2 });
    expect(handle.getSnapshot().context.attempts.map((attempt) => attempt.outcome)).toEqual(['interrupted', 'succeeded']);
    expect((await queue.getJob(handle.id))!.returnvalue).toMatchObject({ status: 'done', output: { pid: rescuer.child.pid, attempt: 2 } });
    expect(await redis.exists(kept)).toBe(0);
    expect(zombie.child.exitCode).toBe(null);
  });

  it('the inspector shows every process as its own source, each action under the process that runs it', { timeout: 30_000 }, async () => {
    const { sequence, log, start } = await setup(0, { concurrency: 1 });
    const server = await inspect(sequence, { staticDir: join(tmpdir(), 'echo-no-build') });
    cleanups.push(() => server.close());
    const messages: ServerMessage[] = [];
    const waiters = new WorkerLog();
    server.subscribe((message) => {
      messages.push(message);
      waiters.push({ worker: '', words: [] });
    });
    for (const name of ['w1', 'w2']) await start(name, { args: [server.url] });
    const sourceOf = new Map(log.of('source').map((line) => [line.worker, line.words[1]!]));
    expect(new Set(sourceOf.values()).size).toBe(2);
    const listed = () => {
      const last = [...messages].reverse().find((message) => message.type === 'sources');
      return last?.type === 'sources' ? last.sources : [];
    };
    await waiters.until(() => [...sourceOf.values()].every((id) => listed().some((source) => source.id === id && source.connected)));
    expect(listed().map((source) => source.kind).sort()).toEqual(['echo', 'remote', 'remote']);

    // Two long actions: one runs on each worker (concurrency 1 each); each shows as running under its worker's source only.
    const handles = [sequence.assign('Work', { ms: 60_000 }), sequence.assign('Work', { ms: 60_000 })];
    await log.until(() => log.of('start').length === 2);
    const runsOn = new Map(log.of('start').map((line) => [line.words[1]!, line.worker]));
    expect(new Set(runsOn.values())).toEqual(new Set(['w1', 'w2']));
    const runningUnder = (id: string) =>
      new Set(
        messages.flatMap((message) =>
          message.type === 'delta' && message.ops.some((op) => (op.op === 'state' && op.sessionId === `echo:${id}` && op.value === 'running') || (op.op === 'add' && op.actor.id === id && op.actor.value === 'running')) ? [message.source] : [],
        ),
      );
    await waiters.until(() => handles.every((handle) => runningUnder(handle.id).size > 0));
    for (const handle of handles) expect([...runningUnder(handle.id)]).toEqual([sourceOf.get(runsOn.get(handle.id)!)]);
    for (const handle of handles) {
      handle.cancel();
      await handle.result.catch(() => undefined);
    }
  });
});
