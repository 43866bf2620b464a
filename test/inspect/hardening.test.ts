/** The server's guards, each against real sockets: Host header, headers, bad URLs, producer tokens and ids, bounded buffers. */
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { createPlan, ManualClock, Sequence } from '../../src/index.js';
import { connectInspector, InspectorConnectionError } from '../../src/inspect/producer.js';
import { unpackFrame, type ServerFrame } from '../../src/inspect/packedActors.js';
import { PROTOCOL_VERSION, type ServerMessage } from '../../src/inspect/protocol.js';
import type { InspectOptions } from '../../src/inspect/inspectOptions.js';
import { inspect } from '../../src/inspect/server.js';
import { openViewer } from './viewer.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function holdingSequence(clock = new ManualClock()) {
  const plan = createPlan({ Hold: (_: unknown, ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))) });
  const sequence = new Sequence({ plan, clock, sites: 1, concurrency: 4 });
  sequence.start();
  cleanups.push(async () => {
    const stopped = sequence.shutdown({ deadline: 0 });
    await clock.advance(60_000);
    await stopped;
  });
  return { sequence, clock };
}

async function serve(options: InspectOptions = {}, withSequence = true) {
  const targets = withSequence ? [holdingSequence().sequence] : [];
  const server = await inspect(targets, { staticDir: join(tmpdir(), 'echo-no-build'), ...options });
  cleanups.push(() => server.close());
  return server;
}

/** Bytes the kernel may buffer for one loopback TCP connection: the most its receive and send buffers grow to (Linux), else 16 MiB. */
function kernelSocketBuffers(): number {
  const most = (file: string): number => Number(readFileSync(file, 'utf8').trim().split(/\s+/)[2]);
  try {
    const bytes = most('/proc/sys/net/ipv4/tcp_rmem') + most('/proc/sys/net/ipv4/tcp_wmem');
    return Number.isFinite(bytes) ? bytes : 16 * 1024 * 1024;
  } catch {
    return 16 * 1024 * 1024;
  }
}

function get(port: number, path: string, host: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += String(chunk)));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (predicate()) return;
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

describe('Host header (DNS rebinding)', () => {
  test('HTTP and WebSocket upgrades with a foreign Host are refused; loopback names and the configured host pass', async () => {
    const server = await serve({}, false);
    expect((await get(server.port, '/', 'evil.example')).status).toBe(403);
    expect((await get(server.port, '/', `evil.example:${server.port}`)).status).toBe(403);
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, 'localhost']) {
      expect((await get(server.port, '/', host)).status).toBe(500); // served (the app is not built here)
    }
    const refused = new WebSocket(`ws://127.0.0.1:${server.port}/`, { headers: { host: 'evil.example' } });
    await expect(new Promise((resolve, reject) => { refused.once('open', resolve); refused.once('error', reject); })).rejects.toThrow(/403/);
    const viewer = await openViewer(`http://localhost:${server.port}/`);
    await viewer.close();
  });

  test('allowedHosts adds names', async () => {
    const server = await serve({ allowedHosts: ['inspector.internal'] }, false);
    expect((await get(server.port, '/', 'inspector.internal')).status).toBe(500);
    expect((await get(server.port, '/', 'other.internal')).status).toBe(403);
  });
});

describe('security headers and bad URLs', () => {
  test('pages carry a CSP with the hash of their inline script, X-Frame-Options DENY and nosniff; GET /% answers 400', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'echo-csp-'));
    const script = 'console.log("app")';
    await writeFile(join(dir, 'index.html'), `<!doctype html><title>Echo</title><style>b{}</style><script type="module">${script}</script>`);
    const server = await serve({ staticDir: dir }, false);
    const host = `127.0.0.1:${server.port}`;
    const page = await get(server.port, '/', host);
    expect(page.status).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    const hash = createHash('sha256').update(script).digest('base64');
    expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain(`connect-src 'self' ws://${host}`);
    expect(csp).toContain("default-src 'none'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const bad = await get(server.port, '/%', host);
    expect(bad.status).toBe(400);
    expect(bad.headers['x-frame-options']).toBe('DENY');
    expect((await get(server.port, '/%E0%A4%A', host)).status).toBe(400);
  });
});

