import { describe, expect, it } from 'vitest';
import { createPlan, ManualClock, RateLimitError, Sequence, type EchoEvent } from '../../src/index.js';
import { clockSleep } from '../support/clockSleep.js';

function setup(options: Partial<ConstructorParameters<typeof Sequence>[0]> = {}) {
  const clock = new ManualClock();
  const running = new Map<string, number>();
  const maxRunning = new Map<string, number>();
  const track = (name: string, delta: number): void => {
    const now = (running.get(name) ?? 0) + delta;
    running.set(name, now);
    maxRunning.set(name, Math.max(maxRunning.get(name) ?? 0, now));
  };
  const slow = (name: string) => async (ms: number, ctx: { signal: AbortSignal }) => {
    track(name, 1);
    try {
      await clockSleep(clock, ms, ctx.signal);
    } finally {
      track(name, -1);
    }
    return ms;
  };
  let limitedOnce = false;
  const plan = createPlan({
    Quick: (n: number) => n,
    Other: (n: number) => n,
    Charge: slow('Charge'),
    Refund: slow('Refund'),
    Call: {
      run: (retryAfter: number) => {
        if (!limitedOnce) {
          limitedOnce = true;
          throw new RateLimitError('HTTP 429 from the payment API', { retryAfter });
        }
        return 'ok';
      },
      retry: { attempts: 3, initialDelay: 10, jitter: 'none' },
    },
    Email: { run: (n: number) => n, queue: 'email' },
  });
  const sequence = new Sequence({ plan, clock, sites: 3, concurrency: 4, ...options });
  const events: EchoEvent[] = [];
  sequence.events$.subscribe((event) => events.push(event));
  const starts = (name: string) => events.filter((event) => event.type === 'started' && event.name === name).map((event) => event.at);
  return { clock, sequence, events, starts, maxRunning };
}

/** The most starts in any `interval` ms long window. */
function busiestWindow(times: readonly number[], interval: number): number {
  let most = 0;
  for (const start of times) most = Math.max(most, times.filter((t) => t >= start && t < start + interval).length);
  return most;
}

