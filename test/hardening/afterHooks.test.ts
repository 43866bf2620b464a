/**
 * Every owed after-hook runs, in the documented order (the reverse of the
 * before-hooks: metadata → Plan → global), even when an earlier one throws; the
 * failures are reported together. On both engines, time on a ManualClock.
 */
import { describe, expect, it } from 'vitest';
import { HookError, Life, type Hook, type RunContext } from '../../src/index.js';
import { engines, setup, drain, rejection, untilAborted } from '../support/actionHarness.js';

function hooks(order: string[]) {
  const throwing = (name: string): { name: string; run: Hook } => ({
    name,
    run: () => {
      order.push(name);
      throw new Error(`${name} broke`);
    },
  });
  const passing = (name: string): { name: string; run: Hook } => ({ name, run: () => void order.push(name) });
  return { throwing, passing };
}

describe.each(engines)('after-hooks all run (%s engine)', (engine) => {
  it('two throwing after-hooks do not stop the third; the action fails with one HookError, cause an AggregateError of both', async () => {
    const order: string[] = [];
    const { throwing, passing } = hooks(order);
    const life = new Life();
    life.span.after(passing('global-release'));
    life.span.define('meta-after', throwing('meta-after').run);
    const { clock, sequence } = setup(engine, { Work: { run: async () => 'ok', after: [passing('plan-1'), throwing('plan-2')] } }, { life });
    const handle = sequence.assign('Work', null, { metadata: { hooks: { after: ['meta-after'] } } });
    await drain(clock);
    const error = (await rejection(handle.result)) as HookError;
    expect(order).toEqual(['meta-after', 'plan-2', 'plan-1', 'global-release']);
    expect(error).toBeInstanceOf(HookError);
    expect(error.phase).toBe('after');
    expect(error.hook).toBe('meta-after, plan-2');
    expect(error.cause).toBeInstanceOf(AggregateError);
    const inner = (error.cause as AggregateError).errors as HookError[];
    expect(inner.map((each) => [each.name, each.hook, (each.cause as Error).message])).toEqual([
      ['HookError', 'meta-after', 'meta-after broke'],
      ['HookError', 'plan-2', 'plan-2 broke'],
    ]);
    expect(handle.getSnapshot().value).toBe('failed');
  });

  it('one throwing after-hook: HookError with its throw as cause, and the later hooks still run', async () => {
    const order: string[] = [];
    const { throwing, passing } = hooks(order);
    const life = new Life();
    life.span.after(passing('global-release'));
    const { clock, sequence } = setup(engine, { Work: { run: async () => 'ok', after: throwing('notify') } }, { life });
    const handle = sequence.assign('Work');
    await drain(clock);
    const error = (await rejection(handle.result)) as HookError;
    expect(order).toEqual(['notify', 'global-release']);
    expect(error).toMatchObject({ name: 'HookError', hook: 'notify', phase: 'after' });
    expect((error.cause as Error).message).toBe('notify broke');
  });

  it('owed after-hooks after a cancel all run; each failure is its own after-hook-failed event, in order', async () => {
    const order: string[] = [];
    const { throwing, passing } = hooks(order);
    const life = new Life();
    life.span.after(passing('global-release'));
    const { clock, sequence, events } = setup(
      engine,
      { Slow: { run: (_: unknown, ctx: RunContext) => untilAborted(ctx.signal), after: [throwing('plan-1'), throwing('plan-2')] } },
      { life },
    );
    const handle = sequence.assign('Slow');
    await clock.advance(0);
    handle.cancel();
    await drain(clock);
    expect(handle.getSnapshot().value).toBe('cancelled');
    expect(order).toEqual(['plan-2', 'plan-1', 'global-release']);
    expect(events.filter((event) => event.type === 'after-hook-failed').map((event) => (event as { hook: string }).hook)).toEqual(['plan-2', 'plan-1']);
  });

  it('after-hooks run on even when the total timeout cut the action off while they ran', async () => {
    const order: string[] = [];
    const { passing } = hooks(order);
    let release!: () => void;
    const life = new Life();
    life.span.after(passing('global-release'));
    const { clock, sequence } = setup(
      engine,
      {
        Work: {
          run: async () => 'ok',
          timeout: { total: 100 },
          after: { name: 'slow-cleanup', run: () => new Promise<void>((resolve) => (release = () => { order.push('slow-cleanup'); resolve(); })) },
        },
      },
      { life },
    );
    const handle = sequence.assign('Work');
    await clock.advance(0);
    await clock.advance(100);
    expect(handle.settled).toBe(true);
    release();
    await drain(clock);
    expect(order).toEqual(['slow-cleanup', 'global-release']);
  });
});
