/**
 * Hooks through the public API, on both engines. The documented order: before-hooks
 * run global (`Life.span.before`) → per action name (Plan `before`) → named in the
 * action's metadata `hooks`; after-hooks run in the reverse order, like middleware
 * unwinding. Before-hooks run before every attempt; after-hooks once, with the outcome.
 */
import { describe, expect, it } from 'vitest';
import {
  License,
  type RunContext,
  createPlan,
  ExecutionError,
  HookError,
  Life,
  ManualClock,
  RoutingError,
  Sequence,
  type EchoEvent,
  type Hook,
  type HookInfo,
  type PlanEntry,
  type SequenceOptions,
} from '../../src/index.js';
import { engines, setup, after, drain, rejection, untilAborted } from '../support/actionHarness.js';

describe.each(engines)('hooks (%s engine)', (engine) => {
  it('run in the documented order: global → Plan → metadata before; the reverse after', async () => {
    const order: string[] = [];
    const hook = (name: string): { name: string; run: Hook } => ({ name, run: () => void order.push(name) });
    const life = new Life();
    life.span.before(hook('global-1')).before(hook('global-2'));
    life.span.after(hook('global-after-1')).after(hook('global-after-2'));
    for (const name of ['meta-1', 'meta-2', 'meta-after-1', 'meta-after-2']) life.span.define(name, () => void order.push(name));
    const { clock, sequence } = setup(
      engine,
      {
        Work: {
          run: async () => {
            order.push('function');
            return 'ok';
          },
          before: [hook('plan-1'), hook('plan-2')],
          after: [hook('plan-after-1'), hook('plan-after-2')],
        },
      },
      { life },
    );
    const handle = sequence.assign('Work', null, { metadata: { hooks: { before: ['meta-1', 'meta-2'], after: ['meta-after-1', 'meta-after-2'] } } });
    await drain(clock);
    expect(await handle.result).toBe('ok');
    expect(order).toEqual([
      'global-1',
      'global-2',
      'plan-1',
      'plan-2',
      'meta-1',
      'meta-2',
      'function',
      'meta-after-2',
      'meta-after-1',
      'plan-after-2',
      'plan-after-1',
      'global-after-2',
      'global-after-1',
    ]);
  });

  it('metadata `hooks` as a plain array names before-hooks (the seed\'s `Hooks`)', async () => {
    const order: string[] = [];
    const life = new Life();
    life.span.define('LogStart', (info) => void order.push(`LogStart ${info.action.name} ${String(info.action.content)}`));
    const { clock, sequence } = setup(engine, { Read: async (path: string) => void order.push(`read ${path}`) }, { life });
    sequence.assign('Read', 'a.txt', { metadata: { hooks: ['LogStart'] } });
    await drain(clock);
    expect(order).toEqual(['LogStart Read a.txt', 'read a.txt']);
  });

  it('before-hooks run before every attempt; after-hooks once, after the last', async () => {
    const log: string[] = [];
    const { clock, sequence } = setup(engine, {
      Flaky: {
        run: async (_: unknown, ctx) => {
          log.push(`attempt ${ctx.attempt}@${clock.now()}`);
          if (ctx.attempt < 3) throw new Error('again');
          return 'third time';
        },
        retry: { attempts: 3, initialDelay: 10, jitter: 'none' },
        before: (info: HookInfo) => void log.push(`before ${info.attempt}@${clock.now()}`),
        after: (info: HookInfo) => void log.push(`after ${info.attempt} ${info.outcome?.status}`),
      },
    });
    const handle = sequence.assign('Flaky');
    await drain(clock);
    expect(await handle.result).toBe('third time');
    expect(log).toEqual(['before 1@0', 'attempt 1@0', 'before 2@10', 'attempt 2@10', 'before 3@30', 'attempt 3@30', 'after 3 done']);
  });

  it('an async before-hook delays the attempt until it resolves', async () => {
    const log: string[] = [];
    const { clock, sequence } = setup(engine, {
      Work: {
        run: async () => void log.push(`function@${clock.now()}`),
        before: async () => {
          await after(clock, 40);
          log.push(`hook done@${clock.now()}`);
        },
      },
    });
    const handle = sequence.assign('Work');
    await clock.advance(39);
    expect(handle.getSnapshot().value).toBe('hooks');
    await clock.advance(1);
    expect(log).toEqual(['hook done@40', 'function@40']);
    expect(handle.getSnapshot().context.attempts[0]?.startedAt).toBe(40);
  });

  it('hooks see the action (id, name, content, metadata), the attempt and a signal', async () => {
    const seen: HookInfo[] = [];
    const { clock, sequence } = setup(engine, {
      Work: { run: async (n: number) => n + 1, before: (info: HookInfo) => void seen.push(info), after: (info: HookInfo) => void seen.push(info) },
    });
    const handle = sequence.assign('Work', 41, { metadata: { user: 'ada' } });
    await drain(clock);
    expect(seen).toHaveLength(2);
    const [before, afterInfo] = seen as [HookInfo, HookInfo];
    expect(before).toMatchObject({ phase: 'before', attempt: 1, action: { id: handle.id, name: 'Work', content: 41, metadata: { user: 'ada' } } });
    expect(before.outcome).toBeUndefined();
    expect(before.signal).toBeInstanceOf(AbortSignal);
    expect(afterInfo).toMatchObject({ phase: 'after', attempt: 1, outcome: { status: 'done', output: 42 } });
  });

  it('after-hooks see the error of a failed action (the same error the result rejects with)', async () => {
    const outcomes: HookInfo['outcome'][] = [];
    const { clock, sequence } = setup(engine, {
      Fail: {
        run: async () => {
          throw new Error('nope');
        },
        retry: { attempts: 2, initialDelay: 1, jitter: 'none' },
        after: (info: HookInfo) => void outcomes.push(info.outcome),
      },
    });
    const handle = sequence.assign('Fail');
    await drain(clock);
    const error = await rejection(handle.result);
    expect(error).toBeInstanceOf(ExecutionError);
    expect(outcomes).toEqual([{ status: 'failed', error }]);
  });

  it('a throwing before-hook fails the action with a HookError naming the hook and phase; no attempt, no retry', async () => {
    let calls = 0;
    const thrown = new Error('disk full');
    const afterOutcomes: HookInfo['outcome'][] = [];
    const { clock, sequence } = setup(engine, {
      Audit: {
        run: async () => void calls++,
        retry: { attempts: 5 },
        before: {
          name: 'audit',
          run: () => {
            throw thrown;
          },
        },
        after: (info: HookInfo) => void afterOutcomes.push(info.outcome),
      },
    });
    const handle = sequence.assign('Audit');
    await drain(clock);
    const error = (await rejection(handle.result)) as HookError;
    expect(error).toBeInstanceOf(HookError);
    expect(error.hook).toBe('audit');
    expect(error.phase).toBe('before');
    expect(error.cause).toBe(thrown);
    expect(error.actionId).toBe(handle.id);
    expect(error.message).toContain('audit');
    expect(error.message).toContain('disk full');
    expect(calls).toBe(0);
    expect(handle.getSnapshot().context.attempts).toEqual([]);
    expect(handle.getSnapshot().context.error).toMatchObject({ name: 'HookError', data: { hook: 'audit', phase: 'before' } });
    expect(afterOutcomes).toEqual([{ status: 'failed', error }]);
  });

  it('a throwing after-hook fails the action with a HookError (phase after); later after-hooks still run', async () => {
    const order: string[] = [];
    const life = new Life();
    life.span.after({ name: 'global-after', run: () => void order.push('global-after') });
    const { clock, sequence } = setup(
      engine,
      {
        Notify: {
          run: async () => {
            order.push('function');
            return 'sent';
          },
          after: async function notify() {
            order.push('notify');
            throw 'smtp down';
          },
        },
      },
      { life },
    );
    const handle = sequence.assign('Notify');
    await drain(clock);
    const error = (await rejection(handle.result)) as HookError;
    expect(error).toBeInstanceOf(HookError);
    expect(error).toMatchObject({ hook: 'notify', phase: 'after', cause: 'smtp down' });
    expect(order).toEqual(['function', 'notify', 'global-after']);
    expect(handle.getSnapshot().value).toBe('failed');
    expect(handle.getSnapshot().context.attempts.map((a) => a.outcome)).toEqual(['succeeded']);
  });

  it('names an anonymous hook by its position', async () => {
    const { clock, sequence } = setup(engine, {
      Anon: {
        run: async () => 'x',
        before: [
          () => {},
          () => {
            throw new Error('second');
          },
        ],
      },
    });
    const handle = sequence.assign('Anon');
    await drain(clock);
    const error = (await rejection(handle.result)) as HookError;
    expect(error.hook).toBe('before hook of "Anon"#2');
  });

  it('metadata naming an unknown hook is a RoutingError at assign, and nothing is assigned', () => {
    const life = new Life();
    life.span.define('known', () => {});
    const { sequence, events } = setup(engine, { Work: async () => 'x' }, { life });
    const assign = (hooks: unknown) => () => sequence.assign('Work', null, { metadata: { hooks } });
    expect(assign(['known', 'LogStart'])).toThrow(RoutingError);
    expect(assign(['LogStart'])).toThrow(/lists hook "LogStart" in its metadata, but Life defines no such hook/);
    expect(assign({ after: ['missing'] })).toThrow(expect.objectContaining({ name: 'RoutingError', target: 'missing' }));
    expect(assign({ before: 'known' })).toThrow(TypeError);
    expect(assign('known')).toThrow(TypeError);
    expect(assign(42)).toThrow(TypeError);
    expect(events).toEqual([]);
    expect(sequence.stats().assigned).toBe(0);
  });

  it('hook registrations are checked: bad hooks and duplicate names are TypeErrors', () => {
    const life = new Life();
    expect(() => life.span.before(42 as never)).toThrow(TypeError);
    expect(() => life.span.define('', () => {})).toThrow(TypeError);
    life.span.define('once', () => {});
    expect(() => life.span.define('once', () => {})).toThrow(/already defined/);
    expect(() => createPlan({ X: { run: async () => 1, before: ['nope' as never] } })).toThrow(TypeError);
  });
});

