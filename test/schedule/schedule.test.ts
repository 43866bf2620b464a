import { describe, expect, it } from 'vitest';
import { createPlan, ManualClock, Sequence, type ScheduleState } from '../../src/index.js';
import { clockSleep } from '../support/clockSleep.js';

const HOUR = 3_600_000;

/** Shuts down under the manual clock (the cancel grace of a running action is a clock timer). */
async function stop(clock: ManualClock, sequence: Pick<Sequence, 'shutdown'>): Promise<void> {
  const report = sequence.shutdown({ deadline: 0 });
  await clock.runAll();
  await report;
}

function setup(start = 0, options: { onError?: (error: unknown) => void } = {}) {
  const clock = new ManualClock(start);
  const runs: Array<{ at: number; scheduledFor: unknown; id: string }> = [];
  const cancelled: string[] = [];
  const plan = createPlan({
    Tick: (_: unknown, ctx) => {
      runs.push({ at: clock.now(), scheduledFor: ctx.metadata.scheduledFor, id: ctx.action });
      return clock.now();
    },
    Long: async (ms: number, ctx) => {
      runs.push({ at: clock.now(), scheduledFor: ctx.metadata.scheduledFor, id: ctx.action });
      try {
        await clockSleep(clock, ms, ctx.signal);
      } catch (error) {
        cancelled.push(ctx.action);
        throw error;
      }
    },
  });
  const sequence = new Sequence({ plan, clock, sites: 2, ...options }).start();
  return { clock, sequence, runs, cancelled };
}

describe('every', () => {
  it('assigns on each interval on the injected clock, with the schedule and its due time in metadata', async () => {
    const { clock, sequence, runs } = setup();
    const state = sequence.schedule('Tick', null, { every: 1_000 });
    expect(state).toMatchObject({ id: 'Tick', nextRunAt: 1_000, paused: false, runs: 0 });
    await clock.advance(3_500);
    expect(runs.map((run) => [run.at, run.scheduledFor])).toEqual([[1_000, 1_000], [2_000, 2_000], [3_000, 3_000]]);
    expect(sequence.schedules.list()).toEqual([expect.objectContaining({ id: 'Tick', nextRunAt: 4_000, lastRunAt: 3_000, runs: 3, skipped: 0 })]);
    expect(JSON.parse(JSON.stringify(sequence.schedules.list()))).toEqual(sequence.schedules.list());
    await sequence.shutdown();
    expect(clock.pending).toBe(0);
  });
});

describe('overlap', () => {
  it("'skip' skips a run due while the previous one still runs", async () => {
    const { clock, sequence, runs } = setup();
    sequence.schedule('Long', 250, { every: 100, overlap: 'skip' });
    await clock.advance(450);
    expect(runs.map((run) => run.at)).toEqual([100, 400]);
    expect(sequence.schedules.get('Long')).toMatchObject({ runs: 2, skipped: 2 });
    await stop(clock, sequence);
  });

  it("'queue' assigns a run due meanwhile when the previous settles, at most maxCatchUp waiting", async () => {
    const { clock, sequence, runs } = setup();
    sequence.schedule('Long', 250, { every: 100, overlap: 'queue', maxCatchUp: 2 });
    await clock.advance(900);
    // 100 runs to 350 while 200 and 300 wait; 200 runs 350–600 while 300 and 400 wait, and 500 is over the bound (skipped).
    expect(runs.map((run) => [run.at, run.scheduledFor])).toEqual([[100, 100], [350, 200], [600, 300], [850, 400]]);
    expect(sequence.schedules.get('Long')!.skipped).toBeGreaterThanOrEqual(1);
    await stop(clock, sequence);
  });

  it("'cancel-previous' cancels the running one and assigns the new one", async () => {
    const { clock, sequence, runs, cancelled } = setup();
    sequence.schedule('Long', 250, { every: 100, overlap: 'cancel-previous' });
    await clock.advance(250);
    expect(runs.map((run) => run.at)).toEqual([100, 200]);
    expect(cancelled).toEqual([runs[0]!.id]);
    await stop(clock, sequence);
  });
});

