/**
 * A Site's concurrency is a promise: after an attempt timeout, a total timeout or
 * a License revocation, the slot stays held until the function actually stops, or
 * until cancelGrace passes (the same rule as a user cancel). A Site of concurrency
 * 1 never runs two functions at once, and a retry never overlaps the attempt it
 * abandoned. On both engines, time on a ManualClock.
 */
import { describe, expect, it } from 'vitest';
import { License, ManualClock, type RunContext } from '../../src/index.js';
import { engines, setup, drain, rejection } from '../support/actionHarness.js';

const GRACE = 50;

/** Functions that ignore their signal and stop `stopAfter` ms after they started (never when null), counting how many run at once. */
function tracker(clock: ManualClock) {
  const log: string[] = [];
  let running = 0;
  let most = 0;
  const work = (label: string, stopAfter: number | null) => (_: unknown, ctx: RunContext) =>
    new Promise<string>((resolve) => {
      running++;
      most = Math.max(most, running);
      log.push(`${clock.now()} start ${label}#${ctx.attempt}`);
      if (stopAfter === null) return;
      clock.setTimeout(() => {
        running--;
        log.push(`${clock.now()} stop ${label}#${ctx.attempt}`);
        resolve(label);
      }, stopAfter);
    });
  return { log, work, most: () => most };
}

describe.each(engines)('the Site slot is held until the function stops (%s engine)', (engine) => {
  it('after an attempt timeout, the retry waits until the abandoned attempt stops', async () => {
    const clock = new ManualClock();
    const { log, work, most } = tracker(clock);
    const again = setup(engine, { Slow: { run: (c: unknown, ctx: RunContext) => (ctx.attempt === 1 ? work('A', 130)(c, ctx) : work('A', 10)(c, ctx)), timeout: 100, retry: { attempts: 2, initialDelay: 0, jitter: 'none' }, cancelGrace: GRACE } }, { clock });
    const handle = again.sequence.assign('Slow');
    await clock.advance(0);
    await clock.advance(200);
    await drain(clock);
    expect(await handle.result).toBe('A');
    expect(log).toEqual(['0 start A#1', '130 stop A#1', '130 start A#2', '140 stop A#2']);
    expect(most()).toBe(1);
  });

  it('after an attempt timeout with a function that never stops, the retry starts cancelGrace after the timeout', async () => {
    const clock = new ManualClock();
    const { log, work } = tracker(clock);
    const again = setup(engine, { Slow: { run: (c: unknown, ctx: RunContext) => (ctx.attempt === 1 ? work('A', null)(c, ctx) : work('A', 10)(c, ctx)), timeout: 100, retry: { attempts: 2, initialDelay: 0, jitter: 'none' }, cancelGrace: GRACE } }, { clock });
    const handle = again.sequence.assign('Slow');
    await clock.advance(0);
    await clock.advance(300);
    expect(await handle.result).toBe('A');
    expect(log).toEqual(['0 start A#1', '150 start A#2', '160 stop A#2']);
  });

  it('after a total timeout, the next action waits until the function stops', async () => {
    const clock = new ManualClock();
    const { log, work, most } = tracker(clock);
    const s = setup(engine, { A: { run: work('A', 120), timeout: { total: 100 }, cancelGrace: GRACE }, B: { run: work('B', 10) } }, { clock });
    const a = s.sequence.assign('A');
    const b = s.sequence.assign('B');
    await clock.advance(0);
    await clock.advance(200);
    expect((await rejection(a.result) as Error).name).toBe('TimeoutError');
    expect(await b.result).toBe('B');
    expect(log).toEqual(['0 start A#1', '120 stop A#1', '120 start B#1', '130 stop B#1']);
    expect(most()).toBe(1);
  });

  it('after a License revocation, the next action waits cancelGrace for a function that never stops', async () => {
    const clock = new ManualClock();
    const { log, work, most } = tracker(clock);
    const license = new License('tenant');
    const s = setup(engine, { A: { run: work('A', null), cancelGrace: GRACE }, B: { run: work('B', 10) } }, { clock });
    const a = s.sequence.assign('A', null, { license });
    const b = s.sequence.assign('B');
    await clock.advance(20);
    license.revoke();
    await clock.advance(200);
    expect((await rejection(a.result) as Error).name).toBe('LicenseError');
    expect(await b.result).toBe('B');
    expect(log).toEqual(['0 start A#1', '70 start B#1', '80 stop B#1']);
    expect(most()).toBe(2); // A never stopped: B ran beside it only once A was abandoned
  });

  it('a user cancel follows the same rule (the grace is counted once, from the cancel)', async () => {
    const clock = new ManualClock();
    const { log, work } = tracker(clock);
    const s = setup(engine, { A: { run: work('A', null), cancelGrace: GRACE }, B: { run: work('B', 10) } }, { clock });
    const a = s.sequence.assign('A');
    const b = s.sequence.assign('B');
    await clock.advance(20);
    a.cancel();
    await clock.advance(200);
    expect(a.getSnapshot().value).toBe('cancelled');
    expect(await b.result).toBe('B');
    expect(log).toEqual(['0 start A#1', '70 start B#1', '80 stop B#1']);
  });
});
