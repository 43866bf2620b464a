/**
 * Persistence figures: durable (SQLite) throughput against in-memory, with
 * `synchronous=NORMAL` and with `durability: 'full'`, bytes written per action,
 * and the time a Sequence takes to restore 100k stored actions.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPlan, Sequence } from '../src/index.js';
import { resolveRetryPolicy } from '../src/retryPolicy.js';
import { encodeAction } from '../src/store/codec.js';
import { sqliteStore } from '../src/store/sqliteStore.js';

const plan = () => createPlan({ Noop: async (_n: number) => {} });

function bytesIn(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

/** Actions/s of `n` noop actions assigned in chunks of 1,000 (each chunk awaited, as producers do). */
async function throughput(n: number, durability: 'memory' | 'normal' | 'full'): Promise<{ rate: number; bytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'echo-bench-store-'));
  const store = durability === 'memory' ? undefined : sqliteStore(join(dir, 'echo.db'), { durability });
  const sequence = new Sequence({ plan: plan(), sites: 4, concurrency: 16, ...(store !== undefined && { store }) }).start();
  const start = performance.now();
  for (let done = 0; done < n; done += 1_000) {
    for (let i = 0; i < 1_000; i++) sequence.assign('Noop', i);
    await sequence.whenIdle();
  }
  await sequence.flush();
  const ms = performance.now() - start;
  const bytes = bytesIn(dir);
  await sequence.shutdown({ deadline: 0 });
  rmSync(dir, { recursive: true, force: true });
  return { rate: (n / ms) * 1000, bytes: bytes / n };
}

/** Ms (wall and CPU) for `sequence.start()` to restore `n` stored queued actions from an opened store. */
async function restoreTime(n: number): Promise<{ ms: number; cpuMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'echo-bench-restore-'));
  const file = join(dir, 'echo.db');
  const seed = sqliteStore(file);
  const policy = resolveRetryPolicy();
  for (let i = 0; i < n; i++) {
    seed.assigned(encodeAction({ id: `r-${i}`, name: 'Noop', content: i, metadata: {}, priority: 'normal', queue: 'default', license: null, followUps: [], idempotencyKey: undefined, policy, createdAt: 0, startDelay: 0, attemptTimeout: null, totalTimeout: null, cancelGrace: 1000, parentId: null }));
  }
  seed.close();
  const store = sqliteStore(file);
  const sequence = new Sequence({ plan: plan(), store, sites: 4, production: { capacity: n + 1 } });
  sequence.pause();
  const cpu = process.cpuUsage();
  const start = performance.now();
  sequence.start();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  await sequence.shutdown({ deadline: 0 });
  rmSync(dir, { recursive: true, force: true });
  // CPU time beside wall time: on a loaded machine the wall time mostly measures the other processes.
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

export async function benchStore(n: number): Promise<{ memory: number; normal: number; full: number; normalRatio: number; fullRatio: number; bytesNormal: number; restoreMs: number; restoreCpuMs: number; restoreN: number }> {
  const memory = [];
  const normal = [];
  const full = [];
  // The ratios are taken per round (each durable run beside the in-memory run just before it) and their median
  // reported, as the other cases do: on a shared machine the load moves between rounds more than within one.
  const normalRatios = [];
  const fullRatios = [];
  let bytesNormal = 0;
  for (let round = 0; round < 5; round++) {
    const inMemory = (await throughput(n, 'memory')).rate;
    const durable = await throughput(n, 'normal');
    const durableFull = (await throughput(n, 'full')).rate;
    memory.push(inMemory);
    normal.push(durable.rate);
    full.push(durableFull);
    normalRatios.push(durable.rate / inMemory);
    fullRatios.push(durableFull / inMemory);
    bytesNormal = durable.bytes;
  }
  const median = (list: number[]) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
  const restoreN = 100_000;
  const restore = await restoreTime(restoreN);
  return { memory: median(memory), normal: median(normal), full: median(full), normalRatio: median(normalRatios), fullRatio: median(fullRatios), bytesNormal, restoreMs: restore.ms, restoreCpuMs: restore.cpuMs, restoreN };
}
