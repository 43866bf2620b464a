/**
 * A budget that refills with time: `perInterval` a flush interval, never more than
 * one interval's worth. The adapter sends as soon as its runtime goes idle, so
 * flushes come at any pace; its bounds (new actors taken in, short-lived actors
 * and event ops shipped) are rates, not counts per flush: a viewer gets as much
 * per second whether changes are flushed every millisecond or every interval.
 * @internal
 */
export class RateBudget {
  readonly #perInterval: number;
  readonly #interval: number;
  #level: number;
  #at: number;

  /** Full at `start` (a time on the caller's clock). */
  constructor(perInterval: number, interval: number, start: number) {
    this.#perInterval = perInterval;
    this.#interval = interval;
    this.#level = perInterval;
    this.#at = start;
  }

  /** Whole units left now. */
  get left(): number {
    return Math.floor(this.#level);
  }

  /** Adds what the time since the last refill earned (all of it with a zero interval). */
  refill(now: number): this {
    const last = this.#at;
    this.#at = now;
    const earned = this.#interval === 0 ? this.#perInterval : (this.#perInterval * Math.max(0, now - last)) / this.#interval;
    this.#level = Math.min(this.#perInterval, this.#level + earned);
    return this;
  }

  /** Uses `count` units (at most what is left). */
  spend(count = 1): void {
    this.#level = Math.max(0, this.#level - count);
  }
}
