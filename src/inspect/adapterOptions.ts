/** The adapter's options, declared once with their defaults. */
import { systemClock, type Clock } from '../clock.js';
import type { SanitizeOptions } from './sanitize.js';

/** Options of the inspection adapter (what it sends, how often, how much). */
export interface AdapterOptions {
  /** Clock for timestamps and for scheduling flushes. @default systemClock */
  readonly clock?: Clock;
  /**
   * Milliseconds a first change waits for its flush at most (changes meanwhile join the
   * batch). A target that says when it goes idle (a `Sequence`) is flushed then, sooner. @default 50
   */
  readonly flushInterval?: number;
  /** Finished actors (done, error, stopped) kept; the oldest beyond it are evicted. @default 5000 */
  readonly maxFinished?: number;
  /** Live actors tracked; actors beyond it are not shown (and counted). @default 100000 */
  readonly maxActors?: number;
  /** Event ops per flush interval (a rate: flushes may come sooner); the rest are counted as dropped. @default 500 */
  readonly maxEventsPerFlush?: number;
  /** Steps folded into one `state` op that are kept in its `steps`. @default 8 */
  readonly maxSteps?: number;
  /**
   * Actors that appeared and finished within one batch, shipped per flush interval (a
   * rate: flushes may come sooner); under a flood only the most recent are sent (the
   * rest are counted as dropped and let go), so a viewer gets at most this many
   * short-lived actors 20 times a second. Of the intake, at most this many go to
   * actors at their first change. @default 50
   */
  readonly maxShortLivedPerFlush?: number;
  /**
   * Pulled actors (Echo table-engine actions) taken in per flush interval (a rate). Beyond it, new
   * ones are declined, which costs the runtime nothing: a later flush takes in
   * those still active (oldest first), and those that finished before are only
   * counted as dropped. Bounds the inspector's work under a flood of short
   * actions. @default 500
   */
  readonly maxIntakePerFlush?: number;
  /** Ops in one delta frame at most; a larger flush is sent as several frames. @default 2000 */
  readonly maxOpsPerFrame?: number;
  /** Event ops kept per source for viewers that join late (a ring: the oldest go first). @default 500 */
  readonly maxHistory?: number;
  /** Limits for contexts, outputs, errors and events. */
  readonly sanitize?: SanitizeOptions;
  /** Dead letters of a durable runtime sent at most (the newest; the message says how many there are). @default 500 */
  readonly maxDeadLetters?: number;
  /** Least time between two reads of the dead letters (a store query), ms. @default 250 */
  readonly deadLetterInterval?: number;
}

/** The defaults of {@link AdapterOptions}. */
export const defaultAdapterOptions = {
  clock: systemClock,
  flushInterval: 50,
  maxFinished: 5000,
  maxActors: 100_000,
  maxEventsPerFlush: 500,
  maxSteps: 8,
  maxShortLivedPerFlush: 50,
  maxIntakePerFlush: 500,
  maxHistory: 500,
  maxOpsPerFrame: 2000,
  sanitize: {},
  maxDeadLetters: 500,
  deadLetterInterval: 250,
} satisfies Required<AdapterOptions>;


/** `value` when it is an integer >= 0; otherwise a `TypeError` naming the option and what came. */
export function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new TypeError(`Expected \`${name}\` to be an integer >= 0, got ${String(value)} (${typeof value})`);
  }
  return value;
}

/** The adapter's batching and retention limits, checked in declaration order (the first bad one is named). */
export function resolveAdapterLimits(config: Required<AdapterOptions>) {
  return {
    clock: config.clock,
    flushInterval: nonNegativeInteger('flushInterval', config.flushInterval),
    maxFinished: nonNegativeInteger('maxFinished', config.maxFinished),
    maxActors: nonNegativeInteger('maxActors', config.maxActors),
    maxEvents: nonNegativeInteger('maxEventsPerFlush', config.maxEventsPerFlush),
    maxSteps: nonNegativeInteger('maxSteps', config.maxSteps),
    maxShortLived: nonNegativeInteger('maxShortLivedPerFlush', config.maxShortLivedPerFlush),
    maxIntake: nonNegativeInteger('maxIntakePerFlush', config.maxIntakePerFlush),
    maxHistory: nonNegativeInteger('maxHistory', config.maxHistory),
    maxOpsPerFrame: Math.max(1, nonNegativeInteger('maxOpsPerFrame', config.maxOpsPerFrame)),
  };
}
