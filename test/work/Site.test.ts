import { describe, expect, it } from 'vitest';
import { createPlan, HookError, ManualClock, Sequence, type SiteOptions } from '../../src/index.js';
import type { SiteBehavior } from '../../src/work/Site.js';
import { after, engines } from '../support/actionHarness.js';

/** A started Sequence of one Site (concurrency 1) whose `Work` takes 10 ms on a ManualClock. */
function make(engine: 'table' | 'xstate', site: SiteOptions, options: { maxSiteCrashes?: number } = {}) {
  const clock = new ManualClock();
  const plan = createPlan({ Work: async (label: string) => { await after(clock, 10); return label; } });
  const sequence = new Sequence({ plan, clock, engine, sites: [{ id: 'site-1', ...site }], concurrency: 1, onError: () => {}, ...options });
  sequence.start();
  return { clock, sequence };
}

/** The Site actor's state, as the inspector shows it. */
function siteState(sequence: Pick<Sequence, "currentActors">, id = 'site-1'): string {
  for (const actor of sequence.currentActors()) if (actor.id === id) return String(actor.getSnapshot().value);
  throw new Error(`no Site actor ${id}`);
}

/** The Site's load (actions running on it now), as the inspector reads it from its context. */
function siteLoad(sequence: Pick<Sequence, "currentActors">, id = 'site-1'): number {
  for (const actor of sequence.currentActors()) if (actor.id === id) return (actor.getSnapshot().context as { active: number }).active;
  throw new Error(`no Site actor ${id}`);
}

/** A Proxy whose every trap throws. */
function hostile(): object {
  const refuse = (): never => {
    throw new Error('trap');
  };
  return new Proxy({}, { get: refuse, getPrototypeOf: refuse, has: refuse, ownKeys: refuse, getOwnPropertyDescriptor: refuse });
}