describe('rate limits (sliding window)', () => {
  it('lets at most `limit` starts of a name happen in any `interval`, on the injected clock, across every Site', async () => {
    const { clock, sequence, starts } = setup({ limits: { actions: { Quick: { rate: { limit: 2, interval: 1_000 } } } } });
    sequence.start();
    const handles = Array.from({ length: 7 }, (_, i) => sequence.assign('Quick', i));
    await clock.advance(0);
    expect(starts('Quick')).toEqual([0, 0]);
    expect(handles[2]!.getSnapshot().value).toBe('queued');
    await clock.advance(999);
    expect(starts('Quick')).toHaveLength(2);
    await clock.advance(1);
    expect(starts('Quick')).toEqual([0, 0, 1000, 1000]);
    await clock.runAll();
    expect(starts('Quick')).toEqual([0, 0, 1000, 1000, 2000, 2000, 3000]);
    expect(await Promise.all(handles.map((handle) => handle.result))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(clock.pending).toBe(0); // no timer is left behind: nothing polls
  });

  it('holds back only the limited name: other actions of the same queue run meanwhile', async () => {
    const { clock, sequence, starts } = setup({ sites: 1, concurrency: 1, limits: { actions: { Quick: { rate: { limit: 1, interval: 500 } } } } });
    sequence.start();
    for (let i = 0; i < 3; i++) sequence.assign('Quick', i);
    for (let i = 0; i < 3; i++) sequence.assign('Other', i);
    await clock.advance(0);
    expect(starts('Quick')).toEqual([0]);
    expect(starts('Other')).toEqual([0, 0, 0]);
    await clock.runAll();
    expect(starts('Quick')).toEqual([0, 500, 1000]);
  });

  it('a queue rate closes the queue for every Site until its next slot; parked Sites are woken by one timer', async () => {
    const { clock, sequence, starts } = setup({
      queues: { default: {}, email: {} },
      sites: [{ queues: ['email', 'default'] }, { queues: ['email'] }],
      limits: { queues: { email: { rate: { limit: 2, interval: 100 } } } },
    });
    sequence.start();
    for (let i = 0; i < 5; i++) sequence.assign('Email', i);
    sequence.assign('Quick', 1);
    await clock.advance(0);
    expect(starts('Email')).toEqual([0, 0]);
    expect(starts('Quick')).toEqual([0]);
    expect(sequence.stats().flow.queues.email).toMatchObject({ held: 0, available: 0, nextSlotAt: 100 });
    expect(clock.pending).toBe(1); // the queue's one timer
    await clock.runAll();
    expect(starts('Email')).toEqual([0, 0, 100, 100, 200]);
    expect(busiestWindow(starts('Email'), 100)).toBe(2);
  });

  it('counts retries as starts', async () => {
    let calls = 0;
    const clock = new ManualClock();
    const plan = createPlan({
      Flaky: {
        run: () => {
          calls++;
          if (calls < 3) throw new Error('flaky');
          return calls;
        },
        retry: { attempts: 3, initialDelay: 1, jitter: 'none', factor: 1 },
      },
    });
    const sequence = new Sequence({ plan, clock, limits: { actions: { Flaky: { rate: { limit: 1, interval: 1_000 } } } } }).start();
    const times: number[] = [];
    sequence.events$.subscribe((event) => event.type === 'started' && times.push(event.at));
    const handle = sequence.assign('Flaky');
    await clock.runAll();
    expect(await handle.result).toBe(3);
    expect(times).toEqual([0, 1000, 2000]);
  });
});

describe('concurrency per action name', () => {
  it.each(['table', 'xstate'] as const)('runs at most `concurrency` attempts of a name at once across all Sites, other names unaffected (%s engine)', async (engine) => {
    const { clock, sequence, maxRunning, starts } = setup({ engine, limits: { actions: { Charge: { concurrency: 2 } } } });
    sequence.start();
    const charges = Array.from({ length: 6 }, () => sequence.assign('Charge', 10));
    const refunds = Array.from({ length: 6 }, () => sequence.assign('Refund', 10));
    await clock.advance(0);
    expect(sequence.stats().flow.names.Charge).toMatchObject({ running: 2, held: 4 });
    await clock.runAll();
    await Promise.all([...charges, ...refunds].map((handle) => handle.result));
    expect(maxRunning.get('Charge')).toBe(2);
    expect(maxRunning.get('Refund')).toBe(6);
    expect(starts('Charge')).toEqual([0, 0, 10, 10, 20, 20]);
    expect(sequence.stats().flow.names.Charge).toMatchObject({ running: 0, held: 0 });
  });

  it('a held action that is cancelled settles cancelled and gives up its place', async () => {
    const { clock, sequence, starts } = setup({ limits: { actions: { Charge: { concurrency: 1 } } } });
    sequence.start();
    sequence.assign('Charge', 10);
    const second = sequence.assign('Charge', 10);
    const third = sequence.assign('Charge', 10);
    await clock.advance(0);
    second.cancel();
    await expect(second.result).rejects.toMatchObject({ name: 'CancellationError' });
    expect(sequence.stats().flow.names.Charge!.held).toBe(1);
    await clock.runAll();
    expect(await third.result).toBe(10);
    expect(starts('Charge')).toEqual([0, 10]);
  });

  it('shutdown cancels held actions too: every action ends in one terminal state', async () => {
    const { clock, sequence, events } = setup({ limits: { actions: { Charge: { concurrency: 1 } } } });
    sequence.start();
    for (let i = 0; i < 4; i++) sequence.assign('Charge', 1_000);
    await clock.advance(0);
    const report = sequence.shutdown({ deadline: 10 });
    await clock.runAll();
    const summary = await report;
    expect(events.filter((event) => event.type === 'done' || event.type === 'cancelled' || event.type === 'failed')).toHaveLength(4);
    expect(summary.unfinished).toHaveLength(4);
    expect(clock.pending).toBe(0);
  });
});

describe('RateLimitError', () => {
  it('pauses the whole name for `retryAfter`; the action itself retries per its policy', async () => {
    const { clock, sequence, starts } = setup({ sites: 1, concurrency: 1 });
    sequence.start();
    const first = sequence.assign('Call', 500);
    await clock.advance(0);
    const others = [sequence.assign('Call', 500), sequence.assign('Call', 500)];
    sequence.assign('Quick', 1);
    await clock.advance(0);
    expect(starts('Quick')).toEqual([0]);
    expect(starts('Call')).toEqual([0]);
    expect(sequence.stats().flow.names.Call).toMatchObject({ pausedUntil: 500 });
    await clock.advance(499);
    expect(starts('Call')).toEqual([0]);
    await clock.runAll();
    expect(await first.result).toBe('ok');
    expect(await Promise.all(others.map((handle) => handle.result))).toEqual(['ok', 'ok']);
    expect(Math.min(...starts('Call').slice(1))).toBe(500);
    expect(first.getSnapshot().context.attempts).toHaveLength(2);
  });

  it("with scope 'queue' pauses the whole queue", async () => {
    const clock = new ManualClock();
    let limited = false;
    const plan = createPlan({
      Api: () => {
        if (!limited) {
          limited = true;
          throw new Error('wrapped', { cause: new RateLimitError('429', { retryAfter: 300, scope: 'queue' }) });
        }
        return 'ok';
      },
      Quick: (n: number) => n,
    });
    const sequence = new Sequence({ plan, clock, sites: 1 }).start();
    const times: Array<[string, number]> = [];
    sequence.events$.subscribe((event) => event.type === 'started' && times.push([event.name, event.at]));
    sequence.assign('Api');
    await clock.advance(0);
    sequence.assign('Quick', 1);
    await clock.advance(100);
    expect(times).toEqual([['Api', 0]]);
    await clock.runAll();
    expect(times.slice(1).map(([, at]) => at)).toEqual([300, 300]);
  });

  it('refuses a bad retryAfter', () => {
    expect(() => new RateLimitError('x', { retryAfter: -1 })).toThrow('Expected `retryAfter` to be a finite number >= 0, got -1 (number)');
  });
});

describe('limits option', () => {
  it.each([
    [{ actions: { Quick: { rate: { limit: 0, interval: 10 } } } }, 'Expected `limits.actions.Quick.rate.limit` to be an integer >= 1, got 0 (number)'],
    [{ actions: { Quick: { rate: { limit: 1, interval: -5 } } } }, 'Expected `limits.actions.Quick.rate.interval` to be a finite number > 0 (ms), got -5 (number)'],
    [{ actions: { Quick: { concurrency: 1.5 } } }, 'Expected `limits.actions.Quick.concurrency` to be an integer >= 1, got 1.5 (number)'],
    [{ actions: { Quick: { burst: 3 } } }, 'Expected `limits.actions.Quick.burst` to be absent'],
    [{ queues: { email: { rate: 'fast' } } }, 'Expected `limits.queues.email.rate` to be an object { limit, interval }, got "fast" (string)'],
  ])('refuses %j', (limits, message) => {
    expect(() => new Sequence({ plan: createPlan({ Quick: () => 1 }), limits: limits as never })).toThrow(message);
  });
});
