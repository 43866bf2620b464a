/**
 * A viewer joining while a flood's new actors wait for the adapter's intake (issue #13:
 * usable within 2 s, complete within 5 s at 90k): the join takes them all in, and each
 * live actor reaches the joining viewer once, in its frames, never again in a delta;
 * a viewer already there gets them as adds, in frames of bounded size.
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, test } from 'vitest';
import { createPlan, ManualClock, Sequence } from '../../src/index.js';
import { PROTOCOL_VERSION, type ServerMessage } from '../../src/inspect/protocol.js';
import { inspect } from '../../src/inspect/server.js';
import { openViewer, type TestViewer } from './viewer.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const LIVE = 3000;

async function floodedServer() {
  const clock = new ManualClock();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const sequence = new Sequence({ plan: createPlan({ Hold: () => gate }), clock, sites: 2, concurrency: LIVE });
  sequence.start();
  const server = await inspect(sequence, { clock, staticDir: join(tmpdir(), 'echo-no-build'), joinChunk: 400 });
  cleanups.push(async () => {
    release();
    await sequence.whenIdle();
    await server.close();
    await sequence.shutdown({ deadline: 0 });
  });
  return { clock, sequence, server };
}

/** Every actor a viewer was sent, in a `full` or an `add`, with how often. */
function sentActors(viewer: TestViewer, source: string): Map<string, number> {
  const seen = new Map<string, number>();
  const count = (sessionId: string): void => void seen.set(sessionId, (seen.get(sessionId) ?? 0) + 1);
  for (const message of viewer.messages) {
    if (message.type === 'full' && message.source === source) message.actors.forEach((actor) => count(actor.sessionId));
    if (message.type === 'delta' && message.source === source) for (const op of message.ops) if (op.op === 'add') count(op.actor.sessionId);
  }
  return seen;
}

async function subscribe(url: string): Promise<TestViewer> {
  const viewer = await openViewer(url);
  cleanups.push(() => viewer.close());
  viewer.send({ type: 'subscribe', version: PROTOCOL_VERSION });
  return viewer;
}

/** Waits (on messages, not on time) until `viewer` was sent `count` actors of `source`. */
async function untilSent(viewer: TestViewer, source: string, count: number): Promise<void> {
  const enough = (): boolean => sentActors(viewer, source).size >= count;
  if (!enough()) await viewer.next(() => enough(), `${count} actors of ${source}`);
}

/** Resolves once everything the server sent `viewer` before now has arrived: the answer to a bad frame comes after it. */
async function barrier(viewer: TestViewer): Promise<void> {
  const since = viewer.messages.length;
  viewer.send('not json');
  await viewer.next((m) => m.type === 'error' && m.code === 'bad-json', 'the answer to a bad frame', since);
}

describe('a viewer joining a flood', () => {
  test('alone: it gets every live actor once, in its frames, and no delta adds any of them again', async () => {
    const { clock, sequence, server } = await floodedServer();
    for (let i = 0; i < LIVE; i++) sequence.assign('Hold', i);
    await clock.advance(0);
    // Most wait for the intake (500 a flush): the join takes them all in.
    const viewer = await subscribe(server.url);
    await untilSent(viewer, sequence.id, LIVE + 3);
    await clock.advance(200); // flushes after the join
    await barrier(viewer);
    const sent = sentActors(viewer, sequence.id);
    expect(sent.size).toBe(LIVE + 3); // the Sequence, its 2 Sites and every action
    expect([...sent.values()].every((times) => times === 1)).toBe(true);
  });

  test('beside a viewer already there: the joining one gets each actor once; the other gets them as adds in frames of at most 2,000 ops', async () => {
    const { clock, sequence, server } = await floodedServer();
    const first = await subscribe(server.url);
    await first.next((m) => m.type === 'full', 'the first viewer’s full state');
    for (let i = 0; i < LIVE; i++) sequence.assign('Hold', i);
    await clock.advance(0);
    const late = await subscribe(server.url);
    await untilSent(late, sequence.id, LIVE + 3);
    await untilSent(first, sequence.id, LIVE + 3);
    await clock.advance(200);
    await barrier(late);
    await barrier(first);
    expect([...sentActors(late, sequence.id).values()].every((times) => times === 1)).toBe(true);
    const firstDeltas = first.messages.filter((m): m is Extract<ServerMessage, { type: 'delta' }> => m.type === 'delta');
    expect(Math.max(...firstDeltas.map((m) => m.ops.length))).toBeLessThanOrEqual(2000);
    expect(sentActors(first, sequence.id).size).toBe(LIVE + 3);
  });
});
