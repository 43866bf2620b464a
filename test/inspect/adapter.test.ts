import { createActor, createMachine } from 'xstate';
import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createInspectionAdapter, type AdapterOptions } from '../../src/inspect/adapter.js';
import { SourceMirror } from '../../src/inspect/mirror.js';
import type { DeltaMessage, DeltaOp, SourceMessage, WireActor } from '../../src/inspect/protocol.js';
import { createTestSequence } from './testSequence.js';

function setup(options: AdapterOptions = {}, sites = 1, names = ['a']) {
  const clock = new ManualClock(1000);
  const sequence = createTestSequence({ clock, sites, names });
  const adapter = createInspectionAdapter(sequence.id, sequence, { clock, flushInterval: 50, ...options });
  const messages: SourceMessage[] = [];
  const mirror = new SourceMirror(sequence.id);
  mirror.apply(adapter.fullState());
  adapter.subscribe((message) => {
    messages.push(message);
    mirror.apply(message);
  });
  const deltas = () => messages.filter((m): m is DeltaMessage => m.type === 'delta');
  const ops = <K extends DeltaOp['op']>(kind: K) =>
    deltas().flatMap((m) => m.ops.filter((op): op is Extract<DeltaOp, { op: K }> => op.op === kind));
  return { clock, sequence, adapter, messages, mirror, deltas, ops };
}

const byKind = (actors: WireActor[], kind: WireActor['kind']) => actors.filter((a) => a.kind === kind);

