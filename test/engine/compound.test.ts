import { assign, createActor, setup, SimulatedClock } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { compileMachine } from '../../src/engine/compileMachine.js';
import { TableActor } from '../../src/engine/TableActor.js';

type Ctx = { log: string[]; n: number };
type Ev = { type: 'GO' } | { type: 'NEXT' } | { type: 'BACK' } | { type: 'FINISH' } | { type: 'RESET' };

/** Effects record into the context, so a wrong order or a missed exit shows in the snapshot. */
const note = (what: string): never => assign(({ context, event }: { context: Ctx; event: { type: string } }) => ({ log: [...context.log, `${what}@${event.type}`] })) as never;

const nested = setup({
  types: {} as { context: Ctx; events: Ev },
  guards: { small: ({ context }) => context.n < 2 },
  delays: { soon: ({ context }) => 10 + context.n },
}).createMachine({
  id: 'nested',
  context: () => ({ log: [], n: 0 }),
  initial: 'idle',
  entry: note('root-entry'),
  on: { RESET: { target: '.idle', actions: note('reset') } },
  states: {
    idle: { entry: note('idle-entry'), exit: note('idle-exit'), on: { GO: 'work' } },
    work: {
      initial: 'one',
      entry: note('work-entry'),
      exit: note('work-exit'),
      after: { 100: { target: 'idle', actions: note('work-timeout') } },
      on: { BACK: { target: '#nested.idle' }, NEXT: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
      onDone: { target: 'finished', actions: note('work-done') },
      states: {
        one: {
          entry: note('one-entry'),
          exit: note('one-exit'),
          on: { NEXT: [{ guard: 'small', target: 'two', actions: assign({ n: ({ context }) => context.n + 1 }) }] },
        },
        two: {
          id: 'second',
          initial: 'a',
          entry: note('two-entry'),
          exit: note('two-exit'),
          states: {
            a: { after: { soon: 'b' }, on: { NEXT: 'b' } },
            b: { on: { FINISH: '#nested.work.end' } },
          },
          on: { BACK: '.a' },
        },
        end: { type: 'final', entry: note('end-entry') },
      },
    },
    finished: { always: { guard: 'small', target: 'idle', actions: note('always-back') }, on: { FINISH: 'over' } },
    over: { type: 'final' },
  },
});

const events: Ev[] = [{ type: 'GO' }, { type: 'NEXT' }, { type: 'BACK' }, { type: 'FINISH' }, { type: 'RESET' }];
const delayed = ['xstate.after.100.nested.work', 'xstate.after.soon.second.a'];

describe('compound states: the table engine equals createActor', () => {
  it('compiles the nested machine (no fallback needed)', () => {
    expect(() => compileMachine(nested)).not.toThrow();
  });

  it('replays every shortest path with identical snapshots after every step', () => {
    const all = [...events, ...delayed.map((type) => ({ type }))] as Ev[];
    const options = { events: all, serializeState: (s: unknown) => JSON.stringify([(s as { value: unknown }).value, Math.min((s as { context: Ctx }).context.n, 3)]) };
    const paths = getShortestPaths(nested, options);
    expect(paths.length).toBeGreaterThan(5);
    const values = new Set(paths.map((path) => JSON.stringify(path.state.value)));
    expect(values).toContain(JSON.stringify({ work: { two: 'b' } }));
    expect(values).toContain(JSON.stringify('over'));
    const table = compileMachine<Ctx>(nested);
    for (const path of paths) {
      const xs = createActor(nested, { clock: new SimulatedClock() }).start();
      const tb = new TableActor(table, { clock: new ManualClock() }, 't').start();
      const trace = ['start'];
      const same = () => expect({ ...tb.getSnapshot(), trace }, trace.join(' → ')).toMatchObject({ value: xs.getSnapshot().value, status: xs.getSnapshot().status, context: xs.getSnapshot().context });
      same();
      for (const step of path.steps) {
        if ((step.event.type as string) === 'xstate.init' || xs.getSnapshot().status !== 'active') continue;
        trace.push(step.event.type);
        xs.send(step.event);
        tb.send(step.event);
        same();
      }
      xs.stop();
      tb.stop();
    }
  });

  it('timers of nested states fire and are cancelled on exit like XState', async () => {
    const simulated = new SimulatedClock();
    const manual = new ManualClock();
    const xs = createActor(nested, { clock: simulated }).start();
    const tb = new TableActor(compileMachine<Ctx>(nested), { clock: manual }, 't').start();
    for (const event of [{ type: 'GO' }, { type: 'NEXT' }] as Ev[]) {
      xs.send(event);
      tb.send(event);
    }
    simulated.increment(11);
    await manual.advance(11);
    expect(tb.getSnapshot().value).toEqual({ work: { two: 'b' } });
    expect(tb.getSnapshot().value).toEqual(xs.getSnapshot().value);
    simulated.increment(100);
    await manual.advance(100);
    expect(tb.getSnapshot().value).toBe('idle');
    expect(tb.getSnapshot().context).toEqual(xs.getSnapshot().context);
    expect(tb.getSnapshot().matches('idle')).toBe(true);
  });
});
