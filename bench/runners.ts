/**
 * The contenders, each fed the same way as its twin: Echo (a statechart actor per action, 4 Sites
 * × 4) against p-queue at concurrency 16 (and fastq and a raw promise pool for the all-at-once
 * case), for every way users feed a queue: all at once, a sliding window over completions, one
 * `await` per assign (backpressure), I/O-bound functions, and in chunks.
 */
import fastq from 'fastq';
import PQueue from 'p-queue';
import { createPlan, Sequence, type SequenceOptions } from '../src/index.js';
import { turn, type Runner } from './harness.js';

export type { Runner } from './harness.js';

export const CONCURRENCY = 16;
const noop = async (): Promise<void> => {};

/** A started Echo Sequence over a `Noop` plan (4 Sites sharing CONCURRENCY), with `extra` options. */
export function noopSequence(extra: Partial<SequenceOptions> = {}): Sequence {
  return new Sequence({ plan: createPlan({ Noop: noop }), sites: 4, concurrency: CONCURRENCY / 4, ...extra }).start();
}

/** Echo, `n` actions assigned at once. */
export function echoAllAtOnce(extra: Partial<SequenceOptions> = {}): Runner {
  return async (n) => {
    const sequence = noopSequence(extra);
    for (let i = 0; i < n; i++) sequence.assign('Noop', i);
    await sequence.whenIdle();
    await sequence.shutdown({ deadline: 0 });
  };
}

/** Echo with the table engine (the default), all at once. */
export const echo: Runner = echoAllAtOnce();

/** Echo with XState's own createActor per action (the `xstate` engine), all at once. */
export const echoXState: Runner = echoAllAtOnce({ engine: 'xstate' });

/** p-queue, `n` tasks added at once. */
export const pQueue: Runner = async (n) => {
  const queue = new PQueue({ concurrency: CONCURRENCY });
  for (let i = 0; i < n; i++) void queue.add(noop);
  await queue.onIdle();
};

export const fastQueue: Runner = async (n) => {
  const queue = fastq.promise(noop, CONCURRENCY);
  for (let i = 0; i < n; i++) void queue.push(i);
  await queue.drained();
};

/** A raw promise pool: 16 loops pulling indexes. */
export const promisePool: Runner = async (n) => {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      await noop();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
};

/** At most `window` in flight: each completion assigns the next (Echo: through the handle's result). */
export function echoSlidingWindow(window: number): Runner {
  return async (n) => {
    const sequence = noopSequence();
    await slide(n, window, (i) => sequence.assign('Noop', i).result);
    await sequence.shutdown({ deadline: 0 });
  };
}

/** p-queue under the same sliding window: each completion adds the next. */
export function pQueueSlidingWindow(window: number): Runner {
  return async (n) => {
    const queue = new PQueue({ concurrency: CONCURRENCY });
    await slide(n, window, () => queue.add(noop));
  };
}

/** Keeps `window` tasks started by `start` in flight until `n` have completed. */
function slide(n: number, window: number, start: (i: number) => Promise<unknown>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let started = 0;
    let completed = 0;
    const next = (): void => {
      if (++completed === n) resolve();
      else if (started < n) start(started++).then(next, reject);
    };
    for (; started < Math.min(window, n); ) start(started++).then(next, reject);
  });
}

/**
 * A producer that respects backpressure, one `await` per assign: Echo's `whenWritable()` on a
 * queue of capacity `limit`, against p-queue's `onSizeLessThan(limit)`.
 */
export function echoAwaitPerAssign(limit: number): Runner {
  return async (n) => {
    const sequence = noopSequence({ production: { capacity: limit } });
    for (let i = 0; i < n; i++) {
      await sequence.whenWritable();
      sequence.assign('Noop', i);
    }
    await sequence.whenIdle();
    await sequence.shutdown({ deadline: 0 });
  };
}

export function pQueueAwaitPerAdd(limit: number): Runner {
  return async (n) => {
    const queue = new PQueue({ concurrency: CONCURRENCY });
    for (let i = 0; i < n; i++) {
      await queue.onSizeLessThan(limit);
      void queue.add(noop);
    }
    await queue.onIdle();
  };
}

/** I/O-bound: every action awaits a `ms` timer, `concurrent` of them at a time, all assigned at once. */
export function echoIoBound(concurrent: number, ms: number): Runner {
  const wait = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  return async (n) => {
    const sequence = new Sequence({ plan: createPlan({ Wait: wait }), sites: 4, concurrency: concurrent / 4 }).start();
    for (let i = 0; i < n; i++) sequence.assign('Wait', i);
    await sequence.whenIdle();
    await sequence.shutdown({ deadline: 0 });
  };
}

export function pQueueIoBound(concurrent: number, ms: number): Runner {
  const wait = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  return async (n) => {
    const queue = new PQueue({ concurrency: concurrent });
    for (let i = 0; i < n; i++) void queue.add(wait);
    await queue.onIdle();
  };
}

/** Echo in chunks of `chunk`, each awaited, with a turn of the event loop between them. */
export function echoChunked(sequence: Sequence, chunk: number): Runner {
  return async (n) => {
    for (let done = 0; done < n; done += chunk) {
      for (let i = 0; i < Math.min(chunk, n - done); i++) sequence.assign('Noop', i);
      await sequence.whenIdle();
      await turn();
    }
  };
}

/** p-queue driven like {@link echoChunked}: the same chunks, each awaited, a turn between them. */
export function pQueueInChunks(chunk: number): Runner {
  return async (n) => {
    const queue = new PQueue({ concurrency: CONCURRENCY });
    for (let done = 0; done < n; done += chunk) {
      for (let i = 0; i < Math.min(chunk, n - done); i++) void queue.add(noop);
      await queue.onIdle();
      await turn();
    }
  };
}

/** p-queue in chunks of 5,000, as the inspector-at-scale bench drives Echo. */
export const pQueueChunked: Runner = pQueueInChunks(5_000);
