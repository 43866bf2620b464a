import { describe, expect, it } from 'vitest';
import { BackpressureError, createPlan, HookError, ManualClock, RoutingError, Sequence, type EchoEvent } from '../src/index.js';
import { clockSleep } from './support/clockSleep.js';

function setup(options: Partial<ConstructorParameters<typeof Sequence>[0]> = {}) {
  const clock = new ManualClock();
  const ran: string[] = [];
  const plan = createPlan({
    Work: async (ms: number, ctx) => {
      ran.push(ctx.action);
      await clockSleep(clock, ms, ctx.signal);
      return ms;
    },
  });
  const sequence = new Sequence({ plan, clock, sites: 2, concurrency: 1, ...options });
  const events: EchoEvent[] = [];
  sequence.events$.subscribe((event) => events.push(event));
  return { clock, sequence, ran, events };
}

describe('Sequence', () => {
  it('pause stops Sites taking actions; running ones finish; resume takes again', async () => {
    const { clock, sequence, ran } = setup();
    sequence.start();
    const first = sequence.assign('Work', 10);
    await clock.advance(0);
    sequence.pause();
    const second = sequence.assign('Work', 10);
    await clock.advance(50);
    expect(first.getSnapshot().value).toBe('done');
    expect(second.getSnapshot().value).toBe('queued');
    expect(ran).toEqual([first.id]);
    sequence.resume();
    await clock.advance(10);
    expect(second.getSnapshot().value).toBe('done');
  });

  it('reports Site lifecycle in the Site actors (open, paused) through inspection, not a transition per action', async () => {
    const { clock, sequence } = setup({ sites: 1 });
    const siteStates: string[] = [];
    sequence.subscribeInspection((event) => {
      if (event.type === '@xstate.snapshot' && (event.actorRef as { id?: string }).id === 'site-1') siteStates.push(String((event.snapshot as unknown as { value: unknown }).value));
    });
    sequence.start();
    sequence.assign('Work', 5);
    await clock.advance(5);
    sequence.pause();
    sequence.resume();
    expect(siteStates).toEqual(['open', 'paused', 'open']);
  });

  it('a crashing Site behaviour is contained: reported, the action re-queued and run elsewhere, the Site restarts', async () => {
    let crashes = 0;
    const { clock, sequence, events } = setup({
      sites: [
        { id: 'bad', behavior: () => { crashes++; throw new Error('receive failed'); }, restartDelay: 50 },
        { id: 'good' },
      ],
    });
    sequence.start();
    const handle = sequence.assign('Work', 1);
    await clock.advance(1);
    expect(await handle.result).toBe(1);
    const crashed = events.filter((e) => e.type === 'site-crashed');
    expect(crashed.length).toBe(crashes);
    expect(crashed[0]).toMatchObject({ site: 'bad', actionId: handle.id, error: { name: 'Error', message: 'receive failed' } });
    expect(handle.getSnapshot().context.site).toBe('good');
  });

  it('an action that crashes every Site maxSiteCrashes times fails with a HookError naming the Site', async () => {
    const { clock, sequence } = setup({ sites: [{ id: 'only', behavior: () => { throw new Error('nope'); }, restartDelay: 10 }], maxSiteCrashes: 3 });
    sequence.start();
    const handle = sequence.assign('Work', 1);
    await clock.advance(100);
    await expect(handle.result).rejects.toMatchObject({ name: 'HookError', hook: 'site:only', phase: 'before' });
    await expect(handle.result).rejects.toBeInstanceOf(HookError);
  });

  it('a Site behaviour can update metadata (immer) and redirect to another queue', async () => {
    const clock = new ManualClock();
    const seen: Record<string, unknown>[] = [];
    const plan = createPlan({ Work: async (_: unknown, ctx) => { seen.push({ ...ctx.metadata }); return 'ok'; } });
    const sequence = new Sequence({
      plan, clock, queues: { default: {}, slow: {} },
      sites: [
        { id: 'router', behavior: (action, ctx) => { ctx.updateMetadata((draft) => { draft.routedBy = ctx.site; }); if (action.content === 'slow') ctx.redirect('slow'); } },
        { id: 'slowpoke', queues: ['slow'] },
      ],
    });
    sequence.start();
    const fast = sequence.assign('Work', 'fast');
    const slow = sequence.assign('Work', 'slow');
    await clock.advance(0);
    expect(await fast.result).toBe('ok');
    expect(await slow.result).toBe('ok');
    expect(fast.getSnapshot().context.site).toBe('router');
    expect(slow.getSnapshot().context.site).toBe('slowpoke');
    expect(seen.every((m) => m.routedBy === 'router')).toBe(true);
  });

  it('backpressure: overflow throw raises BackpressureError naming the queue; overflow wait admits when space frees', async () => {
    const a = setup({ queues: { default: { capacity: 2 } } });
    a.sequence.assign('Work', 1);
    a.sequence.assign('Work', 1);
    expect(() => a.sequence.assign('Work', 1)).toThrow(BackpressureError);
    expect(() => a.sequence.assign('Work', 1)).toThrow(/Queue "default" is full \(capacity 2\)/);

    const b = setup({ queues: { default: { capacity: 1 } }, overflow: 'wait', sites: 1 });
    const handles = [1, 2, 3].map(() => b.sequence.assign('Work', 5));
    expect(handles.map((h) => h.getSnapshot().value)).toEqual(['queued', 'queued', 'queued']);
    b.sequence.start();
    await b.clock.runAll();
    expect(await Promise.all(handles.map((h) => h.result))).toEqual([5, 5, 5]);
  });

  it('routing: an unknown action or a queue no Site serves is a RoutingError at assign time', () => {
    const { sequence } = setup({ queues: { default: {}, orphan: {} } });
    expect(() => sequence.assign('Nope', 1)).toThrow(RoutingError);
    expect(() => sequence.assign('Work', 1, { queue: 'orphan' })).toThrow(/queue "orphan", which no Site serves/);
  });

  it('again re-runs an action as a new one; whenIdle resolves when nothing is live', async () => {
    const { clock, sequence } = setup();
    sequence.start();
    const first = sequence.assign('Work', 3, { metadata: { tag: 'x' } });
    await clock.advance(3);
    await first.result;
    const second = sequence.again(first);
    expect(second.id).not.toBe(first.id);
    expect(second.getSnapshot().context.metadata).toEqual({ tag: 'x' });
    expect(second.provenance).toEqual({ againOf: first.id });
    const idle = sequence.whenIdle();
    await clock.advance(3);
    await idle;
    expect(await second.result).toBe(3);
  });

  it('shutdown of an idle Sequence resolves at once with nothing unfinished', async () => {
    const { sequence } = setup();
    sequence.start();
    await expect(sequence.shutdown()).resolves.toMatchObject({ assigned: 0, finished: 0, unfinished: [] });
  });

  it('shutdown drains within the deadline without aborting', async () => {
    const { clock, sequence } = setup();
    sequence.start();
    const handle = sequence.assign('Work', 100);
    const report = sequence.shutdown({ deadline: 1_000 });
    await clock.advance(100);
    await expect(report).resolves.toMatchObject({ assigned: 1, finished: 1, unfinished: [] });
    expect(await handle.result).toBe(100);
  });

  it('shutdown at the deadline reports unfinished actions with records that can be assigned again', async () => {
    const { clock, sequence } = setup({ sites: 1 });
    sequence.start();
    const running = sequence.assign('Work', 500);
    const queued = sequence.assign('Work', 5, { metadata: { keep: true } });
    const report = sequence.shutdown({ deadline: 100 });
    await clock.advance(100);
    const { unfinished, finished, assigned } = await report;
    expect({ finished, assigned }).toEqual({ finished: 0, assigned: 2 });
    expect(unfinished.map((u) => [u.record!.id, u.state])).toEqual([[running.id, 'running'], [queued.id, 'queued']]);
    await expect(running.result).rejects.toMatchObject({ name: 'CancellationError', reason: 'shutdown' });
    const again = setup();
    again.sequence.start();
    const revived = again.sequence.assign(JSON.parse(JSON.stringify(unfinished[1]!.record)));
    await again.clock.advance(5);
    expect(await revived.result).toBe(5);
    expect(revived.getSnapshot().context.metadata).toEqual({ keep: true });
    expect(revived.provenance).toEqual({ recordOf: queued.id });
  });
});

