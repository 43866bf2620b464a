/** Seed use case: results forwarded as events: `done`/`failed` from `sequence.events$` (rxjs) re-emitted on a Node EventEmitter, one per action. */
import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';
import { filter, map, type Observable } from 'rxjs';
import { ManualClock, Sequence, createPlan, systemClock, type Clock, type EchoEvent } from '../src/index.js';

/** A result as forwarded: what a consumer outside Echo sees. */
export type ForwardedResult =
  | { readonly actionId: string; readonly name: string; readonly status: 'done'; readonly output: unknown; readonly attempts: number; readonly at: number }
  | { readonly actionId: string; readonly name: string; readonly status: 'failed'; readonly error: { readonly name: string; readonly message: string }; readonly attempts: number; readonly at: number };

/** The terminal results of a Sequence's event stream, as plain result records. */
export function results(events$: Observable<EchoEvent>): Observable<ForwardedResult> {
  return events$.pipe(
    filter((event): event is Extract<EchoEvent, { type: 'done' | 'failed' }> => event.type === 'done' || event.type === 'failed'),
    map((event): ForwardedResult => {
      const base = { actionId: event.actionId, name: event.name, attempts: event.attempts, at: event.at };
      return event.type === 'done'
        ? { ...base, status: 'done', output: event.output }
        : { ...base, status: 'failed', error: { name: event.error.name, message: event.error.message } };
    }),
  );
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
export interface ForwardEventsOptions {
  /** A ManualClock is advanced by `main` until the work is done. @default systemClock */
  readonly clock?: Clock;
  /** Where results are forwarded. @default a new EventEmitter */
  readonly emitter?: EventEmitter;
  /** @default console.log */
  readonly log?: (line: string) => void;
}

/** How a handle settled, to compare with what was forwarded. */
export type HandleOutcome = { readonly status: 'done'; readonly output: unknown } | { readonly status: 'failed'; readonly error: { readonly name: string; readonly message: string } };

/** What the example did. */
export interface ForwardEventsSummary {
  /** Every result the emitter delivered, in order. */
  readonly forwarded: readonly ForwardedResult[];
  /** Per assigned action id: how its handle settled. */
  readonly handles: Readonly<Record<string, HandleOutcome>>;
  /** Per assigned action id: how many results were forwarded for it (exactly one each). */
  readonly perAction: Readonly<Record<string, number>>;
  /** Non-terminal events seen on the way (attempt-failed, retrying), which were not forwarded. */
  readonly notForwarded: number;
}

export async function main(options: ForwardEventsOptions = {}): Promise<ForwardEventsSummary> {
  const log = options.log ?? console.log;
  const clock = options.clock ?? systemClock;
  const emitter = options.emitter ?? new EventEmitter();

  let flakyCalls = 0;
  const plan = createPlan({
    Greet: async (name: string) => `hello, ${name}`,
    Divide: {
      run: async ({ a, b }: { a: number; b: number }) => {
        if (b === 0) throw new RangeError(`cannot divide ${a} by zero`);
        return a / b;
      },
      // Dividing by zero again will not help: fail at once.
      retry: { nonRetryable: ['RangeError'] },
    },
    Flaky: {
      run: async () => {
        flakyCalls++;
        if (flakyCalls === 1) throw new Error('first call fails');
        return `ok after ${flakyCalls} calls`;
      },
      retry: { attempts: 3, initialDelay: 10, jitter: 'none' },
    },
  });
  const sequence = new Sequence({ plan, clock, sites: 2 });

  // The forwarding: an rxjs pipeline from the event stream to the emitter; consumers know nothing of Echo.
  const forwarded: ForwardedResult[] = [];
  emitter.on('result', (result: ForwardedResult) => forwarded.push(result));
  const forwarding = results(sequence.events$).subscribe((result) => emitter.emit('result', result));
  let notForwarded = 0;
  const counting = sequence.events$.subscribe((event) => {
    if (event.type === 'attempt-failed' || event.type === 'retrying') notForwarded++;
  });

  sequence.start();
  const assigned = [
    sequence.assign('Greet', 'Echo'),
    sequence.assign('Divide', { a: 84, b: 2 }),
    sequence.assign('Divide', { a: 1, b: 0 }),
    sequence.assign('Flaky', null),
    sequence.assign('Greet', 'world'),
  ];
  const settled = Promise.all(
    assigned.map((handle) =>
      handle.result.then(
        (output): HandleOutcome => ({ status: 'done', output }),
        (error: Error): HandleOutcome => ({ status: 'failed', error: { name: error.name, message: error.message } }),
      ),
    ),
  );
  if (clock instanceof ManualClock) await drive(clock);
  const outcomes = await settled;
  await sequence.shutdown({ deadline: 0 });
  forwarding.unsubscribe();
  counting.unsubscribe();

  const handles: Record<string, HandleOutcome> = {};
  const perAction: Record<string, number> = {};
  assigned.forEach((handle, i) => {
    handles[handle.id] = outcomes[i]!;
    perAction[handle.id] = forwarded.filter((result) => result.actionId === handle.id).length;
  });

  for (const result of forwarded) {
    const what = result.status === 'done' ? JSON.stringify(result.output) : `${result.error.name}: ${result.error.message}`;
    log(`result ${result.actionId} ${result.name.padEnd(6)} ${result.status.padEnd(6)} after ${result.attempts} attempt(s): ${what}`);
  }
  log(`${forwarded.length} results forwarded for ${assigned.length} actions; ${notForwarded} attempt-failed/retrying events not forwarded`);
  return { forwarded, handles, perAction, notForwarded };
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