describe('createInspectionAdapter', () => {
  test('a late joiner gets the current actors, their kinds and parents, and the machines, without a replay', async () => {
    const clock = new ManualClock(0);
    const sequence = createTestSequence({ clock, sites: 2, names: ['send-mail'] });
    const handle = sequence.assign('send-mail', { attempt: 1000 });
    await clock.advance(40);
    const adapter = createInspectionAdapter(sequence.id, sequence, { clock });
    const full = adapter.fullState();
    expect(full.type).toBe('full');
    const [root] = byKind(full.actors, 'sequence');
    expect(root).toMatchObject({ parentId: null, machineId: 'echo.sequence', value: 'running' });
    expect(byKind(full.actors, 'site').map((s) => s.parentId)).toEqual([root!.sessionId, root!.sessionId]);
    const actions = byKind(full.actors, 'action');
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ id: handle.id, value: 'running', status: 'active' });
    expect(byKind(full.actors, 'site').map((s) => s.sessionId)).toContain(actions[0]!.parentId);
    expect((actions[0]!.context as { name: string }).name).toBe('send-mail');
    expect(adapter.machines().map((m) => m.machine.id).sort()).toEqual(['echo.action', 'echo.sequence', 'echo.site']);
    expect(JSON.stringify(full)).not.toContain('"children"');
  });

  test('changes are batched per flush: one delta per interval, steps folded into one state op', async () => {
    const { clock, sequence, deltas, ops } = setup();
    const handle = sequence.assign('a', { hooks: 10, attempt: 200 });
    expect(deltas()).toHaveLength(0);
    await clock.advance(50);
    expect(deltas()).toHaveLength(1);
    const added = ops('add');
    expect(added.map((op) => op.actor.id)).toEqual([handle.id]);
    // queued → hooks → running all happened inside the first batch: the add op carries the latest state,
    // and the steps that led there (each an event the action received) as its trail, not as event ops.
    expect(added[0]!.actor.value).toBe('running');
    expect(added[0]!.trail?.map(([state, , event]) => `${event} → ${state}`)).toEqual(['xstate.init → queued', 'START → hooks', 'HOOKS_PASSED → running']);
    expect(ops('event').filter((op) => op.sessionId === added[0]!.actor.sessionId)).toEqual([]);
    await clock.advance(400);
    expect(await handle.result).toEqual({ ok: true, attempts: 1 });
    const states = ops('state').filter((op) => op.sessionId === added[0]!.actor.sessionId);
    expect(states.at(-1)).toMatchObject({ value: 'done', status: 'done' });
    const folded = states.find((op) => op.trail !== undefined && op.trail.length > 1);
    expect(folded?.trail?.map(([value]) => value)).toEqual(['afterHooks', 'done']);
    expect(folded?.steps).toBeUndefined(); // the trail holds them
  });

  test('state ops carry a patch of the changed context keys only', async () => {
    const { clock, sequence, ops } = setup();
    const handle = sequence.assign('a', { hooks: 0, attempt: 100, fail: 1 }, { retry: { initialDelay: 500 } });
    await clock.advance(60);
    await clock.advance(100);
    expect(handle.getSnapshot().value).toBe('retrying');
    const retrying = ops('state').find((op) => op.value === 'retrying');
    expect(retrying?.patch?.set).toBeDefined();
    expect(Object.keys(retrying!.patch!.set!).sort()).toEqual(['attempts', 'retryAt']);
    const attempts = retrying!.patch!.set!.attempts as Array<{ outcome: string; error: unknown }>;
    expect(attempts[0]!.outcome).toBe('failed');
    // The whole cause chain travels: Echo's ExecutionError ← the function's error ← its causes.
    expect(attempts[0]!.error).toMatchObject({
      name: 'ExecutionError',
      cause: { name: 'AttemptError', message: 'attempt 1 failed: upstream answered 503', cause: { name: 'HttpError', cause: { message: 'socket hang up' } } },
    });
  });

  test('applying the deltas to the first full state gives the current full state', async () => {
    const { clock, sequence, adapter, mirror } = setup({}, 2, ['job-0', 'job-1']);
    const handles = Array.from({ length: 6 }, (_, i) => sequence.assign(`job-${i % 2}`, { attempt: 300, fail: i % 3 === 0 ? 1 : 0 }));
    for (const handle of handles) handle.result.catch(() => undefined);
    await clock.advance(120);
    await sequence.control({ type: 'cancel', actionId: handles[1]!.id });
    await clock.advance(130);
    adapter.flush();
    const sort = (actors: WireActor[]) => [...actors].sort((x, y) => x.sessionId.localeCompare(y.sessionId));
    expect(sort(mirror.fullState().actors)).toEqual(sort(adapter.fullState().actors));
    expect(mirror.fullState().actors.find((a) => a.id === handles[1]!.id)).toMatchObject({ value: 'cancelled', status: 'done' });
    expect(byKind(mirror.fullState().actors, 'action')).toHaveLength(6);
  });

  test('large content is truncated: strings, arrays, depth', async () => {
    const { clock, sequence, adapter } = setup({ sanitize: { maxString: 16, maxArray: 4, maxDepth: 3 } });
    const deep = { l1: { l2: { l3: { l4: 'deep' } } } };
    const handle = sequence.assign('a', { title: 'x'.repeat(100), text: 'y'.repeat(10_000), list: Array.from({ length: 1000 }, (_, i) => i), deep });
    await clock.advance(50);
    const action = adapter.fullState().actors.find((a) => a.id === handle.id)!;
    const context = action.context as Record<string, any>;
    expect(context.content.title).toBe(`${'x'.repeat(16)}…(+84 chars)`);
    expect(context.content.list).toEqual([0, 1, '…(996 more items)', 998, 999]);
    expect(context.content.deep.l1).toBe('[Object]');
    expect(JSON.stringify(action).length).toBeLessThan(2000);
  });

  test('finished actors beyond the limit are evicted, counted and removed on the wire', async () => {
    const { clock, sequence, adapter, ops } = setup({ maxFinished: 3 });
    const handles = Array.from({ length: 10 }, (_, i) => sequence.assign('a', { hooks: 0, afterHooks: 0, attempt: 10 * (i + 1) }));
    await clock.advance(400);
    for (const handle of handles) await handle.result;
    const stats = adapter.stats();
    expect(stats.finished).toBe(3);
    expect(stats.droppedActors).toBe(7);
    expect(byKind(adapter.fullState().actors, 'action').map((a) => a.id)).toEqual(handles.slice(7).map((h) => h.id));
    const removed = new Set(ops('remove').map((op) => op.sessionId));
    const added = ops('add').filter((op) => removed.has(op.actor.sessionId));
    expect(added.length + ops('remove').length).toBeGreaterThan(0);
  });

  test('a parent never grows on the wire with the number of its children', async () => {
    const sizes: number[] = [];
    for (const count of [1, 200]) {
      const { clock, sequence, adapter } = setup();
      for (let i = 0; i < count; i++) sequence.assign('a', { attempt: 10_000 });
      await clock.advance(100);
      const site = adapter.fullState().actors.find((a) => a.kind === 'site')!;
      // Counters aside (their digits grow), the Site's wire form is the same with 1 or 200 actions.
      sizes.push(JSON.stringify({ ...site, context: JSON.parse(JSON.stringify(site.context), (_key, value: unknown) => (typeof value === 'number' ? 0 : value)) }).length);
    }
    expect(sizes[1]).toBe(sizes[0]);
  });

  test('event ops are bounded per flush and drops are counted', async () => {
    const { clock, sequence, adapter, ops } = setup({ maxEventsPerFlush: 5 });
    for (let i = 0; i < 4; i++) sequence.assign('a', {});
    await clock.advance(50);
    // The actions' steps ride in their ops' trails: each step is one event of the budget.
    const trails = [...ops('add'), ...ops('state')].flatMap((op) => op.trail ?? []);
    expect(ops('event').length + trails.length).toBe(5);
    expect(adapter.stats().droppedEvents).toBeGreaterThan(0);
    expect(trails[0]![2]).toBe('xstate.init'); // the first action's first step
  });

  test('with no listener nothing is queued, and third-party machines are described from their logic', () => {
    const clock = new ManualClock(0);
    const adapter = createInspectionAdapter('app', undefined, { clock });
    const toggle = createMachine({ id: 'toggle', initial: 'off', states: { off: { on: { FLIP: 'on' } }, on: { on: { FLIP: 'off' } } } });
    const actor = createActor(toggle, { inspect: adapter.handle, clock }).start();
    actor.send({ type: 'FLIP' });
    expect(clock.pending).toBe(0);
    expect(adapter.fullState().actors).toMatchObject([{ id: expect.any(String), kind: 'actor', machineId: 'toggle', value: 'on' }]);
    const [machine] = adapter.machines();
    expect(machine!.machine.root.states.map((s) => s.key)).toEqual(['off', 'on']);
    expect(machine!.machine.root.states[0]!.transitions).toEqual([{ event: 'FLIP', targets: ['toggle.on'] }]);
  });

  test('options are validated', () => {
    expect(() => createInspectionAdapter('x', undefined, { flushInterval: -1 })).toThrow(
      new TypeError('Expected `flushInterval` to be an integer >= 0, got -1 (number)'),
    );
  });
});

