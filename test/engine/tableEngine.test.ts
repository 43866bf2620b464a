import { createActor, SimulatedClock } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import { actionMachine } from '../../machines/action.machine.js';
import type { ActionContext, ActionEvent, ActionInput } from '../../machines/actionTypes.js';
import { actionDelays, actionGuards } from '../../machines/actionRules.js';
import { actionRecipes, actionUpdates, copyContext } from '../../machines/actionUpdates.js';
import { ManualClock } from '../../src/clock.js';
import { compileMachine } from '../../src/engine/compileMachine.js';
import { TableActor } from '../../src/engine/TableActor.js';
import { actionEventsFor } from '../support/actionEvents.js';

const recipes = actionRecipes as Record<string, (draft: ActionContext, event: { type: string }) => void>;
const eventsFor = actionEventsFor({ retryDelay: 50, at: (context) => 100 + context.attempts.length });

const inputs: Record<string, ActionInput> = {
  plain: { id: 'a-1', name: 'Read', content: 'x', createdAt: 0 },
  timed: { id: 'a-2', name: 'Write', content: { path: 'p' }, createdAt: 0, startDelay: 25, attemptTimeout: 40, totalTimeout: 500, cancelGrace: 10 },
};

function comparable(snapshot: { value: unknown; status: string; context: unknown; output?: unknown }) {
  return { value: snapshot.value, status: snapshot.status, context: snapshot.context, output: snapshot.output };
}

describe('table engine equals XState on every shortest path of the Action statechart', () => {
  for (const [label, input] of Object.entries(inputs)) {
    const paths = getShortestPaths(actionMachine, {
      input,
      events: eventsFor as never,
      serializeState: (snapshot) => {
        const s = snapshot as unknown as { value: unknown; status: string; context: ActionContext };
        return JSON.stringify([s.value, s.status, s.context.attempts.length, s.context.error?.name ?? null, s.context.cancellation !== null]);
      },
    });

    it(`${label}: covers every state of the machine`, () => {
      const reached = new Set(paths.map((path) => JSON.stringify(path.state.value)));
      for (const state of ['delayed', 'queued', 'hooks', 'running', 'retrying', 'afterHooks', 'cancelling', 'done', 'failed', 'cancelled']) {
        if (label === 'plain' && state === 'delayed') continue;
        expect(reached, `state ${state} reached`).toContain(JSON.stringify(state));
      }
      expect(paths.length).toBeGreaterThan(20);
    });

    it(`${label}: replays all ${paths.length} paths with identical snapshots`, () => {
      const table = compileMachine<ActionContext>(actionMachine, { updates: actionUpdates, guards: actionGuards, delays: actionDelays });
      for (const path of paths) {
        const xs = createActor(actionMachine, { input, clock: new SimulatedClock() });
        const tb = new TableActor(table, { clock: new ManualClock() }, input.id, input);
        xs.start();
        tb.start();
        expect(comparable(tb.getSnapshot())).toEqual(comparable(xs.getSnapshot()));
        for (const step of path.steps) {
          if ((step.event.type as string) === 'xstate.init') continue;
          // A path may go on past a final state; a stopped actor takes no events (XState would warn).
          if (xs.getSnapshot().status !== 'active') {
            expect(tb.getSnapshot().status).toBe(xs.getSnapshot().status);
            break;
          }
          xs.send(step.event as ActionEvent);
          tb.send(step.event);
          expect(comparable(tb.getSnapshot()), `after ${step.event.type}`).toEqual(comparable(xs.getSnapshot()));
        }
        xs.stop();
        tb.stop();
      }
    });

    it(`${label}: with in-place recipes, unobserved steps end where XState ends, and a snapshot once taken never changes`, () => {
      const table = compileMachine<ActionContext>(actionMachine, { updates: actionUpdates, recipes, copy: copyContext, guards: actionGuards, delays: actionDelays });
      for (const path of paths) {
        const xs = createActor(actionMachine, { input, clock: new SimulatedClock() });
        const tb = new TableActor(table, { clock: new ManualClock() }, input.id, input);
        xs.start();
        tb.start();
        const steps = path.steps.filter((step) => (step.event.type as string) !== 'xstate.init');
        // Look at the actor only halfway: the steps before and after run on a context nobody saw.
        const half = Math.floor(steps.length / 2);
        let seen: ReturnType<typeof tb.getSnapshot> | null = null;
        let seenCopy: unknown = null;
        steps.forEach((step, index) => {
          if (index === half) {
            seen = tb.getSnapshot();
            seenCopy = structuredClone(comparable(seen));
          }
          if (xs.getSnapshot().status !== 'active') return; // past a final state: nothing more to send
          xs.send(step.event as ActionEvent);
          tb.send(step.event);
        });
        expect(comparable(tb.getSnapshot()), path.steps.map((step) => step.event.type).join(' → ')).toEqual(comparable(xs.getSnapshot()));
        if (seen !== null) expect(comparable(seen)).toEqual(seenCopy);
        xs.stop();
        tb.stop();
      }
    });
  }
});

describe('compileMachine', () => {
  it('rejects what the table engine cannot run, naming it', async () => {
    const { setup } = await import('xstate');
    const nested = setup({}).createMachine({ id: 'n', initial: 'a', states: { a: { initial: 'b', states: { b: {} } } } });
    expect(() => compileMachine(nested, {})).toThrow(/does not support `initial` in state "a"/);
    const invoking = setup({}).createMachine({ id: 'i', initial: 'a', states: { a: { invoke: { src: 'x' } } } } as never);
    expect(() => compileMachine(invoking, {})).toThrow(/does not support `invoke` in state "a"/);
    const missing = setup({}).createMachine({ id: 'm', initial: 'a', states: { a: { entry: 'nope' as never } } });
    expect(() => compileMachine(missing, {})).toThrow(/Action `nope` used in state "a" entry has no implementation/);
    // An assign the table engine has no update or recipe for would silently diverge from XState.
    expect(() => compileMachine(actionMachine, {})).toThrow(/Action `recordSite` is an assign without a pure update or recipe/);
    expect(() => compileMachine(actionMachine, { recipes: {} })).toThrow(/Recipes need a `copy` function/);
  });
});

describe('pull inspection', () => {
  const table = compileMachine<ActionContext>(actionMachine, { updates: actionUpdates, guards: actionGuards, delays: actionDelays });
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
