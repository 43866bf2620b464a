/** Seed use case: four workers (Sites) stealing work from the global queue and from each other. */
import { pathToFileURL } from 'node:url';
import { ManualClock, Sequence, createPlan, seededRandom, type Clock, type ProductionStats, type RandomSource, type RunContext } from '../src/index.js';


/** Waits `ms` on `clock`; rejects with the signal's reason when the attempt is aborted. */
function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal.reason);
    };
    const handle = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs a ManualClock until no timer is left. `advance(0)` first lets the work already started
 * schedule its timers: `runAll()` alone looks for timers before that (see test/examples.test.ts).
 */
async function drive(clock: ManualClock): Promise<void> {
  await clock.advance(0);
  await clock.runAll();
}

/** Options of {@link main}. */
export interface StealingOptions {
  /** A ManualClock is advanced by `main` until the work is done; another clock runs in real time. @default new ManualClock() */
  readonly clock?: Clock;
  /** Seed of the workload (durations) and of the Production's victim choice. @default 42 */
  readonly seed?: number;
  /** Actions assigned. @default 400 */
  readonly actions?: number;
  /** Actions each Site runs at once. @default 2 */
  readonly concurrency?: number;
  /** @default console.log */
  readonly log?: (line: string) => void;
}

/** What the example did. */
export interface StealingSummary {
  readonly assigned: number;
  readonly done: number;
  /** Actions started per Site (from `started` events). */
  readonly perSite: Readonly<Record<string, number>>;
  /** `sequence.stats().queues.default` at the end: batches moved from the global lanes, steals from peers. */
  readonly queue: ProductionStats;
  /** Clock time when the last action finished. */
  readonly elapsed: number;
}

const SITES = ['site-1', 'site-2', 'site-3', 'site-4'] as const;

export async function main(options: StealingOptions = {}): Promise<StealingSummary> {
  const log = options.log ?? console.log;
  const clock = options.clock ?? new ManualClock();
  const random = seededRandom(options.seed ?? 42);
  const count = options.actions ?? 400;
  const startedAt = clock.now();

  // Each action works for its content's ms on the Sequence clock; most are short, one in ten is long,
  // so some Sites fall behind with a full local deque and idle ones steal half of it.
  const plan = createPlan({
    Work: async (ms: number, ctx: RunContext) => {
      await sleep(clock, ms, ctx.signal);
      return ms;
    },
  });
  const sequence = new Sequence({
    plan,
    clock,
    random,
    sites: SITES.map((id) => ({ id })),
    concurrency: options.concurrency ?? 2,
    queues: { default: { batchSize: 16 } },
  });

  const perSite: Record<string, number> = Object.fromEntries(SITES.map((id) => [id, 0]));
  const subscription = sequence.events$.subscribe((event) => {
    if (event.type === 'started' && event.site !== null) perSite[event.site] = (perSite[event.site] ?? 0) + 1;
  });

  const handles = Array.from({ length: count }, () => {
    const ms = random() < 0.1 ? 50 + Math.floor(random() * 100) : 1 + Math.floor(random() * 10);
    return sequence.assign('Work', ms);
  });
  sequence.start();
  const results = Promise.all(handles.map((handle) => handle.result));
  if (clock instanceof ManualClock) await drive(clock);
  await results;
  const elapsed = clock.now() - startedAt;
  const queue = sequence.stats().queues.default!;
  const report = await sequence.shutdown({ deadline: 0 });
  subscription.unsubscribe();

  log(`${count} actions on ${SITES.length} Sites, done in ${elapsed} ms of clock time`);
  for (const id of SITES) log(`  ${id}: ran ${perSite[id]} actions`);
  log(`default queue: ${queue.batches} batches from the global lanes, ${queue.steals} steals (${queue.stolenItems} actions stolen)`);
  return { assigned: count, done: report.done, perSite, queue, elapsed };
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
