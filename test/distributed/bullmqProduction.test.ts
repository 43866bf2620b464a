import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createPlan, type Plan } from '../../src/Plan.js';
import { Sequence } from '../../src/Sequence.js';
import { CancellationError, ExecutionError } from '../../src/errors.js';
import { bullmqProduction } from '../../src/distributed/index.js';
import type { ActionHandle } from '../../src/action/ActionHandle.js';
import { connection, dropPrefix, randomPrefix } from './redis.js';
import { killWorker, startWorker, WorkerLog } from './workers.js';

/** Resolves with the handle's snapshot once `test` holds for it. */
function until(handle: ActionHandle<any, any>, test: (snapshot: ReturnType<ActionHandle<any, any>['getSnapshot']>) => boolean) {
  return new Promise<ReturnType<ActionHandle<any, any>['getSnapshot']>>((resolve) => {
    const check = (snapshot: ReturnType<ActionHandle<any, any>['getSnapshot']>) => test(snapshot) && (unsubscribe?.(), resolve(snapshot));
    let unsubscribe: (() => void) | undefined;
    if (check(handle.getSnapshot())) return;
    unsubscribe = handle.subscribe(check);
  });
}

const cleanups: (() => Promise<unknown>)[] = [];
/** What any Sequence of a test reported to `onError`: nothing, in every test here. */
const unexpected: unknown[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  expect(unexpected.splice(0)).toEqual([]);
});

function setup(plan: Plan<any>, options: { prefix?: string; workers?: number; removeOnComplete?: boolean } = {}) {
  const prefix = options.prefix ?? randomPrefix();
  const make = (worker: boolean) => {
    const production = bullmqProduction({ connection, prefix, queue: 'jobs', worker, lockDuration: 2000, stalledInterval: 1000, removeOnComplete: options.removeOnComplete ?? false });
    const sequence = new Sequence({ plan, production, sites: 1, concurrency: 4, onError: (error) => void unexpected.push(error) }).start();
    return { production, sequence };
  };
  const assigner = make(false);
  const workers = Array.from({ length: options.workers ?? 1 }, () => make(true));
  cleanups.push(async () => {
    for (const { sequence } of [assigner, ...workers]) await sequence.shutdown({ deadline: 0 });
    await dropPrefix(prefix);
  });
  return { prefix, assigner, workers };
}

