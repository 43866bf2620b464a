/**
 * Echo's Action statechart in your own XState system, without a Sequence:
 * `actionMachine.provide(echoImplementations({ plan, clock }))` is actor logic that runs
 * one action with Echo's real effects (its function, retry policy and backoff, timeouts,
 * hooks). Here it runs once as a root actor, and once invoked by a user's order machine.
 *
 * Run: `npx tsx examples/composeOwnSystem.ts`
 */
import { pathToFileURL } from 'node:url';
import { assign, createActor, setup, toPromise } from 'xstate';
import { actionMachine, type ActionInput, type ActionOutput } from '../machines/index.js';
import { createPlan, echoImplementations, ManualClock, type Clock } from '../src/index.js';

/** Options of {@link main}. */
export interface ComposeOptions {
  /** A ManualClock is advanced by `main`; another clock runs in real time. @default new ManualClock() */
  readonly clock?: Clock;
  /** @default console.log */
  readonly log?: (line: string) => void;
}

/** What the example saw. */
export interface ComposeSummary {
  /** The root actor's output and the states it went through. */
  readonly standalone: { readonly output: ActionOutput; readonly states: readonly string[] };
  /** The order machine's final state and what its invoked action gave it. */
  readonly order: { readonly state: string; readonly quote: unknown };
}

export async function main(options: ComposeOptions = {}): Promise<ComposeSummary> {
  const log = options.log ?? console.log;
  const clock = options.clock ?? new ManualClock();
  let calls = 0;
  const plan = createPlan({
    Quote: {
      run: async (item: string) => {
        calls++;
        if (calls === 1) throw new Error('pricing service busy');
        return { item, cents: 1200 };
      },
      retry: { attempts: 3, initialDelay: 250, jitter: 'none' },
    },
  });
  const quote = actionMachine.provide(echoImplementations({ plan, clock }));
  const input = (id: string, item: string): ActionInput => ({ id, name: 'Quote', content: item, createdAt: clock.now() });
  const advance = async (): Promise<void> => {
    if (clock instanceof ManualClock) {
      await clock.advance(0);
      await clock.runAll();
    }
  };

  // 1. One action as a root actor: it fails once, waits its backoff on the clock, then succeeds.
  const actor = createActor(quote, { input: input('q-1', 'lamp'), clock });
  const states: string[] = [];
  actor.subscribe((snapshot) => {
    if (states.at(-1) !== snapshot.value) states.push(String(snapshot.value));
  });
  actor.start();
  const done = toPromise(actor);
  await advance();
  const output = (await done) as ActionOutput;
  log(`standalone: ${output.status} ${JSON.stringify(output.output)} after ${actor.getSnapshot().context.attempts.length} attempts (${states.join(' → ')})`);

  // 2. The same logic invoked by a user's machine: its output is the action's `{ status, output, error }`.
  const order = setup({
    types: {} as { context: { quote: unknown } },
    actors: { quote },
  }).createMachine({
    id: 'order',
    context: { quote: null },
    initial: 'pricing',
    states: {
      pricing: {
        invoke: {
          src: 'quote',
          input: () => input('q-2', 'desk'),
          onDone: [
            { guard: ({ event }) => (event.output as ActionOutput).status === 'done', target: 'priced', actions: assign({ quote: ({ event }) => (event.output as ActionOutput).output }) },
            { target: 'unpriced' },
          ],
        },
      },
      priced: { type: 'final' },
      unpriced: { type: 'final' },
    },
  });
  const orderActor = createActor(order, { clock }).start();
  const ordered = toPromise(orderActor);
  await advance();
  await ordered;
  const summary = { state: String(orderActor.getSnapshot().value), quote: orderActor.getSnapshot().context.quote };
  log(`order: ${summary.state} ${JSON.stringify(summary.quote)}`);
  return { standalone: { output, states }, order: summary };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
