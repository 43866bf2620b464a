import { describe, expect, it } from 'vitest';
import { createPlan, Sequence, type Clock } from '../../src/index.js';

/** A clock that moves one ms on every read, so each read is told apart: it counts the reads too. */
function tickingClock(): Clock & { reads: number } {
  const clock = {
    reads: 0,
    now: () => ++clock.reads,
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, Number.isFinite(ms) ? ms : 2 ** 31 - 1),
    clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
  };
  return clock;
}

function make(clock: Clock, concurrency = 1) {
  const plan = createPlan({ Noop: async (_: number) => {} });
  return new Sequence({ plan, clock, sites: [{ id: 'site-1' }], concurrency }).start();
}

describe('the time a START takes from its step (StepTime)', () => {
  it('an action assigned to an idle Site starts at the time it was assigned at, with no clock read of its own', async () => {
    const clock = tickingClock();
    const sequence = make(clock);
    const handle = sequence.assign('Noop', 1);
    const { createdAt, attempts } = handle.getSnapshot().context;
    expect(attempts[0]!.startedAt).toBe(createdAt);
    await handle.result;
    await sequence.shutdown({ deadline: 0 });
  });

  it('the Site takes the next action at the time the previous one settled at', async () => {
    const clock = tickingClock();
    const sequence = make(clock);
    const first = sequence.assign('Noop', 1);
    const second = sequence.assign('Noop', 2); // queued behind the first: the Site (concurrency 1) is busy
    await second.result;
    const settledAt = first.getSnapshot().context.settledAt!;
    expect(second.getSnapshot().context.attempts[0]!.startedAt).toBe(settledAt);
    await sequence.shutdown({ deadline: 0 });
  });

  it('lends no time across user code: an events$ subscriber or a listener of the handle reads a fresh time', async () => {
    const clock = tickingClock();
    const sequence = make(clock);
    const subscription = sequence.events$.subscribe(() => {});
    const watched = sequence.assign('Noop', 1);
    expect(watched.getSnapshot().context.attempts[0]!.startedAt).toBeGreaterThan(watched.getSnapshot().context.createdAt);
    await watched.result;
    subscription.unsubscribe();

    const first = sequence.assign('Noop', 2);
    first.subscribe(() => {});
    const second = sequence.assign('Noop', 3);
    await second.result;
    expect(second.getSnapshot().context.attempts[0]!.startedAt).toBeGreaterThan(first.getSnapshot().context.settledAt!);
    await sequence.shutdown({ deadline: 0 });
  });

  it('takes two clock reads per plain action (its assignment and its function\'s end), not three', async () => {
    const clock = tickingClock();
    const sequence = make(clock, 4);
    await sequence.assign('Noop', 0).result;
    const before = clock.reads;
    const handles = Array.from({ length: 100 }, (_, i) => sequence.assign('Noop', i));
    await Promise.all(handles.map((handle) => handle.result));
    expect(clock.reads - before).toBe(200);
    await sequence.shutdown({ deadline: 0 });
  });
});
