/**
 * Model-based: every shortest path of the Action statechart (`xstate/graph`) is
 * replayed against the real runtime — a Sequence on a ManualClock, with a
 * scripted function, scripted hooks, a License and the handle's controls — on
 * both engines. Each event of a path is caused the way an application would
 * cause it, and after each step the action's state and attempt count must be
 * the path's.
 */
import { getShortestPaths } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import { actionMachine } from '../../machines/action.machine.js';
import type { ActionContext, ActionEvent, ActionInput } from '../../machines/actionTypes.js';
import { createPlan, License, ManualClock, Sequence, type ActionHandle } from '../../src/index.js';
import { actionEventsFor } from '../support/actionEvents.js';

const DELAY = 25;
const ATTEMPT_TIMEOUT = 40;
const BACKOFF = 50;
const GRACE = 10;
const TOTAL = 10_000;

const eventsFor = actionEventsFor({ retryDelay: BACKOFF });

const base: ActionInput = { id: 'a-1', name: 'Step', content: null, createdAt: 0, attemptTimeout: ATTEMPT_TIMEOUT, totalTimeout: TOTAL, cancelGrace: GRACE };
// xstate/graph walks on past a final state (its pure transition does not stop there); a real actor
// ignores events once done, so such paths are not behaviour and are left out.
const pathsFor = (startDelay: number) =>
  getShortestPaths(actionMachine, {
    input: { ...base, startDelay },
    events: eventsFor as never,
    serializeState: (snapshot) => {
      const s = snapshot as unknown as { value: unknown; context: ActionContext };
      return JSON.stringify([s.value, s.context.attempts.length, s.context.error?.name ?? null, s.context.cancellation !== null]);
    },
  }).filter((path) => path.steps.slice(0, -1).every((step) => step.state.status === 'active'));
const pathSets = { delayed: pathsFor(DELAY), immediate: pathsFor(0) };
type Path = ReturnType<typeof pathsFor>[number];

interface Gate {
  resolve(value?: unknown): void;
  reject(error: unknown): void;
}
function gate(list: Gate[]): Promise<unknown> {
  return new Promise((resolve, reject) => list.push({ resolve, reject }));
}

/** The timer a delayed event needs, and whether the path's other timers are used. */
const TIMER_OF: Record<string, string> = {
  'xstate.after.startDelay.echo.action.delayed': 'startDelay',
  'xstate.after.backoff.echo.action.retrying': 'backoff',
  'xstate.after.attemptTimeout.echo.action.running': 'attemptTimeout',
  'xstate.after.cancelGrace.echo.action.cancelling': 'cancelGrace',
  'xstate.after.totalTimeout.echo.action': 'totalTimeout',
};
const STATE_TIMER: Record<string, string> = { delayed: 'startDelay', running: 'attemptTimeout', retrying: 'backoff', cancelling: 'cancelGrace' };

