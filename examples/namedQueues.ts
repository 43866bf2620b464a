/** Seed use case: named queues (the seed's Karma) with a "LogStart" named hook (the seed's Span) and a delayed action. */
import { pathToFileURL } from 'node:url';
import { Life, ManualClock, RoutingError, Sequence, createPlan, systemClock, type Clock, type HookInfo, type RunContext } from '../src/index.js';

/**
 * Runs a ManualClock until no timer is left. `advance(0)` first lets the work already started
 * schedule its timers: `runAll()` alone looks for timers before that (see test/examples.test.ts).
 */
async function drive(clock: ManualClock): Promise<void> {
  await clock.advance(0);
  await clock.runAll();
}

/** Options of {@link main}. */
export interface NamedQueuesOptions {
  /** A ManualClock is advanced by `main` until the work is done. @default systemClock */
  readonly clock?: Clock;
  /** Delay of the delayed log action, ms. @default 500 */
  readonly delay?: number;
  /** @default console.log */
  readonly log?: (line: string) => void;
}

/** One line of the timeline: what happened, where, at which clock time (relative to the start). */
export interface TimelineEntry {
  readonly at: number;
  readonly what: 'LogStart' | 'Log' | 'Compute';
  readonly action: string;
  readonly detail: string;
}

/** What the example did. */
export interface NamedQueuesSummary {
  readonly timeline: readonly TimelineEntry[];
  /** Site that ran each action (from `started` events), by action id. */
  readonly sites: Readonly<Record<string, string | null>>;
  readonly ids: { readonly now: string; readonly delayed: string; readonly compute: string };
  readonly results: { readonly now: string; readonly delayed: string; readonly compute: number };
  /** The error of assigning to a queue that no Site serves. */
  readonly unserved: { readonly name: string; readonly message: string };
}

export async function main(options: NamedQueuesOptions = {}): Promise<NamedQueuesSummary> {
  const log = options.log ?? console.log;
  const clock = options.clock ?? systemClock;
  const delay = options.delay ?? 500;
  const start = clock.now();
  const timeline: TimelineEntry[] = [];
  const note = (what: TimelineEntry['what'], action: string, detail: string): void => {
    timeline.push({ at: clock.now() - start, what, action, detail });
  };

  // Span: a named hook; actions that list it in metadata `hooks` run it before each attempt.
  const life = new Life();
  life.span.define('LogStart', (info: HookInfo) => note('LogStart', info.action.id, `${info.action.name} attempt ${info.attempt}`));

  const plan = createPlan({
    // Log actions go to the `logs` queue unless an assignment says otherwise.
    Log: { queue: 'logs', run: (message: string, ctx: RunContext) => (note('Log', ctx.action, message), message) },
    Compute: (n: number, ctx: RunContext) => (note('Compute', ctx.action, String(n)), n * 2),
  });

  // Karma: the named Productions. Two workers serve `default`; the logger serves only `logs`.
  // `audit` exists but no Site serves it, so assigning to it is a RoutingError at once.
  const sequence = new Sequence({
    plan,
    life,
    clock,
    queues: { default: {}, logs: {}, audit: {} },
    sites: [{ id: 'worker-1' }, { id: 'worker-2' }, { id: 'logger', queues: ['logs'] }],
  });
  const sites: Record<string, string | null> = {};
  const subscription = sequence.events$.subscribe((event) => {
    if (event.type === 'started') sites[event.actionId] = event.site;
  });
  sequence.start();

  const hooks = { hooks: ['LogStart'] };
  const delayed = sequence.assign('Log', 'delayed hello', { delay, metadata: hooks });
  const now = sequence.assign('Log', 'hello now', { metadata: hooks });
  const compute = sequence.assign('Compute', 21);
  let unserved = { name: 'none', message: 'assigning to "audit" was accepted' };
  try {
    sequence.assign('Log', 'nobody listens', { queue: 'audit' });
  } catch (error) {
    if (!(error instanceof RoutingError)) throw error;
    unserved = { name: error.name, message: error.message };
  }

  const all = Promise.all([now.result, delayed.result, compute.result]);
  if (clock instanceof ManualClock) await drive(clock);
  const [nowResult, delayedResult, computeResult] = await all;
  await sequence.shutdown({ deadline: 0 });
  subscription.unsubscribe();

  for (const entry of timeline) log(`t=${String(entry.at).padStart(4)} ms  ${entry.what.padEnd(8)} ${entry.action} on ${sites[entry.action] ?? '?'}: ${entry.detail}`);
  log(`assign to "audit" → ${unserved.name}: ${unserved.message}`);
  return {
    timeline,
    sites,
    ids: { now: now.id, delayed: delayed.id, compute: compute.id },
    results: { now: nowResult, delayed: delayedResult, compute: computeResult },
    unserved,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