describe('bullmqProduction', () => {
  it('runs an assigned action in a worker Sequence and brings its output back to the handle', async () => {
    const ran: string[] = [];
    const plan = createPlan({
      Echo: async (text: string) => {
        ran.push(text);
        return text.toUpperCase();
      },
    });
    const { assigner } = setup(plan);
    const handle = assigner.sequence.assign('Echo', 'hi');
    await handle.accepted;
    await expect(handle.result).resolves.toBe('HI');
    expect(ran).toEqual(['hi']);
    expect(handle.getSnapshot().value).toBe('done');
    await expect(assigner.sequence.result(handle.id)).resolves.toBe('HI');
  });

  it('retries through BullMQ with the delays Echo\'s policy chose, the history travelling with the job', async () => {
    const starts: number[] = [];
    const plan = createPlan({
      Flaky: {
        run: (_content: null, ctx) => {
          starts.push(Date.now());
          if (ctx.attempt < 3) throw new Error(`fail ${ctx.attempt}`);
          return ctx.attempt;
        },
        retry: { attempts: 4, initialDelay: 150, factor: 2, jitter: 'none' },
      },
    });
    const { assigner } = setup(plan);
    const handle = assigner.sequence.assign('Flaky', null);
    await expect(handle.result).resolves.toBe(3);
    const attempts = handle.getSnapshot().context.attempts;
    expect(attempts.map((attempt) => [attempt.number, attempt.outcome, attempt.backoff])).toEqual([
      [1, 'failed', 150],
      [2, 'failed', 300],
      [3, 'succeeded', null],
    ]);
    // Redis waited at least the chosen delay before each retry.
    expect(starts[1]! - attempts[0]!.endedAt!).toBeGreaterThanOrEqual(150);
    expect(starts[2]! - attempts[1]!.endedAt!).toBeGreaterThanOrEqual(300);
  });

  it('ends at once on a non-retryable error and on exhausted attempts, with the typed error revived', async () => {
    const calls = { Bad: 0, Flaky: 0 };
    const plan = createPlan({
      Bad: {
        run: () => {
          calls.Bad++;
          throw Object.assign(new Error('no'), { retryable: false });
        },
        retry: { attempts: 5, initialDelay: 10 },
      },
      Flaky: {
        run: () => {
          calls.Flaky++;
          throw new Error('always');
        },
        retry: { attempts: 2, initialDelay: 10, jitter: 'none' },
      },
    });
    const { assigner, production } = { ...setup(plan), production: undefined };
    void production;
    const bad = assigner.sequence.assign('Bad', undefined);
    const flaky = assigner.sequence.assign('Flaky', undefined);
    const badError = await bad.result.catch((error: unknown) => error);
    expect(badError).toBeInstanceOf(ExecutionError);
    expect((badError as ExecutionError).message).toContain('no');
    expect(calls.Bad).toBe(1);
    const flakyError = await flaky.result.catch((error: unknown) => error);
    expect(flakyError).toBeInstanceOf(ExecutionError);
    expect(calls.Flaky).toBe(2);
    expect(bad.getSnapshot().value).toBe('failed');
    // Dead letters are shared: the exhausted one is there (and the non-retryable one), and redrive runs it again.
    const dead = await assigner.production.deadLetters();
    expect(dead.map((letter) => letter.action.id).sort()).toEqual([bad.id, flaky.id].sort());
    const [again] = await assigner.production.redrive([flaky.id]);
    expect(again!.provenance).toEqual({ redriveOf: flaky.id });
    await expect(again!.result).rejects.toBeInstanceOf(ExecutionError);
    expect(calls.Flaky).toBe(4);
    expect((await assigner.production.deadLetters()).map((letter) => letter.action.id).sort()).toEqual([bad.id, again!.id].sort());
    // The redriven dead letter's job is gone; its result was kept beside the queue first, so it still answers.
    const queue = new Queue('jobs', { connection, prefix: assigner.production.prefix });
    cleanups.push(() => queue.close());
    expect(await queue.getJob(flaky.id)).toBeUndefined();
    const log = new WorkerLog();
    const reader = await startWorker('reader', { prefix: assigner.production.prefix, queue: 'jobs', fixture: 'resultReader', args: [flaky.id] }, log);
    cleanups.push(() => killWorker(reader));
    await log.until(() => log.lines.some((line) => line.words[0] === 'result' || line.words[0] === 'error'));
    expect(log.lines.filter((line) => line.words[0] !== 'ready').map((line) => line.words.join(' '))).toEqual([`error ExecutionError ${(flakyError as ExecutionError).message}`]);
  });

  it('deduplicates by idempotency key: the key is the job id, the second assign follows the first', async () => {
    let calls = 0;
    const plan = createPlan({ Once: async (n: number) => (calls++, n) });
    const { assigner } = setup(plan);
    const first = assigner.sequence.assign('Once', 1, { idempotencyKey: 'order-7' });
    const second = assigner.sequence.assign('Once', 2, { idempotencyKey: 'order-7' });
    expect(first.id).toBe('order-7');
    await expect(first.result).resolves.toBe(1);
    await expect(second.result).resolves.toBe(1);
    const third = assigner.sequence.assign('Once', 3, { idempotencyKey: 'order-7' });
    await expect(third.result).resolves.toBe(1);
    expect(calls).toBe(1);
  });

  it('cancels a delayed job by removing it, and a running one in the process that runs it', async () => {
    let aborted: unknown = null;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const plan = createPlan({
      Slow: (_: null, ctx) =>
        new Promise((_resolve, reject) => {
          started();
          ctx.signal.addEventListener('abort', () => {
            aborted = ctx.signal.reason;
            reject(ctx.signal.reason);
          });
        }),
    });
    const { assigner } = setup(plan);
    const later = assigner.sequence.assign('Slow', null, { delay: 60_000 });
    await later.accepted;
    later.cancel('user', 'not needed');
    const laterError = await later.result.catch((error: unknown) => error);
    expect(laterError).toBeInstanceOf(CancellationError);
    expect(later.getSnapshot().value).toBe('cancelled');
    await expect(assigner.sequence.result(later.id)).rejects.toBeInstanceOf(CancellationError);

    const now = assigner.sequence.assign('Slow', null);
    await running;
    now.cancel('user', 'stop it');
    const nowError = await now.result.catch((error: unknown) => error);
    expect(nowError).toBeInstanceOf(CancellationError);
    expect((nowError as CancellationError).message).toBe('stop it');
    expect(aborted).toBeInstanceOf(CancellationError);
  });

  it('the assigning handle follows the job: running, retrying with retryAt and the history, running again, done', async () => {
    const plan = createPlan({
      Flaky: {
        run: (_: null, ctx) => {
          if (ctx.attempt === 1) throw new Error('first attempt fails');
          return ctx.attempt;
        },
        retry: { attempts: 3, initialDelay: 60_000, maxDelay: 60_000, jitter: 'none' },
      },
    });
    const { assigner } = setup(plan);
    const handle = assigner.sequence.assign('Flaky', null);
    const seen: string[] = [String(handle.getSnapshot().value)];
    handle.subscribe((snapshot) => void (seen.at(-1) !== snapshot.value && seen.push(String(snapshot.value))));
    const retrying = await until(handle, (snapshot) => snapshot.value === 'retrying');
    const [first] = retrying.context.attempts;
    expect([first!.number, first!.outcome, first!.backoff]).toEqual([1, 'failed', 60_000]);
    // The time Redis waits until, as the delayed set holds it: the failure's end plus the policy's delay.
    expect(retrying.context.retryAt).toBeGreaterThanOrEqual(first!.endedAt! + 60_000);
    // Retry now: the delayed job is promoted, the retry runs at once (not in a minute).
    handle.retryNow();
    await expect(handle.result).resolves.toBe(2);
    expect(seen).toEqual(['queued', 'running', 'retrying', 'queued', 'running', 'done']);
    expect(handle.getSnapshot().context.retryAt).toBe(null);
  });

  it('retry now starts a job waiting for its delay at once', async () => {
    const plan = createPlan({ Echo: async (text: string) => text });
    const { assigner } = setup(plan);
    const handle = assigner.sequence.assign('Echo', 'soon', { delay: 60_000 });
    await handle.accepted;
    const delayed = handle.getSnapshot();
    expect(delayed.value).toBe('delayed');
    expect(delayed.context.notBefore).toBeGreaterThanOrEqual(delayed.context.createdAt + 60_000);
    handle.retryNow();
    await expect(handle.result).resolves.toBe('soon');
  });

  it('a job BullMQ keeps (the default) holds its result itself: nothing is written beside it, and any process reads it from the job', { timeout: 30_000 }, async () => {
    const plan = createPlan({ Echo: async (text: string) => text.toUpperCase(), Fail: async (_: null) => Promise.reject(Object.assign(new Error('nope'), { retryable: false })) });
    const { prefix, assigner } = setup(plan);
    const done = assigner.sequence.assign('Echo', 'own');
    const failed = assigner.sequence.assign('Fail', null);
    await expect(done.result).resolves.toBe('OWN');
    await expect(failed.result).rejects.toBeInstanceOf(ExecutionError);
    const redis = new Redis(connection);
    cleanups.push(() => redis.quit());
    expect(await redis.exists(`${prefix}:jobs:echo:result:${done.id}`, `${prefix}:jobs:echo:result:${failed.id}`)).toBe(0);
    const queue = new Queue('jobs', { connection, prefix });
    cleanups.push(() => queue.close());
    expect((await queue.getJob(done.id))?.returnvalue).toMatchObject({ status: 'done', output: 'OWN' });
    const log = new WorkerLog();
    const reader = await startWorker('reader', { prefix, queue: 'jobs', fixture: 'resultReader', args: [done.id] }, log);
    cleanups.push(() => killWorker(reader));
    await log.until(() => log.lines.some((line) => line.words[0] === 'result' || line.words[0] === 'error'));
    expect(log.lines.filter((line) => line.words[0] !== 'ready').map((line) => line.words.join(' '))).toEqual(['result "OWN"']);
  });

  it('results stay answerable from another process after BullMQ removed the completed job', { timeout: 30_000 }, async () => {
    const plan = createPlan({ Echo: async (text: string) => text.toUpperCase() });
    const { prefix, assigner } = setup(plan, { removeOnComplete: true });
    const handle = assigner.sequence.assign('Echo', 'kept');
    await expect(handle.result).resolves.toBe('KEPT');
    const queue = new Queue('jobs', { connection, prefix });
    cleanups.push(() => queue.close());
    expect(await queue.getJob(handle.id)).toBeUndefined();
    const log = new WorkerLog();
    const reader = await startWorker('reader', { prefix, queue: 'jobs', fixture: 'resultReader', args: [handle.id] }, log);
    cleanups.push(() => killWorker(reader));
    await log.until(() => log.lines.some((line) => line.words[0] === 'result' || line.words[0] === 'error'));
    expect(log.lines.filter((line) => line.words[0] !== 'ready').map((line) => line.words.join(' '))).toEqual(['result "KEPT"']);
    // Kept for resultRetention (7 days by default), not for ever.
    const redis = new Redis(connection);
    cleanups.push(() => redis.quit());
    const ttl = await redis.pttl(`${prefix}:jobs:echo:result:${handle.id}`);
    expect(ttl).toBeGreaterThan(7 * 24 * 3600 * 1000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(7 * 24 * 3600 * 1000);
    // An id no process ever assigned is still an error there.
    const stranger = await startWorker('stranger', { prefix, queue: 'jobs', fixture: 'resultReader', args: ['never-assigned'] }, log);
    cleanups.push(() => killWorker(stranger));
    await log.until(() => log.lines.some((line) => line.worker === 'stranger' && line.words[0] === 'error'));
    expect(log.lines.find((line) => line.worker === 'stranger' && line.words[0] === 'error')!.words.slice(0, 2)).toEqual(['error', 'TypeError']);
  });
});
