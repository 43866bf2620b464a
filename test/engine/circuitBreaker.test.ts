/** The circuit-breaker example: a user's Action machine with shared state per action name, on both engines. */
import { describe, expect, it } from 'vitest';
import { circuitBreakerMachine, createCircuitBreaker, main as circuitBreaker } from '../../examples/circuitBreaker.js';
import { createPlan, ManualClock, Sequence } from '../../src/index.js';
import { actorKey } from '../../inspector/src/state/model.js';
import { followInApp } from '../support/inspectorApp.js';

const EXPECTED_CALLS = ['a-1@0 down', 'a-2@0 down', 'a-3@100 down', 'a-4@1200 down', 'a-5@2300 ok', 'a-6@2400 ok'];

describe('circuit breaker (a user Action machine)', () => {
  for (const engine of ['table', 'xstate'] as const) {
    it(`${engine}: no call while open; a failed probe reopens it, a successful one closes it and wakes the waiting`, async () => {
      const lines: string[] = [];
      const summary = await circuitBreaker({ clock: new ManualClock(), engine, log: (line) => lines.push(line) });
      // a-4..a-6 were assigned at t=300 while open: nobody called the service before the cool-down ended (t=1200).
      expect(summary.calls).toEqual(EXPECTED_CALLS);
      expect(summary.outcomes).toEqual({ 'a-1': 'ExecutionError', 'a-2': 'ExecutionError', 'a-3': 'ExecutionError', 'a-4': 'ExecutionError', 'a-5': 'page', 'a-6': 'page' });
      // Asked at START, before its hooks (it has none: Echo's `hooks` and `afterHooks` are passed over).
      expect(summary.paths['a-4']).toEqual(['open', 'queued', 'running', 'afterHooks', 'failed']);
      // a-6 waited in `open` until the second probe (a-5) succeeded at t=2400, then ran at once.
      expect(summary.paths['a-6']!.filter((state) => state === 'open')).toHaveLength(4);
      expect(summary.paths['a-6']!.slice(-3)).toEqual(['queued', 'running', 'done']);
      expect(lines).toEqual(['after 3 failures the circuit is open', `circuit closed; calls: ${EXPECTED_CALLS.join(', ')}`]);
    });
  }

  it('the breaker counts failures in a row per name: a success closes it, another name is not affected', async () => {
    const clock = new ManualClock();
    const breaker = createCircuitBreaker({ failureThreshold: 2, coolDown: 500, clock });
    breaker.failed('A');
    breaker.succeeded('A');
    breaker.failed('A');
    expect(breaker.state('A')).toBe('closed');
    breaker.failed('A');
    expect(breaker.state('A')).toBe('open');
    expect(breaker.admits('A')).toBe(false);
    expect(breaker.admits('B')).toBe(true);
    expect(breaker.waitFor('A')).toBe(500);
    await clock.advance(500);
    expect(breaker.state('A')).toBe('half-open');
    breaker.admit('A'); // the probe: the others wait its window
    expect(breaker.admits('A')).toBe(false);
    breaker.succeeded('A');
    expect(breaker.state('A')).toBe('closed');
    expect(() => createCircuitBreaker({ failureThreshold: 0, clock })).toThrow(/`failureThreshold` to be an integer >= 1, got 0/);
  });

  it('the inspector shows its actions as actions of its own machine, with its own `open` state', async () => {
    const clock = new ManualClock();
    const breaker = createCircuitBreaker({ failureThreshold: 1, coolDown: 1000, clock });
    const plan = createPlan({ Fetch: { run: async () => Promise.reject(new Error('down')), retry: { attempts: 1 } } });
    const sequence = new Sequence({ plan, clock, sites: 1, actionMachine: circuitBreakerMachine(breaker) }).start();
    const app = followInApp(sequence, clock);
    const first = sequence.assign('Fetch', null);
    await clock.advance(20);
    await expect(first.result).rejects.toMatchObject({ name: 'ExecutionError' });
    const waiting = sequence.assign('Fetch', null);
    await clock.advance(20);
    const machine = app.state.machines[`${sequence.id}|echo.circuitBreaker`];
    expect(machine).toBeDefined();
    expect(JSON.stringify(machine)).toContain('"open"');
    const view = app.state.actors.get(actorKey(sequence.id, `echo:${waiting.id}`));
    expect(view).toMatchObject({ kind: 'action', machineId: 'echo.circuitBreaker', value: 'open', status: 'active' });
    expect(view!.history.map(([value]) => value)).toContain('open');
    waiting.cancel();
    await expect(waiting.result).rejects.toMatchObject({ name: 'CancellationError' });
    app.dispose();
    await sequence.shutdown();
  });
});
