import { invalid } from './validate.js';

/**
 * Time, injected. Every timer in Echo (start delays, backoff, attempt and total
 * timeouts, cancel grace, shutdown deadlines, aging) goes through a `Clock`, so a
 * test can drive time with {@link ManualClock} or XState's `SimulatedClock`.
 *
 * The shape is the one XState's `clock` option takes (`setTimeout`/`clearTimeout`)
 * plus `now()`, so one clock serves Echo's own timers and XState actors alike.
 */
export interface Clock {
  /** Milliseconds on this clock's time line. */
  now(): number;
  /**
   * Calls `fn` once after `ms`. A non-finite `ms` (e.g. `Infinity` for "no
   * timeout") never fires: Echo's machines use it for optional timers.
   */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer made by `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/** A random source in [0, 1). Injected wherever jitter or stealing picks a number. */
export type RandomSource = () => number;

const NEVER = Symbol('echo.never');
/** Node's own timers cap at 2^31-1 ms and fire *at once* past it. */
const MAX_NODE_DELAY = 2_147_483_647;

interface LongTimer {
  handle: ReturnType<typeof globalThis.setTimeout> | undefined;
}

/**
 * The wall clock. Delays longer than Node's limit are chained rather than
 * fired early; non-finite delays never fire.
 * @example
 * const handle = systemClock.setTimeout(() => {}, 10);
 * systemClock.clearTimeout(handle);
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    if (!Number.isFinite(ms)) return NEVER;
    if (ms <= MAX_NODE_DELAY) return globalThis.setTimeout(fn, Math.max(0, ms));
    const timer: LongTimer = { handle: undefined };
    const due = Date.now() + ms;
    const arm = (): void => {
      const left = due - Date.now();
      timer.handle = globalThis.setTimeout(left > MAX_NODE_DELAY ? arm : fn, Math.min(left, MAX_NODE_DELAY));
    };
    arm();
    return timer;
  },
  clearTimeout(handle) {
    if (handle === NEVER || handle === undefined || handle === null) return;
    if (typeof handle === 'object' && 'handle' in (handle as object)) {
      globalThis.clearTimeout((handle as LongTimer).handle);
      return;
    }
    globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>);
  },
};

interface ManualTimer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

/**
 * A clock for tests: time moves only when told. Timers fire in due order (ties
 * in scheduling order); `advance` lets promise callbacks run between timers, so
 * async work scheduled by one timer is done before the next timer fires.
 * Backed by a binary heap: 100k pending timers cost O(log n) each.
 * @example
 * const clock = new ManualClock();
 * let fired = false;
 * clock.setTimeout(() => { fired = true; }, 50);
 * await clock.advance(50); // fired === true
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  #heap: ManualTimer[] = [];
  #cancelled = new Set<number>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#nextId++;
    if (!Number.isFinite(ms)) return id;
    this.#push({ id, due: this.#now + Math.max(0, ms), fn });
    return id;
  }

  /** Cancels a timer made by `setTimeout`. */
  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.#cancelled.add(handle);
  }

  /** How many timers are still waiting to fire. */
  get pending(): number {
    let count = 0;
    for (const timer of this.#heap) if (!this.#cancelled.has(timer.id)) count++;
    return count;
  }

  /** When the next live timer is due, or `undefined` when none waits. */
  nextDue(): number | undefined {
    this.#dropCancelledTop();
    return this.#heap[0]?.due;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due, in order,
   * and letting pending promise callbacks settle before and after each one.
   */
  async advance(ms: number): Promise<void> {
    if (!(typeof ms === 'number' && ms >= 0)) throw invalid('ms', 'a number >= 0', ms);
    const target = this.#now + ms;
    await flushMicrotasks();
    for (;;) {
      this.#dropCancelledTop();
      const next = this.#heap[0];
      if (next === undefined || next.due > target) break;
      this.#pop();
      this.#now = Math.max(this.#now, next.due);
      next.fn();
      await flushMicrotasks();
    }
    this.#now = target;
    await flushMicrotasks();
  }

  /** Advances to each next timer until none is left or `limit` ms have passed. */
  async runAll(limit = 24 * 60 * 60 * 1000): Promise<void> {
    const end = this.#now + limit;
    await flushMicrotasks();
    for (let due = this.nextDue(); due !== undefined && due <= end; due = this.nextDue()) {
      await this.advance(due - this.#now);
    }
    await flushMicrotasks();
  }

  #dropCancelledTop(): void {
    while (this.#heap.length > 0 && this.#cancelled.has(this.#heap[0]!.id)) {
      this.#cancelled.delete(this.#pop()!.id);
    }
  }

  #less(a: ManualTimer, b: ManualTimer): boolean {
    return a.due < b.due || (a.due === b.due && a.id < b.id);
  }

  #push(timer: ManualTimer): void {
    const heap = this.#heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #pop(): ManualTimer | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.#less(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && this.#less(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) break;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
    return top;
  }
}

/**
 * Lets every queued promise callback run: one `setImmediate` turn comes only
 * after the whole microtask queue has drained. No wall-clock time is waited on.
 */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else globalThis.setTimeout(resolve, 0);
  });
}
