/**
 * Invariants under a large randomized load, on a simulated clock: every assigned
 * action ends in exactly one terminal state, every handle settles once, the event
 * stream agrees with the handles, and shutdown under load loses nothing.
 */
import { describe, expect, it } from 'vitest';
import { CancellationError, createPlan, License, ManualClock, Sequence, type ActionHandle, type EchoEvent } from '../src/index.js';
import { clockSleep } from './support/clockSleep.js';
import { seededRandom } from '../src/random.js';

type Script =
  | { kind: 'succeed'; after: number }
  | { kind: 'fail'; times: number; after: number }
  | { kind: 'hang'; honour: boolean };

function makeWorkload(clock: ManualClock) {
  const failures = new Map<string, number>();
  return createPlan({
    Work: {
      run: async (script: Script, ctx) => {
        if (script.kind === 'hang') {
          await clockSleep(clock, 1e9, ctx.signal, !script.honour);
          return 'never';
        }
        await clockSleep(clock, script.after, ctx.signal);
        if (script.kind === 'fail') {
          const failed = failures.get(ctx.action) ?? 0;
          if (failed < script.times) {
            failures.set(ctx.action, failed + 1);
            throw new Error(`scripted failure ${failed + 1}`);
          }
        }
        return ctx.action;
      },
      retry: { attempts: 3, initialDelay: 5, maxDelay: 40, jitter: 'full' },
      timeout: { attempt: 200 },
      cancelGrace: 20,
    },
  });
}

interface Outcome {
  status: 'done' | 'failed' | 'cancelled';
  settlements: number;
}

function track(handle: ActionHandle, outcomes: Map<string, Outcome>): void {
  handle.result.then(
    () => record(handle.id, 'done', outcomes),
    (error: unknown) => record(handle.id, error instanceof CancellationError ? 'cancelled' : 'failed', outcomes),
  );
}

function record(id: string, status: Outcome['status'], outcomes: Map<string, Outcome>): void {
  const known = outcomes.get(id);
  if (known === undefined) outcomes.set(id, { status, settlements: 1 });
  else known.settlements++;
}

function terminalEvents(events: EchoEvent[]): Map<string, string[]> {
  const terminal = new Map<string, string[]>();
  for (const event of events) {
    if (event.type !== 'done' && event.type !== 'failed' && event.type !== 'cancelled') continue;
    const list = terminal.get(event.actionId) ?? [];
    list.push(event.type);
    terminal.set(event.actionId, list);
  }
  return terminal;
}

describe.each(['table', 'xstate'] as const)('invariants (%s engine)', (engine) => {
  const count = engine === 'table' ? 100_000 : 5_000;

  it(`${count} random actions across 4 Sites: one terminal state each, handles agree with events`, async () => {
    const clock = new ManualClock();
    const random = seededRandom(42);
    const sequence = new Sequence({ plan: makeWorkload(clock), clock, random, sites: 4, concurrency: 8, engine });
    const events: EchoEvent[] = [];
    sequence.events$.subscribe((event) => events.push(event));
    sequence.start();
    const licenses = Array.from({ length: 20 }, (_, i) => new License(`group-${i}`));
    const outcomes = new Map<string, Outcome>();
    const handles: ActionHandle[] = [];
    for (let i = 0; i < count; i++) {
      const roll = random();
      const script: Script =
        roll < 0.55 ? { kind: 'succeed', after: Math.floor(random() * 50) } :
        roll < 0.8 ? { kind: 'fail', times: Math.floor(random() * 4), after: Math.floor(random() * 30) } :
        { kind: 'hang', honour: random() < 0.5 };
      const license = random() < 0.1 ? licenses[Math.floor(random() * licenses.length)] : undefined;
      const handle = sequence.assign('Work', script, {
        priority: (['high', 'normal', 'low'] as const)[Math.floor(random() * 3)]!,
        ...(license !== undefined && { license }),
        ...(random() < 0.05 && { delay: Math.floor(random() * 100) }),
      });
      handles.push(handle);
      track(handle, outcomes);
      if (random() < 0.1) clock.setTimeout(() => handle.cancel('user'), Math.floor(random() * 2000));
    }
    licenses.slice(0, 5).forEach((license, i) => clock.setTimeout(() => license.revoke('test'), 100 * (i + 1)));

    await clock.runAll();

    expect(handles.every((handle) => handle.settled)).toBe(true);
    expect(outcomes.size).toBe(count);
    for (const outcome of outcomes.values()) expect(outcome.settlements).toBe(1);
    const terminal = terminalEvents(events);
    expect(terminal.size).toBe(count);
    const mismatches = handles.filter((handle) => {
      const types = terminal.get(handle.id) ?? [];
      return types.length !== 1 || types[0] !== outcomes.get(handle.id)?.status || handle.getSnapshot().value !== types[0];
    });
    expect(mismatches.map((h) => h.id)).toEqual([]);
    const counts = { done: 0, failed: 0, cancelled: 0 };
    for (const outcome of outcomes.values()) counts[outcome.status]++;
    expect(counts.done).toBeGreaterThan(count * 0.4);
    expect(counts.failed).toBeGreaterThan(0);
    expect(counts.cancelled).toBeGreaterThan(0);
    const stats = sequence.stats();
    expect({ done: stats.done, failed: stats.failed, cancelled: stats.cancelled, live: stats.live }).toEqual({ ...counts, live: 0 });
    const report = await sequence.shutdown({ deadline: 0 });
    expect(report.assigned).toBe(count);
    expect(report.unfinished).toEqual([]);
  }, 120_000);

  it('shutdown during load loses nothing: finished + unfinished = assigned', async () => {
    const clock = new ManualClock();
    const random = seededRandom(7);
    const sequence = new Sequence({ plan: makeWorkload(clock), clock, random, sites: 4, concurrency: 2, engine });
    sequence.start();
    const handles: ActionHandle[] = [];
    const outcomes = new Map<string, Outcome>();
    for (let i = 0; i < 2_000; i++) {
      const roll = random();
      const script: Script = roll < 0.7 ? { kind: 'succeed', after: 1 + Math.floor(random() * 20) } : roll < 0.9 ? { kind: 'fail', times: 2, after: 5 } : { kind: 'hang', honour: random() < 0.5 };
      const handle = sequence.assign('Work', script);
      handles.push(handle);
      track(handle, outcomes);
    }
    await clock.advance(300);
    const shutdown = sequence.shutdown({ deadline: 500 });
    expect(() => sequence.assign('Work', { kind: 'succeed', after: 1 })).toThrow(CancellationError);
    await clock.runAll();
    const report = await shutdown;
    expect(report.assigned).toBe(2_000);
    expect(report.finished).toBeGreaterThan(0);
    expect(report.unfinished.length).toBeGreaterThan(0);
    expect(report.finished + report.unfinished.length).toBe(report.assigned);
    expect(handles.every((handle) => handle.settled)).toBe(true);
    for (const unfinished of report.unfinished) {
      expect(outcomes.get(unfinished.record!.id)?.status).toBe('cancelled');
      expect(unfinished.record!.name).toBe('Work');
    }
    const reasons = handles.filter((h) => h.getSnapshot().context.cancellation?.reason === 'shutdown').length;
    expect(reasons).toBe(report.unfinished.length);
  }, 60_000);
});
