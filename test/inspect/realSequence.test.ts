/** The inspector against the real Sequence (the contract of `InspectorTarget`). */
import { describe, expect, test } from 'vitest';
import { createPlan, ManualClock, Sequence } from '../../src/index.js';
import { createInspectionAdapter } from '../../src/inspect/adapter.js';
import { SourceMirror } from '../../src/inspect/mirror.js';
import { unpackFrame, type ServerFrame } from '../../src/inspect/packedActors.js';
import { PROTOCOL_VERSION, stateValueToString, type DeltaMessage, type DeltaOp, type SourceMessage } from '../../src/inspect/protocol.js';

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
      .flatMap((op) => (op.op === 'state' ? [...(op.steps ?? []).map(([v]) => v), ...(op.trail ?? []).map(([v]) => v), op.value] : op.op === 'add' ? [...(op.trail ?? []).map(([v]) => v), op.actor.value] : []))
      .map(stateValueToString);
    expect(values).toEqual(expect.arrayContaining(['running', 'retrying', 'done']));
    expect(JSON.stringify(messages)).not.toContain('"children"');
    await sequence.shutdown({ deadline: 100 });
  });
});

describe('a real Sequence streaming into a standalone inspector (another process, as with `echo-actions inspect`)', () => {
  test('it appears as a source, and a cancel sent from a viewer cancels the action in the runtime', async () => {
    const { inspect } = await import('../../src/inspect/server.js');
    const { connectInspector } = await import('../../src/inspect/producer.js');
    const { WebSocket } = await import('ws');
    const server = await inspect([], { name: 'standalone' });
    const plan = createPlan({ Hold: (_: unknown, ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))) });
    const sequence = new Sequence({ plan, sites: 1, name: 'worker-a' });
    sequence.start();
    const connection = await connectInspector(sequence, { url: server.url });
    const socket = new WebSocket(server.url.replace(/^http/, 'ws'));
    const received: Record<string, unknown>[] = [];
    const waiting: { test: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
    socket.on('message', (data) => {
      const message = unpackFrame(JSON.parse(String(data)) as ServerFrame) as unknown as Record<string, unknown>;
      received.push(message);
      for (const w of [...waiting]) if (w.test(message)) { waiting.splice(waiting.indexOf(w), 1); w.resolve(message); }
    });
    const next = (test: (m: Record<string, unknown>) => boolean) =>
      new Promise<Record<string, unknown>>((resolve) => {
        const found = received.find(test);
        if (found) resolve(found);
        else waiting.push({ test, resolve });
      });
    try {
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'subscribe', version: PROTOCOL_VERSION }));
      const sources = await next((m) => m.type === 'sources' && (m.sources as { name: string }[]).some((s) => s.name === 'worker-a'));
      const source = (sources.sources as { id: string; name: string; controllable: boolean }[]).find((s) => s.name === 'worker-a')!;
      expect(source.controllable).toBe(true);
      const handle = sequence.assign('Hold', null);
      handle.result.catch(() => {});
      await next((m) => m.type === 'delta' && JSON.stringify(m).includes(`"sessionId":"echo:${handle.id}"`) && JSON.stringify(m).includes('"running"'));
      socket.send(JSON.stringify({ type: 'control', ref: 'c1', source: source.id, command: { type: 'cancel', actionId: handle.id }, token: server.token }));
      expect(await next((m) => m.type === 'ack' && m.ref === 'c1')).toMatchObject({ ok: true });
      await expect(handle.result).rejects.toMatchObject({ name: 'CancellationError', reason: 'user' });
      expect(handle.getSnapshot().value).toBe('cancelled');
    } finally {
      socket.close();
      connection.close();
      await sequence.shutdown({ deadline: 0 });
      await server.close();
    }
  });
});

