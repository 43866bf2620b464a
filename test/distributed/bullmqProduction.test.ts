import { afterEach, describe, expect, it } from 'vitest';
import { createPlan, type Plan } from '../../src/Plan.js';
import { Sequence } from '../../src/Sequence.js';
import { CancellationError, ExecutionError } from '../../src/errors.js';
import { bullmqProduction } from '../../src/distributed/index.js';
import { connection, dropPrefix, randomPrefix } from './redis.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(plan: Plan<any>, options: { prefix?: string; workers?: number } = {}) {
  const prefix = options.prefix ?? randomPrefix();
  const make = (worker: boolean) => {
    const production = bullmqProduction({ connection, prefix, queue: 'jobs', worker, lockDuration: 2000, stalledInterval: 1000 });
    const sequence = new Sequence({ plan, production, sites: 1, concurrency: 4 }).start();
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
});
