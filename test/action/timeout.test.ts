/**
 * Timeouts through the public API, on both engines: per attempt (start-to-close
 * of one call; retried) and total (from assignment, schedule-to-close; never
 * retried). Both abort the signal with a TimeoutError; an abandoned function's
 * late result is ignored.
 */
import { describe, expect, it } from 'vitest';
import {
  createPlan,
  Life,
  ManualClock,
  Sequence,
  TimeoutError,
  type EchoEvent,
  type PlanEntry,
  type RunContext,
  type SequenceOptions,
} from '../../src/index.js';
import { engines, setup, after, drain, rejection, untilAborted } from '../support/actionHarness.js';

const terminal = (events: EchoEvent[]) => events.filter((e) => e.type === 'done' || e.type === 'failed' || e.type === 'cancelled');

describe.each(engines)('timeouts (%s engine)', (engine) => {
  it('per attempt: aborts the signal with TimeoutError (attempt), records `timed-out`, and retries', async () => {
    const signals: AbortSignal[] = [];
    const { clock, sequence, events } = setup(engine, {
      Slow: {
        run: async (_: unknown, ctx: RunContext) => {
          signals.push(ctx.signal);
          return untilAborted(ctx.signal);
        },
        timeout: 50,
        retry: { attempts: 2, initialDelay: 10, jitter: 'none' },
      },
    });
    const handle = sequence.assign('Slow');
    await clock.advance(49);
    expect(signals[0]?.aborted).toBe(false);
    await clock.advance(1);
    expect(signals[0]?.aborted).toBe(true);
    const first = signals[0]?.reason as TimeoutError;
    expect(first).toBeInstanceOf(TimeoutError);
    expect(first).toMatchObject({ timeout: 'attempt', ms: 50, actionId: handle.id });
    expect(handle.getSnapshot().value).toBe('retrying');
    await drain(clock);
    expect(handle.getSnapshot().value).toBe('failed');
    const attempts = handle.getSnapshot().context.attempts;
    expect(attempts.map(({ startedAt, endedAt, outcome, backoff }) => ({ startedAt, endedAt, outcome, backoff }))).toEqual([
      { startedAt: 0, endedAt: 50, outcome: 'timed-out', backoff: 10 },
      { startedAt: 60, endedAt: 110, outcome: 'timed-out', backoff: null },
    ]);
    expect(attempts[0]?.error).toMatchObject({ name: 'TimeoutError', data: { timeout: 'attempt', ms: 50 } });
    const error = (await rejection(handle.result)) as TimeoutError;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.timeout).toBe('attempt');
    expect(error).toBe(signals[1]?.reason);
    expect(events.filter((e) => e.type === 'attempt-failed').map((e) => e.at)).toEqual([50, 110]);
    expect(terminal(events)).toEqual([expect.objectContaining({ type: 'failed', at: 110, attempts: 2 })]);
  });

  it('per attempt: a timed-out function that ignores its signal is abandoned; its late result does not finish the next attempt', async () => {
    const { clock, sequence } = setup(engine, {
      Stubborn: {
        run: async (_: unknown, ctx: RunContext) => {
          // attempt 1 answers at 80 (timed out at 50); attempt 2 starts at 60 and answers at 90
          await after(clock, ctx.attempt === 1 ? 80 : 30);
          return `answer of attempt ${ctx.attempt}`;
        },
        timeout: 50,
        retry: { attempts: 2, initialDelay: 10, jitter: 'none' },
        // Abandoned 5 ms after its timeout (before the backoff ends), so the retry need not wait for it.
        cancelGrace: 5,
      },
    });
    const handle = sequence.assign('Stubborn');
    await clock.advance(85);
    expect(handle.getSnapshot().value).toBe('running');
    expect(handle.getSnapshot().context.attempts.map((a) => a.outcome)).toEqual(['timed-out', 'running']);
    await drain(clock);
    expect(await handle.result).toBe('answer of attempt 2');
    expect(handle.getSnapshot().context.attempts.map((a) => [a.startedAt, a.endedAt, a.outcome])).toEqual([
      [0, 50, 'timed-out'],
      [60, 90, 'succeeded'],
    ]);
  });

  it('per attempt: a late result after the action failed is ignored, and a late read of the signal sees the timeout', async () => {
    const late: { aborted?: boolean; reason?: unknown } = {};
    const { clock, sequence, events } = setup(engine, {
      Stubborn: {
        run: async (_: unknown, ctx: RunContext) => {
          await after(clock, 80);
          late.aborted = ctx.signal.aborted;
          late.reason = ctx.signal.reason;
          return 'late';
        },
        timeout: 50,
        retry: { attempts: 1 },
      },
    });
    const handle = sequence.assign('Stubborn');
    await drain(clock);
    expect(handle.getSnapshot().value).toBe('failed');
    expect(handle.getSnapshot().context.output).toBeUndefined();
    const error = await rejection(handle.result);
    expect(late.aborted).toBe(true);
    expect(late.reason).toBe(error);
    expect(terminal(events)).toHaveLength(1);
  });

  it('per attempt: counts from the call, not from the before-hooks', async () => {
    const { clock, sequence } = setup(engine, {
      Work: {
        run: async () => {
          await after(clock, 40);
          return 'in time';
        },
        timeout: 50,
        before: async () => after(clock, 100),
      },
    });
    const handle = sequence.assign('Work');
    await drain(clock);
    expect(await handle.result).toBe('in time');
    expect(handle.getSnapshot().context.attempts[0]).toMatchObject({ startedAt: 100, endedAt: 140, outcome: 'succeeded' });
  });

  it('total: fails a queued action when it runs out, from assignment, with TimeoutError (total)', async () => {
    let calls = 0;
    const gate: { open?: () => void } = {};
    const { clock, sequence, events } = setup(engine, {
      Block: () => new Promise<void>((resolve) => (gate.open = resolve)),
      Work: { run: async () => void calls++, timeout: { total: 200 } },
    });
    sequence.assign('Block');
    await clock.advance(50);
    const handle = sequence.assign('Work'); // assigned at 50: its total timeout is due at 250
    await clock.advance(199);
    expect(handle.getSnapshot().value).toBe('queued');
    await clock.advance(1);
    expect(handle.getSnapshot().value).toBe('failed');
    const error = (await rejection(handle.result)) as TimeoutError;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ timeout: 'total', ms: 200 });
    expect(handle.getSnapshot().context).toMatchObject({ attempts: [], settledAt: 250, error: { name: 'TimeoutError', data: { timeout: 'total' } } });
    gate.open!();
    await drain(clock);
    expect(calls).toBe(0);
    expect(terminal(events)).toEqual([
      expect.objectContaining({ type: 'failed', actionId: handle.id, at: 250 }),
      expect.objectContaining({ type: 'done' }),
    ]);
  });

  it('total: counts the start delay too', async () => {
    let calls = 0;
    const { clock, sequence } = setup(engine, { Work: async () => void calls++ });
    const handle = sequence.assign('Work', null, { delay: 100, timeout: { total: 60 } });
    await drain(clock);
    expect(handle.getSnapshot().value).toBe('failed');
    expect(handle.getSnapshot().context.settledAt).toBe(60);
    expect(calls).toBe(0);
  });

  it('total: aborts a slow before-hook through its signal, and no attempt starts', async () => {
    let calls = 0;
    const seen: { signal?: AbortSignal } = {};
    const { clock, sequence } = setup(engine, {
      Guarded: {
        run: async () => void calls++,
        timeout: { total: 40 },
        before: async (info) => {
          seen.signal = info.signal;
          await after(clock, 100);
        },
      },
    });
    const handle = sequence.assign('Guarded');
    await clock.advance(40);
    expect(handle.getSnapshot().value).toBe('failed');
    expect(seen.signal?.reason).toBeInstanceOf(TimeoutError);
    expect((seen.signal?.reason as TimeoutError).timeout).toBe('total');
    await drain(clock);
    expect(calls).toBe(0);
    expect(handle.getSnapshot().context.attempts).toEqual([]);
  });

  it('total: aborts a running attempt with TimeoutError (total) and does not retry', async () => {
    const signals: AbortSignal[] = [];
    const { clock, sequence } = setup(engine, {
      Slow: {
        run: async (_: unknown, ctx: RunContext) => {
          signals.push(ctx.signal);
          return untilAborted(ctx.signal);
        },
        timeout: { total: 100 },
        retry: { attempts: 5 },
      },
    });
    const handle = sequence.assign('Slow');
    await drain(clock);
    expect(signals).toHaveLength(1);
    const reason = signals[0]?.reason as TimeoutError;
    expect(reason).toBeInstanceOf(TimeoutError);
    expect(reason.timeout).toBe('total');
    expect(await rejection(handle.result)).toBe(reason);
    expect(handle.getSnapshot().context.attempts).toEqual([
      expect.objectContaining({ startedAt: 0, endedAt: 100, outcome: 'timed-out', error: expect.objectContaining({ name: 'TimeoutError' }) }),
    ]);
    expect(handle.getSnapshot().context.settledAt).toBe(100);
  });

  it('total: fails a retrying action during its backoff', async () => {
    const { clock, sequence } = setup(engine, {
      Flaky: {
        run: async () => {
          throw new Error('down');
        },
        timeout: { total: 150 },
        retry: { attempts: 5, initialDelay: 100, jitter: 'none' },
      },
    });
    const handle = sequence.assign('Flaky');
    await clock.advance(149);
    expect(handle.getSnapshot().value).toBe('retrying'); // attempt 2 failed at 100, next due at 300
    await clock.advance(1);
    expect(handle.getSnapshot().value).toBe('failed');
    expect(handle.getSnapshot().context.attempts.map((a) => a.outcome)).toEqual(['failed', 'failed']);
    expect(((await rejection(handle.result)) as TimeoutError).timeout).toBe('total');
  });

  it('total: an abandoned function\'s late result is ignored, and with cancelGrace 0 its Site slot is free at once', async () => {
    const log: string[] = [];
    const { clock, sequence, events } = setup(engine, {
      Stubborn: {
        run: async () => {
          await after(clock, 300);
          log.push(`stubborn returns@${clock.now()}`);
          return 'late';
        },
        timeout: { total: 100 },
        cancelGrace: 0,
      },
      Next: async () => void log.push(`next@${clock.now()}`),
    });
    const stubborn = sequence.assign('Stubborn');
    sequence.assign('Next');
    await drain(clock);
    expect(log).toEqual(['next@100', 'stubborn returns@300']);
    expect(stubborn.getSnapshot().value).toBe('failed');
    expect(stubborn.getSnapshot().context.output).toBeUndefined();
    expect(terminal(events).map((e) => [e.type, e.at])).toEqual([
      ['failed', 100],
      ['done', 100],
    ]);
  });

  it('come from the Life defaults, the Plan, or the assignment (which wins)', async () => {
    const life = new Life({ fate: { timeout: { attempt: 30 }, attempts: 1 } });
    const { clock, sequence } = setup(
      engine,
      {
        ByLife: async (_: unknown, ctx: RunContext) => untilAborted(ctx.signal),
        ByPlan: { run: async (_: unknown, ctx: RunContext) => untilAborted(ctx.signal), timeout: 20 },
      },
      { life, concurrency: 4 },
    );
    const byLife = sequence.assign('ByLife');
    const byPlan = sequence.assign('ByPlan');
    const byAssign = sequence.assign('ByPlan', null, { timeout: 10 });
    const byAssignTotal = sequence.assign('ByPlan', null, { timeout: { total: 5 } });
    await drain(clock);
    expect([byLife, byPlan, byAssign, byAssignTotal].map((h) => h.getSnapshot().context.settledAt)).toEqual([30, 20, 10, 5]);
    expect(((await rejection(byAssignTotal.result)) as TimeoutError).timeout).toBe('total');
    expect(() => sequence.assign('ByPlan', null, { timeout: 0 })).toThrow('Expected `timeout` to be a finite number > 0, got 0 (number)');
    expect(() => sequence.assign('ByPlan', null, { timeout: { total: -1 } })).toThrow(/`timeout.total`/);
  });
});
