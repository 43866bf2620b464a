import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createPlan } from '../../src/Plan.js';
import { Sequence, type AnySequence } from '../../src/Sequence.js';
import { sqliteStore } from '../../src/store/sqliteStore.js';
import { memoryStore } from '../../src/store/memoryStore.js';
import { tempStoreFiles } from '../support/tempStoreFile.js';

const tempFile = tempStoreFiles('durable');

/** Stops a Sequence the way a crash does, for an in-process test: its store is closed without a shutdown (what was committed stays). */
async function crash(sequence: AnySequence, store: { close(): void }): Promise<void> {
  await sequence.flush();
  store.close();
}

describe('durable Sequence', () => {
  it('restores a retrying action 300 ms into a 1 s backoff so it runs 700 ms later', async () => {
    const file = tempFile();
    const calls: number[] = [];
    const clock = new ManualClock();
    let now = () => clock.now();
    const plan = createPlan({
      Flaky: {
        run: (_content: unknown, ctx) => {
          calls.push(now());
          if (ctx.attempt === 1) throw new Error('first time fails');
          return 'ok';
        },
        retry: { attempts: 3, initialDelay: 1000, jitter: 'none' },
      },
    });
    const store1 = sqliteStore(file);
    const first = new Sequence({ plan, store: store1, clock, sites: 1 }).start();
    const handle = first.assign('Flaky', null);
    await handle.accepted;
    await clock.advance(0);
    expect(calls).toEqual([0]);
    await clock.advance(300);
    await crash(first, store1);

    // The first process is gone: its clock never moves again; the restarted one goes on at 300 ms.
    const later = new ManualClock(300);
    const store2 = sqliteStore(file);
    now = () => later.now();
    const second = new Sequence({ plan, store: store2, clock: later, sites: 1 }).start();
    await later.advance(699);
    expect(calls).toEqual([0]);
    await later.advance(1);
    expect(calls).toEqual([0, 1000]);
    await expect(second.result(handle.id)).resolves.toBe('ok');
    await second.flush();
    const stored = store2.result(handle.id)!;
    expect(stored.attempts.map((a) => [a.number, a.outcome, a.backoff])).toEqual([[1, 'failed', 1000], [2, 'succeeded', null]]);
    await second.shutdown();
  });

  it('runs an interrupted attempt again as a new attempt, recorded as interrupted; settled actions never run again and answer from the store', async () => {
    const file = tempFile();
    const clock = new ManualClock();
    const started: string[] = [];
    let release: (() => void) | null = null;
    const plan = createPlan({
      Slow: (content: string, ctx) => {
        started.push(`${content}#${ctx.attempt}`);
        return ctx.attempt === 1 ? new Promise<string>((resolve) => (release = () => resolve('late'))) : `done ${content}`;
      },
      Quick: (content: string) => `quick ${content}`,
    });
    const store1 = sqliteStore(file);
    const first = new Sequence({ plan, store: store1, clock, sites: 1, concurrency: 2 }).start();
    const slow = first.assign('Slow', 's');
    const quick = first.assign('Quick', 'q', { idempotencyKey: 'once' });
    await Promise.all([slow.accepted, quick.accepted]);
    await clock.advance(0);
    await expect(quick.result).resolves.toBe('quick q');
    await crash(first, store1);
    expect(release).not.toBeNull();

    const store2 = sqliteStore(file);
    const later = new ManualClock(clock.now());
    const second = new Sequence({ plan, store: store2, clock: later, sites: 1 }).start();
    await later.advance(0);
    await expect(second.result(slow.id)).resolves.toBe('done s');
    expect(started).toEqual(['s#1', 's#2']);
    await expect(second.result(quick.id)).resolves.toBe('quick q');
    const again = second.assign('Quick', 'q', { idempotencyKey: 'once' });
    expect(again.id).toBe(quick.id);
    await expect(again.result).resolves.toBe('quick q');
    await second.flush();
    expect(store2.result(slow.id)!.attempts.map((a) => a.outcome)).toEqual(['interrupted', 'succeeded']);
    await second.shutdown();
  });

  it('refuses content it cannot store at assign, naming the path; accepted resolves once committed', async () => {
    const plan = createPlan({ Echo: (content: unknown) => content });
    const sequence = new Sequence({ plan, store: sqliteStore(tempFile()), sites: 1 });
    expect(() => sequence.assign('Echo', { when: new Date() })).toThrow(expect.objectContaining({ name: 'SerializationError', path: 'content.when' }));
    expect(() => sequence.assign('Echo', 1, { then: { name: 'Echo', contentFrom: (x: unknown) => x } })).toThrow(expect.objectContaining({ path: 'then[0].contentFrom' }));
    const handle = sequence.assign('Echo', { fine: [1, 2] });
    await expect(handle.accepted).resolves.toBeUndefined();
    await sequence.shutdown();
  });

  it('keeps exhausted failures as dead letters with their history, and redrives them with provenance', async () => {
    const clock = new ManualClock();
    let healthy = false;
    const plan = createPlan({
      Pay: {
        run: (_content: unknown) => {
          if (!healthy) throw new Error('gateway down');
          return 'paid';
        },
        retry: { attempts: 2, initialDelay: 10, jitter: 'none' },
      },
    });
    const store = memoryStore();
    const sequence = new Sequence({ plan, store, clock, sites: 1 }).start();
    const handle = sequence.assign('Pay', { amount: 5 });
    handle.result.catch(() => undefined);
    await clock.advance(10);
    await expect(handle.result).rejects.toThrow(/gateway down/);
    const dead = sequence.deadLetters().letters;
    expect(dead.map((d) => [d.action.id, d.result.attempts.length])).toEqual([[handle.id, 2]]);
    healthy = true;
    const [redriven] = sequence.redrive([handle.id]);
    expect(redriven!.provenance).toMatchObject({ redriveOf: handle.id });
    await clock.advance(0);
    await expect(redriven!.result).resolves.toBe('paid');
    expect(sequence.deadLetters().letters).toEqual([]);
    expect(() => sequence.redrive(['nope'])).toThrow(/dead letters/);
    await sequence.shutdown();
  });

  it('keeps a redriven action\'s provenance across a restart', async () => {
    const file = tempFile();
    const clock = new ManualClock();
    let down = true;
    const plan = createPlan({
      Pay: {
        run: (_content: unknown): Promise<string> => {
          if (down) throw new Error('down');
          return new Promise(() => undefined); // still running when the test looks at it
        },
        retry: { attempts: 1 },
      },
    });
    const store1 = sqliteStore(file);
    const first = new Sequence({ plan, store: store1, clock, sites: 1 }).start();
    const failed = first.assign('Pay', { amount: 5 });
    failed.result.catch(() => undefined);
    await clock.advance(0);
    first.pause();
    const [redriven] = first.redrive([failed.id]);
    await redriven!.accepted;
    await crash(first, store1);

    down = false;
    const store2 = sqliteStore(file);
    const later = new ManualClock();
    const second = new Sequence({ plan, store: store2, clock: later, sites: 1 }).start();
    expect(second.get(redriven!.id)?.provenance).toEqual({ redriveOf: failed.id });
    const stopped = second.shutdown({ deadline: 0 });
    await later.runAll(); // the cancel grace of the running attempt is a clock timer
    await stopped;
  });

  it('restores a delayed action at its stored notBefore, and prunes settled rows by count', async () => {
    const file = tempFile();
    const clock = new ManualClock();
    const calls: number[] = [];
    let now = () => clock.now();
    const plan = createPlan({ Later: (_content: unknown) => calls.push(now()) });
    const store1 = sqliteStore(file);
    const first = new Sequence({ plan, store: store1, clock, sites: 1 }).start();
    const handle = first.assign('Later', null, { delay: 500 });
    for (let i = 0; i < 3; i++) first.assign('Later', null);
    await clock.advance(200);
    await crash(first, store1);
    calls.length = 0;
    const later = new ManualClock(200);
    now = () => later.now();
    const store2 = sqliteStore(file);
    const second = new Sequence({ plan, store: store2, clock: later, sites: 1, retention: { maxCount: 1 } }).start();
    await later.advance(299);
    expect(calls).toEqual([]);
    await later.advance(1);
    expect(calls).toEqual([500]);
    await expect(second.result(handle.id)).resolves.toBe(1);
    await second.flush();
    // The restart pruned the three settled rows down to one; the delayed action settled since: one more to drop.
    expect(store2.prune({ maxCount: 1 }, later.now())).toBe(1);
    await second.shutdown();
  });

  it("keeps what a function reported (progress, logs, bounded as in memory) across a restart: the restored action shows it", async () => {
    const file = tempFile();
    const clock = new ManualClock();
    let open!: (value: string) => void;
    const gate = new Promise<string>((resolve) => (open = resolve));
    const plan = createPlan({
      Report: (_content: null, ctx) => {
        if (ctx.attempt === 1) {
          ctx.progress({ done: 1, of: 2 });
          for (let i = 1; i <= 5; i++) ctx.log(`line ${i}`, { i });
          return new Promise<string>(() => undefined); // cut off by the crash
        }
        ctx.log('again');
        return gate;
      },
    });
    const activity = { maxLogs: 3 };
    const store1 = sqliteStore(file);
    const first = new Sequence({ plan, store: store1, clock, sites: 1, activity }).start();
    const handle = first.assign('Report', null);
    await clock.advance(0);
    expect(handle.getSnapshot().context).toMatchObject({ progress: { done: 1, of: 2 }, logsDropped: 2 });
    await crash(first, store1);

    const store2 = sqliteStore(file);
    const [live] = store2.live();
    expect(live!.activity).toEqual({
      progress: { done: 1, of: 2 },
      logs: [3, 4, 5].map((i) => ({ at: 0, attempt: 1, message: `line ${i}`, data: { i } })),
      logsDropped: 2,
    });
    const later = new ManualClock(clock.now());
    const second = new Sequence({ plan, store: store2, clock: later, sites: 1, activity }).start();
    const restored = second.get(handle.id)!;
    // Attempt 2 runs and logs one line more: the bound goes on from the restored lines.
    expect(restored.getSnapshot().context).toMatchObject({ progress: { done: 1, of: 2 }, logsDropped: 3, logs: [{ message: 'line 4' }, { message: 'line 5' }, { message: 'again', attempt: 2 }] });
    open('reported');
    await expect(restored.result).resolves.toBe('reported');
    await second.shutdown();
  });

  it.each([
    ['exhausted', ['Gateway', 'Exhausted']],
    ['failed', ['Gateway', 'Exhausted', 'Once']],
    ['none', []],
    [(failure: { exhausted: boolean }) => !failure.exhausted, ['Once']],
  ] as const)('dead-letters the failures its deadLetter policy (%s) chooses, and settles the others as failed', async (deadLetter, expected) => {
    const clock = new ManualClock();
    const plan = createPlan({
      Gateway: { run: () => Promise.reject(new Error('gateway down')), retry: { attempts: 2, initialDelay: 10, jitter: 'none' } },
      Exhausted: { run: () => Promise.reject(new Error('no')), retry: { attempts: 1 } },
      Once: { run: () => Promise.reject(new Error('refused')), retry: { attempts: 3, nonRetryable: ['Error'] } },
    });
    const store = memoryStore();
    const sequence = new Sequence({ plan, store, clock, sites: 1, deadLetter }).start();
    const handles = (['Gateway', 'Exhausted', 'Once'] as const).map((name) => sequence.assign(name, undefined as never));
    for (const handle of handles) handle.result.catch(() => undefined);
    await clock.advance(10);
    await clock.advance(0);
    expect(sequence.deadLetters().letters.map((letter) => letter.action.name)).toEqual(expected);
    for (const handle of handles) expect(store.result(handle.id)?.status).toBe('failed');
    await sequence.shutdown();
  });
});