async function replay(engine: 'table' | 'xstate', path: Path, delayed: boolean): Promise<'replayed' | 'skipped'> {
  const events = path.steps.map((step) => step.event.type as string).filter((type) => type !== 'xstate.init');
  const timers = new Set(events.map((type) => TIMER_OF[type]).filter(Boolean));
  const clock = new ManualClock();
  const gates = { before: [] as Gate[], attempt: [] as Gate[], after: [] as Gate[] };
  let crash = false;
  const plan = createPlan({
    Step: {
      // The function and hooks settle only when the path says so (they ignore their signal, so `cancelling` lasts).
      run: () => gate(gates.attempt),
      before: { name: 'gate', run: () => gate(gates.before).then(() => undefined) },
      after: { name: 'gate', run: () => gate(gates.after).then(() => undefined) },
      retry: { attempts: 3, initialDelay: BACKOFF, factor: 1, jitter: 'none' },
      timeout: { ...(timers.has('attemptTimeout') && { attempt: ATTEMPT_TIMEOUT }), ...(timers.has('totalTimeout') && { total: TOTAL }) },
      cancelGrace: timers.has('cancelGrace') ? GRACE : 1e9,
    },
  });
  const license = new License('model');
  const sequence = new Sequence({
    plan, clock, engine, sites: [{ behavior: () => { if (crash) throw new Error('crash'); }, restartDelay: 1e9 }], concurrency: 1, maxSiteCrashes: 1,
  });
  sequence.start();
  sequence.pause();
  const handle: ActionHandle = sequence.assign('Step', null, { license, ...(delayed && { delay: DELAY }) });
  handle.result.catch(() => {});
  await clock.advance(0);
  const at = { attemptStart: 0, failedAt: 0, cancelledAt: 0 };
  for (const step of path.steps) {
    const type = step.event.type as string;
    if (type === 'xstate.init') {
      expect(handle.getSnapshot().value).toBe(step.state.value);
      continue;
    }
    const state = handle.getSnapshot().value;
    const event = step.event as ActionEvent;
    switch (type) {
      case 'START':
      case 'REJECT':
        crash = type === 'REJECT';
        sequence.resume();
        await clock.advance(0);
        sequence.pause();
        break;
      case 'CANCEL':
        at.cancelledAt = clock.now();
        handle.cancel('user', 'stop');
        break;
      case 'LICENSE_REVOKED':
        license.revoke('model');
        break;
      case 'RETRY_NOW':
        handle.retryNow();
        break;
      case 'HOOKS_PASSED':
        gates.before.shift()!.resolve();
        break;
      case 'HOOK_FAILED':
        (state === 'hooks' ? gates.before : gates.after).shift()!.reject(new Error('hook says no'));
        break;
      case 'AFTER_HOOKS_PASSED':
        gates.after.shift()!.resolve();
        break;
      case 'ATTEMPT_SUCCEEDED':
        gates.attempt.shift()!.resolve('ok');
        break;
      case 'ATTEMPT_FAILED': {
        const retry = (event as Extract<ActionEvent, { type: 'ATTEMPT_FAILED' }>).retryDelay !== null;
        at.failedAt = clock.now();
        gates.attempt.shift()!.reject(retry ? new Error('try again') : Object.assign(new Error('final'), { retryable: false }));
        break;
      }
      default: {
        const timer = TIMER_OF[type]!;
        // Advancing to this timer must not fire another one first (the state's own, before the total timeout).
        if (timer === 'totalTimeout' && STATE_TIMER[state] !== undefined && timers.has(STATE_TIMER[state]!)) return 'skipped';
        const due = clock.nextDue();
        if (due === undefined) throw new Error(`no timer armed for ${type} in ${state}`);
        await clock.advance(timer === 'totalTimeout' ? TOTAL - clock.now() : due - clock.now());
      }
    }
    if (handle.getSnapshot().value === 'running' && state !== 'running') at.attemptStart = clock.now();
    await clock.advance(0);
    const snapshot = handle.getSnapshot();
    expect(snapshot.value, `${events.join(' → ')}: after ${type}`).toBe(step.state.value);
    expect(snapshot.context.attempts.length, `attempts after ${type}`).toBe((step.state.context as ActionContext).attempts.length);
  }
  expect(handle.settled).toBe(['done', 'failed', 'cancelled'].includes(String(path.state.value)));
  return 'replayed';
}

describe.each(['table', 'xstate'] as const)('every shortest path through the real runtime (%s engine)', (engine) => {
  for (const [label, paths] of Object.entries(pathSets)) {
    it(`${label} start: replays the ${paths.length} shortest paths`, async () => {
      const outcomes = { replayed: 0, skipped: 0 };
      for (const path of paths) outcomes[await replay(engine, path, label === 'delayed')]++;
      expect(outcomes).toEqual({ replayed: paths.length, skipped: 0 });
      const states = ['queued', 'hooks', 'running', 'retrying', 'afterHooks', 'cancelling', 'done', 'failed', 'cancelled'];
      expect(new Set(paths.map((p) => String(p.state.value)))).toEqual(new Set(label === 'delayed' ? ['delayed', ...states] : states));
    });
  }
});