describe('catch-up after downtime', () => {
  async function downFor(catchUp: 'none' | 'one' | 'all', maxCatchUp = 10, overlap: 'skip' | 'queue' = 'skip') {
    const t0 = Date.UTC(2026, 0, 5, 0, 0);
    const before = setup(t0);
    before.sequence.schedule('Tick', null, { cron: '0 * * * *', catchUp, maxCatchUp, overlap });
    await before.clock.advance(HOUR + 1);
    expect(before.runs.map((run) => run.at)).toEqual([t0 + HOUR]);
    const saved: ScheduleState = JSON.parse(JSON.stringify(before.sequence.schedules.list()[0]));
    await before.sequence.shutdown();
    // The process was down from 01:00 to 05:30: runs due at 02:00, 03:00, 04:00 and 05:00 were missed.
    const after = setup(t0 + 5.5 * HOUR);
    after.sequence.schedules.restore(saved);
    await after.clock.advance(0);
    const caughtUp = after.runs.map((run) => run.scheduledFor);
    await after.clock.advance(HOUR);
    const next = after.runs.slice(caughtUp.length).map((run) => run.at);
    const state = after.sequence.schedules.get('Tick')!;
    await after.sequence.shutdown();
    return { t0, caughtUp, next, state };
  }

  it("'none' runs none of the missed runs and goes on at the next one", async () => {
    const { t0, caughtUp, next, state } = await downFor('none');
    expect(caughtUp).toEqual([]);
    expect(next).toEqual([t0 + 6 * HOUR]);
    expect(state).toMatchObject({ skipped: 4, runs: 2 });
  });

  it("'one' runs one for all of them (the latest)", async () => {
    const { t0, caughtUp, next, state } = await downFor('one');
    expect(caughtUp).toEqual([t0 + 5 * HOUR]);
    expect(next).toEqual([t0 + 6 * HOUR]);
    expect(state).toMatchObject({ skipped: 3, runs: 3 });
  });

  it("'all' runs each missed run, the latest maxCatchUp at most (one after another with overlap 'queue')", async () => {
    const { t0, caughtUp, state } = await downFor('all', 3, 'queue');
    expect(caughtUp).toEqual([t0 + 3 * HOUR, t0 + 4 * HOUR, t0 + 5 * HOUR]);
    expect(state).toMatchObject({ skipped: 1, runs: 5 });
  });
});

describe('pause, resume, remove', () => {
  it('a paused schedule assigns nothing; resume goes on from the next run after now; remove stops it for good', async () => {
    const { clock, sequence, runs } = setup();
    sequence.schedule('Tick', null, { every: 1_000, id: 'ticker' });
    await clock.advance(1_000);
    expect(sequence.schedules.pause('ticker')).toMatchObject({ paused: true, nextRunAt: null });
    await clock.advance(3_000);
    expect(runs).toHaveLength(1);
    expect(sequence.schedules.resume('ticker')).toMatchObject({ paused: false, nextRunAt: 5_000 });
    await clock.advance(1_000);
    expect(runs.map((run) => run.at)).toEqual([1_000, 5_000]);
    expect(sequence.schedules.remove('ticker')).toBe(true);
    expect(sequence.schedules.list()).toEqual([]);
    await clock.advance(5_000);
    expect(runs).toHaveLength(2);
    expect(clock.pending).toBe(0);
    await sequence.shutdown();
  });
});

