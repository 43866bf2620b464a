/** The inspector against the real Sequence (the contract of `InspectorTarget`). */
import { describe, expect, test } from 'vitest';
import { createPlan, ManualClock, Sequence } from '../../src/index.js';
import { createInspectionAdapter } from '../../src/inspect/adapter.js';
import { SourceMirror } from '../../src/inspect/mirror.js';
import { stateValueToString, type DeltaMessage, type SourceMessage } from '../../src/inspect/protocol.js';

describe('inspecting a real Sequence', () => {
  test('sequence, sites and actions stream with their states, attempts and controls', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const plan = createPlan({
      Read: async (path: string) => `read ${path}`,
      Flaky: { run: async () => { calls++; if (calls < 2) throw new Error('boom'); return 'ok'; }, retry: { attempts: 3, initialDelay: 1000, jitter: 'none' } },
    });
    const sequence = new Sequence({ plan, clock, sites: 2 });
    sequence.start();
    const adapter = createInspectionAdapter(sequence.id, sequence, { clock, flushInterval: 10 });
    const messages: SourceMessage[] = [];
    const mirror = new SourceMirror(sequence.id);
    mirror.apply(adapter.fullState());
    adapter.subscribe((message) => {
      messages.push(message);
      mirror.apply(message);
    });
    const kinds = adapter.fullState().actors.map((a) => a.kind).sort();
    expect(kinds).toEqual(expect.arrayContaining(['sequence', 'site']));
    expect(adapter.machines().map((m) => m.machine.id).sort()).toEqual(['echo.action', 'echo.sequence', 'echo.site']);

    const read = sequence.assign('Read', 'a.txt');
    const flaky = sequence.assign('Flaky', null);
    await clock.advance(20);
    expect(await read.result).toBe('read a.txt');
    const flakyActor = mirror.fullState().actors.find((a) => (a.context as { name?: string }).name === 'Flaky');
    expect(flakyActor).toMatchObject({ kind: 'action', value: 'retrying' });
    expect((flakyActor!.context as { retryAt: number }).retryAt).toBeGreaterThan(clock.now());

    await sequence.control({ type: 'retry', actionId: flaky.id });
    await clock.advance(20);
    expect(await flaky.result).toBe('ok');
    adapter.flush();
    const values = messages
      .filter((m): m is DeltaMessage => m.type === 'delta')
      .flatMap((m) => m.ops)
      .flatMap((op) => (op.op === 'state' ? [...(op.steps ?? []).map(([v]) => v), op.value] : op.op === 'add' ? [op.actor.value] : []))
      .map(stateValueToString);
    expect(values).toEqual(expect.arrayContaining(['running', 'retrying', 'done']));
    expect(JSON.stringify(messages)).not.toContain('"children"');
    await sequence.shutdown({ deadline: 100 });
  });
});
