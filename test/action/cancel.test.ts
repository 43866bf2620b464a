/**
 * Cancelling an Action in each state of its statechart, through the public API,
 * on both engines: what settles when, what the function's signal says, and what
 * happens to a function that ignores it.
 */
import { describe, expect, it } from 'vitest';
import {
  CancellationError,
  createPlan,
  ManualClock,
  Sequence,
  type EchoEvent,
  type HookInfo,
  type PlanEntry,
  type RunContext,
  type SequenceOptions,
} from '../../src/index.js';
import { engines, setup, after, drain, rejection, untilAborted } from '../support/actionHarness.js';

const terminal = (events: EchoEvent[], actionId: string) =>
  events.filter((e) => 'actionId' in e && e.actionId === actionId && (e.type === 'done' || e.type === 'failed' || e.type === 'cancelled'));

describe.each(engines)('cancel (%s engine)', (engine) => {
  it('in `delayed`: settles at once and the function never runs', async () => {
    let calls = 0;
    const { clock, sequence, events } = setup(engine, { Later: async () => void calls++ });
    const handle = sequence.assign('Later', null, { delay: 100 });
    await clock.advance(10);
    expect(handle.getSnapshot().value).toBe('delayed');
    handle.cancel();
    expect(handle.settled).toBe(true);
    expect(handle.getSnapshot().value).toBe('cancelled');
    expect(handle.getSnapshot().context).toMatchObject({ settledAt: 10, cancellation: { reason: 'user', at: 10 }, attempts: [] });
    const error = (await rejection(handle.result)) as CancellationError;
    expect(error).toBeInstanceOf(CancellationError);
    expect(error.reason).toBe('user');
    await clock.advance(500);
    expect(calls).toBe(0);
    expect(terminal(events, handle.id)).toEqual([{ type: 'cancelled', actionId: handle.id, name: 'Later', at: 10, reason: 'user', attempts: 0 }]);
  });

  it('in `queued`: settles at once, leaves the queue, and the next action takes the slot', async () => {
    const log: string[] = [];
    const gate: { open?: () => void } = {};
    const { clock, sequence } = setup(engine, {
      Block: () => new Promise<string>((resolve) => (gate.open = () => resolve('blocked'))),
      Work: async (n: number) => void log.push(`work ${n}`),
    });
    const block = sequence.assign('Block');
    const first = sequence.assign('Work', 1);
    const second = sequence.assign('Work', 2);
    expect(first.getSnapshot().value).toBe('queued');
    first.cancel('user', 'no longer needed');
    expect(first.getSnapshot().value).toBe('cancelled');
    expect(first.getSnapshot().context.cancellation).toEqual({ reason: 'user', message: 'no longer needed', at: 0 });
    expect(((await rejection(first.result)) as Error).message).toBe('no longer needed');
    expect(sequence.stats().queues.default!.size).toBe(1);
    gate.open!();
    await drain(clock);
    expect(log).toEqual(['work 2']);
    expect(await block.result).toBe('blocked');
    expect(second.getSnapshot().value).toBe('done');
  });

  it('in `hooks`: aborts the signal a slow async before-hook sees, and the function never runs', async () => {
    let calls = 0;
    const seen: { signal?: AbortSignal; finished?: boolean } = {};
    const { clock, sequence } = setup(engine, {
      Guarded: {
        run: async () => void calls++,
        before: async function slowCheck(info: HookInfo) {
          seen.signal = info.signal;
          await after(clock, 100);
          seen.finished = true;
        },
      },
    });
    const handle = sequence.assign('Guarded');
    await clock.advance(10);
    expect(handle.getSnapshot().value).toBe('hooks');
    expect(seen.signal?.aborted).toBe(false);
    handle.cancel();
    expect(seen.signal?.aborted).toBe(true);
    expect(seen.signal?.reason).toBeInstanceOf(CancellationError);
    expect((seen.signal?.reason as CancellationError).reason).toBe('user');
    expect(handle.getSnapshot().value).toBe('cancelled');
    expect(handle.getSnapshot().context.attempts).toEqual([]);
    await drain(clock);
    expect(seen.finished).toBe(true); // the hook ignored its signal; its late pass changes nothing
    expect(calls).toBe(0);
    expect(handle.getSnapshot().value).toBe('cancelled');
    expect(await rejection(handle.result)).toBe(seen.signal?.reason);
  });

  it('in `running`: aborts the signal with a CancellationError (reason user) and settles when the function rejects', async () => {
    const seen: { signal?: AbortSignal } = {};
    const { clock, sequence, events } = setup(engine, {
      Listen: {
        run: async (_: unknown, ctx: RunContext) => {
          seen.signal = ctx.signal;
          await after(clock, 20); // notices the abort only at its next await point
          return untilAborted(ctx.signal);
        },
        retry: { attempts: 5 },
      },
    });
    const handle = sequence.assign('Listen');
    await clock.advance(5);
    handle.cancel();
    expect(seen.signal?.aborted).toBe(true);
    const reason = seen.signal?.reason as CancellationError;
    expect(reason).toBeInstanceOf(CancellationError);
    expect(reason.reason).toBe('user');
    expect(reason.actionId).toBe(handle.id);
    expect(handle.getSnapshot().value).toBe('cancelling');
    expect(handle.settled).toBe(false);
    await clock.advance(14);
    expect(handle.getSnapshot().value).toBe('cancelling');
    await clock.advance(1); // the function's wait ends at 20: it sees the abort and rejects
    expect(handle.getSnapshot().value).toBe('cancelled');
    expect(await rejection(handle.result)).toBe(reason);
    const context = handle.getSnapshot().context;
    expect(context.attempts).toHaveLength(1); // a cancelled attempt is never retried
    expect(context.attempts[0]).toMatchObject({ number: 1, startedAt: 0, endedAt: 20, outcome: 'cancelled' });
    expect(context.settledAt).toBe(20);
    expect(terminal(events, handle.id)).toEqual([expect.objectContaining({ type: 'cancelled', at: 20, reason: 'user', attempts: 1 })]);
    expect(events.filter((e) => e.type === 'attempt-failed' || e.type === 'retrying')).toEqual([]);
  });

  it('a function that ignores its signal is abandoned after cancelGrace; its late result is ignored', async () => {
    const { clock, sequence, events } = setup(engine, {
      Stubborn: {
        run: async () => {
          await after(clock, 5_000);
          return 'late';
        },
        cancelGrace: 100,
      },
    });
    const handle = sequence.assign('Stubborn');
    await clock.advance(10);
    handle.cancel();
    expect(handle.getSnapshot().value).toBe('cancelling');
    await clock.advance(99);
    expect(handle.getSnapshot().value).toBe('cancelling');
    expect(handle.settled).toBe(false);
    await clock.advance(1);
    expect(handle.getSnapshot().value).toBe('cancelled');
    const context = handle.getSnapshot().context;
    expect(context.attempts).toEqual([{ number: 1, startedAt: 0, endedAt: 110, outcome: 'abandoned', error: null, backoff: null }]);
    expect(context.settledAt).toBe(110);
    const error = (await rejection(handle.result)) as CancellationError;
    expect(error).toBeInstanceOf(CancellationError);
    expect(error.reason).toBe('user');
    await drain(clock); // the function resolves at 5000
    expect(handle.getSnapshot().value).toBe('cancelled');
    expect(handle.getSnapshot().context.output).toBeUndefined();
    expect(terminal(events, handle.id)).toEqual([expect.objectContaining({ type: 'cancelled', at: 110 })]);
  });

  it('a function that resolves within cancelGrace settles the action cancelled then, its output dropped', async () => {
    const { clock, sequence } = setup(engine, {
      Quick: {
        run: async () => {
          await after(clock, 50);
          return 'too late';
        },
        cancelGrace: 100,
      },
    });
    const handle = sequence.assign('Quick');
    await clock.advance(10);
    handle.cancel();
    await clock.advance(40);
    expect(handle.getSnapshot().value).toBe('cancelled');
    expect(handle.getSnapshot().context).toMatchObject({ output: undefined, settledAt: 50 });
    expect(handle.getSnapshot().context.attempts[0]).toMatchObject({ outcome: 'cancelled', endedAt: 50 });
    expect(await rejection(handle.result)).toBeInstanceOf(CancellationError);
  });

  it('in `retrying`: settles at once and no further attempt starts', async () => {
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
    const handle = sequence.assign('Flaky');
    await clock.advance(10);
    expect(handle.getSnapshot().value).toBe('retrying');
    handle.cancel();
    expect(handle.getSnapshot().value).toBe('cancelled');
    expect(handle.getSnapshot().context).toMatchObject({ retryAt: null, settledAt: 10, error: null });
    expect(handle.getSnapshot().context.attempts.map((a) => a.outcome)).toEqual(['failed']);
    await drain(clock);
    expect(calls).toBe(1);
    expect(await rejection(handle.result)).toBeInstanceOf(CancellationError);
  });

  it('after `done` does nothing', async () => {
    const { clock, sequence, events } = setup(engine, { Fast: async () => 'ok' });
    const handle = sequence.assign('Fast');
    await clock.advance(0);
    handle.cancel();
    await drain(clock);
    expect(handle.getSnapshot().value).toBe('done');
    expect(handle.getSnapshot().context.cancellation).toBeNull();
    expect(await handle.result).toBe('ok');
    expect(terminal(events, handle.id).map((e) => e.type)).toEqual(['done']);
  });

  it('twice: the first reason stays and there is one terminal event', async () => {
    const { clock, sequence, events } = setup(engine, {
      Listen: {
        run: async (_: unknown, ctx: RunContext) => {
          await after(clock, 10);
          return untilAborted(ctx.signal);
        },
      },
      Wait: async () => 'never runs',
    });
    const running = sequence.assign('Listen');
    const queued = sequence.assign('Wait');
    running.cancel('user', 'first');
    running.cancel('shutdown', 'second'); // cancelling already: ignored
    queued.cancel('user', 'first');
    queued.cancel('timeout', 'second'); // settled: ignored
    await drain(clock);
    expect(running.getSnapshot().context.cancellation).toMatchObject({ reason: 'user', message: 'first' });
    expect(queued.getSnapshot().context.cancellation).toMatchObject({ reason: 'user', message: 'first' });
    expect(((await rejection(running.result)) as CancellationError).message).toBe('first');
    expect(((await rejection(queued.result)) as CancellationError).message).toBe('first');
    expect(terminal(events, running.id)).toHaveLength(1);
    expect(terminal(events, queued.id)).toHaveLength(1);
  });

  it('cancels follow-ups (`then`) of a finished action with reason `parent`', async () => {
    const seen: { signal?: AbortSignal } = {};
    const { clock, sequence, events } = setup(engine, {
      Read: async (path: string) => `content of ${path}`,
      Write: async (text: string, ctx: RunContext) => {
        seen.signal = ctx.signal;
        expect(text).toBe('content of a.txt');
        return untilAborted(ctx.signal);
      },
    });
    const read = sequence.assign('Read', 'a.txt', { then: { name: 'Write' } });
    await clock.advance(0);
    expect(await read.result).toBe('content of a.txt');
    const assigned = events.find((e) => e.type === 'assigned' && e.parentId === read.id);
    expect(assigned).toMatchObject({ name: 'Write' });
    const write = sequence.get((assigned as { actionId: string }).actionId)!;
    expect(write.getSnapshot().value).toBe('running');
    read.cancel();
    expect(read.getSnapshot().value).toBe('done');
    expect((seen.signal?.reason as CancellationError).reason).toBe('parent');
    await clock.advance(0);
    expect(write.getSnapshot().value).toBe('cancelled');
    expect(write.getSnapshot().context.cancellation?.reason).toBe('parent');
    const error = (await rejection(write.result)) as CancellationError;
    expect(error).toBeInstanceOf(CancellationError);
    expect(error.reason).toBe('parent');
    expect(terminal(events, write.id)).toEqual([expect.objectContaining({ type: 'cancelled', reason: 'parent' })]);
  });

  it('an action cancelled before it succeeds never assigns its follow-ups', async () => {
    const { clock, sequence, events } = setup(engine, {
      Read: async (_: string, ctx: RunContext) => untilAborted(ctx.signal),
      Write: async () => 'written',
    });
    const read = sequence.assign('Read', 'a.txt', { then: { name: 'Write' } });
    read.cancel();
    await drain(clock);
    expect(read.getSnapshot().value).toBe('cancelled');
    expect(events.filter((e) => e.type === 'assigned').map((e) => (e as { name: string }).name)).toEqual(['Read']);
  });

  it('with reason `shutdown` when the Sequence shuts down past its deadline', async () => {
    const { clock, sequence } = setup(engine, {
      Listen: async (_: unknown, ctx: RunContext) => untilAborted(ctx.signal),
    });
    const handle = sequence.assign('Listen');
    const report = sequence.shutdown({ deadline: 50 });
    await clock.advance(50);
    expect(handle.getSnapshot().value).toBe('cancelled');
    expect(((await rejection(handle.result)) as CancellationError).reason).toBe('shutdown');
    expect((await report).unfinished.map((u) => u.state)).toEqual(['running']);
  });
});