describe('pulling and classic observers side by side', () => {
  test('the adapter pulls table actors while a classic observer still gets their XState events', async () => {
    const clock = new ManualClock();
    const sequence = new Sequence({ plan: createPlan({ Work: async () => 'ok' }), clock, sites: 1 });
    sequence.start();
    const adapter = createInspectionAdapter(sequence.id, sequence, { clock, flushInterval: 10 });
    const messages: SourceMessage[] = [];
    adapter.subscribe((message) => messages.push(message));
    const classic: string[] = [];
    sequence.subscribeInspection((event) => {
      if (event.type === '@xstate.snapshot' && (event.actorRef as { id?: string }).id?.startsWith('a-')) classic.push(String((event.snapshot as unknown as { value: string }).value));
    });
    const handle = sequence.assign('Work', null);
    await clock.advance(20);
    expect(await handle.result).toBe('ok');
    // No hook runs: the chart passes `hooks` and `afterHooks` over.
    expect(classic).toEqual(['queued', 'running', 'done']);
    const ops = messages.filter((m): m is DeltaMessage => m.type === 'delta').flatMap((m) => m.ops);
    const added = ops.find((op) => op.op === 'add' && op.actor.id === handle.id);
    expect(added).toMatchObject({ actor: { kind: 'action', value: 'done', status: 'done' } });
    // Its steps ride in its add op, each the state entered and the event that led there.
    const trail = (added as Extract<DeltaOp, { op: 'add' }>).trail ?? [];
    expect(trail.map(([state, , event]) => [event, state])).toEqual([
      ['xstate.init', 'queued'],
      ['START', 'running'],
      ['ATTEMPT_SUCCEEDED', 'done'],
    ]);
    expect(ops.filter((op) => op.op === 'event' && op.sessionId === `echo:${handle.id}`)).toEqual([]);
    await sequence.shutdown({ deadline: 0 });
  });
});

describe('a flood of short actions (intake per flush)', () => {
  test('beyond maxIntakePerFlush new actions are declined: those that finish are counted, those still waiting are taken in at the next flush', async () => {
    const clock = new ManualClock();
    const gate = { open: null as null | (() => void) };
    const blocked = new Promise<void>((resolve) => (gate.open = resolve));
    const plan = createPlan({ Quick: async (n: number) => n, Slow: async () => blocked });
    const sequence = new Sequence({ plan, clock, sites: 1, concurrency: 1 });
    sequence.start();
    const adapter = createInspectionAdapter(sequence.id, sequence, { clock, flushInterval: 10, maxIntakePerFlush: 3 });
    const mirror = new SourceMirror(sequence.id);
    mirror.apply(adapter.fullState());
    const added: string[] = [];
    adapter.subscribe((message) => {
      mirror.apply(message);
      if (message.type === 'delta') for (const op of message.ops) if (op.op === 'add' && op.actor.kind === 'action') added.push(op.actor.id);
    });
    const quick = Array.from({ length: 8 }, (_, i) => sequence.assign('Quick', i));
    const slow = sequence.assign('Slow', null); // waits behind the gate, still active at the flush
    const queued = sequence.assign('Quick', 99); // queued behind Slow (concurrency 1)
    // The first three were taken in; the other seven were declined.
    expect(adapter.stats()).toMatchObject({ waiting: 7, droppedActors: 0 });
    await clock.advance(0);
    for (const handle of quick) expect(await handle.result).toBeTypeOf('number');
    // At the next turn the five declined ones that finished are let go (counted as dropped,
    // no longer held until the flush); the two still active wait for the flush's intake.
    expect(adapter.stats()).toMatchObject({ waiting: 2, droppedActors: 5 });
    await clock.advance(10); // first flush: 3 taken in + the 2 waiting, active ones (Slow, queued) within the new intake
    expect(added).toEqual([...quick.slice(0, 3).map((h) => h.id), slow.id, queued.id]);
    expect(adapter.stats()).toMatchObject({ waiting: 0, droppedActors: 5 });
    expect(mirror.fullState().actors.find((a) => a.id === slow.id)).toMatchObject({ value: 'running', status: 'active' });
    // Once taken in, an action streams its changes like any other.
    gate.open!();
    await clock.advance(20);
    expect(await queued.result).toBe(99);
    expect(mirror.fullState().actors.find((a) => a.id === queued.id)).toMatchObject({ value: 'done', status: 'done' });
    expect(mirror.fullState().actors.find((a) => a.id === slow.id)).toMatchObject({ value: 'done' });
    await sequence.shutdown({ deadline: 0 });
  });

  test('a viewer that joins sees every live action at once, declined or not', async () => {
    const clock = new ManualClock();
    const plan = createPlan({ Wait: async (_: null, { signal }) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))) });
    const sequence = new Sequence({ plan, clock, sites: 1, concurrency: 2 });
    sequence.start();
    const adapter = createInspectionAdapter(sequence.id, sequence, { clock, flushInterval: 10, maxIntakePerFlush: 2 });
    adapter.subscribe(() => undefined);
    const handles = Array.from({ length: 6 }, () => sequence.assign('Wait', null));
    expect(adapter.stats().waiting).toBe(4);
    const ids = adapter.fullState().actors.filter((a) => a.kind === 'action').map((a) => a.id);
    expect(ids.sort()).toEqual(handles.map((h) => h.id).sort());
    expect(adapter.stats().waiting).toBe(0);
    const stopped = sequence.shutdown({ deadline: 0 });
    await clock.advance(2000);
    await stopped;
  });
});

