/**
 * A durable Sequence in the inspector: restored actions carry their earlier attempts
 * (the interrupted one too), dead letters travel as a `dead-letters` message, and a
 * `redrive` control command assigns them again, only with the token.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createPlan, ManualClock, Sequence } from '../../src/index.js';
import { memoryStore, sqliteStore } from '../../src/store/index.js';
import { createInspectionAdapter } from '../../src/inspect/adapter.js';
import { inspect } from '../../src/inspect/server.js';
import { checkCommand } from '../../src/inspect/validate.js';
import { PROTOCOL_VERSION, type AckMessage, type DeadLettersMessage, type ErrorFrame, type ServerMessage, type SourceMessage, type WireActionContext } from '../../src/inspect/protocol.js';
import { openViewer } from './viewer.js';
import { tempStoreFiles } from '../support/tempStoreFile.js';

const tempFile = tempStoreFiles('inspect-durable');

function failingPlan() {
  const state = { healthy: false };
  const plan = createPlan({
    Pay: {
      run: async (_content: { amount: number }) => {
        if (!state.healthy) throw new Error('gateway down');
        return 'paid';
      },
      retry: { attempts: 2, initialDelay: 10, jitter: 'none' },
    },
  });
  return { plan, state };
}

const isDead = (message: ServerMessage | SourceMessage): message is DeadLettersMessage => message.type === 'dead-letters';

describe('dead letters on the wire', () => {
  test('a failure that exhausts its retries is sent as a dead letter with its history; a redrive command empties the list', async () => {
    const clock = new ManualClock();
    const { plan, state } = failingPlan();
    const sequence = new Sequence({ plan, clock, sites: 1, store: memoryStore() }).start();
    const adapter = createInspectionAdapter(sequence.id, sequence, { clock, flushInterval: 10, deadLetterInterval: 100 });
    expect(adapter.deadLetters()).toMatchObject({ type: 'dead-letters', letters: [], total: 0 });
    const messages: SourceMessage[] = [];
    adapter.subscribe((message) => messages.push(message));
    const handle = sequence.assign('Pay', { amount: 5 });
    handle.result.catch(() => undefined);
    await clock.advance(10);
    await expect(handle.result).rejects.toThrow(/gateway down/);
    expect(messages.filter(isDead)).toEqual([]); // read at most once per deadLetterInterval
    await clock.advance(100);
    const [dead] = messages.filter(isDead);
    expect(dead).toMatchObject({ source: sequence.id, total: 1 });
    expect(dead!.letters).toHaveLength(1);
    const letter = dead!.letters[0]!;
    expect(letter).toMatchObject({ id: handle.id, name: 'Pay', queue: 'default', content: { amount: 5 }, error: { message: expect.stringMatching(/gateway down/) } });
    expect(letter.attempts.map((attempt) => attempt.outcome)).toEqual(['failed', 'failed']);
    // A joining viewer gets the list after the actors.
    const join = [...adapter.joinMessages(100)];
    expect(join.at(-1)).toMatchObject({ type: 'dead-letters', total: 1 });

    state.healthy = true;
    await sequence.control({ type: 'redrive', actionIds: [handle.id] });
    await clock.advance(100);
    expect(messages.filter(isDead).at(-1)).toMatchObject({ total: 0, letters: [] });
    await clock.advance(0);
    await expect(sequence.control({ type: 'redrive', actionIds: ['nope'] })).rejects.toThrow(/Expected ids of dead letters, got "nope"/);
    adapter.dispose();
    await sequence.shutdown();
  });

  test('a Sequence without a store sends no dead letters and refuses a redrive with a reason', async () => {
    const sequence = new Sequence({ plan: createPlan({ A: () => 1 }), sites: 1 });
    const adapter = createInspectionAdapter(sequence.id, sequence);
    expect(adapter.deadLetters()).toBeNull();
    expect([...adapter.joinMessages(100)].some(isDead)).toBe(false);
    await expect(sequence.control({ type: 'redrive', actionIds: ['a-1'] })).rejects.toThrow(/`redrive` needs a store/);
    adapter.dispose();
  });

  test('the redrive command is validated like the other bulk commands', () => {
    expect(checkCommand({ type: 'redrive', actionIds: ['a', 'b'] })).toEqual({ type: 'redrive', actionIds: ['a', 'b'] });
    expect(checkCommand({ type: 'redrive', actionIds: [] })).toMatch(/1 to 10000 ids/);
    expect(checkCommand({ type: 'redrive', actionIds: ['a', 3] })).toMatch(/actionIds\[1\]/);
  });
});

describe('a restored durable Sequence in the inspector', () => {
  test('restored actions show their earlier attempts, the interrupted one included', async () => {
    const file = tempFile();
    const clock = new ManualClock();
    let release: () => void = () => {};
    const plan = createPlan({
      Slow: (_content: null) => new Promise<string>((resolve) => (release = () => resolve('done'))),
    });
    const store1 = sqliteStore(file);
    const first = new Sequence({ plan, clock, sites: 1, store: store1 }).start();
    const handle = first.assign('Slow', null);
    await clock.advance(5);
    await first.flush();
    store1.close(); // a crash: the attempt that was running is cut off

    const store2 = sqliteStore(file);
    const later = new ManualClock(1000);
    const second = new Sequence({ plan, clock: later, sites: 1, store: store2 }).start();
    const adapter = createInspectionAdapter(second.id, second, { clock: later });
    const restored = adapter.fullState().actors.find((actor) => (actor.context as { id?: string }).id === handle.id);
    const context = restored?.context as Partial<WireActionContext> | undefined;
    expect(context?.attempts?.map((attempt) => [attempt.number, attempt.outcome])).toEqual([
      [1, 'interrupted'],
      [2, 'running'],
    ]);
    expect(context?.attempts?.[0]?.startedAt).toBe(0);
    release();
    adapter.dispose();
    await second.shutdown();
  });
});

describe('redrive through the inspector server', () => {
  test('refused without the token, carried out with it', async () => {
    const { plan, state } = failingPlan();
    const sequence = new Sequence({ plan, sites: 1, store: memoryStore(), retention: {} }).start();
    const handle = sequence.assign('Pay', { amount: 7 });
    await handle.result.catch(() => undefined);
    const server = await inspect(sequence, { adapter: { deadLetterInterval: 0 } });
    const anonymous = await openViewer(server.url.split('?')[0]!);
    anonymous.send({ type: 'subscribe', version: PROTOCOL_VERSION });
    await anonymous.next((m) => isDead(m) && m.total === 1, 'the dead letter');
    anonymous.send({ type: 'control', ref: 'r1', source: sequence.id, command: { type: 'redrive', actionIds: [handle.id] } });
    const refused = await anonymous.next<ErrorFrame>((m) => m.type === 'error' && m.ref === 'r1', 'the refusal');
    expect(refused.code).toBe('unauthorized');
    expect(sequence.deadLetters().letters.map((letter) => letter.action.id)).toEqual([handle.id]);

    state.healthy = true;
    const owner = await openViewer(server.url);
    owner.send({ type: 'subscribe', version: PROTOCOL_VERSION });
    await owner.next((m) => m.type === 'hello' && m.canControl, 'control');
    owner.send({ type: 'control', ref: 'r2', source: sequence.id, command: { type: 'redrive', actionIds: [handle.id] } });
    const ack = await owner.next<AckMessage>((m) => m.type === 'ack' && m.ref === 'r2', 'the ack');
    expect(ack.ok).toBe(true);
    expect(sequence.deadLetters().letters).toEqual([]);
    // Every viewer is told the list changed.
    await anonymous.next((m) => isDead(m) && m.total === 0, 'the empty list');
    await sequence.whenIdle();
    await anonymous.close();
    await owner.close();
    await server.close();
    await sequence.shutdown();
  });
});

describe('dead letters of another process (a producer streaming into a standalone inspector)', () => {
  test('they are relayed and kept for late viewers; a redrive goes back to the producer, with the token', async () => {
    const { connectInspector } = await import('../../src/inspect/producer.js');
    const { plan, state } = failingPlan();
    const sequence = new Sequence({ plan, sites: 1, name: 'worker-d', store: memoryStore() }).start();
    const handle = sequence.assign('Pay', { amount: 9 });
    await handle.result.catch(() => undefined);
    const server = await inspect([], { name: 'standalone' });
    const connection = await connectInspector(sequence, { url: server.url, adapter: { deadLetterInterval: 0 } });
    const viewer = await openViewer(server.url);
    try {
      viewer.send({ type: 'subscribe', version: PROTOCOL_VERSION });
      const first = await viewer.next<DeadLettersMessage>((m) => isDead(m) && m.total === 1, 'the remote dead letter');
      expect(first.source).toBe(connection.source);
      expect(first.letters.map((letter) => letter.id)).toEqual([handle.id]);
      const late = await openViewer(server.url);
      late.send({ type: 'subscribe', version: PROTOCOL_VERSION });
      await late.next((m) => isDead(m) && m.total === 1 && m.source === connection.source, 'the mirrored dead letter');
      await late.close();

      state.healthy = true;
      viewer.send({ type: 'control', ref: 'd1', source: connection.source, command: { type: 'redrive', actionIds: [handle.id] } });
      expect(await viewer.next<AckMessage>((m) => m.type === 'ack' && m.ref === 'd1', 'the ack')).toMatchObject({ ok: true });
      await viewer.next((m) => isDead(m) && m.total === 0, 'the emptied list');
      await sequence.whenIdle();
      expect(sequence.deadLetters().letters).toEqual([]);
    } finally {
      await viewer.close();
      connection.close();
      await sequence.shutdown();
      await server.close();
    }
  });
});
