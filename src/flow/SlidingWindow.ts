/**
 * A sliding-window log: at most `limit` starts in any `interval` ms long window.
 *
 * Why a sliding window and not a token bucket: a bucket of `limit` tokens refilled at
 * `limit / interval` lets a full bucket go at once and the refill follow, so a window of
 * `interval` ms can see up to about `2 × limit` starts. An API that says "10 requests per
 * second" counts requests in windows; the log holds the start times themselves, so the limit
 * holds for every window, exactly, and the next free slot is known (the oldest start +
 * `interval`), so a held action waits on one timer, never a poll.
 *
 * Starts at the same time share one entry (a time and a count): a clock of millisecond
 * resolution under a limit far above the load logs ~one entry per millisecond, not one per
 * start, so the log's memory is O(distinct start times in the last interval), at most `limit`
 * entries (grown on demand).
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
  /** Entries oldest first from `head`, in a ring: a start time and how many starts it had. */
  #times = new Float64Array(8);
  #counts = new Float64Array(8);
  #head = 0;
  #entries = 0;
  /** Starts in the log (the sum of the entries' counts). */
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
    this.#size++;
    const entries = this.#entries;
    if (entries > 0) {
      const last = (this.#head + entries - 1) % this.#times.length;
      if (this.#times[last] === now) {
        this.#counts[last]!++;
        return; // same time as the newest start: nothing can have expired since it was logged
      }
    }
    this.#expire(now);
    if (this.#entries === this.#times.length) this.#grow();
    const at = (this.#head + this.#entries) % this.#times.length;
    this.#times[at] = now;
    this.#counts[at] = 1;
    this.#entries++;
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
    // The start with `over` older ones must leave the window first: find the entry that holds it.
    const times = this.#times;
    let passed = 0;
    for (let i = 0; ; i++) {
      const at = (this.#head + i) % times.length;
      passed += this.#counts[at]!;
      if (passed > over) return times[at]! + this.interval;
    }
  }

  #expire(now: number): void {
    const times = this.#times;
    while (this.#entries > 0 && times[this.#head]! + this.interval <= now) {
      this.#size -= this.#counts[this.#head]!;
      this.#head = (this.#head + 1) % times.length;
      this.#entries--;
    }
  }

  #grow(): void {
    const oldTimes = this.#times;
    const oldCounts = this.#counts;
    const length = Math.min(Math.max(8, oldTimes.length * 2), Math.max(this.limit, 8));
    const times = new Float64Array(length);
    const counts = new Float64Array(length);
    for (let i = 0; i < this.#entries; i++) {
      const at = (this.#head + i) % oldTimes.length;
      times[i] = oldTimes[at]!;
      counts[i] = oldCounts[at]!;
    }
    this.#times = times;
    this.#counts = counts;
    this.#head = 0;
  }
}
