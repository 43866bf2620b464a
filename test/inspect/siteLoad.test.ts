/** The inspector shows a Site's load (actions running on it) as data of the Site, streamed without a transition per action. */
import { describe, expect, test } from 'vitest';
import { createPlan, ManualClock, Sequence } from '../../src/index.js';
import { createInspectionAdapter } from '../../src/inspect/adapter.js';
import { SourceMirror } from '../../src/inspect/mirror.js';
import type { DeltaOp } from '../../src/inspect/protocol.js';
import { after } from '../support/actionHarness.js';

describe('a Site’s load in the inspector', () => {
  test.each(['table', 'xstate'] as const)('streams as the Site context’s `active`, while the Site stays `open` (%s engine)', async (engine) => {
    const clock = new ManualClock();
    const plan = createPlan({ Work: async (ms: number) => after(clock, ms) });
    const sequence = new Sequence({ plan, clock, engine, sites: [{ id: 'site-1' }], concurrency: 4 }).start();
    const adapter = createInspectionAdapter(sequence.id, sequence, { clock, flushInterval: 10 });
    const mirror = new SourceMirror(sequence.id);
    mirror.apply(adapter.fullState());
    const siteEvents: string[] = [];
    adapter.subscribe((message) => {
      mirror.apply(message);
      if (message.type === 'delta') for (const op of message.ops) if (op.op === 'event' && op.sessionId === site().sessionId) siteEvents.push(JSON.stringify(op.event));
    });
    const site = () => mirror.fullState().actors.find((actor) => actor.id === 'site-1')!;
    expect(site()).toMatchObject({ kind: 'site', value: 'open', context: { active: 0, concurrency: 4 } });

    const handles = [sequence.assign('Work', 5), sequence.assign('Work', 5), sequence.assign('Work', 50)];
    await clock.advance(1);
    adapter.flush();
    expect(site()).toMatchObject({ value: 'open', context: { active: 3 } });

    await clock.advance(10); // two of them are done
    adapter.flush();
    expect(site()).toMatchObject({ value: 'open', context: { active: 1 } });

    await clock.advance(50);
    await Promise.all(handles.map((handle) => handle.result));
    adapter.flush();
    expect(site()).toMatchObject({ value: 'open', context: { active: 0 } });
    expect(siteEvents).toEqual([]); // the actions changed no state of the Site's actor

    sequence.pause();
    await clock.advance(1);
    adapter.flush();
    expect(site()).toMatchObject({ value: 'paused', context: { active: 0 } });
    adapter.dispose();
    await sequence.shutdown({ deadline: 0 });
  });

  test('a flush sends no op for a Site whose load came back to what the last flush sent', async () => {
    const clock = new ManualClock();
    const plan = createPlan({ Work: async (ms: number) => after(clock, ms) });
    const sequence = new Sequence({ plan, clock, sites: [{ id: 'site-1' }], concurrency: 4 }).start();
    const adapter = createInspectionAdapter(sequence.id, sequence, { clock, flushInterval: 10 });
    const siteId = adapter.fullState().actors.find((actor) => actor.id === 'site-1')!.sessionId;
    const siteOps: DeltaOp[] = [];
    let actionOps = 0;
    adapter.subscribe((message) => {
      if (message.type !== 'delta') return;
      for (const op of message.ops) {
        if ('sessionId' in op && op.sessionId === siteId) siteOps.push(op);
        else if (op.op === 'add' || op.op === 'state') actionOps++;
      }
    });
    const handle = sequence.assign('Work', 5); // the load goes 0 → 1 → 0 within one batch
    await clock.advance(1);
    await clock.advance(10);
    await handle.result;
    adapter.flush();
    expect(actionOps).toBeGreaterThan(0);
    expect(siteOps).toEqual([]);

    const long = sequence.assign('Work', 50); // the load stays at 1: the Site's op says so
    await clock.advance(1);
    adapter.flush();
    expect(siteOps).toMatchObject([{ op: 'state', sessionId: siteId, value: 'open', patch: { set: { active: 1 } } }]);
    await clock.advance(50);
    await long.result;
    adapter.dispose();
    await sequence.shutdown({ deadline: 0 });
  });
});
