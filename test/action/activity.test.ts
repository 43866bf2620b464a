import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { EchoEvent } from '../../src/events.js';
import { createPlan } from '../../src/Plan.js';
import type { RunContext } from '../../src/Plan.js';
import { Sequence } from '../../src/Sequence.js';

/** A function that waits for `release()` with its ctx exposed, so the test drives its reports step by step. */
function controllable() {
  let ctx: RunContext | undefined;
  let release: (value: unknown) => void = () => {};
  let fail: (error: Error) => void = () => {};
  const run = (_content: unknown, context: RunContext) =>
    new Promise((resolve, reject) => {
      ctx = context;
      release = resolve;
      fail = reject;
    });
  return {
    run,
    get ctx(): RunContext {
      if (ctx === undefined) throw new Error('not running yet');
      return ctx;
    },
    release: (value: unknown) => release(value),
    fail: (error: Error) => fail(error),
  };
}

function setup(activity?: ConstructorParameters<typeof Sequence>[0]['activity'], engine: 'table' | 'xstate' = 'table') {
  const clock = new ManualClock();
  const work = controllable();
  const plan = createPlan({ Work: work.run });
  const sequence = new Sequence({ plan, clock, sites: 1, engine, ...(activity !== undefined && { activity }) }).start();
  const events: EchoEvent[] = [];
  sequence.events$.subscribe((event) => events.push(event));
  const of = (type: EchoEvent['type']) => events.filter((event) => event.type === type);
  return { clock, work, sequence, events, of };
}

describe('ctx.progress', () => {
  test.each(['table', 'xstate'] as const)('publishes at once, coalesces inside the interval, publishes the latest at its end (%s engine)', async (engine) => {
    const { clock, work, sequence, of } = setup({ progressInterval: 100 }, engine);
    const handle = sequence.assign('Work', null);
    await clock.advance(0);
    work.ctx.progress(0.1);
    expect(of('progress')).toMatchObject([{ value: 0.1, at: 0, attempt: 1, actionId: handle.id }]);
    expect(handle.getSnapshot().context.progress).toBe(0.1);
    await clock.advance(30);
    work.ctx.progress(0.2);
    await clock.advance(30);
    work.ctx.progress({ done: 3, total: 10 });
    expect(of('progress')).toHaveLength(1); // coalesced
    expect(handle.getSnapshot().context.progress).toBe(0.1);
    await clock.advance(39);
    expect(of('progress')).toHaveLength(1);
    await clock.advance(1);
    expect(of('progress').map((e) => [e.type === 'progress' && e.value, e.at])).toEqual([
      [0.1, 0],
      [{ done: 3, total: 10 }, 100],
    ]);
    expect(handle.getSnapshot().context.progress).toEqual({ done: 3, total: 10 });
    await clock.advance(500); // nothing pending: no event
    expect(of('progress')).toHaveLength(2);
    work.ctx.progress(0.9); // an interval passed since the last one: at once
    expect(of('progress')).toHaveLength(3);
    work.release('ok');
    await expect(handle.result).resolves.toBe('ok');
  });

  test('a value still coalesced when the action settles is published before its terminal event, and no timer is left', async () => {
    const { clock, work, sequence, events } = setup({ progressInterval: 1000 });
    const handle = sequence.assign('Work', null);
    await clock.advance(0);
    work.ctx.progress(1);
    work.ctx.progress(2);
    work.ctx.progress(3);
    work.release('ok');
    await handle.result;
    const types = events.filter((e) => e.type === 'progress' || e.type === 'done').map((e) => (e.type === 'progress' ? e.value : e.type));
    expect(types).toEqual([1, 3, 'done']);
    expect(handle.getSnapshot().context.progress).toBe(3);
    expect(clock.pending).toBe(0);
    work.ctx.progress(4); // after settling: ignored
    expect(handle.getSnapshot().context.progress).toBe(3);
  });

  test('a value with no JSON form throws a SerializationError naming its path; the runtime goes on', async () => {
    const { clock, work, sequence } = setup();
    const handle = sequence.assign('Work', null);
    await clock.advance(0);
    expect(() => work.ctx.progress({ items: [1, () => 2] })).toThrow(expect.objectContaining({ name: 'SerializationError', path: 'progress.items[1]' }));
    expect(() => work.ctx.progress(undefined)).toThrow(expect.objectContaining({ name: 'SerializationError', path: 'progress' }));
    expect(() => work.ctx.progress(Number.NaN)).toThrow(/progress.*NaN/);
    expect(() => work.ctx.progress(new Date())).toThrow(/instance of Date/);
    expect(() => work.ctx.progress('x'.repeat(5000))).toThrow(/at most 4096 characters/);
    expect(handle.getSnapshot().context.progress).toBeUndefined();
    const value = { done: 1 };
    work.ctx.progress(value);
    value.done = 99; // a copy was kept
    expect(handle.getSnapshot().context.progress).toEqual({ done: 1 });
    work.release('ok');
    await expect(handle.result).resolves.toBe('ok');
  });

  test('a throwing progress call fails only that attempt, as any user error', async () => {
    const clock = new ManualClock();
    const plan = createPlan({ Bad: { run: (_content: null, ctx) => ctx.progress(Symbol('nope')), retry: { attempts: 1 } }, Good: () => 'fine' });
    const sequence = new Sequence({ plan, clock, sites: 1 }).start();
    const handle = sequence.assign('Bad', null);
    await expect(handle.result).rejects.toMatchObject({ name: 'SerializationError', path: 'progress' });
    await expect(sequence.assign('Good', null).result).resolves.toBe('fine');
    await sequence.shutdown();
  });
});

