import { UnrecoverableError, Worker } from 'bullmq';
import { afterEach, expect, it } from 'vitest';
import { createPlan } from '../../src/Plan.js';
import { Sequence } from '../../src/Sequence.js';
import { ExecutionError } from '../../src/errors.js';
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