describe('producers', () => {
  test('a producer needs the token: without it connectInspector rejects with a typed error', async () => {
    const server = await serve({}, false);
    const { sequence } = holdingSequence();
    const bare = server.url.split('?')[0]!;
    const refused = connectInspector(sequence, { url: bare });
    await expect(refused).rejects.toBeInstanceOf(InspectorConnectionError);
    await expect(refused).rejects.toMatchObject({ name: 'InspectorConnectionError', code: 'unauthorized' });
    await expect(connectInspector(sequence, { url: bare, token: 'wrong' })).rejects.toMatchObject({ code: 'unauthorized' });
    expect(server.snapshot()[0]).toEqual({ type: 'sources', sources: [] });
    // A raw `produce` frame without the token is refused too.
    const raw = new WebSocket(bare.replace(/^http/, 'ws'));
    const frames: ServerMessage[] = [];
    raw.on('message', (data) => frames.push(unpackFrame(JSON.parse(String(data)) as ServerFrame)));
    await new Promise((resolve) => raw.once('open', resolve));
    const closed = new Promise<number>((resolve) => raw.once('close', (code) => resolve(code)));
    raw.send(JSON.stringify({ type: 'produce', version: PROTOCOL_VERSION, source: { id: 'x', name: 'x' } }));
    expect(await closed).toBe(4401);
    expect(frames).toMatchObject([{ type: 'error', code: 'unauthorized' }]);
  });

  test('@xstate.* frames need the token', async () => {
    const server = await serve({}, false);
    const raw = new WebSocket(server.url.split('?')[0]!.replace(/^http/, 'ws'));
    await new Promise((resolve) => raw.once('open', resolve));
    const closed = new Promise<number>((resolve) => raw.once('close', (code) => resolve(code)));
    raw.send(JSON.stringify({ type: '@xstate.actor', sessionId: 'x:1', _version: '1', definition: '{}' }));
    expect(await closed).toBe(4401);
    expect(server.snapshot()[0]).toEqual({ type: 'sources', sources: [] });
  });

  test('two processes’ Sequences (both root id x:0) both appear; a producer cannot take over a live source’s id', async () => {
    const server = await serve({}, false);
    const a = holdingSequence().sequence;
    const other = holdingSequence().sequence;
    // Another process's Sequence has the same root id (`x:0` in each process): modelled by a target with a's id.
    const b = { id: a.id, name: 'b', subscribeInspection: other.subscribeInspection.bind(other), currentActors: () => other.currentActors(), machines: () => other.machines(), control: other.control.bind(other) };
    const first = await connectInspector(a, { url: server.url });
    const second = await connectInspector(b, { url: server.url });
    cleanups.push(() => first.close(), () => second.close());
    expect(first.source).not.toBe(second.source);
    const sources = (server.snapshot()[0] as Extract<ServerMessage, { type: 'sources' }>).sources;
    expect(sources.map((s) => s.id).sort()).toEqual([first.source, second.source].sort());
    expect(sources.every((s) => s.connected)).toBe(true);
    const takeover = connectInspector(b, { url: server.url, sourceId: first.source });
    await expect(takeover).rejects.toMatchObject({ name: 'InspectorConnectionError', code: 'source-in-use' });
    expect((server.snapshot()[0] as Extract<ServerMessage, { type: 'sources' }>).sources).toHaveLength(2);
  });

  test('a producer cannot take over a local source’s id', async () => {
    const server = await serve();
    const local = (server.snapshot()[0] as Extract<ServerMessage, { type: 'sources' }>).sources[0]!;
    const other = holdingSequence().sequence;
    await expect(connectInspector(other, { url: server.url, sourceId: local.id })).rejects.toMatchObject({ code: 'source-in-use' });
  });
});

