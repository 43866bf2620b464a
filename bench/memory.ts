/** Memory measurements: bytes per queued action, per live action actor, heap growth over runs. */
import PQueue from 'p-queue';
import { createPlan, Sequence } from '../src/index.js';

function heap(): number {
  if (globalThis.gc === undefined) throw new Error('Run the bench with node --expose-gc');
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

/** Bytes per action assigned to a Sequence whose Sites have not started (plain queued actions with handles). */
export function bytesPerQueuedAction(n = 100_000): number {
  const sequence = new Sequence({ plan: createPlan({ Noop: async () => {} }), sites: 4 });
  const before = heap();
  const handles = [];
  for (let i = 0; i < n; i++) handles.push(sequence.assign('Noop', i));
  const after = heap();
  if (handles.length !== n) throw new Error('lost handles');
  return (after - before) / n;
}

/** Bytes per task queued in a paused p-queue, for comparison. */
export function bytesPerQueuedPQueueTask(n = 100_000): number {
  const queue = new PQueue({ concurrency: 16, autoStart: false });
  const before = heap();
  const promises = [];
  for (let i = 0; i < n; i++) promises.push(queue.add(async () => {}));
  const after = heap();
  if (promises.length !== n) throw new Error('lost promises');
  queue.clear();
  return (after - before) / n;
}

/** Bytes per running action (its actor, run record, attempt context) while its function is pending. */
export async function bytesPerLiveActor(n = 20_000): Promise<number> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const sequence = new Sequence({ plan: createPlan({ Hold: () => gate }), sites: 1, concurrency: n });
  const before = heap();
  sequence.start();
  for (let i = 0; i < n; i++) sequence.assign('Hold', i);
  await Promise.resolve();
  const running = sequence.stats().live;
  const after = heap();
  if (running !== n) throw new Error(`expected ${n} live actions, got ${running}`);
  release();
  await sequence.whenIdle();
  return (after - before) / n;
}

/** Heap after running 100k vs 1M noop actions through one Sequence (growth should be ~0). */
export async function heapGrowth(): Promise<{ after100k: number; after1M: number; growth: number }> {
  const sequence = new Sequence({ plan: createPlan({ Noop: async () => {} }), sites: 4, concurrency: 4 });
  sequence.start();
  const run = async (n: number): Promise<void> => {
    for (let done = 0; done < n; done += 10_000) {
      for (let i = 0; i < 10_000; i++) sequence.assign('Noop', i);
      await sequence.whenIdle();
    }
  };
  await run(100_000);
  const after100k = heap();
  await run(900_000);
  const after1M = heap();
  return { after100k, after1M, growth: (after1M - after100k) / after100k };
}
