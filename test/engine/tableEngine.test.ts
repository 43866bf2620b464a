import { assign, createActor, fromCallback, SimulatedClock, type AnyStateMachine } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import { actionEffectNames, actionMachine, actionPhaseNames } from '../../machines/action.machine.js';
import type { ActionContext, ActionEvent, ActionInput } from '../../machines/actionTypes.js';
import { ManualClock } from '../../src/clock.js';
import type { ActionEffect } from '../../src/action/actionEffects.js';
import type { ActionPhase } from '../../src/action/actionPhases.js';
import { compileActionTable, provideRuntime } from '../../src/engine/actionEngine.js';
import { compileMachine, UnsupportedMachineError } from '../../src/engine/compileMachine.js';
import { TableActor } from '../../src/engine/TableActor.js';
import { actionEventsFor } from '../support/actionEvents.js';
import { positionalCallback, type InvocationReceiver } from '../../machines/positional.js';

const eventsFor = actionEventsFor({ retryDelay: 50, at: (context) => 100 + context.attempts.length });

const inputs: Record<string, ActionInput> = {
  plain: { id: 'a-1', name: 'Read', content: 'x', createdAt: 0 },
  timed: { id: 'a-2', name: 'Write', content: { path: 'p' }, createdAt: 0, startDelay: 25, attemptTimeout: 40, totalTimeout: 500, cancelGrace: 10 },
};

/** The machines users run: Echo's own, and Echo's with overrides provided (a guard, delays, a context change). */
const variants: Record<string, AnyStateMachine> = {
  'built-in': actionMachine,
  'retryPlanned overridden': actionMachine.provide({ guards: { retryPlanned: () => false } }),
  'delays overridden': actionMachine.provide({ delays: { backoff: 7, cancelGrace: () => 3, attemptTimeout: ({ context }) => context.cancelGrace * 2 } }),
  'an assign overridden': actionMachine.provide({
    actions: { recordHookFailure: assign(({ event }) => ({ error: { version: 1 as const, name: 'Overridden', message: String((event as { type: string }).type) } })) },
  }),
};

type Call = readonly [effect: string, event: string, context: string];

/**
 * Effects that record each call (which, on which event, with which context) per actor, and
 * phases that record each invocation's start (with the context) and stop; they do nothing else.
 */
function recordingEffects(): { effects: Record<string, ActionEffect>; phases: Record<string, ActionPhase>; callsOf: (actor: object) => Call[] } {
  const calls = new WeakMap<object, Call[]>();
  const callsOf = (actor: object): Call[] => {
    let list = calls.get(actor);
    if (list === undefined) calls.set(actor, (list = []));
    return list;
  };
  const effects: Record<string, ActionEffect> = {};
  for (const name of actionEffectNames) effects[name] = (context, event, self) => void callsOf(self as object).push([name, event.type, JSON.stringify(context)]);
  const phases: Record<string, ActionPhase> = {};
  for (const name of actionPhaseNames) {
    phases[name] = (context, parent) => {
      callsOf(parent as object).push([`invoke ${name}`, 'started', JSON.stringify(context)]);
      return { end: () => void callsOf(parent as object).push([`invoke ${name}`, 'stopped', '']) };
    };
  }
  return { effects, phases, callsOf };
}

function comparable(snapshot: { value: unknown; status: string; context: unknown; output?: unknown }) {
  return { value: snapshot.value, status: snapshot.status, context: snapshot.context, output: snapshot.output };
}

const serializeState = (snapshot: unknown): string => {
  const s = snapshot as { value: unknown; status: string; context: ActionContext };
  return JSON.stringify([s.value, s.status, s.context.attempts.length, s.context.error?.name ?? null, s.context.cancellation !== null]);
};

function pathsOf(machine: AnyStateMachine, input: ActionInput) {
  const options = { input, events: eventsFor as never, serializeState };
  const shortest = getShortestPaths(machine, options);
  // Simple paths (no state twice), bounded: every way through the chart up to that many, not only the shortest.
  const simple = getSimplePaths(machine, { ...options, limit: 2_000 } as never);
  return { shortest, simple };
}

