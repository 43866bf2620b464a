/**
 * The retry path: every action fails twice and succeeds on its third attempt, with zero backoff;
 * Echo's own retries against p-queue + p-retry (`retries: 2, minTimeout: 0`), all at once at
 * concurrency 16, in interleaved rounds.
 */
import PQueue from 'p-queue';
import pRetry from 'p-retry';
import { createPlan, Sequence } from '../src/index.js';
import { CONCURRENCY, type Runner } from './runners.js';

/** A function of `i` that throws on its first two calls for each `i`, then resolves. */
function flaky(n: number): (i: number) => Promise<void> {
  const calls = new Uint8Array(n);
  return async (i) => {
    if (++calls[i]! < 3) throw new Error(`flaky ${i}`);
  };
}

export const echoRetry: Runner = async (n) => {
  const plan = createPlan({ Flaky: { run: flaky(n), retry: { attempts: 3, initialDelay: 0, jitter: 'none' } } });
  const sequence = new Sequence({ plan, sites: 4, concurrency: CONCURRENCY / 4 }).start();
  for (let i = 0; i < n; i++) sequence.assign('Flaky', i);
  await sequence.whenIdle();
  const { done } = sequence.stats();
  await sequence.shutdown({ deadline: 0 });
  if (done !== n) throw new Error(`Expected ${n} actions done on their third attempt, got ${done}`);
};

export const pQueueRetry: Runner = async (n) => {
  const run = flaky(n);
  const queue = new PQueue({ concurrency: CONCURRENCY });
  for (let i = 0; i < n; i++) void queue.add(() => pRetry(() => run(i), { retries: 2, minTimeout: 0 }));
  await queue.onIdle();
};