describe('bounded per-client buffers', () => {
  test('subscribe frames repeated by a client that never reads queue at most one full state; past the limit the client is closed', async () => {
    const { sequence, clock } = holdingSequence();
    // Each action's pad is its own (a join's frames share repeated strings): a full state is several MB.
    for (let i = 0; i < 6000; i++) sequence.assign('Hold', { pad: String(i).padStart(600, 'p'), i }).result.catch(() => undefined);
    const maxClientBuffer = 4 * 1024 * 1024;
    const server = await inspect(sequence, { staticDir: join(tmpdir(), 'echo-no-build'), maxClientBuffer });
    cleanups.push(() => server.close());
    const socket = new WebSocket(server.url.replace(/^http/, 'ws'));
    await new Promise((resolve) => socket.once('open', resolve));
    const raw = (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    raw.pause(); // never reads
    const frames: ServerMessage[] = [];
    socket.on('message', (data) => frames.push(unpackFrame(JSON.parse(String(data)) as ServerFrame)));
    for (let i = 0; i < 30; i++) socket.send(JSON.stringify({ type: 'subscribe', version: PROTOCOL_VERSION }));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    // Let the server take the 30 frames in while the client does not read.
    await new Promise((resolve) => setTimeout(resolve, 200));
    raw.resume();
    await waitFor(() => frames.filter((m) => m.type === 'hello').length === 30, '30 hellos');
    const actorsSent = frames.reduce((n, m) => n + (m.type === 'full' ? m.actors.length : m.type === 'delta' ? m.ops.filter((op) => op.op === 'add').length : 0), 0);
    // 30 full states would be 30 × 6000 actors; a join replaced by the next subscribe sends at most one more.
    expect(actorsSent).toBeLessThan(3 * 6003);
    const fulls = frames.filter((m) => m.type === 'full');
    expect(fulls.length).toBeLessThan(30);
    socket.close();
    await closed;

    // A client that never reads while deltas flow is closed once its buffer passes the limit.
    const slow = new WebSocket(server.url.replace(/^http/, 'ws'));
    await new Promise((resolve) => slow.once('open', resolve));
    const slowRaw = (slow as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    slow.send(JSON.stringify({ type: 'subscribe', version: PROTOCOL_VERSION }));
    slowRaw.pause();
    const slowClosed = new Promise<number>((resolve) => slow.once('close', (code) => resolve(code)));
    // Deltas flow (each flush takes in 500 new actions of ~6 kB: three pads of the inspector's longest string) while it
    // does not read, until well past what the kernel can hold for it: its receive buffer may grow to tcp_rmem's maximum
    // (32 MiB on some machines) and the server's send buffer to tcp_wmem's, before the server's own buffer grows at all.
    const absorbed = kernelSocketBuffers() + maxClientBuffer;
    const rounds = Math.max(40, Math.ceil((2 * absorbed) / (500 * 3 * 2000)));
    for (let round = 0; round < rounds; round++) {
      // Pads of their own: packed frames share repeated strings, and each action must still cost ~6 kB on the wire.
      for (let i = 0; i < 500; i++) {
        const tag = String(round * 500 + i);
        sequence.assign('Hold', { a: tag.padStart(2000, 'q'), b: tag.padStart(2000, 'r'), c: tag.padStart(2000, 's') }).result.catch(() => undefined);
      }
      await clock.advance(60);
      await new Promise((resolve) => setImmediate(resolve));
    }
    slowRaw.resume();
    expect(await slowClosed).not.toBe(1000);
  }, 30_000);
});

describe('converging after a flood', () => {
  test('a viewer that fell behind during a flood gets the truth once it drains, though no delta follows: 0 active when the runtime is idle', async () => {
    const clock = new ManualClock();
    const gate: { open?: () => void } = {};
    const opened = new Promise<void>((resolve) => (gate.open = resolve));
    const plan = createPlan({ Wait: async (_: { pad: string }) => opened });
    const sequence = new Sequence({ plan, clock, sites: 2, concurrency: 50_000 });
    sequence.start();
    const server = await inspect(sequence, { clock, staticDir: join(tmpdir(), 'echo-no-build'), maxViewerBuffer: 64 * 1024 });
    cleanups.push(() => server.close(), () => sequence.shutdown({ deadline: 0 }));
    const { SourceMirror } = await import('../../src/inspect/mirror.js');
    const mirror = new SourceMirror(sequence.id);
    const socket = new WebSocket(server.url.replace(/^http/, 'ws'));
    socket.on('message', (data) => {
      const message = unpackFrame(JSON.parse(String(data)) as ServerFrame);
      if ((message.type === 'full' || message.type === 'delta') && message.source === sequence.id) mirror.apply(message);
    });
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'subscribe', version: PROTOCOL_VERSION }));
    await waitFor(() => mirror.fullState().actors.length > 0, 'the first full state');
    const raw = (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    raw.pause();
    const handles = [];
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 500; i++) handles.push(sequence.assign('Wait', { pad: 'w'.repeat(1000) }));
      await clock.advance(60);
    }
    gate.open!();
    await Promise.all(handles.map((h) => h.result));
    await sequence.whenIdle();
    for (let i = 0; i < 30; i++) await clock.advance(60); // the last flushes: the viewer is far behind
    raw.resume();
    const active = () => mirror.fullState().actors.filter((a) => a.kind === 'action' && a.status === 'active').length;
    await waitFor(() => active() === 0 && mirror.fullState().actors.some((a) => a.kind === 'action'), 'the viewer to show 0 active actions');
    socket.close();
  }, 30_000);
});
