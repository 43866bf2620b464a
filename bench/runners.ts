/**
 * The contenders, each running `n` noop async tasks at concurrency 16 and
 * resolving when all are done: Echo (a statechart actor per action), p-queue,
 * fastq and a raw promise pool.
 */
import fastq from 'fastq';
import PQueue from 'p-queue';
import { createPlan, Sequence } from '../src/index.js';

export const CONCURRENCY = 16;
const noop = async (): Promise<void> => {};

export type Runner = (n: number) => Promise<void>;

/** Echo: 4 Sites × 4 concurrency, every action a statechart actor. */
export const echo: Runner = async (n) => {
  const sequence = new Sequence({ plan: createPlan({ Noop: noop }), sites: 4, concurrency: CONCURRENCY / 4 });
  sequence.start();
  for (let i = 0; i < n; i++) sequence.assign('Noop', i);
  await sequence.whenIdle();
  await sequence.shutdown({ deadline: 0 });
};

/** Echo with XState's own createActor per action (the `xstate` engine). */
export const echoXState: Runner = async (n) => {
  const sequence = new Sequence({ plan: createPlan({ Noop: noop }), sites: 4, concurrency: CONCURRENCY / 4, engine: 'xstate' });
  sequence.start();
  for (let i = 0; i < n; i++) sequence.assign('Noop', i);
  await sequence.whenIdle();
  await sequence.shutdown({ deadline: 0 });
};

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

/** Times `runner` over `n` tasks: median of `rounds` runs after one warm-up. */
export async function timeRunner(runner: Runner, n: number, rounds = 5): Promise<number> {
  await runner(Math.min(n, 20_000));
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    globalThis.gc?.();
    const started = performance.now();
    await runner(n);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * Times several runners over `n` tasks in interleaved rounds (each round runs
 * every runner once, in turn), after `warmUp` such rounds, with no forced GC in
 * between: all contenders meet the same JIT and heap conditions. Returns the
 * median ms per runner.
 */
export async function timeInterleaved(runners: Readonly<Record<string, Runner>>, n: number, rounds = 5, warmUp = 2): Promise<Record<string, number>> {
  const times: Record<string, number[]> = {};
  for (let round = -warmUp; round < rounds; round++) {
    for (const [name, runner] of Object.entries(runners)) {
      const started = performance.now();
      await runner(n);
      if (round >= 0) (times[name] ??= []).push(performance.now() - started);
    }
  }
  const medians: Record<string, number> = {};
  for (const [name, list] of Object.entries(times)) medians[name] = [...list].sort((a, b) => a - b)[list.length >> 1]!;
  return medians;
}

/** p-queue driven like the inspected Echo run: chunks of 5,000 with a turn of the event loop between them. */
export const pQueueChunked: Runner = async (n) => {
  const queue = new PQueue({ concurrency: CONCURRENCY });
  for (let done = 0; done < n; done += 5_000) {
    for (let i = 0; i < Math.min(5_000, n - done); i++) void queue.add(noop);
    await queue.onIdle();
    await new Promise((resolve) => setImmediate(resolve));
  }
};
