import { describe, expect, it } from 'vitest';
import { createPlan, ManualClock, Sequence } from '../../src/index.js';
import { createInspectionAdapter } from '../../src/inspect/adapter.js';
import { SourceMirror } from '../../src/inspect/mirror.js';
import type { ServerMessage } from '../../src/inspect/protocol.js';
import { waitingBecause } from '../../inspector/src/state/derive.js';
import { initialState, reduce } from '../../inspector/src/state/model.js';

describe('the inspector shows why a held action waits', () => {
  it('a real Sequence under ManualClock: "waiting because rate limit (next slot in …)" on the wire, gone once it starts', async () => {
    const clock = new ManualClock();
    const plan = createPlan({ Charge: (n: number) => n });
    const sequence = new Sequence({ plan, clock, sites: 2, limits: { actions: { Charge: { rate: { limit: 1, interval: 1_000 } } } } }).start();
    const adapter = createInspectionAdapter(sequence.id, sequence, { clock, flushInterval: 10 });
    const mirror = new SourceMirror(sequence.id);
    mirror.apply(adapter.fullState());
    adapter.subscribe((message) => mirror.apply(message));
    sequence.assign('Charge', 1);
    const held = sequence.assign('Charge', 2);
    await clock.advance(400);
    adapter.flush();
    const why = (): string | null => {
      const messages: ServerMessage[] = [
        { type: 'sources', sources: [{ id: sequence.id, name: 'S', kind: 'echo', controllable: true, connected: true }] },
        mirror.fullState() as ServerMessage,
      ];
      const state = reduce(initialState(), { type: 'receive', messages, receivedAt: 0 });
      const actor = [...state.actors.values()].find((a) => (a.context as { id?: string } | null)?.id === held.id)!;
      return waitingBecause(state, actor, clock.now());
    };
    expect(held.getSnapshot().value).toBe('queued');
    expect(why()).toBe('waiting because rate limit on name:Charge (next slot in 600 ms)');
    await clock.advance(600);
    adapter.flush();
    expect(await held.result).toBe(2);
    const wire = mirror.fullState().actors.find((a) => (a.context as { id?: string }).id === held.id);
    expect(wire === undefined || !('waitingFor' in (wire.context as object))).toBe(true);
    await sequence.shutdown();
  });
});
