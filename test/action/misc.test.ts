/**
 * The rest of an Action's contract through the public API, on both engines: the
 * event stream, assign-time errors (routing, options, schema), idempotency,
 * delays, priorities, `again()`, re-assigning a shutdown record, and exactly one
 * terminal event per action.
 */
import { describe, expect, it } from 'vitest';
import {
  CancellationError,
  createPlan,
  createSequentialIds,
  ExecutionError,
  License,
  LicenseError,
  ManualClock,
  RoutingError,
  SerializationError,
  Sequence,
  TimeoutError,
  ValidationError,
  type ActionHandle,
  type EchoEvent,
  type PlanEntry,
  type RunContext,
  type SequenceOptions,
  type StandardSchemaV1,
} from '../../src/index.js';
import { engines, setup, after, drain, rejection, untilAborted } from '../support/actionHarness.js';

const TERMINAL = new Set(['done', 'failed', 'cancelled']);
const ofAction = (events: EchoEvent[], id: string) => events.filter((e) => 'actionId' in e && e.actionId === id);

/** A hand-written Standard Schema: `{ path: string }`, trimmed. */
const pathSchema: StandardSchemaV1<{ path: string }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (value) => {
      if (typeof value !== 'object' || value === null) return { issues: [{ message: 'Expected an object' }] };
      const path = (value as { path?: unknown }).path;
      if (typeof path !== 'string') return { issues: [{ message: 'Expected a string', path: [{ key: 'path' }] }] };
      return { value: { path: path.trim() } };
    },
  },
};

