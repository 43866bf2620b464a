/**
 * A clock reading the current synchronous step already made, lent to the START a Site sends
 * next in that step, so the START needs no clock read of its own. An action assigned to an
 * idle Site starts inside `assign` (the time it was assigned at is the time it starts at), and
 * a Site that gives a slot back takes its next action inside the settling step (the time it
 * settled at). No user code runs between the reading and the START it is lent to: the lender
 * takes it back when its step returns, and a Site clears it before a Site behaviour runs.
 * A clock read costs more than it seems: ~25 ns on a plain Linux box, ~250 ns where the
 * system call is not served in user space (some containers), against ~2.5 µs per action.
 * @internal
 */
import type { Clock } from '../clock.js';

export class StepTime {
  readonly #clock: Clock;
  #lent: number | null = null;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** `at` is the time now, for the next {@link take} of this synchronous step (until {@link clear}). */
  lend(at: number): void {
    this.#lent = at;
  }

  /** The lender's step returns (or user code is about to run): the lent time is over. */
  clear(): void {
    this.#lent = null;
  }

  /** The lent time, once; else a fresh read of the clock. */
  take(): number {
    const lent = this.#lent;
    if (lent === null) return this.#clock.now();
    this.#lent = null;
    return lent;
  }
}
