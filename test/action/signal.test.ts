/**
 * `assign(name, content, { signal })`: an external AbortSignal cancels the action,
 * like `fetch`'s — reason `user`, the signal's reason as the error's cause — and its
 * listener is removed once the action settles. On both engines, under a ManualClock.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CancellationError, type RunContext } from '../../src/index.js';
import { after, drain, engines, rejection, setup, untilAborted } from '../support/actionHarness.js';

const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

describe.each(engines)('assign with a signal (%s engine)', (engine) => {
  it('aborting a running action cancels it: reason `user`, the signal reason as cause, the function sees it', async () => {
    let seen: unknown;
    const { clock, sequence, events } = setup(engine, {
      Slow: async (_: null, { signal }: RunContext) => {
        try {
          return await untilAborted(signal);
        } catch (error) {
          seen = error;
          throw error;
        }
      },
    });
    const controller = new AbortController();
    const handle = sequence.assign('Slow', null, { signal: controller.signal });
    await clock.advance(10);
    expect(handle.getSnapshot().value).toBe('running');
    expect(listeners(controller.signal)).toBe(1);
    const reason = new Error('user left the page');
    controller.abort(reason);
    await drain(clock);
    expect(handle.getSnapshot().value).toBe('cancelled');
    const error = (await rejection(handle.result)) as CancellationError;
    expect(error).toBeInstanceOf(CancellationError);
    expect(error.reason).toBe('user');
    expect(error.cause).toBe(reason);
    expect(seen).toBe(error); // the attempt's own signal was aborted with the same error
    expect(handle.getSnapshot().context.cancellation).toMatchObject({ reason: 'user', at: 10 });
    expect(events.filter((e) => e.type === 'cancelled')).toEqual([{ type: 'cancelled', actionId: handle.id, name: 'Slow', at: 10, reason: 'user', attempts: 1 }]);
    expect(listeners(controller.signal)).toBe(0);
  });

  it('an already-aborted signal cancels at once: the function never runs', async () => {
    let calls = 0;
    const { clock, sequence } = setup(engine, { Work: async () => void calls++ });
    const reason = new Error('too late');
    const handle = sequence.assign('Work', null, { signal: AbortSignal.abort(reason) });
    expect(handle.settled).toBe(true);
    expect(handle.getSnapshot().value).toBe('cancelled');
    const error = (await rejection(handle.result)) as CancellationError;
    expect(error.reason).toBe('user');
    expect(error.cause).toBe(reason);
    await drain(clock);
    expect(calls).toBe(0);
  });

  it('aborting a queued or delayed action settles it at once and frees nothing it never held', async () => {
    const gate: { open?: () => void } = {};
    const log: string[] = [];
    const { clock, sequence } = setup(engine, {
      Block: () => new Promise<string>((resolve) => (gate.open = () => resolve('blocked'))),
      Work: async (n: number) => void log.push(`work ${n}`),
    });
    sequence.assign('Block');
    const controller = new AbortController();
    const queued = sequence.assign('Work', 1, { signal: controller.signal });
    const delayed = sequence.assign('Work', 2, { signal: controller.signal, delay: 100 });
    const other = sequence.assign('Work', 3);
    await clock.advance(50);
    expect([queued.getSnapshot().value, delayed.getSnapshot().value]).toEqual(['queued', 'delayed']);
    controller.abort('stop');
    expect([queued.settled, delayed.settled]).toEqual([true, true]);
    expect(((await rejection(delayed.result)) as CancellationError).cause).toBe('stop');
    expect(listeners(controller.signal)).toBe(0);
    gate.open!();
    await drain(clock);
    await other.result;
    expect(log).toEqual(['work 3']);
  });

  it('an action that finishes first removes its listener; a later abort changes nothing', async () => {
    const { clock, sequence } = setup(engine, { Quick: async (n: number, ctx: RunContext) => after(clock, 5).then(() => n * 2 + ctx.attempt) });
    const controller = new AbortController();
    const handles = [1, 2, 3].map((n) => sequence.assign('Quick', n, { signal: controller.signal }));
    expect(listeners(controller.signal)).toBe(3);
    await drain(clock);
    expect(await Promise.all(handles.map((handle) => handle.result))).toEqual([3, 5, 7]);
    expect(listeners(controller.signal)).toBe(0);
    controller.abort();
    expect(handles.map((handle) => handle.getSnapshot().value)).toEqual(['done', 'done', 'done']);
  });

  it('a signal that is no AbortSignal is refused, naming the option', () => {
    const { sequence } = setup(engine, { Work: async () => 1 });
    expect(() => sequence.assign('Work', null, { signal: {} as AbortSignal })).toThrow(new TypeError('Expected `signal` to be an AbortSignal, got {} (object)'));
  });
});
