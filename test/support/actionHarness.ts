/** Shared set-up of the Action semantics tests: one Sequence per test on a ManualClock, on either engine. */
import { createPlan, ManualClock, Sequence, type EchoEvent, type PlanEntry, type SequenceOptions } from '../../src/index.js';

export const engines = ['table', 'xstate'] as const;

/** A started Sequence (1 Site × 1) with its clock and the events it streamed. */
export function setup(engine: 'table' | 'xstate', entries: Record<string, PlanEntry>, options: Partial<SequenceOptions> = {}) {
  const clock = new ManualClock();
  const sequence = new Sequence({ plan: createPlan(entries), clock, engine, sites: 1, concurrency: 1, random: () => 0.5, ...options });
  const events: EchoEvent[] = [];
  sequence.events$.subscribe((event) => events.push(event));
  sequence.start();
  return { clock, sequence, events };
}

/** Resolves after `ms` on `clock`: a function that takes time, without sleeping. */
export const after = (clock: ManualClock, ms: number): Promise<void> => new Promise((resolve) => clock.setTimeout(resolve, ms));

/** Runs every timer, after letting pending promise callbacks schedule theirs. */
export async function drain(clock: ManualClock): Promise<void> {
  await clock.advance(0);
  await clock.runAll();
}

/** The rejection of `promise` (fails when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Rejects with the signal's reason once it aborts: a function that honours its signal. */
export const untilAborted = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