describe('the table engine as createTableEngine builds it equals createActor, on every graph path', () => {
  for (const [variant, machine] of Object.entries(variants)) {
    for (const [label, input] of Object.entries(inputs)) {
      const { shortest, simple } = pathsOf(machine, input);

      it(`${variant}, ${label}: the shortest paths reach every state of the machine`, () => {
        const reached = new Set(shortest.map((path) => JSON.stringify(path.state.value)));
        const expected = ['queued', 'hooks', 'running', 'afterHooks', 'cancelling', 'done', 'failed', 'cancelled'];
        if (variant !== 'retryPlanned overridden') expected.push('retrying');
        if (label === 'timed') expected.push('delayed');
        for (const state of expected) expect(reached, `state ${state} reached`).toContain(JSON.stringify(state));
        expect(simple.length).toBeGreaterThan(shortest.length);
      });

      it(`${variant}, ${label}: ${shortest.length} shortest and ${simple.length} simple paths give identical snapshots after every step, and identical effect calls`, () => {
        const { effects, phases, callsOf } = recordingEffects();
        const table = compileActionTable(machine, effects, phases);
        const provided = provideRuntime(machine, effects, phases);
        for (const path of [...shortest, ...simple]) {
          const xs = createActor(provided, { input, clock: new SimulatedClock() });
          const tb = new TableActor(table, { clock: new ManualClock() }, input.id, input);
          xs.start();
          tb.start();
          const trace: string[] = ['start'];
          expect(comparable(tb.getSnapshot()), trace.join(' → ')).toEqual(comparable(xs.getSnapshot()));
          for (const step of path.steps) {
            if ((step.event.type as string) === 'xstate.init') continue;
            // A path of the graph may go on past a final state where its serialization merged two snapshots.
            if (xs.getSnapshot().status !== 'active') {
              expect(tb.getSnapshot().status).toBe(xs.getSnapshot().status);
              break;
            }
            trace.push(step.event.type);
            xs.send(step.event as ActionEvent);
            tb.send(step.event);
            expect(comparable(tb.getSnapshot()), trace.join(' → ')).toEqual(comparable(xs.getSnapshot()));
          }
          expect(callsOf(tb), trace.join(' → ')).toEqual(callsOf(xs));
          if (xs.getSnapshot().status === 'done') {
            // A done actor has stopped every invocation it started, once each.
            const count = (kind: string) => callsOf(tb).filter(([name, what]) => name.startsWith('invoke') && what === kind).length;
            expect(count('stopped'), trace.join(' → ')).toBe(count('started'));
          }
          xs.stop();
          tb.stop();
        }
      });

      it(`${variant}, ${label}: every path that ends passes finalizing once on both engines, and owed after-hooks are asked for on abrupt ends`, () => {
        const { effects, phases, callsOf } = recordingEffects();
        const table = compileActionTable(machine, effects, phases);
        const provided = provideRuntime(machine, effects, phases);
        const ends = new Map<string, number>();
        let abruptAfterHooks = 0;
        for (const path of [...shortest, ...simple]) {
          const xs = createActor(provided, { input, clock: new SimulatedClock() }).start();
          const tb = new TableActor(table, { clock: new ManualClock() }, input.id, input).start();
          const sent: string[] = [];
          for (const step of path.steps) {
            if ((step.event.type as string) === 'xstate.init' || xs.getSnapshot().status !== 'active') continue;
            sent.push(step.event.type);
            xs.send(step.event as ActionEvent);
            tb.send(step.event);
          }
          const finalizing = (calls: Call[]) => calls.filter(([name]) => name === 'runOwedAfterHooks').length;
          if (xs.getSnapshot().status === 'done') {
            expect(finalizing(callsOf(xs)), sent.join(' → ')).toBe(1);
            expect(finalizing(callsOf(tb)), sent.join(' → ')).toBe(1);
            const end = String(xs.getSnapshot().value);
            ends.set(end, (ends.get(end) ?? 0) + 1);
            // An abrupt end after the hooks began (not through afterHooks): the effect is what runs the owed hooks.
            if (sent.includes('START') && !sent.includes('AFTER_HOOKS_PASSED') && !callsOf(xs).some(([name]) => name === 'invoke afterHooks')) abruptAfterHooks++;
          } else {
            expect(finalizing(callsOf(xs)), sent.join(' → ')).toBe(0);
            expect(finalizing(callsOf(tb)), sent.join(' → ')).toBe(0);
          }
          expect(tb.getSnapshot().value, 'finalizing is left in the step that entered it').not.toBe('finalizing');
          xs.stop();
          tb.stop();
        }
        expect([...ends.keys()].sort()).toEqual(['cancelled', 'done', 'failed']);
        expect(abruptAfterHooks).toBeGreaterThan(0);
      });

      it(`${variant}, ${label}: unobserved steps (recipes in place) end where XState ends, and a snapshot once taken never changes`, () => {
        const { effects, phases } = recordingEffects();
        const table = compileActionTable(machine, {});
        const provided = provideRuntime(machine, effects, phases);
        for (const path of shortest) {
          const xs = createActor(provided, { input, clock: new SimulatedClock() });
          const tb = new TableActor(table, { clock: new ManualClock() }, input.id, input);
          xs.start();
          tb.start();
          const steps = path.steps.filter((step) => (step.event.type as string) !== 'xstate.init');
          // Look at the actor only halfway: the steps before and after run on a context nobody saw.
          const half = Math.floor(steps.length / 2);
          let seen: ReturnType<typeof tb.getSnapshot> | null = null;
          let seenCopy: unknown = null;
          steps.forEach((step, index) => {
            if (xs.getSnapshot().status !== 'active') return;
            if (index === half) {
              seen = tb.getSnapshot();
              seenCopy = structuredClone(comparable(seen));
            }
            xs.send(step.event as ActionEvent);
            tb.send(step.event);
          });
          expect(comparable(tb.getSnapshot()), steps.map((step) => step.event.type).join(' → ')).toEqual(comparable(xs.getSnapshot()));
          if (seen !== null) expect(comparable(seen)).toEqual(seenCopy);
          xs.stop();
          tb.stop();
        }
      });
    }
  }
});