describe.each(engines)('after-hooks owed after an abrupt end (%s engine)', (engine) => {
  const recorder = () => {
    const seen: { status: string; error?: string; attempt: number }[] = [];
    const hook = ({ outcome, attempt }: HookInfo) => {
      seen.push({ status: outcome!.status, attempt, ...('error' in outcome! && { error: outcome.error.name }) });
    };
    return { seen, hook };
  };

  it('a cancelled running action still runs its after-hooks once, with status cancelled', async () => {
    const { seen, hook } = recorder();
    const { clock, sequence } = setup(engine, { Slow: { run: (_: unknown, ctx: RunContext) => untilAborted(ctx.signal), after: hook } });
    const handle = sequence.assign('Slow', null);
    await clock.advance(0);
    handle.cancel();
    await drain(clock);
    expect(await rejection(handle.result)).toMatchObject({ name: 'CancellationError' });
    expect(seen).toEqual([{ status: 'cancelled', error: 'CancellationError', attempt: 1 }]);
  });

  it('a License revoked during the backoff: after-hooks see the LicenseError', async () => {
    const { seen, hook } = recorder();
    const license = new License('owed');
    const { clock, sequence } = setup(engine, {
      Flaky: { run: async () => { throw new Error('again'); }, after: hook, retry: { attempts: 3, initialDelay: 100, jitter: 'none' } },
    });
    const handle = sequence.assign('Flaky', null, { license });
    await clock.advance(10);
    expect(handle.getSnapshot().value).toBe('retrying');
    license.revoke('gone');
    await drain(clock);
    expect(seen).toEqual([{ status: 'failed', error: 'LicenseError', attempt: 1 }]);
  });

  it('a total timeout: after-hooks see the TimeoutError', async () => {
    const { seen, hook } = recorder();
    const { clock, sequence } = setup(engine, { Hang: { run: () => new Promise(() => {}), after: hook, timeout: { total: 50 } } });
    sequence.assign('Hang', null).result.catch(() => {});
    await clock.advance(50);
    await drain(clock);
    expect(seen).toEqual([{ status: 'failed', error: 'TimeoutError', attempt: 1 }]);
  });

  it('an action cancelled before a Site took it owes nothing; a normal end runs them exactly once', async () => {
    const { seen, hook } = recorder();
    const { clock, sequence } = setup(engine, { Quick: { run: async () => 'ok', after: hook } });
    sequence.pause();
    const queued = sequence.assign('Quick', null);
    queued.cancel();
    sequence.resume();
    const normal = sequence.assign('Quick', null);
    await drain(clock);
    expect(await normal.result).toBe('ok');
    expect(seen).toEqual([{ status: 'done', attempt: 1 }]);
  });

  it('an owed after-hook that throws is reported as an event and changes nothing', async () => {
    const { clock, sequence, events } = setup(engine, {
      Slow: { run: (_: unknown, ctx: RunContext) => untilAborted(ctx.signal), after: { name: 'release-lock', run: () => { throw new Error('lock gone'); } } },
    });
    const handle = sequence.assign('Slow', null);
    await clock.advance(0);
    handle.cancel();
    await drain(clock);
    expect(handle.getSnapshot().value).toBe('cancelled');
    expect(events.filter((e) => e.type === 'after-hook-failed')).toEqual([
      expect.objectContaining({ actionId: handle.id, hook: 'release-lock', error: expect.objectContaining({ name: 'HookError' }) }),
    ]);
  });
});
