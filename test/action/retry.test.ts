/**
 * Retry semantics of an Action, through the public API, on both engines:
 * attempts and backoff as exact clock times, the attempt history, what is never
 * retried, retry-after hints, the deadline, and the Site slot a retry gives back.
 */
import { describe, expect, it } from 'vitest';
import {
  createPlan,
  ExecutionError,
  Life,
  ManualClock,
  Sequence,
  type EchoEvent,
  type PlanEntry,
  type RunContext,
  type SequenceOptions,
  serializeError,
} from '../../src/index.js';
import { RETRIES_AT_ONCE } from '../../machines/actionRules.js';
import { engines, setup, after, drain, rejection } from '../support/actionHarness.js';

/** A random source that replays `values` in order, and fails loudly when they run out. */
function scripted(...values: number[]): () => number {
  let i = 0;
  return () => {
    if (i >= values.length) throw new Error(`scripted random ran out after ${values.length} values`);
    return values[i++]!;
  };
}

/** The rejection of `promise` (fails the test when it resolves). */
describe.each(engines)('retry (%s engine)', (engine) => {
  it('retries with exponential backoff at exact clock times (jitter none) and records every attempt', async () => {
    const starts: number[] = [];
    const { clock, sequence } = setup(engine, {
      Flaky: {
        run: async (_content: unknown, ctx: RunContext) => {
          starts.push(clock.now());
          await after(clock, 30);
          throw new Error(`boom ${ctx.attempt}`);
        },
        retry: { attempts: 4, initialDelay: 100, factor: 2, jitter: 'none' },
      },
    });
    const handle = sequence.assign('Flaky', null);
    expect(handle.getSnapshot().value).toBe('running');
    await clock.advance(30);
    expect(handle.getSnapshot().value).toBe('retrying');
    expect(handle.getSnapshot().context.retryAt).toBe(130);
    await drain(clock);
    // 0 +30 run +100 wait → 130 +30 +200 → 360 +30 +400 → 790
    expect(starts).toEqual([0, 130, 360, 790]);
    expect(handle.getSnapshot().value).toBe('failed');
    const attempts = handle.getSnapshot().context.attempts;
    expect(attempts.map(({ number, startedAt, endedAt, outcome, backoff }) => ({ number, startedAt, endedAt, outcome, backoff }))).toEqual([
      { number: 1, startedAt: 0, endedAt: 30, outcome: 'failed', backoff: 100 },
      { number: 2, startedAt: 130, endedAt: 160, outcome: 'failed', backoff: 200 },
      { number: 3, startedAt: 360, endedAt: 390, outcome: 'failed', backoff: 400 },
      { number: 4, startedAt: 790, endedAt: 820, outcome: 'failed', backoff: null },
    ]);
    expect(attempts.map((a) => a.error?.name)).toEqual(['ExecutionError', 'ExecutionError', 'ExecutionError', 'ExecutionError']);
    expect(attempts[2]!.error?.cause).toMatchObject({ name: 'Error', message: 'boom 3' });
    expect(handle.getSnapshot().context.settledAt).toBe(820);
    expect(handle.getSnapshot().context.retryAt).toBeNull();
    const error = await rejection(handle.result);
    expect(error).toBeInstanceOf(ExecutionError);
    expect((error as ExecutionError).attempt).toBe(4);
    expect(handle.getSnapshot().context.error).toMatchObject({ name: 'ExecutionError', data: { attempt: 4 } });
    // The history is plain JSON: it survives a round trip unchanged.
    expect(JSON.parse(JSON.stringify(handle.getSnapshot().context.attempts))).toEqual(attempts);
  });

  it('takes jittered delays from the injected random source (full and decorrelated)', async () => {
    const starts: number[] = [];
    const fail = async () => {
      starts.push(clock.now());
      throw new Error('no');
    };
    // full: random × 100·2^(n-1) → 0.5×100 = 50, 0.75×200 = 150, 0.1×400 = 40
    const { clock, sequence } = setup(
      engine,
      { Full: { run: fail, retry: { attempts: 4, initialDelay: 100, factor: 2, jitter: 'full' } } },
      { random: scripted(0.5, 0.75, 0.1) },
    );
    const handle = sequence.assign('Full');
    await drain(clock);
    expect(starts).toEqual([0, 50, 200, 240]);
    expect(handle.getSnapshot().context.attempts.map((a) => a.backoff)).toEqual([50, 150, 40, null]);

    // decorrelated: initialDelay + random × (3·previous − initialDelay), capped at maxDelay
    // 100 + 0.5×(300−100) = 200; 100 + 0.5×(600−100) = 350; 100 + 1/2×(1050−100) → 575, capped 500
    const starts2: number[] = [];
    const second = setup(
      engine,
      {
        Deco: {
          run: async () => {
            starts2.push(second.clock.now());
            throw new Error('no');
          },
          retry: { attempts: 4, initialDelay: 100, maxDelay: 500, jitter: 'decorrelated' },
        },
      },
      { random: scripted(0.5, 0.5, 0.5) },
    );
    const deco = second.sequence.assign('Deco');
    await drain(second.clock);
    expect(deco.getSnapshot().context.attempts.map((a) => a.backoff)).toEqual([200, 350, 500, null]);
    expect(starts2).toEqual([0, 200, 550, 1050]);
  });

  it('emits attempt-failed and retrying events with the chosen delay and retry time', async () => {
    let calls = 0;
    const { clock, sequence, events } = setup(engine, {
      Twice: {
        run: async () => {
          if (++calls === 1) throw new Error('first');
          return 'second';
        },
        retry: { initialDelay: 40, jitter: 'none' },
      },
    });
    const handle = sequence.assign('Twice', 1);
    await drain(clock);
    expect(await handle.result).toBe('second');
    expect(events.map((e) => [e.type, e.at])).toEqual([
      ['assigned', 0],
      ['started', 0],
      ['attempt-failed', 0],
      ['retrying', 0],
      ['started', 40],
      ['done', 40],
    ]);
    expect(events[3]).toMatchObject({ type: 'retrying', attempt: 1, delay: 40, retryAt: 40 });
    expect(events[2]).toMatchObject({ type: 'attempt-failed', attempt: 1, error: { name: 'ExecutionError' } });
    expect(events[5]).toMatchObject({ type: 'done', attempts: 2, output: 'second' });
  });

  it('uses the Life default policy (`fate.attempts`) and lets an assignment override fields', async () => {
    let calls = 0;
    const life = new Life({ fate: { attempts: 2, retry: { jitter: 'none', initialDelay: 10 } } });
    const { clock, sequence } = setup(
      engine,
      {
        Fail: async () => {
          calls++;
          throw new Error('x');
        },
      },
      { life },
    );
    const byLife = sequence.assign('Fail');
    await drain(clock);
    expect(byLife.getSnapshot().context.attempts.map((a) => [a.startedAt, a.backoff])).toEqual([
      [0, 10],
      [10, null],
    ]);
    expect(calls).toBe(2);
    const overridden = sequence.assign('Fail', null, { retry: { attempts: 3, initialDelay: 5 } });
    await drain(clock);
    expect(overridden.getSnapshot().context.attempts.map((a) => a.backoff)).toEqual([5, 10, null]);
    expect(calls).toBe(5);
  });

  it('does not retry an error whose name the policy lists as non-retryable', async () => {
    let calls = 0;
    const { clock, sequence, events } = setup(engine, {
      Fatal: {
        run: async () => {
          calls++;
          throw Object.assign(new Error('disk gone'), { name: 'DiskError' });
        },
        retry: { attempts: 5, nonRetryable: ['DiskError'] },
      },
    });
    const handle = sequence.assign('Fatal');
    await drain(clock);
    expect(calls).toBe(1);
    expect(handle.getSnapshot().value).toBe('failed');
    expect(handle.getSnapshot().context.attempts).toHaveLength(1);
    expect(handle.getSnapshot().context.attempts[0]).toMatchObject({ outcome: 'failed', backoff: null });
    const error = (await rejection(handle.result)) as ExecutionError;
    expect(error).toBeInstanceOf(ExecutionError);
    expect((error.cause as Error).name).toBe('DiskError');
    expect(events.filter((e) => e.type === 'retrying')).toEqual([]);
  });

  it('does not retry an error that says `retryable: false`', async () => {
    let calls = 0;
    const { clock, sequence } = setup(engine, {
      NoRetry: {
        run: async () => {
          calls++;
          throw Object.assign(new Error('bad request'), { status: 400, retryable: false });
        },
        retry: { attempts: 5 },
      },
    });
    const handle = sequence.assign('NoRetry');
    await drain(clock);
    expect(calls).toBe(1);
    expect(handle.getSnapshot().context.error?.cause).toMatchObject({ message: 'bad request', data: { status: 400, retryable: false } });
  });

  it('waits for the retry-after hint of the error (and ignores it when the policy says so)', async () => {
    const starts: number[] = [];
    const { clock, sequence } = setup(engine, {
      RateLimited: {
        run: async () => {
          starts.push(clock.now());
          if (starts.length === 1) throw Object.assign(new Error('429'), { retryAfter: 2_500 });
          return 'ok';
        },
        retry: { attempts: 3, initialDelay: 100, maxDelay: 1_000, jitter: 'none' },
      },
    });
    const handle = sequence.assign('RateLimited');
    await clock.advance(2_499);
    expect(starts).toEqual([0]);
    await clock.advance(1);
    expect(starts).toEqual([0, 2_500]);
    expect(await handle.result).toBe('ok');
    // The hint is not capped by maxDelay.
    expect(handle.getSnapshot().context.attempts[0]!.backoff).toBe(2_500);

    starts.length = 0;
    const ignoring = sequence.assign('RateLimited', null, { retry: { retryAfter: false } });
    await drain(clock);
    expect(starts).toEqual([2_500, 2_600]);
    expect(ignoring.getSnapshot().context.attempts[0]!.backoff).toBe(100);
  });

  it('stops retrying when the next attempt would start past the deadline', async () => {
    const starts: number[] = [];
    const { clock, sequence, events } = setup(engine, {
      Slow: {
        run: async () => {
          starts.push(clock.now());
          await after(clock, 10);
          throw new Error('x');
        },
        retry: { attempts: 10, initialDelay: 100, factor: 2, jitter: 'none', deadline: 300 },
      },
    });
    const handle = sequence.assign('Slow');
    await drain(clock);
    // attempt 1: 0–10, +100 → attempt 2: 110–120; elapsed 120 + 200 > 300: stop.
    expect(starts).toEqual([0, 110]);
    expect(handle.getSnapshot().context.attempts.map((a) => a.backoff)).toEqual([100, null]);
    expect(handle.getSnapshot().context.settledAt).toBe(120);
    expect(events.filter((e) => e.type === 'failed')).toHaveLength(1);
  });

  it('passes the content, the attempt number, metadata, id and name to the function on every attempt', async () => {
    const seen: unknown[] = [];
    const { clock, sequence } = setup(engine, {
      Echo: {
        run: async (content: { path: string }, ctx: RunContext) => {
          seen.push({ content, attempt: ctx.attempt, metadata: ctx.metadata, action: ctx.action, name: ctx.name, life: ctx.life === sequence.life });
          if (ctx.attempt < 3) throw new Error('again');
          return content.path.toUpperCase();
        },
        retry: { attempts: 3, initialDelay: 1, jitter: 'none' },
      },
    });
    const content = { path: 'notes.txt' };
    const handle = sequence.assign('Echo', content, { metadata: { tenant: 't1' } });
    await drain(clock);
    expect(await handle.result).toBe('NOTES.TXT');
    expect(seen).toEqual([1, 2, 3].map((attempt) => ({ content, attempt, metadata: { tenant: 't1' }, action: handle.id, name: 'Echo', life: true })));
    expect((seen[0] as { content: unknown }).content).toBe(content);
  });

  it('wraps what the function threw in an ExecutionError whose cause is the thrown value itself', async () => {
    const thrown = Object.assign(new Error('ECONNRESET'), { code: 'ECONNRESET' });
    const { clock, sequence } = setup(engine, {
      Net: {
        run: async () => {
          throw thrown;
        },
        retry: { attempts: 2, jitter: 'none', initialDelay: 5 },
      },
    });
    const handle = sequence.assign('Net');
    await drain(clock);
    const error = (await rejection(handle.result)) as ExecutionError;
    expect(error).toBeInstanceOf(ExecutionError);
    expect(error.name).toBe('ExecutionError');
    expect(error.cause).toBe(thrown);
    expect(error.attempt).toBe(2);
    expect(error.actionId).toBe(handle.id);
    expect(error.message).toContain('ECONNRESET');
    expect(handle.getSnapshot().context.error).toMatchObject({
      name: 'ExecutionError',
      data: { attempt: 2, actionId: handle.id },
      cause: { name: 'Error', message: 'ECONNRESET', data: { code: 'ECONNRESET' } },
    });
  });

  it('handles a function that throws synchronously, and one that returns a plain value', async () => {
    let calls = 0;
    const { clock, sequence } = setup(engine, {
      SyncThrow: {
        run: () => {
          calls++;
          throw new Error('sync');
        },
        retry: { attempts: 2, jitter: 'none', initialDelay: 5 },
      },
      SyncValue: (n: number) => n * 2,
    });
    const thrower = sequence.assign('SyncThrow');
    const value = sequence.assign('SyncValue', 21);
    await drain(clock);
    expect(calls).toBe(2);
    expect(((await rejection(thrower.result)) as ExecutionError).cause).toMatchObject({ message: 'sync' });
    expect(await value.result).toBe(42);
  });

  it('wraps a thrown non-Error value (a string, undefined) and still retries it', async () => {
    const values: unknown[] = ['boom', undefined];
    let calls = 0;
    const { clock, sequence } = setup(engine, {
      Odd: {
        run: async (index: number) => {
          calls++;
          throw values[index];
        },
        retry: { attempts: 2, jitter: 'none', initialDelay: 5 },
      },
    });
    const str = sequence.assign('Odd', 0);
    const undef = sequence.assign('Odd', 1);
    await drain(clock);
    expect(calls).toBe(4);

    const strError = (await rejection(str.result)) as ExecutionError;
    expect(strError).toBeInstanceOf(ExecutionError);
    expect(strError.cause).toBe('boom');
    expect(strError.message).toContain('boom');
    expect(str.getSnapshot().context.attempts.map((a) => a.outcome)).toEqual(['failed', 'failed']);
    expect(str.getSnapshot().context.error?.cause).toMatchObject({ name: 'NonErrorThrown', message: 'boom' });

    const undefError = (await rejection(undef.result)) as ExecutionError;
    expect(undefError).toBeInstanceOf(ExecutionError);
    expect('cause' in undefError && undefError.cause).toBeUndefined();
    expect(undef.getSnapshot().context.attempts).toHaveLength(2);
    expect(undef.getSnapshot().context.error?.name).toBe('ExecutionError');
    expect(JSON.parse(JSON.stringify(undef.getSnapshot().context))).toMatchObject({ error: { name: 'ExecutionError' } });
  });

  it('gives its Site slot back while it waits: with 1 Site × 1 slot, another action runs during the backoff', async () => {
    const log: string[] = [];
    const { clock, sequence } = setup(engine, {
      Flaky: {
        run: async (_: unknown, ctx: RunContext) => {
          log.push(`flaky#${ctx.attempt}@${clock.now()}`);
          if (ctx.attempt === 1) throw new Error('first');
          return 'flaky ok';
        },
        retry: { initialDelay: 100, jitter: 'none' },
      },
      Long: async () => {
        log.push(`long@${clock.now()}`);
        await after(clock, 150);
        log.push(`long done@${clock.now()}`);
        return 'long ok';
      },
    });
    const flaky = sequence.assign('Flaky');
    const long = sequence.assign('Long');
    await clock.advance(0);
    // The Long action took the slot the retrying Flaky gave back.
    expect(log).toEqual(['flaky#1@0', 'long@0']);
    expect(flaky.getSnapshot().value).toBe('retrying');
    expect(flaky.getSnapshot().context.site).toBe('site-1');
    await clock.advance(120);
    // The backoff ended at 100, but the only slot is busy: Flaky waits in its queue.
    expect(flaky.getSnapshot().value).toBe('queued');
    await drain(clock);
    expect(log).toEqual(['flaky#1@0', 'long@0', 'long done@150', 'flaky#2@150']);
    expect(await flaky.result).toBe('flaky ok');
    expect(await long.result).toBe('long ok');
    expect(flaky.getSnapshot().context.attempts.map((a) => a.startedAt)).toEqual([0, 150]);
  });

  it('keeps retrying when the wall clock steps back between the first start and a failure', async () => {
    const manual = new ManualClock(10_000);
    let offset = 0;
    // A clock whose `now()` can jump back (an NTP correction), timers still on the manual time line.
    const clock = { now: () => manual.now() + offset, setTimeout: (fn: () => void, ms: number) => manual.setTimeout(fn, ms), clearTimeout: (h: unknown) => manual.clearTimeout(h) };
    const sequence = new Sequence({
      plan: createPlan({
        Flaky: {
          run: async (_: unknown, ctx: RunContext) => {
            await after(manual, 10);
            offset = -5_000;
            if (ctx.attempt === 1) throw new Error('first');
            return 'ok';
          },
          retry: { initialDelay: 100, jitter: 'none' },
        },
      }),
      clock,
      engine,
      sites: 1,
    }).start();
    const handle = sequence.assign('Flaky');
    await drain(manual);
    expect(handle.getSnapshot().value).toBe('done');
    expect(await handle.result).toBe('ok');
    expect(handle.getSnapshot().context.attempts.map((a) => a.outcome)).toEqual(['failed', 'succeeded']);
  });

  it('fails (rather than hangs) when the injected random source is broken, saying why', async () => {
    const { clock, sequence } = setup(
      engine,
      { Flaky: { run: async () => Promise.reject(new Error('down')), retry: { jitter: 'full' } } },
      { random: () => 1 },
    );
    const handle = sequence.assign('Flaky');
    await drain(clock);
    expect(handle.getSnapshot().value).toBe('failed');
    const error = (await rejection(handle.result)) as TypeError;
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('Could not decide whether to retry action "Flaky" after attempt 1: Expected `random()` to be a number in [0, 1), got 1 (number)');
    expect(error.cause).toBeInstanceOf(ExecutionError);
    expect(handle.getSnapshot().context.attempts).toEqual([expect.objectContaining({ outcome: 'failed', backoff: null, error: expect.objectContaining({ name: 'TypeError' }) })]);
  });

  it('queues a zero-backoff retry at once, without a timer, and waits a 0 ms timer every RETRIES_AT_ONCE-th attempt', async () => {
    let calls = 0;
    const { clock, sequence } = setup(engine, {
      Flaky: {
        run: () => {
          calls++;
          if (calls < 3) throw new Error(`flaky ${calls}`);
          return 'ok';
        },
        retry: { attempts: 3, initialDelay: 0, jitter: 'none' },
      },
      Failing: {
        run: () => {
          calls++;
          throw new Error('always');
        },
        retry: { attempts: RETRIES_AT_ONCE * 2 + 3, initialDelay: 0, jitter: 'none' },
      },
    });
    const flaky = sequence.assign('Flaky');
    // Three attempts in the step that assigned it: no timer, no clock moving.
    expect(calls).toBe(3);
    expect(clock.pending).toBe(0);
    expect(await flaky.result).toBe('ok');
    expect(flaky.getSnapshot().context.attempts.map((a) => [a.outcome, a.backoff])).toEqual([
      ['failed', 0],
      ['failed', 0],
      ['succeeded', null],
    ]);

    // A function that keeps failing at once is not retried for ever in one step: the
    // RETRIES_AT_ONCE-th retry waits its 0 ms on the engine's clock, so the step ends there.
    calls = 0;
    const failing = sequence.assign('Failing');
    expect(calls).toBe(RETRIES_AT_ONCE);
    expect(failing.getSnapshot().value).toBe('retrying');
    await drain(clock);
    expect(calls).toBe(RETRIES_AT_ONCE * 2 + 3);
    expect(failing.getSnapshot().value).toBe('failed');
  });

  it('`retryNow()` skips the rest of the backoff; it does nothing while running or after settling', async () => {
    const starts: number[] = [];
    const gate: { release?: () => void } = {};
    const { clock, sequence } = setup(engine, {
      Flaky: {
        run: async (_: unknown, ctx: RunContext) => {
          starts.push(clock.now());
          if (ctx.attempt === 1) throw new Error('first');
          await new Promise<void>((resolve) => (gate.release = resolve));
          return 'ok';
        },
        retry: { initialDelay: 10_000, jitter: 'none' },
      },
    });
    const handle = sequence.assign('Flaky');
    await clock.advance(25);
    expect(handle.getSnapshot().value).toBe('retrying');
    handle.retryNow();
    await clock.advance(0);
    expect(starts).toEqual([0, 25]);
    expect(handle.getSnapshot().value).toBe('running');
    expect(handle.getSnapshot().context.attempts.map((a) => [a.startedAt, a.backoff])).toEqual([
      [0, 10_000],
      [25, null],
    ]);
    handle.retryNow(); // running: ignored
    await clock.advance(0);
    expect(starts).toEqual([0, 25]);
    gate.release!();
    await clock.advance(0);
    expect(await handle.result).toBe('ok');
    handle.retryNow(); // settled: ignored
    await drain(clock);
    expect(starts).toEqual([0, 25]);
    expect(handle.getSnapshot().value).toBe('done');
  });
  it("records a failed attempt's error as serializeError of its ExecutionError, which the outcome and lastError are", async () => {
    const thrown: Error[] = [];
    const { clock, sequence, events } = setup(engine, {
      Flaky: {
        run: async (_content: unknown, ctx: RunContext) => {
          const error = Object.assign(new Error(`boom ${ctx.attempt}`, { cause: new Error('root') }), { code: 'E_FLAKY' });
          thrown.push(error);
          throw error;
        },
        retry: { attempts: 2, initialDelay: 0, jitter: 'none' },
      },
    });
    const handle = sequence.assign('Flaky');
    await drain(clock);
    const error = await rejection(handle.result);
    expect(error).toBeInstanceOf(ExecutionError);
    expect((error as ExecutionError).cause).toBe(thrown[1]);
    expect((error as ExecutionError).attempt).toBe(2);
    // The wrapper around a throw with a stack has none of its own frames: its stack is its header.
    expect((error as Error).stack).toBe(`ExecutionError: ${(error as Error).message}`);
    const attempts = handle.getSnapshot().context.attempts;
    const wrapper = (attempt: number): ExecutionError =>
      new ExecutionError(`Action "Flaky" failed on attempt ${attempt}: boom ${attempt}`, { cause: thrown[attempt - 1], attempt, actionId: handle.id });
    // Field by field and in order (JSON), the stack included: the same record as the wrapper's own.
    for (const attempt of [1, 2]) expect(JSON.stringify(attempts[attempt - 1]!.error)).toBe(JSON.stringify(serializeError(wrapper(attempt))));
    expect(JSON.stringify(handle.getSnapshot().context.error)).toBe(JSON.stringify(serializeError(error)));
    const failedEvents = events.filter((event) => event.type === 'attempt-failed');
    expect(failedEvents.map((event) => JSON.stringify((event as { error: unknown }).error))).toEqual([1, 2].map((attempt) => JSON.stringify(serializeError(wrapper(attempt)))));
  });
  it("a failed attempt's record has the stack its ExecutionError would have, with or without a stack formatter of the user's", async () => {
    const { clock, sequence } = setup(engine, {
      Flaky: {
        run: async () => {
          throw new Error('flaky');
        },
        retry: { attempts: 3, initialDelay: 0, jitter: 'none' },
      },
    });
    const plain = sequence.assign('Flaky');
    await drain(clock);
    const plainError = (await rejection(plain.result)) as Error;
    const original = Error.prepareStackTrace;
    Error.prepareStackTrace = (error: Error, frames: unknown[]) => `formatted ${error.name} with ${frames.length} frames`;
    try {
      const formatted = sequence.assign('Flaky');
      await drain(clock);
      const formattedError = (await rejection(formatted.result)) as Error;
      const attempts = formatted.getSnapshot().context.attempts;
      expect(attempts.map((attempt) => attempt.error?.stack)).toEqual(['formatted ExecutionError with 0 frames', 'formatted ExecutionError with 0 frames', 'formatted ExecutionError with 0 frames']);
      expect(formattedError.stack).toBe('formatted ExecutionError with 0 frames');
    } finally {
      Error.prepareStackTrace = original;
    }
    expect(plain.getSnapshot().context.attempts.map((attempt) => attempt.error?.stack)).toEqual([1, 2, 3].map((attempt) => `ExecutionError: Action "Flaky" failed on attempt ${attempt}: flaky`));
    expect(plainError.stack).toBe('ExecutionError: Action "Flaky" failed on attempt 3: flaky');
  });
});
