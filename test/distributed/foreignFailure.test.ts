import { UnrecoverableError, Worker } from 'bullmq';
import { afterEach, expect, it } from 'vitest';
import { createPlan } from '../../src/Plan.js';
import { Sequence } from '../../src/Sequence.js';
import { ExecutionError, SerializationError } from '../../src/errors.js';
import { bullmqProduction } from '../../src/distributed/index.js';
import { connection, dropPrefix, randomPrefix } from './redis.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('a job that BullMQ itself fails (no Echo result in it) still settles its handle, as a typed ExecutionError', async () => {
  const prefix = randomPrefix();
  const production = bullmqProduction({ connection, prefix, queue: 'jobs', worker: false });
  const sequence = new Sequence({ plan: createPlan({ Echo: async (text: string) => text }), production, sites: 1 }).start();
  // Not an Echo Site: a bare BullMQ worker on the same queue fails the job with a plain error.
  const foreign = new Worker('jobs', async () => {
    throw new UnrecoverableError('stalled too often');
  }, { connection, prefix });
  cleanups.push(async () => {
    await foreign.close();
    await sequence.shutdown({ deadline: 0 });
    await dropPrefix(prefix);
  });
  const handle = sequence.assign('Echo', 'hi');
  await handle.accepted;
  const error = await handle.result.then(() => null, (failure: unknown) => failure);
  expect(error).toBeInstanceOf(ExecutionError);
  expect((error as ExecutionError).message).toContain('stalled too often');
  expect((error as ExecutionError).attempt).toBe(1);
  expect(handle.getSnapshot().value).toBe('failed');
});

it('a result that cannot be read still settles its handle: failed, with a SerializationError carrying the raw payload', async () => {
  const prefix = randomPrefix();
  const production = bullmqProduction({ connection, prefix, queue: 'jobs', worker: false });
  const sequence = new Sequence({ plan: createPlan({ Echo: async (text: string) => text }), production, sites: 1 }).start();
  // Echo's codec, but not a result it can read (a status no Echo writes): another version's, or a corrupted one.
  const payload = { codec: 1, kind: 'result', id: 'x', status: 'sideways', output: 1, error: null, settledAt: 0, attempts: [] };
  const foreign = new Worker('jobs', async () => payload, { connection, prefix });
  cleanups.push(async () => {
    await foreign.close();
    await sequence.shutdown({ deadline: 0 });
    await dropPrefix(prefix);
  });
  const handle = sequence.assign('Echo', 'hi');
  const error = await handle.result.then(() => null, (failure: unknown) => failure);
  expect(error).toBeInstanceOf(SerializationError);
  expect((error as SerializationError).payload).toBe(JSON.stringify(payload));
  expect((error as SerializationError).path).toBe('status');
  expect(handle.getSnapshot().value).toBe('failed');
  await expect(sequence.result(handle.id)).rejects.toBeInstanceOf(SerializationError);
});
