/**
 * Chaos: N actions across 3 worker processes, SIGKILLs of random workers (each after a random number of
 * attempts began since the last kill) and restarts. Every action ends in exactly one terminal state,
 * its result delivered once to its handle; the counts are printed.
 */
import { Queue } from 'bullmq';
import { afterEach, expect, it } from 'vitest';
import { createPlan } from '../../src/Plan.js';
import { seededRandom } from '../../src/random.js';
import { Sequence } from '../../src/Sequence.js';
import { bullmqProduction } from '../../src/distributed/index.js';
import { connection, dropPrefix, randomPrefix } from './redis.js';
import { killWorker, startWorker, WorkerLog, type WorkerProcess, type WorkerSettings } from './workers.js';

const ACTIONS = 100;
const KILLS = 8;
const plan = createPlan({ Work: async (_: { ms: number; tag?: number }) => ({ pid: 0, tag: null as number | null }) });

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it(`${ACTIONS} actions across 3 workers with ${KILLS} SIGKILLs and restarts: one terminal state each, results delivered once`, { timeout: 90_000 }, async () => {
  const prefix = randomPrefix();
  const settings: WorkerSettings = { prefix, queue: 'chaos', lockDuration: 1000, stalledInterval: 500, maxStalledCount: 100, concurrency: 2 };
  const production = bullmqProduction({ connection, prefix, queue: 'chaos', worker: false });
  const sequence = new Sequence({ plan, production, sites: 1 }).start();
  const queue = new Queue('chaos', { connection, prefix });
  const log = new WorkerLog();
  const workers: WorkerProcess[] = [];
  cleanups.push(async () => {
    await Promise.all(workers.map(killWorker));
    await sequence.shutdown({ deadline: 0 });
    await queue.close();
    await dropPrefix(prefix);
  });
  await production.ready();
  for (let i = 0; i < 3; i++) workers.push(await startWorker(`w${i + 1}`, settings, log));

  const random = seededRandom(7);
  const handles = Array.from({ length: ACTIONS }, (_, tag) => sequence.assign('Work', { ms: 100 + Math.floor(random() * 400), tag }));
  const deliveries = new Map<string, number>();
  for (const handle of handles) handle.subscribe((snapshot) => void (snapshot.status === 'done' && deliveries.set(handle.id, (deliveries.get(handle.id) ?? 0) + 1)));
  const outcomes = Promise.allSettled(handles.map((handle) => handle.result));

  let kills = 0;
  let restarts = 0;
  const restarting: Promise<void>[] = [];
  for (; kills < KILLS; kills++) {
    const seen = log.of('start').length;
    const wait = 1 + Math.floor(random() * 4);
    await log.until(() => log.of('start').length >= seen + wait || handles.every((handle) => handle.settled));
    if (handles.every((handle) => handle.settled)) break;
    // A random worker among those running now; its restart comes up in the background while the others go on.
    const alive = () => workers.filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null);
    if (alive().length === 0) await Promise.all(restarting);
    const running = alive();
    const victim = running[Math.floor(random() * running.length)]!;
    await killWorker(victim);
    const name = `${victim.name.split('r')[0]}r${++restarts}`;
    restarting.push(startWorker(name, settings, log).then((worker) => void workers.push(worker)));
  }
  await Promise.all(restarting);
  expect(kills).toBe(KILLS);
  const settled = await outcomes;
  const results = settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.tag : outcome.reason));
  expect(results).toEqual(handles.map((_, tag) => tag));
  expect(handles.every((handle) => handle.getSnapshot().value === 'done')).toBe(true);
  expect([...deliveries.values()].every((count) => count === 1) && deliveries.size === ACTIONS).toBe(true);
  const counts = await queue.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed', 'prioritized');
  expect(counts).toEqual({ completed: ACTIONS, failed: 0, active: 0, wait: 0, delayed: 0, prioritized: 0 });
  const interrupted = handles.reduce((n, handle) => n + handle.getSnapshot().context.attempts.filter((attempt) => attempt.outcome === 'interrupted').length, 0);
  const starts = log.of('start').length;
  console.log(`chaos: ${ACTIONS} actions, ${kills} SIGKILLs, ${restarts} restarts, ${starts} attempts began (${starts - ACTIONS} re-runs, at-least-once), ${interrupted} interrupted attempts in histories, ${counts.completed} completed jobs, ${deliveries.size} handles settled once each`);
});
