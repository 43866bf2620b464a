import { describe, expect, test } from 'vitest';
import type { ServerMessage, WireActor } from '../../src/inspect/protocol.js';
import { progressFraction } from '../../inspector/src/state/derive.js';
import { actionContext, actionIdOf, initialState, reduce } from '../../inspector/src/state/model.js';
import { causeChain, MAX_STACK_LINES, stackLines } from '../../inspector/src/ui/Detail.js';
import { tickLabel, timeTicks } from '../../inspector/src/ui/Timeline.js';
import { lifeSteps } from '../../inspector/src/state/lifeline.js';

const stats = { actors: 0, finished: 0, droppedActors: 0, droppedEvents: 0 };
const action = (sessionId: string, id: string): WireActor => ({ sessionId, id: sessionId, parentId: null, machineId: 'echo.action', kind: 'action', value: 'running', status: 'active', context: { id, name: 'job' }, createdAt: 0, updatedAt: 0 });

describe('app views', () => {
  test('event rows carry the Action id, and the log stays in time order when older events arrive late', () => {
    const messages: ServerMessage[] = [
      { type: 'full', source: 's', at: 0, actors: [action('x1', 'a-1'), action('x2', 'a-2')], stats },
      { type: 'delta', source: 's', at: 30, stats, ops: [{ op: 'event', sessionId: 'x1', from: null, event: { type: 'C' }, at: 30 }] },
      { type: 'delta', source: 's', at: 10, stats, ops: [{ op: 'event', sessionId: 'x2', from: null, event: { type: 'A' }, at: 10 }, { op: 'event', sessionId: 'x1', from: null, event: { type: 'B' }, at: 20 }] },
      { type: 'delta', source: 's', at: 40, stats, ops: [{ op: 'event', sessionId: 'gone', from: null, event: { type: 'D' }, at: 40 }] },
    ];
    const state = reduce(initialState(), { type: 'receive', messages, receivedAt: 100 });
    expect(state.log.map((entry) => [entry.type, entry.actionId])).toEqual([['A', 'a-2'], ['B', 'a-1'], ['C', 'a-1'], ['D', 'gone']]);
    expect(actionIdOf(action('x3', 'a-3'))).toBe('a-3');
    expect(actionContext({ ...action('x4', 'a-4'), context: 'text' })).toEqual({});
  });

  test('errors show their stack beside the cause chain, without the repeated header, cut to a bound', () => {
    const frames = Array.from({ length: 30 }, (_, i) => `    at step${i} (file.js:${i}:1)`);
    const error = { name: 'FetchError', message: 'socket hang up', stack: ['FetchError: socket hang up', ...frames].join('\n'), cause: { name: 'Error', message: 'ECONNRESET' } };
    const chain = causeChain(error);
    expect(chain.map((link) => [link.name, link.message, link.stack !== null])).toEqual([['FetchError', 'socket hang up', true], ['Error', 'ECONNRESET', false]]);
    const { lines, more } = stackLines(chain[0]!.stack!, 'FetchError', 'socket hang up');
    expect(lines).toHaveLength(MAX_STACK_LINES);
    expect(lines[0]).toBe('at step0 (file.js:0:1)'.padStart(frames[0]!.length));
    expect(more).toBe(30 - MAX_STACK_LINES);
  });

  test('progress reads as a fraction when it can', () => {
    expect([progressFraction(0.25), progressFraction(40), progressFraction({ done: 3, total: 4 }), progressFraction({ percent: 10 })]).toEqual([0.25, 0.4, 0.75, 0.1]);
    expect([progressFraction('half'), progressFraction({ stage: 'upload' }), progressFraction(undefined), progressFraction(500)]).toEqual([null, null, null, 1]);
  });

  test('the time axis has round ticks across its window', () => {
    expect(timeTicks(1_000, 10_000)).toEqual([2000, 4000, 6000, 8000, 10_000]);
    expect(timeTicks(0, 600_000)).toEqual([0, 120_000, 240_000, 360_000, 480_000, 600_000]);
    expect(timeTicks(1234, 900)).toEqual([1250, 1500, 1750, 2000]);
    const at = new Date(2026, 0, 1, 12, 34, 56, 789).getTime();
    expect([tickLabel(at, 60_000), tickLabel(at, 5000), tickLabel(at, 250)]).toEqual(['12:34', '12:34:56', '12:34:56.789']);
  });

  test('an action’s life as sequence-diagram steps: assign, take, hooks, attempts, backoff, settle', () => {
    const error = { version: 1 as const, name: 'Error', message: 'boom' };
    const context = {
      id: 'a-1', name: 'Send', site: 'mail', createdAt: 0, priority: 'normal', settledAt: 900,
      attempts: [
        { number: 1, startedAt: 100, endedAt: 200, outcome: 'failed', error, backoff: 300 },
        { number: 2, startedAt: 500, endedAt: 800, outcome: 'succeeded', error: null, backoff: null },
      ],
    };
    const wire: WireActor = { ...action('x1', 'a-1'), value: 'done', status: 'done', context: context as unknown as WireActor['context'] };
    let state = reduce(initialState(), { type: 'receive', messages: [{ type: 'full', source: 's', at: 0, actors: [wire], stats }], receivedAt: 0 });
    const view = { ...state.actors.get('s|x1')!, history: [['queued', 0], ['hooks', 90], ['running', 100], ['retrying', 200], ['queued', 500], ['hooks', 500], ['running', 500], ['afterHooks', 800], ['done', 900]] as Array<[string, number]> };
    state = { ...state };
    const steps = lifeSteps(state, view);
    expect(steps.map((step) => `${step.kind}:${step.from}>${step.to}`)).toEqual([
      'assign:sequence>action',
      'take:site>action', 'hooks:action>action',
      'attempt:site>action',
      'outcome:action>site', 'release:action>site', 'backoff:action>action',
      'take:site>action', 'hooks:action>action', 'attempt:site>action',
      'outcome:action>site', 'hooks:action>action',
      'settle:action>sequence',
    ]);
    expect(steps.find((step) => step.kind === 'outcome')!.label).toBe('failed: Error: boom');
    expect(steps.find((step) => step.kind === 'backoff')!.label).toBe('backoff 300 ms');
    // Without hooks the chart goes from `queued` straight to `running`: each START is still a take.
    const plain = { ...view, history: [['queued', 0], ['running', 100], ['retrying', 200], ['queued', 500], ['running', 500, 'START'], ['done', 900]] as Array<[string, number, string?]> };
    expect(lifeSteps(state, plain).map((step) => step.kind)).toEqual(['assign', 'take', 'attempt', 'outcome', 'release', 'backoff', 'take', 'attempt', 'outcome', 'settle']);
  });
});
