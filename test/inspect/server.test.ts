import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWebSocketInspector } from '@statelyai/inspect';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { createActor, createMachine } from 'xstate';
import { ManualClock } from '../../src/clock.js';
import { connectInspector } from '../../src/inspect/producer.js';
import { PROTOCOL_VERSION, type AckMessage, type DeltaMessage, type ErrorFrame, type FullState, type ServerMessage } from '../../src/inspect/protocol.js';
import { inspect, type InspectorServer } from '../../src/inspect/server.js';
import { createTestSequence } from './testSequence.js';
import { openViewer, wsUrl, type TestViewer } from './viewer.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(options: { token?: string; staticDir?: string; maxProducerMessageBytes?: number } = {}) {
  const clock = new ManualClock(0);
  const target = createTestSequence({ clock, names: ['mail'], name: 'Local sequence', concurrency: 1 });
  const server = await inspect(target, { clock, staticDir: options.staticDir ?? join(tmpdir(), 'echo-no-build'), ...options });
  cleanups.push(() => server.close());
  return { clock, target, server };
}

async function viewer(server: InspectorServer, token?: string): Promise<TestViewer> {
  const v = await openViewer(server.url.split('?')[0]!);
  cleanups.push(() => v.close());
  v.send(token === undefined ? { type: 'subscribe', version: PROTOCOL_VERSION } : { type: 'subscribe', version: PROTOCOL_VERSION, token });
  await v.next((m) => m.type === 'full', 'full state');
  return v;
}

const isError = (code: ErrorFrame['code']) => (m: ServerMessage) => m.type === 'error' && m.code === code;
/** A delta in which actor `id` (an Echo action's session is `echo:<id>`; '' for any actor) is in state `value`. */
const actionValue = (m: ServerMessage, id: string, value: string): boolean =>
  m.type === 'delta' &&
  m.ops.some((op) => (op.op === 'state' && op.value === value && (id === '' || op.sessionId === `echo:${id}`)) || (op.op === 'add' && (id === '' || op.actor.id === id) && op.actor.value === value));

