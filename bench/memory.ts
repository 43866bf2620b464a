/**
 * Memory figures. Bytes per queued and per live action are measured each in a child process of its
 * own (`node --expose-gc memory.js <scenario>`), after forced GCs, so no other contender's garbage
 * lands in the window; heap growth over runs is measured in the bench's process.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
  const handles = [];
  handles.push(sequence.assign('Noop', -1)); // the first assign's one-off allocations stay out of the window
  const before = heap();
  for (let i = 0; i < n; i++) handles.push(sequence.assign('Noop', i));
  const after = heap();
  if (handles.length !== n + 1) throw new Error('lost handles');
  return (after - before) / n;
}

/** Bytes per task queued in a paused p-queue, for comparison. */
export function bytesPerQueuedPQueueTask(n = 100_000): number {
  const queue = new PQueue({ concurrency: 16, autoStart: false });
  const promises = [];
  promises.push(queue.add(async () => {}));
  const before = heap();
  for (let i = 0; i < n; i++) promises.push(queue.add(async () => {}));
  const after = heap();
  if (promises.length !== n + 1) throw new Error('lost promises');
  queue.clear();
  return (after - before) / n;
}

/** Bytes per running action (its actor, run record, attempt context, handle) while its function awaits a promise that never resolves. */
export async function bytesPerLiveAction(n = 20_000): Promise<number> {
  const never = new Promise<void>(() => {});
  const sequence = new Sequence({ plan: createPlan({ Hold: () => never }), sites: 1, concurrency: n + 1 }).start();
  const handles = [sequence.assign('Hold', -1)];
  await Promise.resolve();
  const before = heap();
  for (let i = 0; i < n; i++) handles.push(sequence.assign('Hold', i));
  await Promise.resolve();
  const running = sequence.stats().live;
  const after = heap();
  if (running !== n + 1) throw new Error(`expected ${n + 1} live actions, got ${running}`);
  return (after - before) / n;
}

const scenarios = { queued: bytesPerQueuedAction, 'queued-p-queue': bytesPerQueuedPQueueTask, live: bytesPerLiveAction } as const;
export type MemoryScenario = keyof typeof scenarios;

/** Runs one memory scenario in a fresh child process and returns its bytes per action. */
export function measureInChild(scenario: MemoryScenario): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), scenario], (error, stdout) => {
      if (error !== null) reject(error);
      else resolve(Number(stdout.trim()));
    });
  });
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
  await sequence.shutdown({ deadline: 0 });
  return { after100k, after1M, growth: (after1M - after100k) / after100k };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const scenario = process.argv[2] as MemoryScenario;
  const measure = scenarios[scenario];
  if (measure === undefined) throw new TypeError(`Expected a scenario (${Object.keys(scenarios).join(', ')}), got ${String(scenario)}`);
  console.log(String(await measure()));
  process.exit(0); // the live scenario leaves its actions pending for ever
}
