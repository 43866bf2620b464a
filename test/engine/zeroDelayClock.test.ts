import { describe, expect, it } from 'vitest';
import { createPlan, ManualClock, Sequence } from '../../src/index.js';
import { zeroDelayClock } from '../../src/engine/zeroDelayClock.js';
import { engines } from '../support/actionHarness.js';

describe('zeroDelayClock', () => {
  it('runs a 0 ms delay in a microtask, without a timer of the clock beyond the one that ends the burst', async () => {
    const manual = new ManualClock();
    const clock = zeroDelayClock(manual);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('zero'), 0);
    clock.setTimeout(() => fired.push('later'), 5);
    expect(manual.pending).toBe(2); // the 5 ms timer and the burst's reset
    await Promise.resolve();
    expect(fired).toEqual(['zero']);
    await manual.advance(5);
    expect(fired).toEqual(['zero', 'later']);
  });

  it('a cancelled zero delay never runs', async () => {
    const clock = zeroDelayClock(new ManualClock());
    let fired = false;
    clock.clearTimeout(clock.setTimeout(() => (fired = true), 0));
    await Promise.resolve();
    expect(fired).toBe(false);
  });

  it('past maxBurst zero delays in one turn of the clock, they wait for the clock again (the event loop turns)', async () => {
    const manual = new ManualClock();
    const clock = zeroDelayClock(manual, 3);
    const fired: number[] = [];
    for (let i = 0; i < 5; i++) clock.setTimeout(() => fired.push(i), 0);
    await Promise.resolve();
    expect(fired).toEqual([0, 1, 2]);
    await manual.advance(0);
    expect(fired).toEqual([0, 1, 2, 3, 4]);
    clock.setTimeout(() => fired.push(5), 0); // the burst was reset by the clock's turn
    await Promise.resolve();
    expect(fired).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe.each(engines)('a zero backoff (%s engine)', (engine) => {
  it('re-queues the action without waiting for a timer: fail, fail, succeed with no time passing', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const plan = createPlan({
      Flaky: { run: async () => { if (++calls < 3) throw new Error(`attempt ${calls}`); return 'ok'; }, retry: { attempts: 3, initialDelay: 0, jitter: 'none' } },
    });
    const sequence = new Sequence({ plan, clock, engine, sites: 1 }).start();
    const handle = sequence.assign('Flaky', null);
    expect(await handle.result).toBe('ok'); // the ManualClock never advanced
    expect(calls).toBe(3);
    expect(clock.now()).toBe(0);
    const attempts = handle.getSnapshot().context.attempts;
    expect(attempts.map((a) => [a.outcome, a.backoff])).toEqual([['failed', 0], ['failed', 0], ['succeeded', null]]);
    await sequence.shutdown({ deadline: 0 });
  });
});
