/**
 * A sliding-window log: at most `limit` starts in any `interval` ms long window.
 *
 * Why a sliding window and not a token bucket: a bucket of `limit` tokens refilled at
 * `limit / interval` lets a full bucket go at once and the refill follow, so a window of
 * `interval` ms can see up to about `2 × limit` starts. An API that says "10 requests per
 * second" counts requests in windows; the log holds the start times themselves, so the limit
 * holds for every window, exactly, and the next free slot is known (the oldest start +
 * `interval`), so a held action waits on one timer, never a poll. The price is memory of
 * O(starts in the last interval), at most `limit` numbers (grown on demand).
 * @internal
 * @example
 * const window = new SlidingWindow(2, 1_000);
 * window.record(0); window.record(10);
 * window.available(500); // 0
 * window.nextSlotAt(500); // 1000
 */
export class SlidingWindow {
  readonly limit: number;
  readonly interval: number;
  #times = new Float64Array(8);
  #head = 0;
  #size = 0;

  constructor(limit: number, interval: number) {
    this.limit = limit;
    this.interval = interval;
  }

  /** Starts that may happen at `now` without breaking the limit. */
  available(now: number): number {
    this.#expire(now);
    return this.limit - this.#size;
  }

  /**
   * Starts in the log, expired ones included until a read drops them: while fewer than `limit`,
   * a start is allowed without reading the log or the clock (the common case of a limit far
   * above the load costs one comparison).
   */
  get logged(): number {
    return this.#size;
  }

  /** Counts a start at `now`. */
  record(now: number): void {
    this.#expire(now);
    if (this.#size === this.#times.length) this.#grow();
    this.#times[(this.#head + this.#size) % this.#times.length] = now;
    this.#size++;
  }

  /**
   * When a start is next allowed, given `reserved` starts promised to actions already on their
   * way (each needs a slot of its own): `now` when one is free already.
   */
  nextSlotAt(now: number, reserved = 0): number {
    this.#expire(now);
    const over = this.#size + reserved - this.limit;
    if (over < 0) return now;
    if (over >= this.#size) return now + this.interval; // every slot is promised: the next frees an interval after they start
    return this.#times[(this.#head + over) % this.#times.length]! + this.interval;
  }

  #expire(now: number): void {
    const times = this.#times;
    while (this.#size > 0 && times[this.#head]! + this.interval <= now) {
      this.#head = (this.#head + 1) % times.length;
      this.#size--;
    }
  }

  #grow(): void {
    const old = this.#times;
    const next = new Float64Array(Math.min(Math.max(8, old.length * 2), Math.max(this.limit, 8)));
    for (let i = 0; i < this.#size; i++) next[i] = old[(this.#head + i) % old.length]!;
    this.#times = next;
    this.#head = 0;
  }
}
