/**
 * Echo on BullMQ (Redis at 127.0.0.1:6379), measured in the same run as a raw BullMQ Worker doing the
 * same noop jobs: the ratio Echo ÷ raw (interleaved rounds, medians), throughput with 1, 2 and 4 worker
 * processes, and the latency of a cancel that must reach the process running the action (p50/p99).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { createPlan, Sequence } from '../src/index.js';
import { bullmqProduction } from '../src/distributed/index.js';
import { dropPrefix } from './redisKeys.js';

const connection = { host: '127.0.0.1', port: 6379 };
const CONCURRENCY = 16;
const plan = createPlan({ Noop: async (_n: number) => {}, Block: async (_n: number) => {} });

/** What the BullMQ bench measured. */
export interface BullMQFigures {
  readonly n: number;
  readonly echo: number;
  readonly raw: number;
  readonly processes: Record<number, number>;
  readonly cancelP50: number;
  readonly cancelP99: number;
  /** CPU time of the one process per job (user + system, µs, medians): steadier than wall rates on a loaded machine. */
  readonly echoCpu: number;
  readonly rawCpu: number;
}

/** A round's wall time and this process's CPU time per job. */
interface Round {
  readonly ms: number;
  readonly cpuPerJob: number;
}


/** Ms for one process to add `n` noop jobs one by one and see each completed, with a raw BullMQ Worker. */
async function rawRound(n: number): Promise<Round> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const queue = new Queue('raw', { connection, prefix });
  const events = new QueueEvents('raw', { connection, prefix });
  const worker = new Worker('raw', async () => {}, { connection, prefix, concurrency: CONCURRENCY, autorun: false });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady(), worker.waitUntilReady()]);
  void worker.run();
  let completed = 0;
  const done = new Promise<void>((resolve) => events.on('completed', () => ++completed === n && resolve()));
  const cpu = process.cpuUsage();
  const started = performance.now();
  // As Echo does: one add per assignment, a priority on each (Echo keeps its lanes), kept on completion.
  for (let i = 0; i < n; i++) void queue.add('Noop', { i }, { priority: 2, removeOnComplete: true });
  await done;
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await worker.close();
  await Promise.all([events.close(), queue.close()]);
  await dropPrefix(connection, prefix);
  return { ms, cpuPerJob: (used.user + used.system) / n };
}

/** The same with Echo: one Sequence on a bullmqProduction that assigns and runs the noop actions. */
async function echoRound(n: number): Promise<Round> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const production = bullmqProduction({ connection, prefix, queue: 'echo', removeOnComplete: true });
  const sequence = new Sequence({ plan, production, sites: 1, concurrency: CONCURRENCY }).start();
  await production.ready();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const results: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) results.push(sequence.assign('Noop', i).result);
  await Promise.all(results);
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await sequence.shutdown({ deadline: 0 });
  await dropPrefix(connection, prefix);
  return { ms, cpuPerJob: (used.user + used.system) / n };
}

interface Child {
  readonly child: ChildProcess;
  readonly lines: string[];
  until(test: (lines: string[]) => boolean): Promise<void>;
}

function startChild(prefix: string, queue: string): Child {
  const script = join(import.meta.dirname, 'bullmqWorker.js');
  const child = spawn(process.execPath, [script, prefix, queue, String(CONCURRENCY)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: { test: (lines: string[]) => boolean; resolve: () => void }[] = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts);
    for (const waiter of waiters.splice(0)) (waiter.test(lines) ? waiter.resolve() : waiters.push(waiter));
  });
  const until = (test: (lines: string[]) => boolean): Promise<void> => (test(lines) ? Promise.resolve() : new Promise((resolve) => waiters.push({ test, resolve })));
  return { child, lines, until };
}

async function stopChildren(children: readonly Child[]): Promise<void> {
  await Promise.all(children.map((c) => new Promise<void>((resolve) => (c.child.exitCode !== null ? resolve() : (c.child.on('exit', () => resolve()), c.child.kill('SIGTERM'))))));
}

/** Actions/s with `count` worker processes claiming, this process assigning. */
async function processesRound(count: number, n: number): Promise<number> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const children = Array.from({ length: count }, () => startChild(prefix, 'spread'));
  await Promise.all(children.map((c) => c.until((lines) => lines.includes('ready'))));
  const production = bullmqProduction({ connection, prefix, queue: 'spread', worker: false, removeOnComplete: true });
  const sequence = new Sequence({ plan, production, sites: 1 }).start();
  await production.ready();
  const started = performance.now();
  const results: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) results.push(sequence.assign('Noop', i).result);
  await Promise.all(results);
  const ms = performance.now() - started;
  await sequence.shutdown({ deadline: 0 });
  await stopChildren(children);
  await dropPrefix(connection, prefix);
  return (n / ms) * 1000;
}

/** Ms from `handle.cancel()` in this process to the handle's CancellationError, the action running in another. */
async function cancelLatencies(samples: number): Promise<number[]> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const [worker] = [startChild(prefix, 'cancel')];
  await worker!.until((lines) => lines.includes('ready'));
  const production = bullmqProduction({ connection, prefix, queue: 'cancel', worker: false, removeOnComplete: true });
  const sequence = new Sequence({ plan, production, sites: 1 }).start();
  await production.ready();
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const handle = sequence.assign('Block', i);
    await worker!.until((lines) => lines.includes(`start ${handle.id}`));
    const started = performance.now();
    handle.cancel();
    await handle.result.catch(() => undefined);
    latencies.push(performance.now() - started);
  }
  await sequence.shutdown({ deadline: 0 });
  await stopChildren([worker!]);
  await dropPrefix(connection, prefix);
  return latencies.sort((a, b) => a - b);
}

/** Runs the BullMQ figures with `n` noop jobs per round. */
export async function benchBullMQ(n: number): Promise<BullMQFigures> {
  const times = { echo: [] as number[], raw: [] as number[] };
  const cpu = { echo: [] as number[], raw: [] as number[] };
  for (let round = -1; round < 5; round++) {
    const raw = await rawRound(n);
    const echo = await echoRound(n);
    if (round >= 0) {
      times.raw.push(raw.ms);
      times.echo.push(echo.ms);
      cpu.raw.push(raw.cpuPerJob);
      cpu.echo.push(echo.cpuPerJob);
    }
  }
  const median = (list: number[]): number => [...list].sort((a, b) => a - b)[list.length >> 1]!;
  const processes: Record<number, number> = {};
  for (const count of [1, 2, 4]) {
    const rates: number[] = [];
    for (let round = 0; round < 3; round++) rates.push(await processesRound(count, n));
    processes[count] = median(rates);
  }
  const latencies = await cancelLatencies(100);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { n, echo: (n / median(times.echo)) * 1000, raw: (n / median(times.raw)) * 1000, processes, cancelP50: at(0.5), cancelP99: at(0.99), echoCpu: median(cpu.echo), rawCpu: median(cpu.raw) };
}
