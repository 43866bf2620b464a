/**
 * Schedules on BullMQ job schedulers, on the real Redis: made by every process at boot, they are one
 * schedule in Redis whose due times each run once across worker processes; they go on after every
 * process restarted; overlap `skip`, `queue` and `cancel-previous` hold across processes; catch-up `none`
 * skips a late run and `one` runs it, `all` adds the runs BullMQ skipped (the latest
 * maxCatchUp); pause/resume/remove and list from any process; what BullMQ cannot honour is refused
 * with a ScheduleNotSupportedError.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPlan } from '../../src/Plan.js';
import { Sequence } from '../../src/Sequence.js';
import { CancellationError, SerializationError } from '../../src/errors.js';
import { bullmqProduction, ScheduleNotSupportedError } from '../../src/distributed/index.js';
import { Redis } from 'ioredis';
import { connection, dropPrefix, randomPrefix } from './redis.js';
import { killWorker, startWorker, WorkerLog, type WorkerProcess, type WorkerSettings } from './workers.js';

/** The worker fixture's Plan (this process claims nothing unless a test says so). */
const plan = createPlan({ Tick: async (_: { ms: number }) => undefined });

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A Sequence on a fresh prefix; `worker` says whether this process claims. */
function sequenceOn(prefix: string, worker: boolean, run: (content: { ms: number }) => Promise<void> = async () => undefined, onError?: (error: unknown) => void) {
  const production = bullmqProduction({ connection, prefix, queue: 'jobs', worker, lockDuration: 1000, stalledInterval: 500 });
  const sequence = new Sequence({ plan: createPlan({ Tick: run }), production, sites: 1, ...(onError !== undefined && { onError }) }).start();
  cleanups.push(() => sequence.shutdown({ deadline: 0 }));
  return { production, sequence };
}

function setup() {
  const prefix = randomPrefix();
  const log = new WorkerLog();
  const workers: WorkerProcess[] = [];
  cleanups.push(async () => {
    await Promise.all(workers.map(killWorker));
    await dropPrefix(prefix);
  });
  const start = async (name: string, args: readonly string[]): Promise<WorkerProcess> => {
    const settings: WorkerSettings = { prefix, queue: 'jobs', fixture: 'scheduleWorker', lockDuration: 1000, stalledInterval: 500, args };
    const worker = await startWorker(name, settings, log);
    workers.push(worker);
    return worker;
  };
  return { prefix, log, workers, start };
}

/** The scheduled runs the workers started: action id, due time and the worker, in order. */
function startsOf(log: WorkerLog): { id: string; due: number; worker: string }[] {
  return log.of('start').map((line) => ({ id: line.words[1]!, due: Number(line.words[2]), worker: line.worker }));
}

