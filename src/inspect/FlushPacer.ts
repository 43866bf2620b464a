/**
 * When the adapter flushes: a first change waits at most the flush interval (changes
 * meanwhile join its batch), and less when the target goes idle first. The batch is
 * complete then, so it is sent on the next turn rather than at the interval's end: a
 * viewer has the last change of a burst at once, and a busy runtime is still batched.
 * @internal
 */
import type { Clock } from '../clock.js';

export class FlushPacer {
  readonly #clock: Clock;
  readonly #interval: number;
  readonly #flush: () => void;
  readonly #whenIdle: (() => Promise<void>) | undefined;
  #timer: unknown;
  /** A flush is scheduled (a batch is open). */
  #scheduled = false;
  /** A `whenIdle` of the target is awaited (one at a time). */
  #watching = false;
  #idleTimer: unknown;
  #idleFlushDue = false;
  #stopped = false;

  constructor(clock: Clock, interval: number, flush: () => void, whenIdle?: () => Promise<void>) {
    this.#clock = clock;
    this.#interval = interval;
    this.#flush = flush;
    this.#whenIdle = whenIdle;
  }

  /** Opens a batch unless one is open (`untilIdle` false: it waits for the interval only). */
  schedule(untilIdle = true): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#timer = this.#clock.setTimeout(this.#flush, this.#interval);
    if (untilIdle && this.#whenIdle !== undefined && !this.#watching) {
      this.#watching = true;
      const onIdle = (): void => this.#onIdle();
      this.#whenIdle().then(onIdle, onIdle);
    }
  }

  /** The batch is being flushed now: its timers are cancelled. */
  flushing(): void {
    if (this.#scheduled) this.#clock.clearTimeout(this.#timer);
    this.#scheduled = false;
    if (this.#idleFlushDue) this.#clock.clearTimeout(this.#idleTimer);
    this.#idleFlushDue = false;
  }

  /** No flush from now on. */
  stop(): void {
    this.#stopped = true;
    this.flushing();
  }

  #onIdle(): void {
    this.#watching = false;
    if (!this.#scheduled || this.#idleFlushDue || this.#stopped) return;
    this.#idleFlushDue = true;
    this.#idleTimer = this.#clock.setTimeout(this.#flush, 0);
  }
}