describe('provided overrides behave the same on both engines', () => {
  const input: ActionInput = { id: 'o-1', name: 'Read', content: 'x', createdAt: 0, cancelGrace: 1000 };
  const error = { version: 1 as const, name: 'Error', message: 'boom' };
  const failOnce: ActionEvent[] = [
    { type: 'START', site: 's', at: 1 },
    { type: 'HOOKS_PASSED', at: 2 },
    { type: 'ATTEMPT_FAILED', error, retryDelay: 50, at: 3 },
  ];

  /** Runs `events` on both engines with their clocks, advances both by `ms`, and returns both state values. */
  async function both(machine: AnyStateMachine, events: ActionEvent[], ms: number): Promise<[unknown, unknown]> {
    const { effects, phases } = recordingEffects();
    const simulated = new SimulatedClock();
    const xs = createActor(provideRuntime(machine, effects, phases), { input, clock: simulated });
    const manual = new ManualClock();
    const tb = new TableActor(compileActionTable(machine, effects, phases), { clock: manual }, input.id, input);
    xs.start();
    tb.start();
    for (const event of events) {
      xs.send(event);
      tb.send(event);
    }
    simulated.increment(ms);
    await manual.advance(ms);
    return [tb.getSnapshot().value, xs.getSnapshot().value];
  }

  it('a guard: retryPlanned () => false ends in afterHooks on both (the table engine went to retrying before)', async () => {
    const machine = actionMachine.provide({ guards: { retryPlanned: () => false } });
    expect(await both(machine, failOnce, 0)).toEqual(['afterHooks', 'afterHooks']);
    expect(await both(actionMachine, failOnce, 0)).toEqual(['retrying', 'retrying']);
  });

  it('a delay: a shorter backoff queues the retry at the same time on both', async () => {
    expect(await both(actionMachine, failOnce, 5)).toEqual(['retrying', 'retrying']);
    const machine = actionMachine.provide({ delays: { backoff: () => 5 } });
    expect(await both(machine, failOnce, 5)).toEqual(['queued', 'queued']);
  });

  it('an action: an overridden effect slot is called on both', async () => {
    const called: string[] = [];
    const machine = actionMachine.provide({ actions: { recordSite: ({ event }) => void called.push(event.type) } });
    const values = await both(machine, failOnce.slice(0, 1), 0);
    expect(values).toEqual(['hooks', 'hooks']);
    expect(called).toEqual(['START', 'START']);
  });
});

