import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createPlan, ManualClock, Sequence } from '../../src/index.js';
import { sqliteStore } from '../../src/store/sqliteStore.js';
import type { Store } from '../../src/store/Store.js';
import { tempStoreFiles } from '../support/tempStoreFile.js';

const tempFile = tempStoreFiles('schedule');

/** One process of a durable app: its clock starts at `now`; `ran` collects the due time of every run, across processes. */
function boot(file: string, now: number, ran: number[]) {
  const clock = new ManualClock(now);
  const store = sqliteStore(file);
  const plan = createPlan({ Tick: (_content: null, ctx) => void ran.push(ctx.metadata.scheduledFor as number) });
  const sequence = new Sequence({ plan, store, clock, sites: 1 });
  return { clock, store, sequence };
}

/** Ends a process the way a crash does, for an in-process test: what was committed stays, nothing else happens. */
async function crash(app: { sequence: Sequence<any>; store: Store }): Promise<void> {
  await app.sequence.flush();
  app.store.close();
}

async function stop(app: { sequence: Sequence<any>; clock: ManualClock }): Promise<void> {
  const report = app.sequence.shutdown({ deadline: 0 });
  await app.clock.runAll();
  await report;
}

describe('schedules on the durable store', () => {
  // Runs at 1 s and 2 s, down from 2.5 s to 4.5 s: the runs due at 3 s and 4 s are missed (lateness 100 ms).
  // Overlap 'queue', so the caught-up runs of 'all' each run in turn (with 'skip' the second would be skipped while the first runs).
  it.each([
    ['none', [1_000, 2_000, 5_000]],
    ['one', [1_000, 2_000, 4_000, 5_000]],
    ['all', [1_000, 2_000, 3_000, 4_000, 5_000]],
  ] as const)("survive a restart across missed runs with catch-up '%s', each run once", async (catchUp, expected) => {
    const file = tempFile();
    const ran: number[] = [];
    const first = boot(file, 0, ran);
    first.sequence.start();
    first.sequence.schedule('Tick', null, { every: 1_000, catchUp, lateness: 100, overlap: 'queue' });
    await first.clock.advance(2_500);
    expect(ran).toEqual([1_000, 2_000]);
    await crash(first);

    const second = boot(file, 4_500, ran);
    second.sequence.start();
    expect(second.sequence.schedules.get('Tick')).toMatchObject({ lastRunAt: 2_000, runs: 2 });
    await second.clock.advance(0);
    await second.clock.advance(600);
    expect(ran).toEqual(expected);
    expect(second.sequence.schedules.get('Tick')).toMatchObject({ lastRunAt: 5_000, nextRunAt: 6_000, runs: expected.length });
    await stop(second);
  });

  it('never fires a slot twice: not after a restart at the same instant, nor when the stored state is older than the run', async () => {
    const file = tempFile();
    const ran: number[] = [];
    const first = boot(file, 0, ran);
    first.sequence.start();
    first.sequence.schedule('Tick', null, { every: 1_000, catchUp: 'all', lateness: 100 });
    await first.clock.advance(1_000);
    expect(ran).toEqual([1_000]);
    await crash(first);

    // Restarted at the very time of the run it made: the run is committed with the schedule's new state.
    const second = boot(file, 1_000, ran);
    second.sequence.start();
    await second.clock.advance(0);
    expect(ran).toEqual([1_000]);
    await crash(second);

    // Even with the schedule's row set back to before that run, its action (keyed by schedule and due time) is not assigned again.
    const db = new Database(file);
    db.prepare("UPDATE schedules SET state = json_set(state, '$.nextRunAt', 1000, '$.lastRunAt', NULL, '$.runs', 0)").run();
    expect(db.prepare("SELECT count(*) FROM actions WHERE idem = 'schedule:Tick@1000'").pluck().get()).toBe(1);
    db.close();
    const third = boot(file, 1_050, ran);
    third.sequence.start();
    await third.clock.advance(0);
    await third.clock.advance(1_000);
    expect(ran).toEqual([1_000, 2_000]);
    await stop(third);
  });

  it('keeps a pause and a removal across a restart; making the same schedule again at boot keeps its stored state', async () => {
    const file = tempFile();
    const ran: number[] = [];
    const first = boot(file, 0, ran);
    first.sequence.start();
    first.sequence.schedule('Tick', null, { every: 1_000, id: 'paused' });
    first.sequence.schedule('Tick', null, { every: 1_000, id: 'removed' });
    await first.clock.advance(1_000);
    expect(ran).toEqual([1_000, 1_000]);
    first.sequence.schedules.pause('paused');
    expect(first.sequence.schedules.remove('removed')).toBe(true);
    await crash(first);

    const second = boot(file, 5_000, ran);
    // The app's boot code makes its schedules again, before start, as it did the first time.
    const made = second.sequence.schedule('Tick', null, { every: 1_000, id: 'paused' });
    expect(made).toMatchObject({ id: 'paused', paused: true, runs: 1, lastRunAt: 1_000, nextRunAt: null });
    second.sequence.start();
    expect(second.sequence.schedules.list().map((state) => state.id)).toEqual(['paused']);
    await second.clock.advance(3_000);
    expect(ran).toEqual([1_000, 1_000]);
    second.sequence.schedules.resume('paused');
    await second.clock.advance(1_000);
    expect(ran).toEqual([1_000, 1_000, 9_000]);
    await stop(second);
  });

  it('a schedule whose definition changed keeps its pause and counts; content that cannot be stored is refused with its path', async () => {
    const file = tempFile();
    const ran: number[] = [];
    const first = boot(file, 0, ran);
    first.sequence.start();
    first.sequence.schedule('Tick', null, { every: 1_000 });
    await first.clock.advance(1_000);
    first.sequence.schedules.pause('Tick');
    expect(() => first.sequence.schedule('Tick', { at: new Date(0) } as never, { every: 1_000, id: 'dated' })).toThrow(
      expect.objectContaining({ name: 'SerializationError', path: 'content.at' }),
    );
    await crash(first);

    const second = boot(file, 1_500, ran);
    const changed = second.sequence.schedule('Tick', null, { every: 500 });
    expect(changed).toMatchObject({ paused: true, runs: 1, trigger: { every: 500 } });
    second.sequence.start();
    second.sequence.schedules.resume('Tick');
    await second.clock.advance(500);
    expect(ran).toEqual([1_000, 2_000]);
    await stop(second);
  });

  it("keeps runs waiting under overlap 'queue' across a restart: they run in turn after the restored run they wait for", async () => {
    const file = tempFile();
    const ran: string[] = [];
    const releases: (() => void)[] = [];
    const app = (now: number) => {
      const clock = new ManualClock(now);
      const store = sqliteStore(file);
      const plan = createPlan({
        Hold: (_content: null, ctx) => {
          ran.push(`${ctx.metadata.scheduledFor as number}#${ctx.attempt}`);
          return new Promise<void>((resolve) => releases.push(resolve));
        },
      });
      return { clock, store, sequence: new Sequence({ plan, store, clock, sites: 1 }) };
    };
    const first = app(0);
    first.sequence.start();
    first.sequence.schedule('Hold', null, { every: 1_000, overlap: 'queue' });
    await first.clock.advance(3_500);
    expect(ran).toEqual(['1000#1']); // 2 s and 3 s wait for it
    await first.sequence.flush();
    expect(first.store.schedules()).toEqual([expect.objectContaining({ id: 'Hold', lastRunAt: 1_000, waiting: [2_000, 3_000] })]);
    await crash(first);

    const second = app(3_500);
    second.sequence.schedule('Hold', null, { every: 1_000, overlap: 'queue' }); // made again at boot, as apps do
    second.sequence.start();
    await second.clock.advance(0);
    // The interrupted run at 1 s runs again; the waiting ones wait for it, as before the crash.
    expect(ran).toEqual(['1000#1', '1000#2']);
    releases.pop()!();
    await second.clock.advance(0);
    expect(ran).toEqual(['1000#1', '1000#2', '2000#1']);
    releases.pop()!();
    await second.clock.advance(0);
    expect(ran).toEqual(['1000#1', '1000#2', '2000#1', '3000#1']);
    await second.sequence.flush();
    expect(second.store.schedules()[0]).not.toHaveProperty('waiting');
    expect(second.sequence.schedules.get('Hold')).toMatchObject({ lastRunAt: 3_000, runs: 3 });
    releases.pop()!();
    await stop(second);
  });

  it("refuses stored waiting runs that are not due times, reporting it and keeping the other schedules", async () => {
    const file = tempFile();
    const ran: number[] = [];
    const first = boot(file, 0, ran);
    first.sequence.start();
    first.sequence.schedule('Tick', null, { every: 1_000, id: 'kept' });
    first.sequence.schedule('Tick', null, { every: 1_000, id: 'damaged' });
    await crash(first);
    const db = new Database(file);
    expect(db.prepare(`UPDATE schedules SET state = json_set(state, '$.waiting', json('["soon"]')) WHERE id = 'damaged'`).run().changes).toBe(1);
    db.close();
    const errors: unknown[] = [];
    const store = sqliteStore(file);
    const clock = new ManualClock(0);
    const sequence = new Sequence({ plan: createPlan({ Tick: () => undefined }), store, clock, sites: 1, onError: (error) => errors.push(error) }).start();
    expect(sequence.schedules.list().map((state) => state.id)).toEqual(['kept']);
    await clock.advance(0); // reported on a later tick
    expect(String(errors[0])).toMatch(/stored schedule cannot be read: Expected `waiting` to be at most 10 due times, got \["soon"\]/);
    await sequence.shutdown({ deadline: 0 });
  });
});