describe('Site behaviour redirect', () => {
  it('to a queue no Site serves is a contained crash; the action is retried and finally fails with a HookError', async () => {
    const clock = new ManualClock();
    const plan = createPlan({ Work: async () => 'ran' });
    const sequence = new Sequence({
      plan, clock, queues: { default: {}, nowhere: {} }, maxSiteCrashes: 2,
      sites: [{ id: 'router', behavior: (_action, ctx) => ctx.redirect('nowhere'), restartDelay: 5 }],
    });
    const crashes: EchoEvent[] = [];
    sequence.events$.subscribe((event) => event.type === 'site-crashed' && crashes.push(event));
    sequence.start();
    const handle = sequence.assign('Work', null);
    await clock.runAll();
    await expect(handle.result).rejects.toMatchObject({ name: 'HookError', hook: 'site:router' });
    expect(crashes).toHaveLength(2);
    expect(crashes[0]).toMatchObject({ site: 'router', error: { message: expect.stringContaining('queue "nowhere", which no Site serves') } });
  });
});

describe('shutdown of a Sequence that never started', () => {
  it('cancels and reports what was assigned: nothing is lost', async () => {
    const { sequence } = setup();
    const handles = [sequence.assign('Work', 1), sequence.assign('Work', 2)];
    const report = await sequence.shutdown({ deadline: 1_000 });
    expect(report).toMatchObject({ assigned: 2, finished: 0 });
    expect(report.unfinished.map((u) => [u.record!.id, u.state])).toEqual(handles.map((h) => [h.id, 'queued']));
    for (const handle of handles) await expect(handle.result).rejects.toMatchObject({ name: 'CancellationError', reason: 'shutdown' });
  });
});

describe('onError', () => {
  it('receives what belongs to no action (a follow-up that cannot be assigned, a throwing inspection observer)', async () => {
    const clock = new ManualClock();
    const errors: unknown[] = [];
    const plan = createPlan({ Work: async () => 1, Next: { run: async () => 2, schema: { '~standard': { version: 1, vendor: 't', validate: () => ({ issues: [{ message: 'no' }] }) } } } });
    const sequence = new Sequence({ plan, clock, onError: (error) => errors.push(error), inspect: () => { throw new Error('observer broke'); } });
    sequence.start();
    const handle = sequence.assign('Work', null, { then: { name: 'Next' } });
    await clock.advance(0);
    expect(await handle.result).toBe(1);
    expect(errors.some((e) => e instanceof Error && /Follow-up "Next" of action .* could not be assigned/.test(e.message))).toBe(true);
    expect(errors.some((e) => e instanceof Error && e.message === 'observer broke')).toBe(true);
  });
});