describe('invocations: started after the step that entered the state, stopped after the one that left it, late answers dropped', () => {
  const input: ActionInput = { id: 'l-1', name: 'Read', content: 'x', createdAt: 0, cancelGrace: 1000 };

  /** Both engines with phases that hold each invocation's receiver (by phase name, latest last) and record starts and stops. */
  function both() {
    const receivers = new Map<object, Record<string, InvocationReceiver<ActionEvent>[]>>();
    const log = new Map<object, string[]>();
    const phases: Record<string, ActionPhase> = {};
    for (const name of actionPhaseNames) {
      phases[name] = (_context, parent, scope) => {
        const own = receivers.get(parent as object) ?? {};
        receivers.set(parent as object, own);
        (own[name] ??= []).push(scope.hold());
        const lines = log.get(parent as object) ?? [];
        log.set(parent as object, lines);
        lines.push(`start ${name}`);
        return { end: () => void lines.push(`stop ${name}`) };
      };
    }
    const xs = createActor(provideRuntime(actionMachine, {}, phases), { input, clock: new SimulatedClock() }).start();
    const tb = new TableActor(compileActionTable(actionMachine, {}, phases), { clock: new ManualClock() }, input.id, input).start();
    return [xs, tb].map((actor) => ({
      actor: actor as unknown as { send(event: ActionEvent): void; getSnapshot(): { value: unknown; status: string } },
      /** The receiver of the `index`-th invocation of `name` (-1: the latest). */
      receiver: (name: string, index = -1) => receivers.get(actor)![name]!.at(index)!,
      log: () => log.get(actor) ?? [],
    }));
  }

  it('a late answer after CANCEL is dropped on both engines; the attempt that stops answers through attemptStopping', () => {
    for (const engine of both()) {
      engine.actor.send({ type: 'START', site: 's', at: 1 });
      engine.receiver('beforeHooks').send({ type: 'HOOKS_PASSED', at: 2 });
      expect(engine.actor.getSnapshot().value).toBe('running');
      // The before-hooks' invocation stopped when `hooks` was left: its late answer is dropped.
      engine.receiver('beforeHooks').send({ type: 'HOOK_FAILED', error: { version: 1, name: 'HookError', message: 'late' }, at: 3 });
      expect(engine.actor.getSnapshot().value).toBe('running');
      engine.actor.send({ type: 'CANCEL', reason: 'user', message: 'stop', at: 4 });
      expect(engine.actor.getSnapshot().value).toBe('cancelling');
      engine.receiver('attempt').send({ type: 'ATTEMPT_SUCCEEDED', output: 'late', at: 5 });
      expect(engine.actor.getSnapshot().value).toBe('cancelling');
      engine.receiver('attemptStopping').send({ type: 'ATTEMPT_FAILED', error: { version: 1, name: 'AbortError', message: 'stopped' }, retryDelay: null, at: 6 });
      expect(engine.actor.getSnapshot()).toMatchObject({ value: 'cancelled', status: 'done' });
      expect(engine.log()).toEqual(['start beforeHooks', 'stop beforeHooks', 'start attempt', 'stop attempt', 'start attemptStopping', 'stop attemptStopping']);
    }
  });

  it('a retry invokes a new attempt; the abandoned one cannot answer for it', () => {
    for (const engine of both()) {
      engine.actor.send({ type: 'START', site: 's', at: 1 });
      engine.receiver('beforeHooks').send({ type: 'HOOKS_PASSED', at: 2 });
      engine.actor.send({ type: 'ATTEMPT_FAILED', error: { version: 1, name: 'Error', message: 'once' }, retryDelay: 50, at: 3 });
      engine.actor.send({ type: 'RETRY_NOW', at: 4 });
      engine.actor.send({ type: 'START', site: 's', at: 5 });
      engine.receiver('beforeHooks').send({ type: 'HOOKS_PASSED', at: 6 });
      expect(engine.actor.getSnapshot().value).toBe('running');
      engine.receiver('attempt', 0).send({ type: 'ATTEMPT_SUCCEEDED', output: 'first, late', at: 7 });
      expect(engine.actor.getSnapshot().value).toBe('running');
      engine.receiver('attempt').send({ type: 'ATTEMPT_SUCCEEDED', output: 'second', at: 8 });
      expect(engine.actor.getSnapshot().value).toBe('afterHooks');
      engine.receiver('afterHooks').send({ type: 'AFTER_HOOKS_PASSED', at: 9 });
      expect(engine.actor.getSnapshot()).toMatchObject({ value: 'done', status: 'done' });
    }
  });

  it('an answer sent while the invocation starts waits for the step to end, as XState', () => {
    const phases: Record<string, ActionPhase> = { beforeHooks: (_context, _parent, scope) => scope.answer({ type: 'HOOKS_PASSED', at: 2 }) };
    const xs = createActor(provideRuntime(actionMachine, {}, phases), { input, clock: new SimulatedClock() }).start();
    const tb = new TableActor(compileActionTable(actionMachine, {}, phases), { clock: new ManualClock() }, input.id, input).start();
    const seen: unknown[][] = [[], []];
    xs.subscribe((snapshot) => seen[0]!.push(snapshot.value));
    tb.subscribe((snapshot) => seen[1]!.push(snapshot.value));
    const start: ActionEvent = { type: 'START', site: 's', at: 1 };
    xs.send(start);
    tb.send(start);
    expect(seen).toEqual([
      ['hooks', 'running'],
      ['hooks', 'running'],
    ]);
  });

  it('an invoked logic without a positional start runs on XState only; with one, the table engine runs it', () => {
    const plain = actionMachine.provide({ actors: { attempt: fromCallback(() => {}) } });
    expect(() => compileActionTable(plain, {})).toThrow(/does not support `invoke` of actor `attempt` without a positional start/);
    const fast = actionMachine.provide({ actors: { attempt: positionalCallback(() => {}) } });
    expect(compileActionTable(fast, {}).states.find((state) => state.key === 'running')!.invoke.map((invocation) => invocation.src)).toEqual(['attempt']);
  });
});

