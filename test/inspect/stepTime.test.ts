/** While the inspector's adapter alone inspects a Sequence, a Site still takes its next action at the time the previous one settled at (see work/StepTime.ts). */
import { describe, expect, it } from 'vitest';
import { createPlan, Sequence, type Clock } from '../../src/index.js';
import { createInspectionAdapter } from '../../src/inspect/adapter.js';

/** A clock that moves one ms on every read, so each read is told apart. */
function tickingClock(): Clock {
  let now = 0;
  return {
    now: () => ++now,
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, Number.isFinite(ms) ? ms : 2 ** 31 - 1),
    clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
  };
}

const plan = createPlan({ Noop: async (_: number) => {} });
const make = () => new Sequence({ plan, clock: tickingClock(), sites: [{ id: 'site-1' }], concurrency: 1 }).start();

async function startOfSecond(sequence: ReturnType<typeof make>): Promise<{ settledAt: number; startedAt: number }> {
  const first = sequence.assign('Noop', 1);
  const second = sequence.assign('Noop', 2); // queued behind the first: the Site (concurrency 1) is busy
  await second.result;
  return { settledAt: first.getSnapshot().context.settledAt!, startedAt: second.getSnapshot().context.attempts[0]!.startedAt };
}

describe('StepTime while inspected', () => {
  it('lends the settling step’s time while only the inspector’s puller inspects, not while an inspection observer does', async () => {
    const sequence = make();
    const adapter = createInspectionAdapter(sequence.id, sequence);
    const stop = adapter.subscribe(() => {}); // a viewer listens: the actors are pulled
    const pulled = await startOfSecond(sequence);
    expect(pulled.startedAt).toBe(pulled.settledAt);

    const unsubscribe = sequence.subscribeInspection(() => {}); // user code sees every step now
    const observed = await startOfSecond(sequence);
    expect(observed.startedAt).toBeGreaterThan(observed.settledAt);
    unsubscribe();
    stop();
    adapter.dispose();
    await sequence.shutdown({ deadline: 0 });
  });
});
