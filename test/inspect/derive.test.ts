import { describe, expect, test } from 'vitest';
import type { Json, ServerMessage, WireActor } from '../../src/inspect/protocol.js';
import { buildTree, facets, filterActions, formatDuration, newestFirst, queuePositions, waitingBecause } from '../../inspector/src/state/derive.js';
import { initialState, reduce, type AppState } from '../../inspector/src/state/model.js';
import { statusNote } from '../../inspector/src/ui/ActionList.js';
import { causeChain } from '../../inspector/src/ui/Detail.js';
import { filterLog } from '../../inspector/src/ui/EventLog.js';
import { segmentsOf } from '../../inspector/src/ui/Timeline.js';

const stats = { actors: 0, finished: 0, droppedActors: 0, droppedEvents: 0 };
const wire = (sessionId: string, patch: Partial<WireActor>): WireActor => ({
  sessionId, id: sessionId, parentId: null, machineId: null, kind: 'actor', value: null, status: 'active', context: {}, createdAt: 0, updatedAt: 0, ...patch,
});
const action = (sessionId: string, parentId: string, value: string, context: Record<string, Json>): WireActor =>
  wire(sessionId, { parentId, machineId: 'echo.action', kind: 'action', value, context: { id: sessionId, name: 'job', queue: 'q', ...context } });

function stateOf(actors: WireActor[]): AppState {
  const messages: ServerMessage[] = [
    { type: 'sources', sources: [{ id: 's', name: 'S', kind: 'echo', controllable: true, connected: true }] },
    { type: 'full', source: 's', at: 0, actors, stats },
  ];
  return reduce(initialState(), { type: 'receive', messages, receivedAt: 0 });
}

const base = [
  wire('seq', { kind: 'sequence', machineId: 'echo.sequence', value: 'running' }),
  wire('site-a', { kind: 'site', machineId: 'echo.site', parentId: 'seq', value: 'open', context: { name: 'a' } }),
  wire('site-b', { kind: 'site', machineId: 'echo.site', parentId: 'seq', value: 'open', context: { name: 'b', concurrency: 1, inFlight: 1 } }),
];

