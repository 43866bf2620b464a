/**
 * License semantics through the public API, on both engines: a revocable,
 * shareable authorization checked before every attempt; revoking it fails every
 * holder with a LicenseError (never retried) and aborts a running attempt.
 */
import { describe, expect, it } from 'vitest';
import {
  createPlan,
  License,
  LicenseError,
  ManualClock,
  Sequence,
  type EchoEvent,
  type PlanEntry,
  type RunContext,
  type SequenceOptions,
} from '../../src/index.js';
import { engines, setup, after, drain, rejection, untilAborted } from '../support/actionHarness.js';

describe.each(engines)('license (%s engine)', (engine) => {
  it('revoked while queued: fails at once with the LicenseError; the function never runs', async () => {
    let calls = 0;
    const gate: { open?: () => void } = {};
    const { clock, sequence, events } = setup(engine, {
      Block: () => new Promise<void>((resolve) => (gate.open = resolve)),
      Work: async () => void calls++,
    });
    const license = new License('tenant-42');
    sequence.assign('Block');
    const handle = sequence.assign('Work', null, { license });
    await clock.advance(10);
    expect(handle.getSnapshot().value).toBe('queued');
    license.revoke('tenant deleted');
    expect(handle.getSnapshot().value).toBe('failed');
    const error = await rejection(handle.result);
    expect(error).toBeInstanceOf(LicenseError);
    expect(error).toBe(license.error);
    expect((error as LicenseError).message).toBe('License "tenant-42" was revoked: tenant deleted');
    expect(handle.getSnapshot().context).toMatchObject({ attempts: [], settledAt: 10, error: { name: 'LicenseError' } });
    gate.open!();
    await drain(clock);
    expect(calls).toBe(0);
    expect(events.filter((e) => e.type === 'failed')).toEqual([expect.objectContaining({ actionId: handle.id, at: 10, error: expect.objectContaining({ name: 'LicenseError' }) })]);
  });

  it('revoked while retrying: fails at once, no further attempt', async () => {
    let calls = 0;
    const { clock, sequence } = setup(engine, {
      Flaky: {
        run: async () => {
          calls++;
          throw new Error('down');
        },
        retry: { attempts: 5, initialDelay: 1_000, jitter: 'none' },
      },
    });
    const license = new License();
    const handle = sequence.assign('Flaky', null, { license });
    await clock.advance(100);
    expect(handle.getSnapshot().value).toBe('retrying');
    license.revoke();
    expect(handle.getSnapshot().value).toBe('failed');
    expect(handle.getSnapshot().context.retryAt).toBeNull();
    await drain(clock);
    expect(calls).toBe(1);
    expect(await rejection(handle.result)).toBe(license.error);
  });

  it('revoked while running: aborts the signal with the LicenseError, fails at once, never retries', async () => {
    const seen: { signal?: AbortSignal } = {};
    let calls = 0;
    const { clock, sequence, events } = setup(engine, {
      Upload: {
        run: async (_: unknown, ctx: RunContext) => {
          calls++;
          seen.signal = ctx.signal;
          return untilAborted(ctx.signal);
        },
        retry: { attempts: 5, initialDelay: 1 },
      },
    });
    const license = new License();
    const handle = sequence.assign('Upload', null, { license });
    await clock.advance(30);
    license.revoke();
    expect(seen.signal?.aborted).toBe(true);
    expect(seen.signal?.reason).toBe(license.error);
    expect(handle.getSnapshot().value).toBe('failed');
    await drain(clock);
    expect(calls).toBe(1);
    expect(await rejection(handle.result)).toBe(license.error);
    expect(handle.getSnapshot().context.attempts).toEqual([{ number: 1, startedAt: 0, endedAt: 30, outcome: 'cancelled', error: null, backoff: null }]);
    expect(events.filter((e) => e.type === 'retrying')).toEqual([]);
    expect(events.filter((e) => e.type === 'failed')).toHaveLength(1);
  });

  it('revoked by the function itself during attempt 2: that attempt is cancelled, nothing retries', async () => {
    const license = new License();
    const { clock, sequence } = setup(engine, {
      Flaky: {
        run: async (_: unknown, ctx: RunContext) => {
          if (ctx.attempt === 2) license.revoke('mid-run');
          throw new Error(`fail ${ctx.attempt}`);
        },
        retry: { attempts: 5, initialDelay: 10, jitter: 'none' },
      },
    });
    const handle = sequence.assign('Flaky', null, { license });
    await drain(clock);
    expect(handle.getSnapshot().context.attempts).toHaveLength(2);
    expect(handle.getSnapshot().context.attempts[1]).toMatchObject({ outcome: 'cancelled' });
    expect(await rejection(handle.result)).toBe(license.error);
  });

  it('revoked while after-hooks run: the attempts are over, so the outcome stands', async () => {
    const license = new License();
    const seen: { signal?: AbortSignal } = {};
    const { clock, sequence } = setup(engine, {
      Send: {
        run: async () => 'sent',
        after: async (info) => {
          seen.signal = info.signal;
          await after(clock, 50);
        },
      },
    });
    const handle = sequence.assign('Send', null, { license });
    await clock.advance(10);
    expect(handle.getSnapshot().value).toBe('afterHooks');
    license.revoke();
    expect(seen.signal?.aborted).toBe(false);
    await drain(clock);
    expect(handle.getSnapshot().value).toBe('done');
    expect(await handle.result).toBe('sent');
    expect(license.holders).toBe(0);
  });

  it('revoked before assign: the action fails with the LicenseError without an attempt', async () => {
    let calls = 0;
    const { clock, sequence, events } = setup(engine, { Work: async () => void calls++ });
    const license = new License('gone');
    license.revoke();
    const handle = sequence.assign('Work', null, { license });
    await drain(clock);
    expect(handle.getSnapshot().value).toBe('failed');
    expect(handle.getSnapshot().context.attempts).toEqual([]);
    expect(await rejection(handle.result)).toBe(license.error);
    expect(calls).toBe(0);
    expect(license.holders).toBe(0);
    expect(events.map((e) => e.type)).toEqual(['assigned', 'failed']);
  });

  it('a before-hook veto with a LicenseError fails the action and consumes no attempt', async () => {
    let calls = 0;
    const veto = new LicenseError('quota exceeded');
    const { clock, sequence, events } = setup(engine, {
      Send: {
        run: async () => void calls++,
        retry: { attempts: 5 },
        before: function quota() {
          throw veto;
        },
      },
    });
    const handle = sequence.assign('Send');
    await drain(clock);
    expect(handle.getSnapshot().value).toBe('failed');
    expect(handle.getSnapshot().context.attempts).toHaveLength(0);
    expect(handle.getSnapshot().context.error).toMatchObject({ name: 'LicenseError', message: 'quota exceeded' });
    expect(await rejection(handle.result)).toBe(veto);
    expect(calls).toBe(0);
    expect(events.map((e) => e.type)).toEqual(['assigned', 'failed']);
  });

  it('a License shared by many actions fails every holder (queued, delayed, retrying, running) on one revoke', async () => {
    const license = new License('shared');
    const signals: AbortSignal[] = [];
    const { clock, sequence } = setup(
      engine,
      {
        Listen: async (_: unknown, ctx: RunContext) => {
          signals.push(ctx.signal);
          return untilAborted(ctx.signal);
        },
        Flaky: {
          run: async () => {
            throw new Error('down');
          },
          retry: { attempts: 5, initialDelay: 1_000, jitter: 'none' },
        },
        Idle: async () => 'idle',
      },
      { concurrency: 2 },
    );
    const flaky = sequence.assign('Flaky', null, { license }); // fails at once, then waits 1000 ms
    await clock.advance(0);
    const running = sequence.assign('Listen', null, { license });
    const running2 = sequence.assign('Listen', null, { license });
    const queued = sequence.assign('Idle', null, { license });
    const delayed = sequence.assign('Idle', null, { license, delay: 500 });
    const unrelated = sequence.assign('Idle');
    expect([flaky, running, running2, queued, delayed].map((h) => h.getSnapshot().value)).toEqual(['retrying', 'running', 'running', 'queued', 'delayed']);
    expect(license.holders).toBe(5);
    license.revoke();
    for (const handle of [flaky, running, running2, queued, delayed]) {
      expect(handle.getSnapshot().value).toBe('failed');
      expect(await rejection(handle.result)).toBe(license.error);
    }
    expect(signals.every((signal) => signal.reason === license.error)).toBe(true);
    await drain(clock);
    expect(await unrelated.result).toBe('idle');
    expect(license.holders).toBe(0);
  });

  it('holders go back to 0 once the actions settle, however they end (no leak)', async () => {
    const license = new License();
    const { clock, sequence } = setup(
      engine,
      {
        Ok: async () => {
          await after(clock, 10);
          return 'ok';
        },
        Fail: { run: async () => Promise.reject(new Error('x')), retry: { attempts: 1 } },
        Listen: async (_: unknown, ctx: RunContext) => untilAborted(ctx.signal),
      },
      { concurrency: 4 },
    );
    const handles = [
      sequence.assign('Ok', null, { license }),
      sequence.assign('Fail', null, { license }),
      sequence.assign('Listen', null, { license }),
      sequence.assign('Ok', null, { license, delay: 5 }),
    ];
    expect(license.holders).toBe(4);
    handles[2]!.cancel();
    await drain(clock);
    expect(handles.map((h) => h.getSnapshot().value)).toEqual(['done', 'failed', 'cancelled', 'done']);
    expect(license.holders).toBe(0);
    expect(license.revoked).toBe(false);
    license.revoke(); // nobody holds it any more: nothing changes
    expect(handles.map((h) => h.getSnapshot().value)).toEqual(['done', 'failed', 'cancelled', 'done']);
  });
});

describe('License', () => {
  it('is revoked once; `check()` throws its error; listeners hear it once', () => {
    const license = new License('l');
    const heard: LicenseError[] = [];
    const stop = license.onRevoke((error) => heard.push(error));
    expect(license.holders).toBe(1);
    expect(() => license.check()).not.toThrow();
    license.revoke('first');
    license.revoke('second');
    expect(license.revoked).toBe(true);
    expect(heard).toEqual([license.error]);
    expect(license.error?.message).toBe('License "l" was revoked: first');
    expect(() => license.check()).toThrow(license.error!);
    stop();
    expect(license.holders).toBe(0);
    const late: LicenseError[] = [];
    license.onRevoke((error) => late.push(error));
    expect(late).toEqual([license.error]);
    expect(() => new License(3 as never)).toThrow(TypeError);
  });
});