describe('Schedules on BullMQ job schedulers', () => {
  it('made by every process at boot, it is one schedule: each due time runs once across three worker processes', { timeout: 30_000 }, async () => {
    const { prefix, log, start } = setup();
    const spec = JSON.stringify({ content: { ms: 10 }, every: 200, id: 'tick' });
    for (const name of ['w1', 'w2', 'w3']) await start(name, ['schedule', spec]);
    const { sequence, production } = sequenceOn(prefix, false);
    sequence.schedule('Tick', { ms: 10 }, { every: 200, id: 'tick' });
    await production.schedules.ready();
    await log.until(() => log.of('end').length >= 8);
    const starts = startsOf(log);
    expect(new Set(starts.map((run) => run.id)).size).toBe(starts.length); // no due time ran twice
    for (const run of starts) expect(run.id).toBe(`repeat:tick:${run.due}`);
    const dues = starts.map((run) => run.due).sort((a, b) => a - b);
    for (let i = 1; i < dues.length; i++) expect((dues[i]! - dues[0]!) % 200).toBe(0);
    const [state, ...others] = await production.schedules.list();
    expect(others).toEqual([]);
    expect(state).toMatchObject({ id: 'tick', name: 'Tick', trigger: { every: 200 }, paused: false });
    expect(state!.runs).toBeGreaterThanOrEqual(8);
    expect(state!.nextRunAt).toBeGreaterThan(dues.at(-1)!);
  });

  it('survives a restart of every process: new processes that make no schedule go on running it', { timeout: 30_000 }, async () => {
    const { log, workers, start } = setup();
    const spec = JSON.stringify({ content: { ms: 10 }, every: 200, id: 'tick' });
    await start('w1', ['schedule', spec]);
    await start('w2', ['schedule', spec]);
    await log.until(() => log.of('end').length >= 2);
    await Promise.all(workers.splice(0).map(killWorker));
    const before = new Set(startsOf(log).map((run) => run.id));
    await start('w3', ['claim-only']);
    await start('w4', ['claim-only']);
    await log.until(() => startsOf(log).filter((run) => !before.has(run.id) && (run.worker === 'w3' || run.worker === 'w4')).length >= 3);
    // Each due time ran once, but for a run the kill cut short: BullMQ's stalled check runs it again (at-least-once).
    // Cut short means before BullMQ committed its job, which may be after its function ended (its `end` line).
    const starts = new Map<string, { worker: string }[]>();
    for (const run of startsOf(log)) starts.set(run.id, [...(starts.get(run.id) ?? []), run]);
    for (const [, runs] of starts) {
      expect(runs.length).toBeLessThanOrEqual(2);
      if (runs.length === 2) expect(['w1', 'w2']).toContain(runs[0]!.worker);
    }
  });

  it("overlap 'skip': a run due while the previous one runs in another process is skipped and counted", { timeout: 30_000 }, async () => {
    const { prefix, log, start } = setup();
    const spec = JSON.stringify({ content: { ms: 700 }, every: 150, id: 'slow', overlap: 'skip' });
    await start('w1', ['schedule', spec]);
    await start('w2', ['claim-only']);
    await log.until(() => log.of('end').length >= 3);
    // Never two at once: every start comes after the end of the run before it.
    const order = log.lines.filter((line) => line.words[0] === 'start' || line.words[0] === 'end').map((line) => line.words[0]);
    for (let i = 0; i < order.length; i++) expect(order[i]).toBe(i % 2 === 0 ? 'start' : 'end');
    const { production } = sequenceOn(prefix, false);
    await production.ready();
    const state = await production.schedules.get('slow');
    expect(state!.skipped).toBeGreaterThan(0);
    const skipped = await production.result(`repeat:slow:${startsOf(log)[0]!.due + 150}`).catch((error: unknown) => error);
    expect(skipped).toBeInstanceOf(CancellationError);
    expect((skipped as CancellationError).message).toMatch(/previous run still runs \(overlap 'skip'\)/);
  });

  it("overlap 'queue': runs due while the previous one runs wait and run in turn, oldest first, across processes; more than maxCatchUp waiting are skipped", { timeout: 30_000 }, async () => {
    const { prefix, log, start } = setup();
    const spec = JSON.stringify({ content: { ms: 1000 }, every: 150, id: 'queued', overlap: 'queue', maxCatchUp: 2 });
    await start('w1', ['schedule', spec]);
    await start('w2', ['claim-only']);
    await log.until(() => log.of('end').length >= 3);
    // Never two at once, and the runs due meanwhile were not skipped: they ran next, in due order.
    const order = log.lines.filter((line) => line.words[0] === 'start' || line.words[0] === 'end').map((line) => line.words[0]);
    for (let i = 0; i < order.length; i++) expect(order[i]).toBe(i % 2 === 0 ? 'start' : 'end');
    const dues = startsOf(log).map((run) => run.due);
    expect(dues.slice(0, 3)).toEqual([dues[0]!, dues[0]! + 150, dues[0]! + 300]);
    // The fourth due time came while two waited: skipped, and says why.
    const { production } = sequenceOn(prefix, false);
    await production.ready();
    const skipped = await production.result(`repeat:queued:${dues[0]! + 450}`).catch((error: unknown) => error);
    expect(skipped).toBeInstanceOf(CancellationError);
    expect((skipped as CancellationError).message).toMatch(/2 runs already wait for the previous one \(overlap 'queue', maxCatchUp 2\)/);
    expect((await production.schedules.get('queued'))!.skipped).toBeGreaterThan(0);
    expect(log.of('error')).toEqual([]); // no promote of a parked job failed in either process
  });

  it("overlap 'queue': a place in line whose job is gone (lost between its place and its park) does not hold back the runs after it", { timeout: 30_000 }, async () => {
    const prefix = randomPrefix();
    cleanups.push(() => dropPrefix(prefix));
    const redis = new Redis(connection);
    cleanups.push(() => redis.quit());
    const { sequence, production } = sequenceOn(prefix, false);
    sequence.schedule('Tick', { ms: 0 }, { every: 100, startAt: Date.now() + 300, id: 'line', overlap: 'queue', maxCatchUp: 3 });
    await production.schedules.ready();
    // The oldest place in line, its job gone for good: every run due after it would wait behind it for ever.
    const waiting = `${prefix}:jobs:echo-schedule:line:waiting`;
    await redis.zadd(waiting, 0, 'repeat:line:0');
    const log = new WorkerLog();
    sequenceOn(prefix, true, async () => log.push({ worker: 'here', words: ['run'] }));
    await log.until(() => log.of('run').length >= 3, { what: 'three runs behind the gone place in line', within: 20_000 });
    expect(await redis.zscore(waiting, 'repeat:line:0')).toBeNull();
  });

  it("overlap 'cancel-previous': each run cancels the one before it, in whichever process runs it", { timeout: 30_000 }, async () => {
    const { log, start } = setup();
    const spec = JSON.stringify({ content: { ms: 20_000 }, every: 250, id: 'long', overlap: 'cancel-previous' });
    await start('w1', ['schedule', spec]);
    await start('w2', ['claim-only']);
    await log.until(() => log.of('aborted').length >= 2);
    const starts = startsOf(log);
    const aborted = log.of('aborted').map((line) => ({ id: line.words[1], reason: line.words[2] }));
    expect(aborted.slice(0, 2)).toEqual([
      { id: starts[0]!.id, reason: 'CancellationError' },
      { id: starts[1]!.id, reason: 'CancellationError' },
    ]);
  });

  it("catch-up 'none' skips a run more than `lateness` late; 'one' runs it", { timeout: 30_000 }, async () => {
    const prefix = randomPrefix();
    cleanups.push(() => dropPrefix(prefix));
    const { sequence, production } = sequenceOn(prefix, false);
    // One run each in the test's time (the next is a minute later), due in 300 ms.
    const startAt = Date.now() + 300;
    sequence.schedule('Tick', { ms: 0 }, { every: 60_000, startAt, id: 'strict', catchUp: 'none', lateness: 1000 });
    sequence.schedule('Tick', { ms: 0 }, { every: 60_000, startAt, id: 'lenient', catchUp: 'one', lateness: 1000 });
    await production.schedules.ready();
    const [lenient, strict] = await production.schedules.list();
    expect([lenient!.nextRunAt, strict!.nextRunAt]).toEqual([startAt, startAt]);
    // BullMQ's times are the wall clock's: no process claims until both runs are past due by more than their lateness.
    await new Promise((resolve) => setTimeout(resolve, startAt + 1500 - Date.now()));
    const ran: string[] = [];
    sequenceOn(prefix, true, async () => void ran.push('run'));
    const late = await production.result(`repeat:strict:${strict!.nextRunAt}`).catch((error: unknown) => error);
    expect(late).toBeInstanceOf(CancellationError);
    expect((late as Error).message).toMatch(/ms late \(catch-up 'none', lateness 1000 ms\)/);
    await expect(production.result(`repeat:lenient:${lenient!.nextRunAt}`)).resolves.toBeUndefined();
    expect((await production.schedules.get('strict'))!.skipped).toBe(1);
    expect((await production.schedules.get('lenient'))).toMatchObject({ runs: 1, skipped: 0, lastRunAt: startAt });
  });

  it("catch-up 'all': after every worker was down, the due times BullMQ skipped run once each (the latest maxCatchUp, in due order), then the regular ones; 'one' runs one", { timeout: 30_000 }, async () => {
    const { prefix, log, start } = setup();
    const { sequence, production } = sequenceOn(prefix, false);
    const startAt = Date.now() + 200;
    sequence.schedule('Tick', { ms: 0 }, { every: 200, startAt, id: 'all', catchUp: 'all', maxCatchUp: 3, lateness: 0, overlap: 'queue' });
    sequence.schedule('Tick', { ms: 0 }, { every: 200, startAt, id: 'one', catchUp: 'one', lateness: 0, overlap: 'queue' });
    await production.schedules.ready();
    // BullMQ's times are the wall clock's: no worker runs until six due times of each have passed.
    await new Promise((resolve) => setTimeout(resolve, startAt + 6 * 200 + 100 - Date.now()));
    await start('w1', ['claim-only']);
    const runsOf = (id: string) => startsOf(log).filter((run) => run.id.startsWith(`repeat:${id}:`));
    await log.until(() => runsOf('all').length >= 5 && runsOf('one').length >= 3, { what: "five runs of 'all' and three of 'one'", within: 20_000 });
    const all = runsOf('all');
    expect(new Set(all.map((run) => run.id)).size).toBe(all.length); // no due time ran twice
    for (const run of all) expect(run.id).toBe(`repeat:all:${run.due}`);
    // The three latest due times missed, oldest first, then BullMQ's next ones: one grid, each once.
    const first = all[0]!.due;
    expect(all.slice(0, 5).map((run) => run.due)).toEqual([first, first + 200, first + 400, first + 600, first + 800]);
    const regular = first + 600; // BullMQ's next job when the late one was claimed
    const missed = (regular - startAt) / 200;
    expect(missed).toBeGreaterThanOrEqual(7); // the late job and six more since
    expect(Number.isInteger(missed)).toBe(true);
    expect(all.every((run) => run.due >= first)).toBe(true); // the older ones never ran
    const late = await production.result(`repeat:all:${startAt}`).catch((error: unknown) => error);
    expect(late).toBeInstanceOf(CancellationError);
    expect((late as Error).message).toContain(`${missed} due times were missed and the latest 3 run (catch-up 'all', maxCatchUp 3)`);
    const state = (await production.schedules.get('all'))!;
    expect(state.skipped).toBe(missed - 3);
    expect(state.runs).toBeGreaterThanOrEqual(5);
    // 'one': the late job runs, once, and the next is BullMQ's next slot after the claim.
    const one = runsOf('one').map((run) => run.due);
    expect(one[0]).toBe(startAt);
    expect(one[1]! - startAt).toBeGreaterThanOrEqual(7 * 200);
    expect(one[2]! - one[1]!).toBe(200);
    expect(log.of('error')).toEqual([]);
  });

  it("catch-up 'all' on a cron pattern in a time zone: the seconds BullMQ skipped run on the pattern's grid, the latest maxCatchUp, then the regular ones", { timeout: 30_000 }, async () => {
    const { prefix, log, start } = setup();
    const { sequence, production } = sequenceOn(prefix, false);
    sequence.schedule('Tick', { ms: 0 }, { cron: '*/1 * * * * *', timezone: 'Europe/Berlin', id: 'each-second', catchUp: 'all', maxCatchUp: 2, lateness: 0, overlap: 'queue' });
    const [made] = await Promise.all([production.schedules.ready().then(() => production.schedules.get('each-second')), production.ready()]);
    const pending = made!.nextRunAt!;
    // No worker runs until four due times have passed.
    await new Promise((resolve) => setTimeout(resolve, pending + 3 * 1000 + 200 - Date.now()));
    await start('w1', ['claim-only']);
    await log.until(() => startsOf(log).length >= 4);
    const dues = startsOf(log).map((run) => run.due);
    expect(new Set(dues).size).toBe(dues.length);
    expect(dues[0]! % 1000).toBe(0);
    expect(dues.slice(0, 4)).toEqual([dues[0]!, dues[0]! + 1000, dues[0]! + 2000, dues[0]! + 3000]);
    const missed = (dues[0]! + 2000 - pending) / 1000; // the regular one after the two caught up is BullMQ's next
    expect(missed).toBeGreaterThanOrEqual(4);
    const late = await production.result(`repeat:each-second:${pending}`).catch((error: unknown) => error);
    expect((late as Error).message).toContain(`${missed} due times were missed and the latest 2 run (catch-up 'all', maxCatchUp 2)`);
    expect((await production.schedules.get('each-second'))!.skipped).toBe(missed - 2);
  });

  it('pause, resume and remove from any process; list shows the next run', { timeout: 30_000 }, async () => {
    const prefix = randomPrefix();
    cleanups.push(() => dropPrefix(prefix));
    const ran: number[] = [];
    let ranNow: () => void = () => undefined;
    const claimer = sequenceOn(prefix, true, async () => {
      ran.push(ran.length);
      ranNow();
    });
    claimer.sequence.schedule('Tick', { ms: 0 }, { cron: '*/1 * * * * *', timezone: 'Europe/Berlin', id: 'each-second' });
    await claimer.production.schedules.ready();
    const other = sequenceOn(prefix, false).production;
    await other.ready();
    const [listed] = await other.schedules.list();
    expect(listed).toMatchObject({ id: 'each-second', trigger: { cron: '*/1 * * * * *', timezone: 'Europe/Berlin' }, paused: false });
    expect(listed!.nextRunAt! % 1000).toBe(0);
    await new Promise<void>((resolve) => (ranNow = resolve));
    const paused = await other.schedules.pause('each-second');
    expect(paused).toMatchObject({ paused: true, nextRunAt: null });
    const resumed = await other.schedules.resume('each-second');
    expect(resumed.paused).toBe(false);
    expect(resumed.nextRunAt).toBeGreaterThan(Date.now() - 1000);
    const count = ran.length;
    await new Promise<void>((resolve) => (ranNow = resolve));
    expect(ran.length).toBe(count + 1);
    expect(await other.schedules.remove('each-second')).toBe(true);
    expect(await claimer.production.schedules.list()).toEqual([]);
    expect(await other.schedules.remove('each-second')).toBe(false);
    await expect(other.schedules.pause('each-second')).rejects.toThrow(TypeError);
  });

  it('a damaged record in Redis is reported with the schedule and the bad field, never used: list/get reject, its due job fails and counts as failedToAssign, making it again replaces it', { timeout: 30_000 }, async () => {
    const prefix = randomPrefix();
    cleanups.push(() => dropPrefix(prefix));
    const redis = new Redis(connection);
    cleanups.push(() => redis.quit());
    const { sequence, production } = sequenceOn(prefix, false);
    const startAt = Date.now() + 300;
    sequence.schedule('Tick', { ms: 0 }, { every: 60_000, startAt, id: 'tick' });
    await production.schedules.ready();
    const records = `${prefix}:jobs:echo-schedules`;
    const kept = JSON.parse((await redis.hget(records, 'tick'))!) as { options: Record<string, unknown> };
    await redis.hset(records, 'tick', JSON.stringify({ ...kept, options: { ...kept.options, overlap: 'sometimes' } }));
    const listed = await production.schedules.list().catch((error: unknown) => error);
    expect(listed).toBeInstanceOf(SerializationError);
    expect(listed).toMatchObject({ path: 'options.overlap', message: expect.stringMatching(/schedule "tick" in Redis.*`options\.overlap`.*sometimes/) });
    await expect(production.schedules.get('tick')).rejects.toMatchObject({ name: 'SerializationError', path: 'options.overlap' });
    await expect(production.schedules.pause('tick')).rejects.toBeInstanceOf(SerializationError);
    // Its due job: the claiming worker reports the error and the job fails with it (the run never starts).
    const reported: unknown[] = [];
    const ran: number[] = [];
    sequenceOn(prefix, true, async () => void ran.push(1), (error) => void reported.push(error));
    const failed = await production.result(`repeat:tick:${startAt}`).catch((error: unknown) => error);
    expect(failed).toMatchObject({ name: 'SerializationError', path: 'options.overlap' });
    expect(reported).toEqual([expect.objectContaining({ name: 'SerializationError', path: 'options.overlap' })]);
    expect(ran).toEqual([]);
    // Not JSON, or another schedule's record under this id: the same typed refusal.
    await redis.hset(records, 'other', '{"version":1');
    await expect(production.schedules.get('other')).rejects.toMatchObject({ name: 'SerializationError', path: '', message: expect.stringContaining('schedule "other"') });
    await redis.hset(records, 'other', JSON.stringify({ ...kept, options: { ...kept.options } }));
    await expect(production.schedules.get('other')).rejects.toMatchObject({ name: 'SerializationError', path: 'id' });
    expect(await production.schedules.remove('other')).toBe(true);
    // Made again (as every process does at boot): the damaged record is reported and replaced; its counts stay.
    const remade: unknown[] = [];
    const again = sequenceOn(prefix, false, undefined, (error) => void remade.push(error));
    again.sequence.schedule('Tick', { ms: 0 }, { every: 60_000, startAt, id: 'tick' });
    await again.production.schedules.ready();
    expect(remade).toEqual([expect.objectContaining({ name: 'SerializationError', path: 'options.overlap' })]);
    expect(await production.schedules.get('tick')).toMatchObject({ options: { overlap: 'skip' }, failedToAssign: 1, runs: 0 });
  });

  it('a due job the claiming process cannot run (its Plan has no such name) fails and counts as failedToAssign', { timeout: 30_000 }, async () => {
    const prefix = randomPrefix();
    cleanups.push(() => dropPrefix(prefix));
    const { sequence, production } = sequenceOn(prefix, false);
    const startAt = Date.now() + 300;
    sequence.schedule('Tick', { ms: 0 }, { every: 60_000, startAt, id: 'orphan' });
    await production.schedules.ready();
    const claimer = bullmqProduction({ connection, prefix, queue: 'jobs', worker: true, lockDuration: 1000, stalledInterval: 500 });
    const other = new Sequence({ plan: createPlan({ Other: async () => undefined }), production: claimer, sites: 1 }).start();
    cleanups.push(() => other.shutdown({ deadline: 0 }));
    const failed = await production.result(`repeat:orphan:${startAt}`).catch((error: unknown) => error);
    expect(failed).toMatchObject({ message: expect.stringContaining('Tick') });
    expect(await production.schedules.get('orphan')).toMatchObject({ runs: 0, failedToAssign: 1 });
  });

  it('refuses what BullMQ cannot honour, and a bad spec, when the schedule is made; sequence.schedules points to production.schedules', { timeout: 30_000 }, async () => {
    const prefix = randomPrefix();
    cleanups.push(() => dropPrefix(prefix));
    const { sequence, production } = sequenceOn(prefix, false);
    const refused = (spec: Parameters<typeof sequence.schedule>[2]): unknown => {
      try {
        sequence.schedule('Tick', { ms: 0 }, spec);
      } catch (error) {
        return error;
      }
      return null;
    };
    expect(refused({ every: 1000, catchUp: 'all', id: 'sync:eu' })).toBeInstanceOf(ScheduleNotSupportedError);
    expect(refused({ every: 1000, catchUp: 'all', id: 'sync:eu' })).toMatchObject({ name: 'ScheduleNotSupportedError', option: 'catchUp', value: 'all', message: expect.stringContaining('"sync:eu"') });
    expect(refused({ every: 1000, catchUp: 'all', id: 'sync-eu' })).toBeNull();
    expect(refused({ cron: 'not a pattern' })).toMatchObject({ name: 'TypeError', message: expect.stringContaining('`cron`') });
    expect(refused({ cron: '0 * * * *', timezone: 'Mars/Base' })).toMatchObject({ name: 'TypeError', message: expect.stringContaining('`timezone`') });
    expect(() => sequence.schedule('Nope', null, { every: 1000 })).toThrow(/Nope/);
    expect(() => sequence.schedules.list()).toThrow(/production\.schedules/);
    await production.schedules.ready();
    expect((await production.schedules.list()).map((state) => state.id)).toEqual(['sync-eu']); // the refused ones were never kept
  });
});