describe('derived views', () => {
  test('the tree counts the states of the actions under each site and sequence', () => {
    const state = stateOf([
      ...base,
      action('a1', 'site-a', 'running', {}),
      action('a2', 'site-a', 'queued', {}),
      action('b1', 'site-b', 'queued', {}),
      action('b2', 'site-b', 'done', {}),
    ]);
    const [tree] = buildTree(state);
    const [sequence] = tree!.roots;
    expect(sequence!.counts).toEqual({ running: 1, queued: 2, done: 1 });
    expect(sequence!.groups.map((g) => [g.actor.id, g.counts, g.total])).toEqual([
      ['site-a', { running: 1, queued: 1 }, 2],
      ['site-b', { queued: 1, done: 1 }, 2],
    ]);
  });

  test('filters: source, parent, state, name, search; newest first', () => {
    const state = stateOf([
      ...base,
      action('a1', 'site-a', 'running', { name: 'send-mail' }),
      action('a2', 'site-a', 'queued', { name: 'charge' }),
      action('b1', 'site-b', 'queued', { name: 'send-mail' }),
    ]);
    const ids = (filters: Partial<AppState['filters']>) => filterActions(state, { ...state.filters, ...filters }).map((a) => a.id);
    expect(ids({})).toEqual(['b1', 'a2', 'a1']);
    expect(ids({ parent: 's|site-a' })).toEqual(['a2', 'a1']);
    expect(ids({ parent: 's|seq' })).toEqual(['b1', 'a2', 'a1']);
    expect(ids({ state: 'queued' })).toEqual(['b1', 'a2']);
    expect(ids({ name: 'send-mail' })).toEqual(['b1', 'a1']);
    expect(ids({ search: 'CHAR' })).toEqual(['a2']);
    expect(ids({ source: 'other' })).toEqual([]);
    expect(facets(state)).toEqual({ names: ['charge', 'send-mail'], states: ['queued', 'running'] });
  });

  test('at scale: newest first as a comparator sort has it; a search that grows filters the matches so far, with the same result as filtering all', () => {
    const actions = Array.from({ length: 5000 }, (_, i) => action(`a${i}`, i % 2 === 0 ? 'site-a' : 'site-b', i % 3 === 0 ? 'queued' : 'running', { name: `job-${i % 7}` }));
    const state = stateOf([...base, ...actions]);
    const leaves = [...state.actors.values()].filter((actor) => actor.kind === 'action');
    expect(newestFirst([...leaves]).map((a) => a.seq)).toEqual([...leaves].sort((a, b) => b.seq - a.seq).map((a) => a.seq));
    const typed = { ...state.filters, search: 'a12' };
    const previous = filterActions(state, typed);
    expect(previous.map((a) => a.id).slice(0, 3)).toEqual(['a1299', 'a1298', 'a1297']);
    const narrower = { ...typed, search: 'a123' };
    const narrowed = filterActions(state, narrower, { filters: typed, actions: previous });
    expect(narrowed.map((a) => a.id)).toEqual(filterActions(state, narrower).map((a) => a.id));
    expect(narrowed.map((a) => a.id)).toEqual(['a1239', 'a1238', 'a1237', 'a1236', 'a1235', 'a1234', 'a1233', 'a1232', 'a1231', 'a1230', 'a123']);
    // Not a narrowing (another filter changed too): every actor is looked at.
    const other = { ...narrower, state: 'queued' };
    expect(filterActions(state, other, { filters: typed, actions: previous }).map((a) => a.id)).toEqual(['a1239', 'a1236', 'a1233', 'a1230', 'a123']);
  });

  test('queue positions go by priority, then arrival', () => {
    const state = stateOf([
      ...base,
      action('q1', 'site-a', 'queued', { priority: 'low' }),
      action('q2', 'site-a', 'queued', { priority: 'normal' }),
      action('q3', 'site-a', 'queued', { priority: 'high' }),
      action('q4', 'site-a', 'queued', { priority: 'normal', queue: 'other' }),
    ]);
    const positions = queuePositions(state);
    expect(['q3', 'q2', 'q1', 'q4'].map((id) => positions.get(`s|${id}`))).toEqual([
      { position: 1, of: 3, queue: 'q' },
      { position: 2, of: 3, queue: 'q' },
      { position: 3, of: 3, queue: 'q' },
      { position: 1, of: 1, queue: 'other' },
    ]);
  });

  test('waiting because…: delay, queue and backpressure, backoff with countdown, paused sequence, cancelling', () => {
    const failed = { number: 1, startedAt: 100, endedAt: 200, outcome: 'failed', error: { name: 'HttpError', message: '503' }, backoff: 1000 };
    const state = stateOf([
      ...base,
      action('d', 'site-a', 'delayed', { notBefore: 5000 }),
      action('qa', 'site-a', 'queued', {}),
      action('qb', 'site-b', 'queued', {}),
      action('r', 'site-a', 'retrying', { attempts: [failed], retryAt: 1200 }),
      action('c', 'site-a', 'cancelling', { cancelGrace: 2000 }),
      action('run', 'site-a', 'running', {}),
    ]);
    const why = (id: string, now = 1000) => waitingBecause(state, state.actors.get(`s|${id}`)!, now, queuePositions(state).get(`s|${id}`));
    expect(why('d')).toBe('start delay: starts in 4.0 s');
    expect(why('qa')).toBe('queue "q": position 1 of 2');
    expect(why('qb')).toBe('queue "q": position 2 of 2; site at its concurrency limit (1/1): backpressure');
    expect(why('r')).toBe('backoff after HttpError: 503; retry in 200 ms');
    expect(why('c')).toBe('cancelling: waiting up to 2.0 s for the attempt to stop');
    expect(why('run')).toBeNull();
    const paused = stateOf([{ ...base[0]!, value: 'paused' }, ...base.slice(1), action('qa', 'site-a', 'queued', {})]);
    expect(waitingBecause(paused, paused.actors.get('s|qa')!, 0)).toBe('the Sequence is paused');
  });

  test('status notes, timeline segments with backoff gaps, cause chains, durations', () => {
    const attempts = [
      { number: 1, startedAt: 100, endedAt: 300, outcome: 'failed', error: null, backoff: 500 },
      { number: 2, startedAt: 800, endedAt: 900, outcome: 'failed', error: null, backoff: 500 },
    ];
    const state = stateOf([...base, action('r', 'site-a', 'retrying', { createdAt: 0, attempts, retryAt: 1400 })]);
    const r = state.actors.get('s|r')!;
    expect(segmentsOf(r, 1000)).toEqual([
      { kind: 'wait', from: 0, to: 100 },
      { kind: 'attempt', from: 100, to: 300, outcome: 'failed' },
      { kind: 'backoff', from: 300, to: 800 },
      { kind: 'attempt', from: 800, to: 900, outcome: 'failed' },
      { kind: 'backoff', from: 900, to: 1400 },
    ]);
    expect(statusNote(r, 'retrying', undefined, 1000)).toBe('retry in 400 ms');
    expect(causeChain({ name: 'A', message: 'a', cause: { name: 'B', message: 'b', cause: 'root' } })).toEqual([
      { name: 'A', message: 'a', stack: null },
      { name: 'B', message: 'b', stack: null },
      { name: 'Cause', message: 'root', stack: null },
    ]);
    expect([formatDuration(850), formatDuration(1234), formatDuration(185_000)]).toEqual(['850 ms', '1.2 s', '3 min 5 s']);
  });

  test('the event log filter', () => {
    const entry = (type: string, actorKey = 's|a') => ({ seq: 0, source: 's', actorKey, actorName: 'job', actionId: actorKey === 's|a' ? 'a-1' : 'a-2', from: null, type, event: { type }, at: 0 });
    const log = [entry('GO'), entry('xstate.init'), entry('CANCEL', 's|b')];
    expect(filterLog(log, '', true, null).map((e) => e.type)).toEqual(['GO', 'CANCEL']);
    expect(filterLog(log, 'canc', false, null).map((e) => e.type)).toEqual(['CANCEL']);
    expect(filterLog(log, 'a-2', false, null).map((e) => e.type)).toEqual(['CANCEL']);
    expect(filterLog(log, '', false, 's|a').map((e) => e.type)).toEqual(['GO', 'xstate.init']);
  });
});
