/**
 * The xstate engine never sends to an actor that already stopped (XState would
 * warn "Event ... was sent to stopped actor"): control after settling, and a
 * License revoked while a holder fails on its own check, are no events at all.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { License, type RunContext } from '../../src/index.js';
import { engines, setup, drain, rejection, untilAborted } from '../support/actionHarness.js';

let warnings: unknown[][] = [];
beforeEach(() => {
  warnings = [];
  vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args));
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe.each(engines)('no events to stopped actors (%s engine)', (engine) => {
  it('retryNow, cancel and inspector control on a settled action send nothing', async () => {
    const { clock, sequence } = setup(engine, { Work: { run: async () => 'ok' } });
    const handle = sequence.assign('Work');
    await drain(clock);
    expect(await handle.result).toBe('ok');
    handle.retryNow();
    handle.cancel();
    await drain(clock);
    expect(warnings).toEqual([]);
  });

  it('revoking a License whose queued holder fails on its own check first sends it nothing more', async () => {
    const license = new License('tenant');
    const { clock, sequence } = setup(engine, { Slow: { run: (_: unknown, ctx: RunContext) => untilAborted(ctx.signal) } });
    const running = sequence.assign('Slow', null, { license });
    const queued = sequence.assign('Slow', null, { license });
    await clock.advance(0);
    license.revoke();
    await drain(clock);
    await rejection(running.result);
    await rejection(queued.result);
    expect(warnings).toEqual([]);
  });
});