describe('inspect()', () => {
  test('binds 127.0.0.1 by default and prints a URL with the token', async () => {
    const { server } = await start();
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${encodeURIComponent(server.token)}`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  test('a viewer gets hello, sources, machines and the full state, then batched deltas', async () => {
    const { clock, target, server } = await start();
    const v = await viewer(server);
    const types = v.messages.map((m) => m.type);
    expect(types.slice(0, 2)).toEqual(['hello', 'sources']);
    expect(types.filter((t) => t === 'machine')).toHaveLength(3);
    expect(v.messages[0]).toMatchObject({ type: 'hello', canControl: false });
    // The Site runs one action at a time: the second waits in the queue until the first is done.
    target.assign('mail', { hooks: 0, afterHooks: 0, attempt: 100 });
    const watched = target.assign('mail', { hooks: 100, attempt: 100 });
    await clock.advance(50);
    await v.next((m) => actionValue(m, watched.id, 'queued'), 'queued');
    await clock.advance(100);
    await v.next((m) => actionValue(m, watched.id, 'hooks'), 'in hooks');
    await clock.advance(100);
    await v.next((m) => actionValue(m, watched.id, 'running'), 'running');
  });

  test('a late joiner gets the current state only', async () => {
    const { clock, target, server } = await start();
    const early = await viewer(server);
    const handle = target.assign('mail', { attempt: 10_000 });
    await clock.advance(100);
    await early.next((m) => actionValue(m, handle.id, 'running'), 'running');
    const late = await viewer(server);
    const full = late.messages.find((m): m is FullState => m.type === 'full')!;
    expect(full.actors.find((a) => a.id === handle.id)).toMatchObject({ value: 'running', kind: 'action' });
    // After the full state only the recent event history follows (a bounded ring), in order, with the actors' ids.
    const deltas = late.messages.filter((m): m is DeltaMessage => m.type === 'delta');
    expect(deltas).toHaveLength(1);
    const events = deltas[0]!.ops;
    expect(events.every((op) => op.op === 'event')).toBe(true);
    const times = events.map((op) => (op as Extract<typeof op, { op: 'event' }>).at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const act = full.actors.find((a) => a.id === handle.id)!;
    expect(events.some((op) => op.op === 'event' && op.sessionId === act.sessionId)).toBe(true);
  });

  test('control needs the token; with it the command reaches the runtime', async () => {
    const { clock, target, server } = await start();
    const handle = target.assign('mail', { attempt: 10_000 });
    handle.result.catch(() => undefined);
    await clock.advance(50);
    const source = target.id;
    const anonymous = await viewer(server);
    anonymous.send({ type: 'control', ref: 'r1', source, command: { type: 'cancel', actionId: handle.id } });
    await anonymous.next(isError('unauthorized'), 'unauthorized');
    anonymous.send({ type: 'control', ref: 'r2', source, command: { type: 'cancel', actionId: handle.id }, token: 'wrong' });
    await anonymous.next((m) => isError('unauthorized')(m) && (m as ErrorFrame).ref === 'r2', 'unauthorized again');
    expect(handle.getSnapshot().value).toBe('running');
    expect(handle.getSnapshot().context.cancellation).toBeNull();

    const owner = await viewer(server, server.token);
    expect(owner.messages[0]).toMatchObject({ type: 'hello', canControl: true });
    owner.send({ type: 'control', ref: 'r3', source, command: { type: 'cancel', actionId: handle.id }, token: server.token });
    expect(await owner.next<AckMessage>((m) => m.type === 'ack', 'ack')).toEqual({ type: 'ack', ref: 'r3', ok: true });
    await clock.advance(100);
    await expect(handle.result).rejects.toMatchObject({ name: 'CancellationError', reason: 'user' });
    expect(handle.getSnapshot().value).toBe('cancelled');
    owner.send({ type: 'control', ref: 'r4', source, command: { type: 'retry', actionId: 'nope' }, token: server.token });
    expect(await owner.next<AckMessage>((m) => m.type === 'ack' && m.ref === 'r4', 'failed ack')).toMatchObject({ ok: false, error: 'No action "nope" in Sequence "Local sequence"' });
    owner.send({ type: 'control', ref: 'r5', source: 'elsewhere', command: { type: 'pause' }, token: server.token });
    await owner.next(isError('unknown-source'), 'unknown source');
  });

  test('bad frames get an error frame and the connection and server carry on', async () => {
    const { server } = await start({ maxProducerMessageBytes: 1024 * 1024 });
    const v = await viewer(server);
    v.send('{ not json');
    await v.next(isError('bad-json'), 'bad-json');
    v.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    await v.next((m) => isError('bad-message')(m) && (m as ErrorFrame).message.includes('binary'), 'binary refused');
    v.send({ type: 'control', ref: 'x', source: 'any', command: { type: 'explode' }, token: server.token });
    await v.next((m) => isError('bad-message')(m) && (m as ErrorFrame).message.includes('command.type'), 'bad command');
    v.send([1, 2]);
    v.send({ type: 'subscribe', version: 99 });
    await v.next((m) => isError('bad-message')(m) && (m as ErrorFrame).message.includes('version'), 'bad version');
    v.send({ type: 'subscribe', version: PROTOCOL_VERSION, pad: 'x'.repeat(100_000) });
    await v.next(isError('too-large'), 'too-large');
    const before = v.messages.length;
    v.send({ type: 'subscribe', version: PROTOCOL_VERSION });
    await v.next((m) => m.type === 'hello', 'still served', before);

    // Past the hard limit the socket is closed (1009), the server keeps serving.
    const huge = await openViewer(server.url);
    const closed = new Promise<number>((resolve) => huge.socket.once('close', (code) => resolve(code)));
    huge.send('x'.repeat(2 * 1024 * 1024));
    expect(await closed).toBe(1009);
    await viewer(server);
  });

  test('browsers from another origin are refused', async () => {
    const { server } = await start();
    await expect(openViewer(server.url, { origin: 'http://evil.example' })).rejects.toThrow(/403/);
    const same = await openViewer(server.url, { origin: `http://127.0.0.1:${server.port}` });
    await same.close();
  });

  test('two sources: a runtime in another process streams in as a producer and obeys controls', async () => {
    const { target, server } = await start();
    const remoteClock = new ManualClock(0);
    const remote = createTestSequence({ clock: remoteClock, names: ['remote job'], name: 'Worker 2' });
    const connection = await connectInspector(remote, { url: server.url, adapter: { clock: remoteClock }, sourceId: 'worker-2' });
    cleanups.push(() => connection.close());
    const v = await viewer(server, server.token);
    await v.next((m) => m.type === 'sources' && m.sources.length === 2, 'two sources');
    const sources = [...v.messages].reverse().find((m) => m.type === 'sources')!;
    expect(sources).toMatchObject({ sources: [{ id: target.id, kind: 'echo' }, { id: 'worker-2', name: 'Worker 2', kind: 'remote', connected: true, controllable: true }] });
    expect(v.messages.some((m) => m.type === 'full' && m.source === 'worker-2')).toBe(true);

    const handle = remote.assign('remote job', { attempt: 10_000 });
    handle.result.catch(() => undefined);
    await remoteClock.advance(50);
    await v.next((m) => m.type === 'delta' && m.source === 'worker-2' && actionValue(m, handle.id, 'running'), 'remote action running');
    v.send({ type: 'control', ref: 'rc', source: 'worker-2', command: { type: 'cancel', actionId: handle.id }, token: server.token });
    expect(await v.next<AckMessage>((m) => m.type === 'ack' && m.ref === 'rc', 'remote ack')).toMatchObject({ ok: true });
    await remoteClock.advance(100);
    await expect(handle.result).rejects.toMatchObject({ name: 'CancellationError', reason: 'user' });
    await v.next((m) => m.type === 'delta' && m.source === 'worker-2' && actionValue(m, handle.id, 'cancelled'), 'remote cancelled');

    connection.close();
    await connection.closed;
    await v.next((m) => m.type === 'sources' && m.sources.some((s) => s.id === 'worker-2' && !s.connected), 'remote disconnected');
  });

  test('an XState app using @statelyai/inspect appears as a source', async () => {
    const { clock, server } = await start();
    const v = await viewer(server);
    const stately = createWebSocketInspector({ url: wsUrl(server.url) });
    cleanups.push(() => stately.stop());
    const light = createMachine({
      id: 'trafficLight',
      initial: 'green',
      states: { green: { on: { NEXT: 'yellow' } }, yellow: { on: { NEXT: 'red' } }, red: { on: { NEXT: 'green' } } },
    });
    const actor = createActor(light, { inspect: stately.inspect }).start();
    cleanups.push(() => {
      actor.stop();
    });
    const sources = await v.next((m) => m.type === 'sources' && m.sources.some((s) => s.kind === 'stately'), 'stately source');
    const source = (sources as Extract<ServerMessage, { type: 'sources' }>).sources.find((s) => s.kind === 'stately')!;
    expect(source.controllable).toBe(false);
    actor.send({ type: 'NEXT' });
    actor.send({ type: 'NEXT' });
    const machine = await v.next((m) => m.type === 'machine' && m.source === source.id, 'machine definition');
    expect((machine as Extract<ServerMessage, { type: 'machine' }>).machine.root.states.map((s) => s.key).sort()).toEqual(['green', 'red', 'yellow']);
    // The bridge's adapter flushes on the server clock.
    for (let i = 0; i < 50 && !v.messages.some((m) => m.type === 'delta' && m.source === source.id && actionValue(m, '', 'red')); i++) {
      await clock.advance(50);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const seen = v.messages.filter((m): m is DeltaMessage => m.type === 'delta' && m.source === source.id);
    const ops = seen.flatMap((m) => m.ops);
    expect(ops.some((op) => op.op === 'add' && op.actor.machineId === 'trafficLight')).toBe(true);
    expect(ops.some((op) => (op.op === 'state' && op.value === 'red') || (op.op === 'add' && op.actor.value === 'red'))).toBe(true);
    expect(ops.some((op) => op.op === 'event' && (op.event as { type: string }).type === 'NEXT')).toBe(true);
  });

  test('serves the built app, refuses paths outside it, and says how to build when missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'echo-inspector-'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>Echo inspector</title>');
    const { server } = await start({ staticDir: dir });
    const base = server.url.split('?')[0]!;
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Echo inspector');
    expect((await fetch(`${base}..%2f..%2fetc%2fpasswd`)).status).toBe(403);
    expect((await fetch(`${base}missing.js`)).status).toBe(404);
    expect((await fetch(base, { method: 'POST' })).status).toBe(405);

    const { server: unbuilt } = await start();
    const missing = await fetch(unbuilt.url);
    expect(missing.status).toBe(500);
    expect(await missing.text()).toContain('npm run build:inspector');
  });

  test('closing the server ends every connection', async () => {
    const { server } = await start();
    const v = await openViewer(server.url);
    const closed = new Promise((resolve) => v.socket.once('close', resolve));
    await server.close();
    await closed;
    expect(v.socket.readyState).toBe(WebSocket.CLOSED);
    cleanups.length = 0;
  });
});