describe('cron in a time zone across DST (Europe/Berlin)', () => {
  const iso = (ms: number) => new Date(ms).toISOString();

  it('a daily 09:00 stays 09:00 local: 23 h on the last Sunday of March, 25 h on the last Sunday of October', async () => {
    const { clock, sequence, runs } = setup(Date.UTC(2026, 2, 27, 12));
    sequence.schedule('Tick', null, { cron: '0 9 * * *', timezone: 'Europe/Berlin' });
    await clock.advance(3 * 24 * HOUR);
    expect(runs.map((run) => iso(run.at))).toEqual(['2026-03-28T08:00:00.000Z', '2026-03-29T07:00:00.000Z', '2026-03-30T07:00:00.000Z']);
    sequence.schedules.remove('Tick');
    await clock.advance(Date.UTC(2026, 9, 23, 12) - clock.now());
    runs.length = 0;
    sequence.schedule('Tick', null, { cron: '0 9 * * *', timezone: 'Europe/Berlin' });
    await clock.advance(3 * 24 * HOUR);
    expect(runs.map((run) => iso(run.at))).toEqual(['2026-10-24T07:00:00.000Z', '2026-10-25T08:00:00.000Z', '2026-10-26T08:00:00.000Z']);
    await sequence.shutdown();
  });

  it('an hourly schedule fires once per real hour across both changes: no hour skipped, none doubled', async () => {
    for (const start of [Date.UTC(2026, 2, 28, 22), Date.UTC(2026, 9, 24, 22)]) {
      const { clock, sequence, runs } = setup(start);
      sequence.schedule('Tick', null, { cron: '0 * * * *', timezone: 'Europe/Berlin' });
      await clock.advance(6 * HOUR);
      const times = runs.map((run) => run.at);
      expect(times).toHaveLength(6);
      expect(times.slice(1).map((at, i) => at - times[i]!)).toEqual([HOUR, HOUR, HOUR, HOUR, HOUR]);
      await sequence.shutdown();
    }
  });

  it('02:30 local fires at 03:00 CEST when 02:00–03:00 is skipped, and once when it repeats', async () => {
    const spring = setup(Date.UTC(2026, 2, 28, 12));
    spring.sequence.schedule('Tick', null, { cron: '30 2 * * *', timezone: 'Europe/Berlin' });
    await spring.clock.advance(24 * HOUR);
    expect(spring.runs.map((run) => iso(run.at))).toEqual(['2026-03-29T01:00:00.000Z']);
    await spring.sequence.shutdown();
    const autumn = setup(Date.UTC(2026, 9, 24, 12));
    autumn.sequence.schedule('Tick', null, { cron: '30 2 * * *', timezone: 'Europe/Berlin' });
    await autumn.clock.advance(24 * HOUR);
    expect(autumn.runs.map((run) => iso(run.at))).toEqual(['2026-10-25T00:30:00.000Z']);
    await autumn.sequence.shutdown();
  });
});

describe('bad schedules are refused with the field named', () => {
  it.each([
    [{ every: 0 }, 'Expected `every` to be a finite number >= 1 (ms), got 0 (number)'],
    [{ cron: '61 * * * *' }, 'Expected `cron` to be a cron pattern, got "61 * * * *" (string)'],
    [{ cron: '0 * * * *', timezone: 'Mars/Olympus' }, 'Expected `timezone` to be an IANA time zone name, got "Mars/Olympus" (string)'],
    [{ every: 10, cron: '* * * * *' }, 'Expected `trigger` to be exactly one of `every` and `cron`'],
    [{ every: 10, overlap: 'replace' }, "Expected `overlap` to be 'skip', 'queue' or 'cancel-previous', got \"replace\" (string)"],
    [{ every: 10, catchUp: 'some' }, "Expected `catchUp` to be 'none', 'one' or 'all', got \"some\" (string)"],
    [{ every: 10, maxCatchUp: 0 }, 'Expected `maxCatchUp` to be an integer >= 1, got 0 (number)'],
    [{ every: 10, jitter: 5 }, 'Unknown schedule option `jitter`'],
  ])('%j', (spec, message) => {
    const { sequence } = setup();
    expect(() => sequence.schedule('Tick', null, spec as never)).toThrow(message);
  });

  it('an unknown action name and a taken id', () => {
    const { sequence } = setup();
    expect(() => sequence.schedule('Nope', null, { every: 10 })).toThrow('No action named "Nope"');
    sequence.schedule('Tick', null, { every: 10 });
    expect(() => sequence.schedule('Tick', null, { every: 10 })).toThrow('Expected a new schedule id, got "Tick", which is taken (give `id`)');
  });

  it('a run that cannot be assigned is reported and counted, never thrown from the timer', async () => {
    const errors: unknown[] = [];
    const { clock, sequence } = setup(0, { onError: (error) => errors.push(error) });
    sequence.schedule('Tick', null, { every: 100, queue: 'nowhere' });
    await clock.advance(100);
    expect(sequence.schedules.get('Tick')).toMatchObject({ failedToAssign: 1, runs: 0 });
    expect(String((errors[0] as Error).message)).toContain('Schedule "Tick" could not assign "Tick" due at 100');
    await sequence.shutdown();
  });
});