describe('a flood of short-lived actors', () => {
  test('only the most recent maxShortLivedPerFlush finished-in-batch actors are shipped; the rest are counted', async () => {
    const clock = new ManualClock(0);
    const adapter = createInspectionAdapter('flood', undefined, { clock, flushInterval: 50, maxShortLivedPerFlush: 3 });
    const messages: SourceMessage[] = [];
    adapter.subscribe((message) => messages.push(message));
    const machine = createMachine({ id: 'blink', initial: 'on', states: { on: { on: { OFF: 'off' } }, off: { type: 'final' } } });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const actor = createActor(machine, { inspect: adapter.handle, id: `blink-${i}` }).start();
      actor.send({ type: 'OFF' });
      ids.push(actor.sessionId);
    }
    const alive = createActor(machine, { inspect: adapter.handle, id: 'still-on' }).start();
    adapter.flush();
    const added = messages
      .filter((m): m is DeltaMessage => m.type === 'delta')
      .flatMap((m) => m.ops)
      .filter((op): op is Extract<DeltaOp, { op: 'add' }> => op.op === 'add')
      .map((op) => op.actor.sessionId);
    expect(added).toEqual([...ids.slice(7), alive.sessionId]);
    expect(adapter.stats().droppedActors).toBe(7);
  });
});
