import { describe, expect, test } from 'vitest';
import { EventHistory } from '../../src/inspect/EventHistory.js';
import { SourceMirror } from '../../src/inspect/mirror.js';
import type { DeltaOp, TrailStep, WireActor } from '../../src/inspect/protocol.js';

const event = (sessionId: string, type: string, at: number): DeltaOp => ({ op: 'event', sessionId, from: 'x', event: { type }, at });
const types = (ops: DeltaOp[]) => ops.map((op) => (op.op === 'event' ? `${op.sessionId}:${(op.event as { type: string }).type}` : op.op));

describe('EventHistory', () => {
  test('keeps event ops and trails in arrival order, a trail step by step, at most its capacity (the newest)', () => {
    const history = new EventHistory(4);
    history.remember(event('s', 'A', 1));
    history.rememberTrail('a', [['queued', 2, 'xstate.init'], ['hooks', 3, 'START']]);
    expect(types(history.ops())).toEqual(['s:A', 'a:xstate.init', 'a:START']);
    expect(history.ops()[1]).toEqual({ op: 'event', sessionId: 'a', from: null, event: { type: 'xstate.init' }, at: 2 });
    history.rememberTrail('b', [['queued', 4, 'xstate.init'], ['hooks', 5, 'START']]);
    // Over by one: the oldest event goes; then the oldest trail loses its first step only.
    expect(types(history.ops())).toEqual(['a:xstate.init', 'a:START', 'b:xstate.init', 'b:START']);
    history.remember(event('s', 'B', 6));
    expect(types(history.ops())).toEqual(['a:START', 'b:xstate.init', 'b:START', 's:B']);
    for (let i = 0; i < 300; i++) history.rememberTrail(`c${i}`, [['done', 7 + i, 'E']]);
    expect(types(history.ops())).toEqual(['c296:E', 'c297:E', 'c298:E', 'c299:E']);
  });

  test('a capacity of 0 keeps nothing', () => {
    const history = new EventHistory(0);
    history.remember(event('s', 'A', 1));
    history.rememberTrail('a', [['queued', 2, 'xstate.init']]);
    expect(history.ops()).toEqual([]);
  });
});

describe('SourceMirror', () => {
  test('a late viewer of a remote source gets the trails it relayed as event ops, and no step of another shape', () => {
    const mirror = new SourceMirror('remote', 100, 10);
    const actor: WireActor = { sessionId: 'a', id: 'a', parentId: null, machineId: null, kind: 'actor', value: 'hooks', status: 'active', context: null, createdAt: 0, updatedAt: 2 };
    const stats = { actors: 1, finished: 0, droppedActors: 0, droppedEvents: 0 };
    const trail: TrailStep[] = [['queued', 1, 'xstate.init'], ['hooks', 2, 'START']];
    mirror.apply({ type: 'delta', source: 'remote', at: 2, stats, ops: [{ op: 'add', actor, trail }] });
    mirror.apply({ type: 'delta', source: 'remote', at: 3, stats, ops: [{ op: 'state', sessionId: 'a', value: 'done', status: 'done', at: 3, trail: [['done', 3, 'DONE'], ['x'] as never] }] });
    const frames = [...mirror.joinMessages(10)];
    const events = frames.flatMap((m) => (m.type === 'delta' ? m.ops : [])).filter((op) => op.op === 'event');
    expect(types(events)).toEqual(['a:xstate.init', 'a:START', 'a:DONE']);
    expect(mirror.fullState().actors[0]).toMatchObject({ value: 'done', status: 'done' });
    expect(mirror.fullState().actors[0]).not.toHaveProperty('trail');
  });
});