describe.each(engines)('misc (%s engine)', (engine) => {
  it('streams lifecycle events on events$ that match each handle\'s outcome', async () => {
    const { clock, sequence, events } = setup(
      engine,
      {
        Ok: async (n: number) => n * 2,
        Flaky: {
          run: async (_: unknown, ctx: RunContext) => {
            if (ctx.attempt === 1) throw new Error('once');
            return 'second time';
          },
          retry: { initialDelay: 10, jitter: 'none' },
        },
        Fail: { run: async () => Promise.reject(new Error('always')), retry: { attempts: 1 } },
        Listen: async (_: unknown, ctx: RunContext) => untilAborted(ctx.signal),
      },
      { concurrency: 4 },
    );
    const ok = sequence.assign('Ok', 21);
    const flaky = sequence.assign('Flaky');
    const fail = sequence.assign('Fail');
    const listen = sequence.assign('Listen');
    await clock.advance(5);
    listen.cancel();
    await drain(clock);
    const types = (handle: ActionHandle) => ofAction(events, handle.id).map((e) => `${e.type}@${e.at}`);
    expect(types(ok)).toEqual(['assigned@0', 'started@0', 'done@0']);
    expect(types(flaky)).toEqual(['assigned@0', 'started@0', 'attempt-failed@0', 'retrying@0', 'started@10', 'done@10']);
    expect(types(fail)).toEqual(['assigned@0', 'started@0', 'attempt-failed@0', 'failed@0']);
    expect(types(listen)).toEqual(['assigned@0', 'started@0', 'cancelled@5']);
    expect(ofAction(events, ok.id)).toEqual([
      { type: 'assigned', actionId: ok.id, name: 'Ok', at: 0, priority: 'normal', queue: 'default', parentId: null },
      { type: 'started', actionId: ok.id, name: 'Ok', at: 0, attempt: 1, site: 'site-1' },
      { type: 'done', actionId: ok.id, name: 'Ok', at: 0, output: 42, attempts: 1 },
    ]);
    // Each terminal event agrees with the handle.
    expect(await ok.result).toBe(42);
    expect(await flaky.result).toBe('second time');
    const failError = (await rejection(fail.result)) as ExecutionError;
    const failed = ofAction(events, fail.id).find((e) => e.type === 'failed');
    expect(failed).toMatchObject({ error: { name: failError.name, message: failError.message }, attempts: 1 });
    const cancelError = (await rejection(listen.result)) as CancellationError;
    expect(ofAction(events, listen.id).at(-1)).toMatchObject({ type: 'cancelled', reason: cancelError.reason, attempts: 1 });
    for (const handle of [ok, flaky, fail, listen]) {
      const last = ofAction(events, handle.id).at(-1)!;
      expect(last.type).toBe(handle.getSnapshot().value);
      expect(last.at).toBe(handle.getSnapshot().context.settledAt);
    }
  });

  it('shows each step of the statechart to `subscribe`', async () => {
    const { clock, sequence } = setup(engine, {
      Flaky: {
        run: async (_: unknown, ctx: RunContext) => {
          if (ctx.attempt === 1) throw new Error('once');
          return 'ok';
        },
        retry: { initialDelay: 10, jitter: 'none' },
      },
    });
    const handle = sequence.assign('Flaky', null, { delay: 5 });
    const values: string[] = [];
    const stop = handle.subscribe((snapshot) => values.push(snapshot.value));
    await drain(clock);
    stop();
    // No hook runs before or after: the chart passes `hooks` and `afterHooks` over.
    expect(values).toEqual(['queued', 'running', 'retrying', 'queued', 'running', 'done']);
  });

  it('enters `hooks` and `afterHooks` where hooks run (and for a License, checked in `hooks`)', async () => {
    const seen: string[] = [];
    const { clock, sequence } = setup(engine, {
      Before: { run: async () => 'b', before: () => void seen.push('before') },
      After: { run: async () => 'a', after: () => void seen.push('after') },
      Plain: async () => 'p',
    });
    const valuesOf = async (handle: ReturnType<typeof sequence.assign>): Promise<string[]> => {
      const values: string[] = [];
      const stop = handle.subscribe((snapshot) => values.push(snapshot.value));
      await drain(clock);
      stop();
      await handle.result;
      return values;
    };
    expect(await valuesOf(sequence.assign('Before', null, { delay: 5 }))).toEqual(['queued', 'hooks', 'running', 'done']);
    expect(await valuesOf(sequence.assign('After', null, { delay: 5 }))).toEqual(['queued', 'running', 'afterHooks', 'done']);
    expect(await valuesOf(sequence.assign('Plain', null, { delay: 5, license: new License('tenant') }))).toEqual(['queued', 'hooks', 'running', 'done']);
    expect(seen).toEqual(['before', 'after']);
  });

  it('refuses an unknown action name (or follow-up, or queue) with a RoutingError at assign', () => {
    const { sequence, events } = setup(engine, { Read: async () => 1, Write: async () => 2 });
    expect(() => sequence.assign('Delete')).toThrow(new RoutingError('No action named "Delete" in the Plan (known: "Read", "Write")', { target: 'Delete' }));
    expect(() => sequence.assign('Delete')).toThrow(expect.objectContaining({ name: 'RoutingError', target: 'Delete' }));
    expect(() => sequence.assign('Read', null, { then: { name: 'Delete' } })).toThrow(expect.objectContaining({ name: 'RoutingError', target: 'Delete' }));
    expect(() => sequence.assign('Read', null, { queue: 'email' })).toThrow(expect.objectContaining({ name: 'RoutingError', target: 'email' }));
    expect(events).toEqual([]);
    expect(sequence.stats().assigned).toBe(0);
  });

  it('refuses bad options with a TypeError naming the option', () => {
    const { sequence } = setup(engine, { Work: async () => 1 });
    const assign = (options: unknown) => () => sequence.assign('Work', null, options as never);
    expect(assign({ retries: 3 })).toThrow(new TypeError('Unknown assign option `retries` for action "Work"'));
    expect(assign({ priority: 'urgent' })).toThrow(new TypeError('Expected `priority` to be one of "high", "normal", "low", got "urgent" (string)'));
    expect(assign({ delay: -1 })).toThrow(new TypeError('Expected `delay` to be a finite number >= 0, got -1 (number)'));
    expect(assign({ delay: '10' })).toThrow(/Expected `delay`/);
    expect(assign({ idempotencyKey: 5 })).toThrow(new TypeError('Expected `idempotencyKey` to be a string, got 5 (number)'));
    expect(assign({ license: {} })).toThrow(/Expected `license` to be a License/);
    expect(assign({ timeout: 0 })).toThrow(new TypeError('Expected `timeout` to be a finite number > 0, got 0 (number)'));
    expect(assign({ timeout: '5s' })).toThrow(new TypeError('Expected `timeout` to be a number of ms or { attempt, total }, got "5s" (string)'));
    expect(assign({ timeout: { atempt: 5 } })).toThrow(new TypeError('Unknown assign option `timeout.atempt`'));
    expect(assign({ retry: { attempts: 0 } })).toThrow(new TypeError('Expected `attempts` to be an integer >= 1, got 0 (number)'));
    expect(assign('fast')).toThrow(new TypeError('Expected `options` to be an object of assign options, got "fast" (string)'));
    expect(() => sequence.assign(42 as never)).toThrow(/Expected `name` to be an action name \(a non-empty string\) or an ActionRecord/);
    expect(sequence.stats().assigned).toBe(0);
  });

  it('checks content against the schema: a ValidationError listing the issues, or the validated value reaches the function', async () => {
    const seen: unknown[] = [];
    const { clock, sequence } = setup(engine, { Read: { run: async (content: { path: string }) => void seen.push(content), schema: pathSchema } });
    expect(() => sequence.assign('Read', { path: 42 })).toThrow(ValidationError);
    expect(() => sequence.assign('Read', { path: 42 })).toThrow(
      expect.objectContaining({
        name: 'ValidationError',
        message: 'Content of action "Read" is invalid: path: Expected a string',
        issues: [{ message: 'Expected a string', path: ['path'] }],
      }),
    );
    const asyncSchema: StandardSchemaV1 = { '~standard': { version: 1, vendor: 'test', validate: async (value) => ({ value }) } };
    const { sequence: other } = setup(engine, { Read: { run: async () => 1, schema: asyncSchema } });
    expect(() => other.assign('Read', 'x')).toThrow(/is asynchronous/);
    expect(() => sequence.assign('Read', 'a.txt')).toThrow('Content of action "Read" is invalid: Expected an object');
    expect(sequence.stats().assigned).toBe(0);
    sequence.assign('Read', { path: '  a.txt ' });
    await drain(clock);
    expect(seen).toEqual([{ path: 'a.txt' }]);
  });

  it('returns the same handle for an idempotency key while the action is live, a new action after', async () => {
    const gate: { open?: () => void } = {};
    const { clock, sequence, events } = setup(engine, { Pay: () => new Promise<string>((resolve) => (gate.open = () => resolve('paid'))) });
    const first = sequence.assign('Pay', { amount: 5 }, { idempotencyKey: 'order-1' });
    const again = sequence.assign('Pay', { amount: 5 }, { idempotencyKey: 'order-1' });
    expect(again.id).toBe(first.id);
    expect(events.filter((e) => e.type === 'assigned')).toHaveLength(1);
    const other = sequence.assign('Pay', { amount: 7 }, { idempotencyKey: 'order-2' });
    expect(other.id).not.toBe(first.id);
    gate.open!();
    await drain(clock);
    expect(await again.result).toBe('paid');
    const afterwards = sequence.assign('Pay', { amount: 5 }, { idempotencyKey: 'order-1' });
    expect(afterwards.id).not.toBe(first.id);
    expect(afterwards.getSnapshot().value).not.toBe('done');
  });

  it('takes ids from the injected generator', () => {
    const { sequence } = setup(engine, { Work: async () => 1 }, { ids: createSequentialIds('job') });
    expect([sequence.assign('Work').id, sequence.assign('Work').id]).toEqual(['job-1', 'job-2']);
  });

  it('waits out a start delay (`retryNow()` skips it)', async () => {
    const starts: number[] = [];
    const { clock, sequence } = setup(engine, { Later: async () => void starts.push(clock.now()) }, { concurrency: 2 });
    const delayed = sequence.assign('Later', null, { delay: 100 });
    expect(delayed.getSnapshot().value).toBe('delayed');
    expect(delayed.getSnapshot().context).toMatchObject({ startDelay: 100, notBefore: 100 });
    await clock.advance(99);
    expect(starts).toEqual([]);
    await clock.advance(1);
    expect(starts).toEqual([100]);
    const skipped = sequence.assign('Later', null, { delay: 1_000 });
    await clock.advance(10);
    skipped.retryNow();
    await clock.advance(0);
    expect(starts).toEqual([100, 110]);
    expect(sequence.assign('Later', null, { delay: 0 }).getSnapshot().value).not.toBe('delayed');
  });

  it('runs queued actions by priority with 1 Site × 1 slot (the Plan sets a default priority)', async () => {
    const order: string[] = [];
    const gate: { open?: () => void } = {};
    const { clock, sequence } = setup(engine, {
      Block: () => new Promise<void>((resolve) => (gate.open = resolve)),
      Work: async (label: string) => void order.push(label),
      Urgent: { run: async (label: string) => void order.push(label), priority: 'high' },
    });
    sequence.assign('Block');
    sequence.assign('Work', 'low-1', { priority: 'low' });
    sequence.assign('Work', 'normal-1');
    sequence.assign('Work', 'high-1', { priority: 'high' });
    sequence.assign('Work', 'low-2', { priority: 'low' });
    sequence.assign('Urgent', 'urgent');
    sequence.assign('Work', 'normal-2', { priority: 'normal' });
    sequence.assign('Urgent', 'urgent-but-low', { priority: 'low' });
    gate.open!();
    await drain(clock);
    expect(order).toEqual(['high-1', 'urgent', 'normal-1', 'normal-2', 'low-1', 'low-2', 'urgent-but-low']);
  });

  it('`again()` re-runs a live action as a new one with the same name, content, metadata and priority', async () => {
    const seen: unknown[] = [];
    const gate: { open?: () => void } = {};
    const { clock, sequence } = setup(engine, {
      Read: async (path: string, ctx: RunContext) => {
        seen.push([path, ctx.metadata]);
        if (seen.length === 1) await new Promise<void>((resolve) => (gate.open = resolve));
        return `read ${path}`;
      },
    });
    const first = sequence.assign('Read', 'a.txt', { metadata: { user: 'ada' }, priority: 'high' });
    const second = sequence.again(first);
    const third = sequence.again(first.id);
    expect(second.id).not.toBe(first.id);
    gate.open!();
    await drain(clock);
    expect(await first.result).toBe('read a.txt');
    expect(await second.result).toBe('read a.txt');
    expect(await third.result).toBe('read a.txt');
    expect(second.getSnapshot().context).toMatchObject({ name: 'Read', content: 'a.txt', priority: 'high', metadata: { user: 'ada' } });
    expect(second.provenance).toEqual({ againOf: first.id });
    expect(seen).toHaveLength(3);
    expect(() => sequence.again('nope')).toThrow(new TypeError('Expected `action` to be a handle or the id of an action of this Sequence, got "nope" (string)'));
    expect(sequence.get('nope')).toBeUndefined();
  });

  it('`again(handle)` re-runs a settled action', async () => {
    const { clock, sequence } = setup(engine, { Read: async (path: string) => `read ${path}` });
    const first = sequence.assign('Read', 'a.txt', { metadata: { user: 'ada' } });
    await drain(clock);
    const second = sequence.again(first);
    await drain(clock);
    expect(await second.result).toBe('read a.txt');
    expect(second.getSnapshot().context.metadata).toEqual({ user: 'ada' });
    expect(second.provenance).toEqual({ againOf: first.id });
  });

  // Lead: src/Sequence.ts `#remember` keeps settled runs only while an inspector is attached
  // (`if (!this.#hub.enabled) return;`), so `again(id)` of a settled action throws in plain use,
  // against `again()`'s doc ("settled or not"; it takes `ActionHandle | string`).
  it('`again(id)` needs a live action (or a handle) without an inspector attached', async () => {
    const { clock, sequence } = setup(engine, { Read: async (path: string) => `read ${path}` });
    const first = sequence.assign('Read', 'a.txt');
    await drain(clock);
    expect(() => sequence.again(first.id)).toThrow(/Expected `action` to be a handle or the id of an action of this Sequence/);
    const second = sequence.again(first);
    await drain(clock);
    expect(await second.result).toBe('read a.txt');
  });

  it('re-assigns an unfinished action from the record a shutdown report holds (also after JSON)', async () => {
    const first = setup(engine, {
      Block: async (_: unknown, ctx: RunContext) => untilAborted(ctx.signal),
      Write: async (content: { path: string }, ctx: RunContext) => ({ wrote: content.path, metadata: ctx.metadata }),
    });
    first.sequence.assign('Block');
    const queued = first.sequence.assign('Write', { path: 'b.txt' }, { metadata: { tenant: 't1' }, priority: 'high' });
    const reportPromise = first.sequence.shutdown({ deadline: 50 });
    expect(() => first.sequence.assign('Write', { path: 'c.txt' })).toThrow(CancellationError);
    await first.clock.advance(50);
    const report = await reportPromise;
    expect(report).toMatchObject({ assigned: 2, finished: 0, cancelled: 2 });
    expect(report.unfinished.map((u) => [u.state, u.attempts])).toEqual([
      ['running', 1],
      ['queued', 0],
    ]);
    const record = report.unfinished[1]!.record!;
    expect(record).toEqual({ version: 1, id: queued.id, name: 'Write', content: { path: 'b.txt' }, metadata: { tenant: 't1' }, priority: 'high', queue: 'default' });
    expect(((await rejection(queued.result)) as CancellationError).reason).toBe('shutdown');

    const second = setup(
      engine,
      { Write: async (content: { path: string }, ctx: RunContext) => ({ wrote: content.path, metadata: ctx.metadata }) },
      { ids: createSequentialIds('b') },
    );
    const revived = second.sequence.assign(record);
    const fromJson = second.sequence.assign(JSON.parse(JSON.stringify(record)));
    await drain(second.clock);
    expect(revived.id).toBe('b-1');
    expect(revived.getSnapshot().context.priority).toBe('high');
    expect(await revived.result).toEqual({ wrote: 'b.txt', metadata: { tenant: 't1' } });
    expect(await fromJson.result).toEqual({ wrote: 'b.txt', metadata: { tenant: 't1' } });
    expect([revived.provenance, fromJson.provenance]).toEqual([{ recordOf: queued.id }, { recordOf: queued.id }]);
    expect(() => second.sequence.assign({ ...record, version: 2 } as never)).toThrow(SerializationError);
    expect(() => second.sequence.assign({ ...record, priority: 'asap' } as never)).toThrow(expect.objectContaining({ name: 'SerializationError', path: 'priority' }));
  });

  it('gives every action exactly one terminal event, however it ends and whatever is done to it afterwards', async () => {
    const license = new License();
    const { clock, sequence, events } = setup(
      engine,
      {
        Ok: async () => 'ok',
        Fail: { run: async () => Promise.reject(new Error('x')), retry: { attempts: 2, initialDelay: 5, jitter: 'none' } },
        Listen: async (_: unknown, ctx: RunContext) => untilAborted(ctx.signal),
        Stubborn: { run: async () => after(clock, 500), cancelGrace: 20 },
        Veto: { run: async () => 'never', before: () => Promise.reject(new LicenseError('no')) },
        Slow: { run: async (_: unknown, ctx: RunContext) => untilAborted(ctx.signal), timeout: { total: 30 } },
        Timed: { run: async (_: unknown, ctx: RunContext) => untilAborted(ctx.signal), timeout: 10, retry: { attempts: 2, initialDelay: 1 } },
      },
      { concurrency: 3 },
    );
    const handles = [
      sequence.assign('Ok'),
      sequence.assign('Fail'),
      sequence.assign('Listen'),
      sequence.assign('Stubborn'),
      sequence.assign('Listen', null, { license }),
      sequence.assign('Veto'),
      sequence.assign('Slow'),
      sequence.assign('Timed'),
      sequence.assign('Ok', null, { delay: 50 }),
      sequence.assign('Listen', null, { delay: 50 }),
    ];
    await clock.advance(1);
    handles[2]!.cancel();
    handles[3]!.cancel();
    license.revoke();
    handles[9]!.cancel();
    await drain(clock);
    for (const handle of handles) {
      handle.cancel();
      handle.cancel('shutdown');
      handle.retryNow();
    }
    license.revoke();
    await drain(clock);
    await sequence.shutdown({ deadline: 0 });
    const terminal = events.filter((e) => TERMINAL.has(e.type));
    expect(terminal).toHaveLength(handles.length);
    for (const handle of handles) {
      const own = terminal.filter((e) => 'actionId' in e && e.actionId === handle.id);
      expect(own, handle.name).toHaveLength(1);
      expect(own[0]!.type).toBe(handle.getSnapshot().value);
      expect(handle.settled).toBe(true);
    }
    expect(handles.map((h) => h.getSnapshot().value)).toEqual(['done', 'failed', 'cancelled', 'cancelled', 'failed', 'failed', 'failed', 'failed', 'done', 'cancelled']);
    expect(await rejection(handles[6]!.result)).toBeInstanceOf(TimeoutError);
    expect(((await rejection(handles[7]!.result)) as TimeoutError).timeout).toBe('attempt');
    expect(sequence.stats()).toMatchObject({ assigned: 10, live: 0, done: 2, failed: 5, cancelled: 3 });
  });
});
