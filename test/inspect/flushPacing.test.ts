import { createActor, createMachine } from 'xstate';
import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createInspectionAdapter } from '../../src/inspect/adapter.js';
import type { DeltaMessage, DeltaOp, SourceMessage } from '../../src/inspect/protocol.js';
import { RateBudget } from '../../src/inspect/RateBudget.js';
import { createTestSequence } from './testSequence.js';

function watch(clock: ManualClock, options: { flushInterval?: number } = {}) {
  const sequence = createTestSequence({ clock, sites: 1, names: ['a'] });
  const adapter = createInspectionAdapter(sequence.id, sequence, { clock, flushInterval: 50, ...options });
  const deltas: DeltaMessage[] = [];
  adapter.subscribe((message) => {
    if (message.type === 'delta') deltas.push(message);
  });
  const actionOps = () => deltas.flatMap((m) => m.ops).filter((op) => (op.op === 'add' ? op.actor.kind === 'action' : op.op === 'state'));
  return { sequence, adapter, deltas, actionOps };
}

describe('when a flush is sent', () => {
  test('once the Sequence is idle its changes are sent on the next turn, not at the interval’s end', async () => {
    const clock = new ManualClock(1000);
    const { sequence, deltas } = watch(clock);
    const handle = sequence.assign('a', { hooks: 0, afterHooks: 0, attempt: 5 });
    await clock.advance(5);
    expect(await handle.result).toEqual({ ok: true, attempts: 1 });
    await clock.advance(0); // the turn after idle
    expect(clock.now()).toBe(1005);
    const ops = deltas.flatMap((m) => m.ops);
    const added = ops.find((op): op is Extract<DeltaOp, { op: 'add' }> => op.op === 'add' && op.actor.id === handle.id);
    expect(added?.actor).toMatchObject({ value: 'done', status: 'done' });
    expect(deltas.every((m) => m.at === 1005)).toBe(true);
  });

  test('while an action runs, changes wait for the interval and are sent together', async () => {
    const clock = new ManualClock(1000);
    const { sequence, deltas } = watch(clock);
    const handle = sequence.assign('a', { hooks: 10, attempt: 1000 });
    await clock.advance(49);
    expect(deltas).toHaveLength(0); // queued → hooks → running so far, nothing sent
    await clock.advance(1);
    expect(deltas).toHaveLength(1);
    const added = deltas[0]!.ops.find((op): op is Extract<DeltaOp, { op: 'add' }> => op.op === 'add' && op.actor.id === handle.id);
    expect(added?.actor.value).toBe('running');
    await clock.advance(2000);
    await handle.result;
  });
});

describe('the bounds are rates, not counts per flush', () => {
  test('flushing more often ships no more short-lived actors: a flush gets what the time since the last one earned', async () => {
    const clock = new ManualClock(0);
    const adapter = createInspectionAdapter('flood', undefined, { clock, flushInterval: 50, maxShortLivedPerFlush: 4 });
    const messages: SourceMessage[] = [];
    adapter.subscribe((message) => messages.push(message));
    const machine = createMachine({ id: 'blink', initial: 'on', states: { on: { on: { OFF: 'off' } }, off: { type: 'final' } } });
    let made = 0;
    const blink = (count: number): void => {
      for (let i = 0; i < count; i++) createActor(machine, { inspect: adapter.handle, id: `blink-${made++}` }).start().send({ type: 'OFF' });
    };
    const shipped = (): number => {
      const count = messages.flatMap((m) => (m.type === 'delta' ? m.ops : [])).filter((op) => op.op === 'add').length;
      messages.length = 0;
      return count;
    };
    blink(10);
    adapter.flush();
    expect(shipped()).toBe(4); // a full budget at the start
    await clock.advance(25);
    blink(10);
    adapter.flush();
    expect(shipped()).toBe(2); // half an interval earned half of it
    await clock.advance(10);
    blink(10);
    adapter.flush();
    expect(shipped()).toBe(0); // 0.8 earned: not a whole one yet
    await clock.advance(500);
    blink(10);
    adapter.flush();
    expect(shipped()).toBe(4); // never more than one interval's worth
    // Every one of the 40 is shown or counted, and the dropped ones are let go (a late joiner has what the viewers have).
    expect(adapter.stats().droppedActors).toBe(30);
    expect(adapter.fullState().actors).toHaveLength(10);
  });

  test('a RateBudget refills in proportion to time, up to one interval’s worth, and every unit at a zero interval', () => {
    const budget = new RateBudget(10, 100, 0);
    expect(budget.left).toBe(10);
    budget.spend(10);
    expect(budget.refill(30).left).toBe(3);
    budget.spend(5);
    expect(budget.left).toBe(0);
    expect(budget.refill(10_000).left).toBe(10);
    const eager = new RateBudget(7, 0, 0);
    eager.spend(7);
    expect(eager.refill(0).left).toBe(7);
  });
});