describe('a flood, counted', () => {
  test('every action of a flood is either shown or counted as dropped, and no flush takes in more than its intake', async () => {
    const clock = new ManualClock();
    const sequence = new Sequence({ plan: createPlan({ Quick: async (n: number) => n }), clock, sites: 2, concurrency: 4 });
    sequence.start();
    const intake = 40;
    const adapter = createInspectionAdapter(sequence.id, sequence, { clock, flushInterval: 10, maxIntakePerFlush: intake, maxFinished: 100_000 });
    const shown = new Set<string>();
    const addsPerFlush: number[] = [];
    adapter.subscribe((message) => {
      if (message.type !== 'delta') return;
      const adds = message.ops.filter((op) => op.op === 'add' && op.actor.kind === 'action');
      addsPerFlush.push(adds.length);
      for (const op of adds) if (op.op === 'add') shown.add(op.actor.id);
    });
    const all: string[] = [];
    for (let chunk = 0; chunk < 12; chunk++) {
      const handles = Array.from({ length: 250 }, (_, i) => sequence.assign('Quick', chunk * 250 + i));
      all.push(...handles.map((h) => h.id));
      await clock.advance(5); // half an interval: some chunks straddle a flush
    }
    await sequence.whenIdle();
    await clock.advance(20);
    expect(Math.max(...addsPerFlush)).toBeLessThanOrEqual(intake);
    expect(shown.size).toBeGreaterThan(0);
    expect(shown.size + adapter.stats().droppedActors).toBe(all.length);
    expect(adapter.stats().waiting).toBe(0);
    await sequence.shutdown({ deadline: 0 });
  });
});

describe('controls of a real Sequence', () => {
  test('pause/resume sent to a stopped Sequence answer an error; bulk cancel and retry-now carry out each id and name the failed ones', async () => {
    const clock = new ManualClock();
    const failedOnce = new Set<number>();
    const plan = createPlan({
      Hold: (_: null, ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
      Flaky: { run: async (n: number) => { if (!failedOnce.has(n)) { failedOnce.add(n); throw new Error('boom'); } return 'ok'; }, retry: { attempts: 3, initialDelay: 60_000, jitter: 'none' } },
    });
    const sequence = new Sequence({ plan, clock, sites: 1, concurrency: 8 });
    sequence.start();
    const held = Array.from({ length: 3 }, () => sequence.assign('Hold', null));
    const flaky = Array.from({ length: 2 }, (_, i) => sequence.assign('Flaky', i));
    await clock.advance(0);
    await sequence.control({ type: 'cancel-many', actionIds: held.map((h) => h.id) });
    for (const handle of held) await expect(handle.result).rejects.toMatchObject({ name: 'CancellationError', reason: 'user' });
    await expect(sequence.control({ type: 'retry-many', actionIds: [...flaky.map((h) => h.id), 'a-nope'] })).rejects.toMatchObject({
      name: 'BulkControlError',
      failures: { 'a-nope': 'No action "a-nope" in Sequence "sequence"' },
    });
    await clock.advance(0);
    for (const handle of flaky) expect(await handle.result).toBe('ok');
    await sequence.control({ type: 'pause' });
    const stopped = sequence.shutdown({ deadline: 0 });
    await clock.advance(10_000);
    await stopped;
    await expect(sequence.control({ type: 'pause' })).rejects.toThrow(/cannot pause/);
    await expect(sequence.control({ type: 'resume' })).rejects.toThrow(/cannot resume/);
  });
});