describe('compileMachine', () => {
  it('rejects what the table engine cannot run, naming it, with an UnsupportedMachineError', async () => {
    const { setup, raise } = await import('xstate');
    const parallel = setup({}).createMachine({ id: 'p', type: 'parallel', states: { a: {}, b: {} } });
    expect(() => compileMachine(parallel)).toThrow(/does not support `type` on the root/);
    const invoking = setup({ actors: { x: fromCallback(() => {}) } }).createMachine({ id: 'i', initial: 'a', states: { a: { invoke: { src: 'x' } } } });
    expect(() => compileMachine(invoking)).toThrow(UnsupportedMachineError);
    expect(() => compileMachine(invoking)).toThrow(/does not support `invoke` of actor `x` without a positional start \(in state "a"/);
    const withInput = setup({ actors: { x: positionalCallback(() => {}) } }).createMachine({ id: 'w', initial: 'a', states: { a: { invoke: { src: 'x', input: 1 } } } });
    expect(() => compileMachine(withInput)).toThrow(/does not support `input` on an invoke \(in state "a"\)/);
    const onRoot = setup({ actors: { x: positionalCallback(() => {}) } }).createMachine({ id: 'o', invoke: { src: 'x' } });
    expect(() => compileMachine(onRoot)).toThrow(/does not support `invoke` on the root/);
    const history = setup({}).createMachine({ id: 'h', initial: 'a', states: { a: { initial: 'x', states: { x: {}, h: { type: 'history' } } } } });
    expect(() => compileMachine(history)).toThrow(/does not support history states \(state "a.h"\)/);
    const raising = setup({}).createMachine({ id: 'r', initial: 'a', states: { a: { entry: raise({ type: 'GO' }) } } });
    expect(() => compileMachine(raising)).toThrow(/does not support the built-in action `xstate.raise`/);
    const missing = setup({}).createMachine({ id: 'm', initial: 'a', states: { a: { entry: 'nope' as never } } });
    expect(() => compileMachine(missing)).toThrow(/Action `nope` used in state "a" entry has no implementation/);
  });
});

describe('pull inspection', () => {
  const table = compileActionTable(actionMachine, {});
  const input: ActionInput = { id: 'a-9', name: 'Read', content: 'x', createdAt: 0 };
  const events: ActionEvent[] = [
    { type: 'START', site: 's', at: 1 },
    { type: 'HOOKS_PASSED', at: 2 },
    { type: 'ATTEMPT_SUCCEEDED', output: 'ok', at: 3 },
  ];

  it('pulls once per read and keeps the trail in between', () => {
    const pulls: string[] = [];
    const clock = new ManualClock(5);
    const actor = new TableActor(table, { clock, inspect: { enabled: false, emitTable: () => undefined, pull: (a) => void pulls.push(a.id) } }, input.id, input);
    actor.start();
    for (const event of events) actor.send(event);
    expect(pulls).toEqual(['a-9']);
    expect(actor.takeTrail().map(([value, , event]) => [value, event])).toEqual([
      ['queued', 'xstate.init'],
      ['hooks', 'START'],
      ['running', 'HOOKS_PASSED'],
      ['afterHooks', 'ATTEMPT_SUCCEEDED'],
    ]);
    actor.send({ type: 'AFTER_HOOKS_PASSED', at: 4 } as ActionEvent);
    expect(pulls).toEqual(['a-9', 'a-9']);
  });

  it('a declined actor keeps no trail and pulls no more until it is read', () => {
    let pulls = 0;
    const actor = new TableActor(table, { clock: new ManualClock(), inspect: { enabled: false, emitTable: () => undefined, pull: () => (pulls++, false) } }, input.id, input);
    actor.start();
    for (const event of events) actor.send(event);
    expect(pulls).toBe(1);
    expect(actor.takeTrail()).toEqual([]);
    actor.send({ type: 'AFTER_HOOKS_PASSED', at: 4 } as ActionEvent);
    expect(pulls).toBe(2);
    expect(actor.getSnapshot().value).toBe('done');
  });
});