describe.each(engines)('Site (%s engine)', (engine) => {
  it('a Site that crashed and is then paused and resumed picks up work again', async () => {
    let calls = 0;
    const behavior: SiteBehavior = () => {
      if (++calls === 1) throw new Error('first receive fails');
    };
    const { clock, sequence: fresh } = make(engine, { behavior, restartDelay: 100 });
    const handle = fresh.assign('Work', 'a');
    await clock.advance(0);
    expect(calls).toBe(1);
    expect(siteState(fresh)).toBe('crashed');
    fresh.pause();
    await clock.advance(500); // the restart timer is gone with the pause
    expect(siteState(fresh)).toBe('paused');
    expect(handle.getSnapshot().value).toBe('queued');
    fresh.resume();
    await clock.advance(0);
    expect(siteState(fresh)).toBe('open');
    expect(siteLoad(fresh)).toBe(1);
    expect(handle.getSnapshot().value).toBe('running');
    await clock.advance(10);
    expect(await handle.result).toBe('a');
    expect(siteState(fresh)).toBe('open');
    expect(siteLoad(fresh)).toBe(0);
  });

  it('a Site that crashes while paused shows paused after its restart and takes work on resume', async () => {
    let release: () => void = () => {};
    let calls = 0;
    const behavior: SiteBehavior = () => {
      calls++;
      if (calls === 1) return new Promise<void>((_, reject) => (release = () => reject(new Error('late failure'))));
      return undefined;
    };
    const { clock, sequence: fresh } = make(engine, { behavior, restartDelay: 5 });
    const handle = fresh.assign('Work', 'b');
    await clock.advance(0);
    fresh.pause();
    release();
    await clock.advance(0);
    expect(siteState(fresh)).toBe('crashed');
    await clock.advance(5);
    expect(siteState(fresh)).toBe('paused');
    expect(handle.getSnapshot().value).toBe('queued');
    fresh.resume();
    await clock.advance(10);
    expect(await handle.result).toBe('b');
  });

  describe('a behaviour returning a hostile thenable or throwing a hostile value does not wedge the Site', () => {
    const cases: [string, () => unknown, (cause: unknown) => void][] = [
      ['a thenable whose then throws', () => ({ then: () => { throw new Error('then failed'); } }), (cause) => expect(cause).toMatchObject({ message: 'then failed' })],
      ['a thenable whose then getter throws', () => ({ get then(): never { throw new Error('getter failed'); } }), (cause) => expect(cause).toMatchObject({ message: 'getter failed' })],
      ['a returned Proxy whose traps throw', () => hostile(), (cause) => expect(cause).toBeInstanceOf(Error)],
      ['a thrown Proxy whose traps throw', () => { throw hostile(); }, (cause) => expect(typeof cause).toBe('object')],
      ['a thenable that rejects with a Proxy', () => ({ then: (_: unknown, reject: (e: unknown) => void) => reject(hostile()) }), (cause) => expect(typeof cause).toBe('object')],
    ];

    it.each(cases)('%s: the action fails with a HookError whose cause is the value, and the Site goes on', async (_, behave, checkCause) => {
      const behavior: SiteBehavior = (action) => (action.content === 'bad' ? (behave() as void) : undefined);
      const { clock, sequence: fresh } = make(engine, { behavior, restartDelay: 5 }, { maxSiteCrashes: 2 });
      const bad = fresh.assign('Work', 'bad');
      const good = fresh.assign('Work', 'good');
      await clock.advance(100);
      const error = await bad.result.then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(HookError);
      expect(error).toMatchObject({ name: 'HookError', hook: 'site:site-1', phase: 'before' });
      checkCause((error as HookError).cause);
      expect(await good.result).toBe('good');
      expect(siteState(fresh)).toBe('open');
      expect(fresh.stats()).toMatchObject({ done: 1, failed: 1, live: 0 });
    });
  });

  it('a behaviour that awaits before it proceeds still runs the action (a plain promise)', async () => {
    let clockOf: ManualClock | undefined;
    const { clock, sequence: fresh } = make(engine, { behavior: () => after(clockOf!, 3) });
    clockOf = clock;
    const handle = fresh.assign('Work', 'x');
    await clock.advance(20);
    expect(await handle.result).toBe('x');
  });

  it("the action's snapshot context shows what a Site behaviour changed: metadata, and the queue after a redirect", async () => {
    const clock = new ManualClock();
    const plan = createPlan({ Work: async (label: string, ctx) => `${label}:${String(ctx.metadata.routedBy)}` });
    const sequence = new Sequence({
      plan, clock, engine, concurrency: 1, queues: { default: {}, slow: {} },
      sites: [
        {
          id: 'router',
          behavior: (action, ctx) => {
            ctx.updateMetadata((draft) => { draft.routedBy = ctx.site; });
            if (action.content === 'slow') ctx.redirect('slow');
          },
        },
        { id: 'slowpoke', queues: ['slow'] },
      ],
    });
    sequence.pause(); // the redirected action waits in `slow`, so its queued snapshot can be read
    const fast = sequence.assign('Work', 'fast', { metadata: { tenant: 'a' } });
    const slow = sequence.assign('Work', 'slow', { metadata: { tenant: 'b' } });
    sequence.start();
    sequence.resume();
    await clock.advance(0);
    expect(await fast.result).toBe('fast:router');
    expect(fast.getSnapshot().context).toMatchObject({ metadata: { tenant: 'a', routedBy: 'router' }, queue: 'default', site: 'router' });
    expect(await slow.result).toBe('slow:router');
    expect(slow.getSnapshot().context).toMatchObject({ metadata: { tenant: 'b', routedBy: 'router' }, queue: 'slow', site: 'slowpoke' });
  });

  it('a redirected action shows its new queue while it waits there', async () => {
    const clock = new ManualClock();
    const plan = createPlan({ Work: async () => 'ok' });
    const sequence = new Sequence({
      plan, clock, engine, concurrency: 1, queues: { default: {}, slow: {} },
      sites: [{ id: 'router', behavior: (_, ctx) => ctx.redirect('slow') }, { id: 'slowpoke', queues: ['slow'], concurrency: 1 }],
    });
    const blocker = sequence.assign('Work', null, { queue: 'slow' });
    const handle = sequence.assign('Work', null);
    sequence.start();
    expect(handle.getSnapshot()).toMatchObject({ value: 'queued', context: { queue: 'slow' } }); // slowpoke is busy with the blocker
    await clock.advance(0);
    expect(await blocker.result).toBe('ok');
    expect(await handle.result).toBe('ok');
    expect(handle.getSnapshot().context).toMatchObject({ queue: 'slow', site: 'slowpoke' });
  });
});
