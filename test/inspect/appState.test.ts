import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createInspectionAdapter } from '../../src/inspect/adapter.js';
import { splitFullState, type ServerMessage, type SourceInfo, type WireActor } from '../../src/inspect/protocol.js';
import { actorKey, initialState, reduce, type AppState } from '../../inspector/src/state/model.js';
import { createTestSequence } from './testSequence.js';

const source: SourceInfo = { id: 'src', name: 'Source', kind: 'echo', controllable: true, connected: true };
const stats = { actors: 0, finished: 0, droppedActors: 0, droppedEvents: 0 };

function actor(sessionId: string, patch: Partial<WireActor> = {}): WireActor {
  return { sessionId, id: sessionId, parentId: 'site', machineId: 'echo.action', kind: 'action', value: 'queued', status: 'active', context: { id: sessionId, name: 'job', queue: 'q' }, createdAt: 0, updatedAt: 0, ...patch };
}

const receive = (state: AppState, messages: ServerMessage[], receivedAt = 1000): AppState => reduce(state, { type: 'receive', messages, receivedAt });

describe('app reducer', () => {
  test('replaying a run through the adapter ends in the adapter’s own full state', async () => {
    const clock = new ManualClock(0);
    const sequence = createTestSequence({ clock, sites: 2, names: ['job-0', 'job-1', 'job-2'] });
    const id = sequence.id;
    const adapter = createInspectionAdapter(id, sequence, { clock });
    let state = receive(initialState(), [{ type: 'sources', sources: [{ ...source, id }] }, ...adapter.machines(), adapter.fullState()]);
    adapter.subscribe((message) => {
      state = receive(state, [message], clock.now());
    });
    const handles = Array.from({ length: 8 }, (_, i) => sequence.assign(`job-${i % 3}`, { attempt: 300, fail: i % 4 === 0 ? 1 : 0 }));
    handles[3]!.result.catch(() => undefined);
    await clock.advance(100);
    await sequence.control({ type: 'cancel', actionId: handles[3]!.id });
    await clock.advance(800);
    adapter.flush();
    const strip = (actors: Iterable<WireActor>) =>
      [...actors].map(({ sessionId, value, status, context }) => ({ sessionId, value, status, context })).sort((x, y) => x.sessionId.localeCompare(y.sessionId));
    expect(strip(state.actors.values())).toEqual(strip(adapter.fullState().actors));
    const cancelled = [...state.actors.values()].find((a) => a.id === handles[3]!.id)!;
    expect(cancelled.history.map(([value]) => value)).toContain('cancelling');
    expect(cancelled.history.at(-1)![0]).toBe('cancelled');
    expect(state.log.some((entry) => entry.type === 'CANCEL' && entry.actorName === 'job-0' && entry.actionId === handles[3]!.id)).toBe(true);
    expect(Object.keys(state.machines).sort()).toEqual([`${id}|echo.action`, `${id}|echo.sequence`, `${id}|echo.site`]);
  });

  test('a full state replaces the source’s actors; remove ops delete; chunks add up', () => {
    let state = receive(initialState(), [{ type: 'sources', sources: [source] }, { type: 'full', source: 'src', at: 0, actors: [actor('a'), actor('b')], stats }]);
    expect([...state.actors.keys()].sort()).toEqual(['src|a', 'src|b']);
    const full = { type: 'full' as const, source: 'src', at: 0, actors: Array.from({ length: 5 }, (_, i) => actor(`n${i}`)), stats };
    state = receive(state, splitFullState(full, 2));
    expect([...state.actors.keys()].sort()).toEqual(['src|n0', 'src|n1', 'src|n2', 'src|n3', 'src|n4']);
    expect([...state.actors.values()].sort((x, y) => x.seq - y.seq).map((a) => a.id)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    state = receive(state, [{ type: 'delta', source: 'src', at: 5, ops: [{ op: 'remove', sessionId: 'n0', reason: 'evicted' }], stats }]);
    expect(state.actors.has('src|n0')).toBe(false);
  });

  test('an owned batch (the live feed’s) changes the table in place and ends in the same state as a copying one', () => {
    const messages: ServerMessage[][] = [
      [{ type: 'full', source: 'src', at: 0, actors: Array.from({ length: 300 }, (_, i) => actor(`a${i}`)), stats }],
      [{ type: 'delta', source: 'src', at: 5, stats, ops: [{ op: 'state', sessionId: 'a1', value: 'running', status: 'active', at: 5 }, { op: 'remove', sessionId: 'a2', reason: 'evicted' }, { op: 'add', actor: actor('b') }] }],
    ];
    const run = (owned: boolean): AppState => messages.reduce((state, batch) => reduce(state, { type: 'receive', messages: structuredClone(batch), receivedAt: 10, owned }), initialState());
    const summary = (state: AppState) => [...state.actors.values()].map((a) => `${a.key}:${String(a.value)}:${a.seq}`).sort();
    expect(summary(run(true))).toEqual(summary(run(false)));
    const before = run(true);
    const next = reduce(before, { type: 'receive', messages: [{ type: 'delta', source: 'src', at: 6, stats, ops: [{ op: 'add', actor: actor('c') }] }], receivedAt: 11, owned: true });
    expect(next.actors).not.toBe(before.actors); // a new table (views recompute) over the same segments
    expect(before.actors.has('src|c')).toBe(true); // changed in place: nothing was copied
    expect(next.actors.size).toBe(before.actors.size + 1);
  });

  test('state ops patch the context and keep a bounded history with folded steps', () => {
    let state = initialState({ maxHistory: 3 });
    state = receive(state, [{ type: 'full', source: 'src', at: 0, actors: [actor('a', { context: { id: 'a', name: 'job', attempts: [] } })], stats }]);
    state = receive(state, [
      { type: 'delta', source: 'src', at: 10, stats, ops: [{ op: 'state', sessionId: 'a', value: 'running', status: 'active', at: 10, steps: [['hooks', 5]], patch: { set: { attempts: [{ number: 1 }] } }, event: 'GO' }] },
    ]);
    const a = state.actors.get(actorKey('src', 'a'))!;
    expect(a.context).toEqual({ id: 'a', name: 'job', attempts: [{ number: 1 }] });
    expect(a.history).toEqual([['queued', 0], ['hooks', 5], ['running', 10, 'GO']]);
    expect(a.lastEvent).toBe('GO');
    state = receive(state, [{ type: 'delta', source: 'src', at: 20, stats, ops: [{ op: 'state', sessionId: 'a', value: 'done', status: 'done', at: 20, patch: { unset: ['attempts'] } }] }]);
    expect(state.actors.get('src|a')!.history).toEqual([['hooks', 5], ['running', 10, 'GO'], ['done', 20]]);
    expect(state.actors.get('src|a')!.context).toEqual({ id: 'a', name: 'job' });
  });

  test('finished actors beyond the limit are evicted oldest first, never the selected one', () => {
    let state = reduce(initialState({ maxFinished: 2 }), { type: 'select', key: 'src|f0' });
    const done = (id: string): WireActor => actor(id, { value: 'done', status: 'done' });
    state = receive(state, [{ type: 'full', source: 'src', at: 0, actors: [done('f0'), done('f1'), actor('live')], stats }]);
    state = receive(state, [{ type: 'delta', source: 'src', at: 1, stats, ops: [{ op: 'add', actor: done('f2') }, { op: 'add', actor: done('f3') }] }]);
    expect([...state.actors.keys()].sort()).toEqual(['src|f0', 'src|f3', 'src|live']);
    expect(state.evicted).toBe(2);
    expect(state.finishedCount).toBe(2);
  });

  test('the event log is bounded and the previous state is never changed', () => {
    const before = initialState({ maxLog: 3 });
    const ops = Array.from({ length: 5 }, (_, i) => ({ op: 'event' as const, sessionId: 'a', from: null, event: { type: `E${i}` }, at: i }));
    const after = receive(before, [{ type: 'delta', source: 'src', at: 5, ops, stats }]);
    expect(after.log.map((entry) => entry.type)).toEqual(['E2', 'E3', 'E4']);
    expect(after.logSeq).toBe(5);
    expect(before.log).toEqual([]);
    expect(before.actors.size).toBe(0);
  });

  test('a trail in an add or state op is what version 1 sent as event ops: the same log, and the states it went through', () => {
    const steps: Array<[string, number, string]> = [['queued', 1, 'xstate.init'], ['hooks', 2, 'START'], ['running', 3, 'HOOKS_PASSED']];
    const v1 = receive(initialState(), [
      { type: 'delta', source: 'src', at: 3, stats, ops: [{ op: 'add', actor: actor('a', { value: 'running', updatedAt: 3 }) }, ...steps.map(([, at, type]) => ({ op: 'event' as const, sessionId: 'a', from: null, event: { type }, at }))] },
    ]);
    const v2 = receive(initialState(), [{ type: 'delta', source: 'src', at: 3, stats, ops: [{ op: 'add', actor: actor('a', { value: 'running', updatedAt: 3 }), trail: steps }] }]);
    const logOf = (state: AppState) => state.log.map(({ seq: _, ...entry }) => entry);
    expect(logOf(v2)).toEqual(logOf(v1));
    expect(logOf(v2).map((entry) => entry.type)).toEqual(['xstate.init', 'START', 'HOOKS_PASSED']);
    expect(v2.actors.get('src|a')!.history).toEqual([['queued', 1, 'xstate.init'], ['hooks', 2, 'START'], ['running', 3, 'HOOKS_PASSED']]);
    expect(v2.actors.get('src|a')!.lastEvent).toBe('HOOKS_PASSED');
    const later = receive(v2, [{ type: 'delta', source: 'src', at: 5, stats, ops: [{ op: 'state', sessionId: 'a', value: 'done', status: 'done', at: 5, trail: [['afterHooks', 4, 'ATTEMPT_SUCCEEDED'], ['done', 5, 'AFTER_HOOKS_PASSED']] }] }]);
    expect(later.actors.get('src|a')!.history.map(([state]) => state)).toEqual(['queued', 'hooks', 'running', 'afterHooks', 'done']);
    expect(later.log.map((entry) => entry.type).slice(-2)).toEqual(['ATTEMPT_SUCCEEDED', 'AFTER_HOOKS_PASSED']);
    // A step not of the wire's shape (a remote producer's ops are not checked on arrival) is left out.
    const odd = receive(initialState(), [{ type: 'delta', source: 'src', at: 3, stats, ops: [{ op: 'add', actor: actor('b'), trail: [['queued', 1, 'xstate.init'], { no: 1 }] as never }] }]);
    expect(odd.log.map((entry) => entry.type)).toEqual(['xstate.init']);
  });

  test('hello, acks and errors; offsets measure the source clock', () => {
    let state = reduce(initialState(), { type: 'control-sent', ref: 'r1', source: 'src', command: { type: 'pause' }, at: 0 });
    state = reduce(state, { type: 'control-sent', ref: 'r2', source: 'src', command: { type: 'cancel', actionId: 'x' }, at: 0 });
    state = receive(state, [
      { type: 'hello', version: 1, server: 'Test', canControl: true, maxMessageBytes: 1 },
      { type: 'ack', ref: 'r1', ok: true },
      { type: 'error', code: 'unauthorized', message: 'no', ref: 'r2' },
      { type: 'full', source: 'src', at: 400, actors: [], stats },
    ], 1000);
    expect(state).toMatchObject({ serverName: 'Test', canControl: true, offsets: { src: 600 } });
    expect(state.controls.r1!.status).toBe('ok');
    expect(state.controls.r2).toMatchObject({ status: 'failed', error: 'no' });
    expect(state.errors).toEqual([{ at: 1000, code: 'unauthorized', message: 'no' }]);
  });

  test('filters, selection, reset and replace keep the viewer’s choices', () => {
    let state = reduce(initialState(), { type: 'filter', patch: { search: 'mail', state: 'queued' } });
    state = reduce(state, { type: 'select', key: 'src|a' });
    state = receive(state, [{ type: 'full', source: 'src', at: 0, actors: [actor('a')], stats }]);
    const reset = reduce(state, { type: 'reset' });
    expect(reset.actors.size).toBe(0);
    expect(reset.filters.search).toBe('mail');
    const replaced = reduce(reset, { type: 'replace', state: initialState() });
    expect(replaced.selected).toBe('src|a');
    expect(replaced.filters.state).toBe('queued');
  });
});
