/** Wire format 3: a join's actors travel packed (shared strings and large integers, object shapes) and unpack to what was packed. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { packActors, packFrame, unpackActors, unpackFrame, type ServerFrame } from '../../src/inspect/packedActors.js';
import type { DeltaMessage, FullState, ServerMessage, WireActor } from '../../src/inspect/protocol.js';

const stats = { actors: 2, finished: 0, droppedActors: 0, droppedEvents: 0 };

function action(n: number, context: WireActor['context'] = { id: `a-${n}`, name: 'Hold', priority: 'normal', attempts: [{ number: 1, startedAt: 1_796_351_021_267, endedAt: null, outcome: 'running' }] }): WireActor {
  return { sessionId: `echo:a-${n}`, id: `a-${n}`, parentId: 'x:2', machineId: 'echo.action', kind: 'action', value: 'running', status: 'active', context, createdAt: 1_796_351_021_267, updatedAt: 1_796_351_021_268 + n };
}

/** The actor as a viewer of version 2 read it: its JSON. */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('packed actors (wire format 3)', () => {
  test('unpack to their JSON, whatever the values: negative and fractional numbers, nesting, empty objects and arrays, odd keys', () => {
    const odd = action(1, {
      negative: -5,
      fraction: -0.5,
      zero: 0,
      large: 2 ** 40,
      largeNegative: -(2 ** 40),
      flags: [true, false, null],
      nested: { deeper: { list: [[1, -2], { x: 'y' }, []] } },
      empty: {},
      '': 'empty key',
      'ключ "quoted"\n': 'ünïcode',
      missing: undefined as never,
      ...JSON.parse('{"__proto__": {"polluted": true}}'),
    });
    const actors = [odd, action(2), action(3), { ...action(4), output: { status: 'done' }, error: { name: 'Error', message: 'm' } }];
    const packed = asJson(packActors(actors)) as ReturnType<typeof packActors>; // as it crosses the wire
    expect(unpackActors(packed)).toEqual(asJson(actors));
  });

  test('unpack to what JSON.stringify would have sent, for any JSON and the members JSON leaves out or changes', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 6 }), fc.jsonValue(), (contexts, extra) => {
        const actors = contexts.map((context, n) => ({ ...action(n, { context, extra, gone: undefined, fn: () => 1, at: new Date(1_796_351_021_267), nan: Number.NaN, list: [undefined, () => 2, Infinity] } as never) }));
        const packed = asJson(packActors(actors)) as ReturnType<typeof packActors>;
        expect(unpackActors(packed)).toEqual(asJson(actors));
      }),
      { numRuns: 500 },
    );
  });

  test('share what actors repeat: 2,000 held actions pack to under half their JSON', () => {
    const actors = Array.from({ length: 2000 }, (_, n) => action(n));
    const packed = JSON.stringify(packActors(actors));
    expect(packed.length).toBeLessThan(JSON.stringify(actors).length / 2);
    expect(unpackActors(JSON.parse(packed))).toEqual(actors);
  });

  test('a full frame and a delta of plain adds are packed; a delta with a trail or other ops, and other messages, go as they are', () => {
    const full: FullState = { type: 'full', source: 's', at: 5, actors: [action(1), action(2)], stats };
    const adds: DeltaMessage = { type: 'delta', source: 's', at: 6, ops: [{ op: 'add', actor: action(3) }, { op: 'add', actor: action(4) }], stats };
    const trail: DeltaMessage = { type: 'delta', source: 's', at: 7, ops: [{ op: 'add', actor: action(5), trail: [['queued', 1, 'xstate.init']] }, { op: 'add', actor: action(6) }], stats };
    const state: DeltaMessage = { type: 'delta', source: 's', at: 8, ops: [{ op: 'state', sessionId: 'echo:a-1', value: 'done', status: 'done', at: 8 }], stats };
    for (const message of [full, adds]) {
      const frame = asJson(packFrame(message)) as ServerFrame;
      expect(frame).toHaveProperty('packed');
      expect(frame).not.toHaveProperty(message.type === 'full' ? 'actors' : 'ops');
      expect(unpackFrame(frame)).toEqual(message);
    }
    const sources: ServerMessage = { type: 'sources', sources: [] };
    for (const message of [trail, state, sources]) {
      expect(packFrame(message)).toBe(message);
      expect(unpackFrame(message)).toBe(message);
    }
  });
});
