/**
 * Which hooks states a chart passes over for an action with no hook there (`hookPassOver`),
 * and that a Sequence on such a chart does so: Echo's own chart passes both, a user's chart
 * passes only the states it kept as Echo's, and an actor of the user's in a hooks slot keeps
 * its state entered.
 */
import { createMachine, fromCallback } from 'xstate';
import { describe, expect, it } from 'vitest';
import { approvalGateMachine } from '../../examples/approvalGate.js';
import { circuitBreakerMachine, createCircuitBreaker } from '../../examples/circuitBreaker.js';
import { actionMachine } from '../../machines/action.machine.js';
import { hookPassOver } from '../../src/engine/actionEngine.js';
import { createPlan, ManualClock, Sequence, type SequenceOptions } from '../../src/index.js';

const base = actionMachine.config as unknown as { states: Record<string, unknown> } & Record<string, unknown>;

/** Echo's chart with its states spread, `states` replacing some: what a user's chart derived from it is. */
function derived(states: Record<string, unknown> = {}) {
  return createMachine({ ...(base as object), id: 'echo.derived', states: { ...base.states, ...states } } as never, actionMachine.implementations as never);
}

/** The state values a handle's listener sees for one `Work` action (delayed, so it sees them all); one waiting for approval gets it. */
async function pathOf(options: Partial<SequenceOptions>, entry: Record<string, unknown> = {}): Promise<string[]> {
  const clock = new ManualClock();
  const sequence = new Sequence({ plan: createPlan({ Work: { run: async () => 'ok', ...entry } }), clock, ...options }).start();
  const handle = sequence.assign('Work', null, { delay: 5 });
  const values: string[] = [];
  handle.subscribe((snapshot) => {
    values.push(String(snapshot.value));
    if (String(snapshot.value) === 'awaitingApproval') queueMicrotask(() => (handle as unknown as { send(event: { type: string }): void }).send({ type: 'APPROVE' }));
  });
  await clock.advance(10);
  expect(await handle.result).toBe('ok');
  await sequence.shutdown({ deadline: 0 });
  return values;
}

describe('passing over hooks states with nothing to run', () => {
  it('Echo’s chart passes both; a derived chart passes the ones it kept; a chart of its own, none', () => {
    expect(hookPassOver(actionMachine)).toEqual({ before: true, after: true });
    expect(hookPassOver(actionMachine.provide({}))).toEqual({ before: true, after: true });
    expect(hookPassOver(derived())).toEqual({ before: true, after: true });
    // The approval gate writes its own `hooks` (its gate follows HOOKS_PASSED); the circuit breaker asks at START and keeps Echo's.
    expect(hookPassOver(approvalGateMachine(500))).toEqual({ before: false, after: true });
    expect(hookPassOver(circuitBreakerMachine(createCircuitBreaker({ clock: new ManualClock() })))).toEqual({ before: true, after: true });
    expect(hookPassOver(derived({ afterHooks: { ...(base.states.afterHooks as object) } }))).toEqual({ before: true, after: false });
    // A success passing `afterHooks` over goes to `done` past `finalizing`: a chart that wrote either of them gets no word.
    expect(hookPassOver(derived({ finalizing: { ...(base.states.finalizing as object) } }))).toEqual({ before: true, after: false });
    expect(hookPassOver(derived({ done: { ...(base.states.done as object) } }))).toEqual({ before: true, after: false });
    expect(hookPassOver(createMachine({ id: 'other', initial: 'queued', states: { queued: {} } }))).toEqual({ before: false, after: false });
  });

  it('an actor of the user’s in a hooks slot keeps its state entered', () => {
    const own = fromCallback(({ sendBack }) => void sendBack({ type: 'HOOKS_PASSED', at: 0 }));
    expect(hookPassOver(actionMachine.provide({ actors: { beforeHooks: own } as never }))).toEqual({ before: false, after: true });
    expect(hookPassOver(actionMachine.provide({ actors: { afterHooks: own } as never }))).toEqual({ before: true, after: false });
  });

  for (const engine of ['table', 'xstate'] as const) {
    it(`a Sequence passes over what its chart allows (${engine} engine)`, async () => {
      expect(await pathOf({ engine })).toEqual(['queued', 'running', 'done']);
      expect(await pathOf({ engine, actionMachine: derived() })).toEqual(['queued', 'running', 'done']);
      // The circuit breaker asks at START and keeps Echo's hooks states; the approval gate enters its own `hooks` (its gate follows HOOKS_PASSED).
      expect(await pathOf({ engine, actionMachine: circuitBreakerMachine(createCircuitBreaker({ clock: new ManualClock() })) })).toEqual(['queued', 'running', 'done']);
      expect(await pathOf({ engine, actionMachine: approvalGateMachine(1_000) })).toEqual(['queued', 'hooks', 'awaitingApproval', 'running', 'done']);
      // A hook to run: its state is entered.
      expect(await pathOf({ engine }, { after: () => {} })).toEqual(['queued', 'running', 'afterHooks', 'done']);
    });

    it(`a plain success passes a user's own \`finalizing\` through, not past (${engine} engine)`, async () => {
      const entered: string[] = [];
      const finalizing = base.states.finalizing as { entry: string };
      const machine = derived({ finalizing: { ...finalizing, entry: [finalizing.entry, 'audit'] } }).provide({ actions: { audit: () => void entered.push('finalizing') } } as never);
      // (No word to pass `afterHooks` over either: the word would take it past `finalizing` too.)
      expect(await pathOf({ engine, actionMachine: machine })).toEqual(['queued', 'running', 'afterHooks', 'done']);
      expect(entered).toEqual(['finalizing']);
      entered.length = 0;
      // On Echo's own, it goes past: nothing there to decide or run.
      await pathOf({ engine, actionMachine: derived() });
      expect(entered).toEqual([]);
    });
  }
});