describe('ctx.log', () => {
  test('keeps the newest maxLogs lines, counts the dropped ones, streams every line on events$', async () => {
    const { clock, work, sequence, of } = setup({ maxLogs: 3 });
    const handle = sequence.assign('Work', null);
    await clock.advance(0);
    work.ctx.log('one');
    await clock.advance(5);
    work.ctx.log('two', { rows: 2 });
    for (const n of ['three', 'four', 'five']) work.ctx.log(n);
    const context = handle.getSnapshot().context;
    expect(context.logs).toEqual([
      { at: 5, attempt: 1, message: 'three' },
      { at: 5, attempt: 1, message: 'four' },
      { at: 5, attempt: 1, message: 'five' },
    ]);
    expect(context.logsDropped).toBe(2);
    expect(of('log').map((e) => e.type === 'log' && [e.message, e.dropped])).toEqual([
      ['one', 0],
      ['two', 0],
      ['three', 0],
      ['four', 1],
      ['five', 2],
    ]);
    expect(of('log')[1]).toMatchObject({ data: { rows: 2 }, at: 5, actionId: handle.id, name: 'Work' });
    work.release('ok');
    await handle.result;
    work.ctx.log('late'); // after settling: counted, not kept
    expect(handle.getSnapshot().context.logsDropped).toBe(3);
    expect(handle.getSnapshot().context.logs).toHaveLength(3);
    expect(of('log')).toHaveLength(5);
  });

  test('lines carry their attempt across retries; a long message is cut with a marker', async () => {
    const clock = new ManualClock();
    const plan = createPlan({
      Flaky: {
        run: (_content: null, ctx) => {
          ctx.log(`attempt ${ctx.attempt}`);
          if (ctx.attempt === 1) {
            ctx.log('y'.repeat(30));
            throw new Error('first fails');
          }
          return 'ok';
        },
        retry: { attempts: 2, initialDelay: 10, jitter: 'none' },
      },
    });
    const sequence = new Sequence({ plan, clock, sites: 1, activity: { maxLogMessage: 10 } }).start();
    const handle = sequence.assign('Flaky', null);
    await clock.advance(10);
    await expect(handle.result).resolves.toBe('ok');
    expect(handle.getSnapshot().context.logs?.map((line) => [line.attempt, line.message, line.at])).toEqual([
      [1, 'attempt 1', 0],
      [1, 'yyyyyyyyyy…(+20 chars)', 0],
      [2, 'attempt 2', 10],
    ]);
    await sequence.shutdown();
  });

  test('a message that is not a string is a TypeError; data with no JSON form a SerializationError naming its path', async () => {
    const { clock, work, sequence } = setup();
    const handle = sequence.assign('Work', null);
    await clock.advance(0);
    expect(() => work.ctx.log(42 as never)).toThrow(expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(/message to be a string, got 42/) }));
    expect(() => work.ctx.log('x', { when: new Date() })).toThrow(expect.objectContaining({ name: 'SerializationError', path: 'log.data.when' }));
    expect(handle.getSnapshot().context.logs).toBeUndefined();
    work.release('ok');
    await handle.result;
  });

  test('activity options are validated', () => {
    const plan = createPlan({ Work: () => 1 });
    expect(() => new Sequence({ plan, activity: { maxLogs: 0 } })).toThrow(/activity\.maxLogs/);
    expect(() => new Sequence({ plan, activity: { progressInterval: -1 } })).toThrow(/activity\.progressInterval/);
    expect(() => new Sequence({ plan, activity: { lines: 3 } as never })).toThrow(/Unknown activity option `lines`/);
  });
});
