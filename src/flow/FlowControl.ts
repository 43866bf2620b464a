/**
 * Flow control of a Sequence: rate limits per queue and per action name, a concurrency limit
 * per action name across all of its Sites, and pauses asked for by a `RateLimitError`.
 *
 * Every Site asks it (the `SiteGate` seam of `src/work/Site.ts`):
 * - before taking from a queue, whether the queue is open (its rate has a free slot and it is
 *   not paused); a closed queue keeps its actions, and a Site that finds nothing else to do
 *   parks here, woken by one clock timer when the next slot frees;
 * - after taking an action, whether its name may start now. If not, the action is held here,
 *   in `queued`, in arrival order (the inspector is told why and until when); when a slot frees
 *   (a timer for a rate or a pause, a release for concurrency) the oldest held action gets the
 *   slot promised to it and goes back to its queue, which wakes a parked Site. Nothing polls.
 *
 * A start counts against a rate when a Site takes the action to run (each attempt, retries
 * included); a concurrency slot is held from that moment until the Site gives the action's
 * slot back (it settled, or it waits for a retry).
 * @internal
 */
import type { ActionRun } from '../action/ActionRun.js';
import type { Clock } from '../clock.js';
import { isInstance, RateLimitError } from '../errors.js';
import type { ResolvedLimits } from './limits.js';
import { SlidingWindow } from './SlidingWindow.js';
import type { WaitingForFlow } from '../inspect/protocol.js';

/** Why a held action waits, as the inspector shows it (in the action's context as `waitingFor`). */
export type FlowWait = Readonly<WaitingForFlow>;

/** One limited name or queue, as `stats()` shows it. */
export interface FlowKeyStats {
  /** Actions held back, waiting for a slot. */
  readonly held: number;
  /** Attempts of this name running now (names with a concurrency limit). */
  readonly running: number;
  /** Starts allowed now by the rate (Infinity without one). */
  readonly available: number;
  /** When the next slot frees, or null. */
  readonly nextSlotAt: number | null;
  /** Paused by a RateLimitError until then, or null. */
  readonly pausedUntil: number | null;
}

export interface FlowServices {
  readonly clock: Clock;
  /** Puts an action back into its queue. */
  enqueue(run: ActionRun): void;
  /** Tells the inspector why an action waits (`null`: it no longer does). */
  annotate(run: ActionRun, wait: FlowWait | null): void;
}

/** Bits of `ActionRun.flowMark`: it holds a concurrency slot, was promised a slot, is held here. */
const PERMIT = 1;
const PASS = 2;
const HELD = 4;

class KeyState {
  readonly key: string;
  readonly window: SlidingWindow | null;
  readonly concurrency: number;
  running = 0;
  /** Slots of the window promised to held actions on their way back to a Site. */
  reserved = 0;
  pausedUntil = -Infinity;
  /** Held actions, oldest first, from `head` on (a run no longer held is skipped). */
  held: ActionRun[] = [];
  head = 0;
  timer: unknown = null;
  timerAt = Infinity;
  /** Sites parked on this (closed) queue. */
  readonly wakes = new Map<string, () => void>();

  constructor(key: string, rate: { limit: number; interval: number } | null, concurrency: number) {
    this.key = key;
    this.window = rate === null ? null : new SlidingWindow(rate.limit, rate.interval);
    this.concurrency = concurrency;
  }
}

export class FlowControl {
  readonly #services: FlowServices;
  readonly #names = new Map<string, KeyState>();
  readonly #queues = new Map<string, KeyState>();

  constructor(limits: ResolvedLimits, services: FlowServices) {
    this.#services = services;
    for (const [name, limit] of limits.actions) this.#names.set(name, new KeyState(`name:${name}`, limit.rate, limit.concurrency));
    for (const [name, limit] of limits.queues) this.#queues.set(name, new KeyState(`queue:${name}`, limit.rate, Infinity));
  }

  /** Whether a Site may take from `queue` now. */
  open(queue: string): boolean {
    const state = this.#queues.get(queue);
    if (state === undefined) return true;
    const window = state.window;
    // Never paused and room in the window: open, without a clock read.
    if (state.pausedUntil === -Infinity && (window === null || window.logged < window.limit)) return true;
    const now = this.#services.clock.now();
    return now >= state.pausedUntil && (window === null || window.available(now) > 0);
  }

  /** A Site that found `queue` closed waits for it to open. */
  park(queue: string, siteId: string, wake: () => void): void {
    const state = this.#queues.get(queue);
    if (state === undefined) return;
    state.wakes.set(siteId, wake);
    this.#arm(state, this.#services.clock.now());
  }

  unpark(siteId: string): void {
    for (const state of this.#queues.values()) state.wakes.delete(siteId);
  }

  /** A Site took `run`: true when it may start now; false when it is held here (the Site takes the next one). */
  admit(run: ActionRun): boolean {
    const name = this.#names.get(run.name);
    const queue = this.#queues.get(run.queue);
    if (name === undefined && queue === undefined) return true;
    const now = this.#services.clock.now();
    if (name !== undefined) {
      const mark = run.flowMark;
      if ((mark & PASS) !== 0) {
        run.flowMark = mark & ~PASS;
        name.reserved--;
        if (now < name.pausedUntil) {
          // Paused after its slot was promised (a RateLimitError meanwhile): it waits first in line.
          this.#releasePermit(run, name);
          this.#hold(name, run, now, true);
          return false;
        }
        name.window?.record(now);
      } else if ((mark & PERMIT) === 0) {
        if (name.held.length > name.head || name.reserved > 0 || !this.#free(name, now, 0)) {
          this.#hold(name, run, now, false);
          return false;
        }
        if (name.concurrency !== Infinity) {
          name.running++;
          run.flowMark = mark | PERMIT;
        }
        name.window?.record(now);
      }
      // else: it kept its slot through a Site crash or a redirect, and its start was counted then.
    }
    queue?.window?.record(now);
    return true;
  }

  /** The Site gave `run`'s slot back (settled, or waiting for a retry): its concurrency slot frees. */
  released(run: ActionRun): void {
    if ((run.flowMark & PERMIT) === 0) return;
    const name = this.#names.get(run.name)!;
    this.#releasePermit(run, name);
    this.#drain(name);
  }

  /** `run` settled: it is held no more, and any slot promised to it frees. */
  settled(run: ActionRun): void {
    const mark = run.flowMark;
    if (mark === 0) return;
    const name = this.#names.get(run.name)!;
    run.flowMark = 0;
    if ((mark & HELD) !== 0) this.#services.annotate(run, null);
    if ((mark & PASS) !== 0) name.reserved--;
    if ((mark & PERMIT) !== 0) name.running--;
    this.#drain(name);
  }

  /** An attempt threw a RateLimitError: its name (or queue) pauses for `retryAfter` ms. */
  rateLimited(run: ActionRun, error: RateLimitError): void {
    const now = this.#services.clock.now();
    const state = error.scope === 'queue' ? this.#queueState(run.queue) : this.#nameState(run.name);
    state.pausedUntil = Math.max(state.pausedUntil, now + error.retryAfter);
    this.#arm(state, now);
  }

  /** Every limited or paused name and queue. */
  stats(): { names: Record<string, FlowKeyStats>; queues: Record<string, FlowKeyStats> } {
    const now = this.#services.clock.now();
    const names: Record<string, FlowKeyStats> = {};
    const queues: Record<string, FlowKeyStats> = {};
    for (const [name, state] of this.#names) names[name] = this.#statsOf(state, now);
    for (const [name, state] of this.#queues) queues[name] = this.#statsOf(state, now);
    return { names, queues };
  }

  /** Cancels every timer (the Sequence stopped). */
  stop(): void {
    for (const state of [...this.#names.values(), ...this.#queues.values()]) this.#disarm(state);
  }

  #statsOf(state: KeyState, now: number): FlowKeyStats {
    let held = 0;
    for (let i = state.head; i < state.held.length; i++) if ((state.held[i]!.flowMark & HELD) !== 0) held++;
    const paused = now < state.pausedUntil;
    const blockedUntil = this.#nextSlot(state, now);
    return {
      held,
      running: state.running,
      available: state.window === null ? Infinity : Math.max(0, state.window.available(now) - state.reserved),
      nextSlotAt: blockedUntil === now ? null : blockedUntil,
      pausedUntil: paused ? state.pausedUntil : null,
    };
  }

  #nameState(name: string): KeyState {
    let state = this.#names.get(name);
    if (state === undefined) this.#names.set(name, (state = new KeyState(`name:${name}`, null, Infinity)));
    return state;
  }

  #queueState(queue: string): KeyState {
    let state = this.#queues.get(queue);
    if (state === undefined) this.#queues.set(queue, (state = new KeyState(`queue:${queue}`, null, Infinity)));
    return state;
  }

  #free(state: KeyState, now: number, reserved: number): boolean {
    return now >= state.pausedUntil && state.running < state.concurrency && (state.window === null || state.window.logged + reserved < state.window.limit || state.window.available(now) - reserved > 0);
  }

  /** When `state` next allows a start (`now` when it does now); null when only a release can free it. */
  #nextSlot(state: KeyState, now: number): number | null {
    if (now < state.pausedUntil) return state.pausedUntil;
    if (state.window !== null) {
      const at = state.window.nextSlotAt(now, state.reserved);
      if (at > now) return at;
    }
    return state.running < state.concurrency ? now : null;
  }

  #hold(state: KeyState, run: ActionRun, now: number, first: boolean): void {
    run.flowMark |= HELD;
    if (first && state.head > 0) state.held[--state.head] = run;
    else if (first) state.held.unshift(run);
    else state.held.push(run);
    this.#annotate(state, run, now);
    this.#arm(state, now);
  }

  #annotate(state: KeyState, run: ActionRun, now: number): void {
    const until = this.#nextSlot(state, now);
    const reason = now < state.pausedUntil ? 'RateLimitError pause' : state.running >= state.concurrency ? 'concurrency limit' : 'rate limit';
    this.#services.annotate(run, { reason, key: state.key, until: until === now ? null : until });
  }

  #releasePermit(run: ActionRun, state: KeyState): void {
    if ((run.flowMark & PERMIT) === 0) return;
    run.flowMark &= ~PERMIT;
    state.running--;
  }

  /** Promises free slots to the oldest held actions and sends them back to their queues. */
  #drain(state: KeyState): void {
    const now = this.#services.clock.now();
    const held = state.held;
    while (state.head < held.length && this.#free(state, now, state.reserved)) {
      const run = held[state.head]!;
      held[state.head++] = undefined as never;
      if ((run.flowMark & HELD) === 0) continue; // settled while held
      run.flowMark = (run.flowMark & ~HELD) | PASS;
      if (state.concurrency !== Infinity) {
        state.running++;
        run.flowMark |= PERMIT;
      }
      state.reserved++;
      this.#services.annotate(run, null);
      this.#services.enqueue(run);
    }
    if (state.head === held.length) {
      state.held = [];
      state.head = 0;
    } else if (state.head > 1024 && state.head * 2 > held.length) {
      state.held = held.slice(state.head);
      state.head = 0;
    }
    this.#arm(state, now);
  }

  /** One timer per name or queue, at the time its next slot frees, while someone waits for it. */
  #arm(state: KeyState, now: number): void {
    const waiting = state.held.length > state.head || state.wakes.size > 0;
    const at = waiting ? this.#nextSlot(state, now) : null;
    if (at === null || at <= now) {
      this.#disarm(state);
      if (at !== null && waiting) queueMicrotask(() => this.#fire(state));
      return;
    }
    if (state.timer !== null && state.timerAt === at) return;
    this.#disarm(state);
    state.timerAt = at;
    state.timer = this.#services.clock.setTimeout(() => {
      state.timer = null;
      state.timerAt = Infinity;
      this.#fire(state);
    }, at - now);
  }

  #disarm(state: KeyState): void {
    if (state.timer === null) return;
    this.#services.clock.clearTimeout(state.timer);
    state.timer = null;
    state.timerAt = Infinity;
  }

  #fire(state: KeyState): void {
    if (state.wakes.size > 0) {
      const wakes = [...state.wakes.values()];
      state.wakes.clear();
      for (const wake of wakes) wake();
    }
    this.#drain(state);
  }
}

/** The RateLimitError an attempt failed with, itself or in its cause chain (a few links deep), or null. */
export function rateLimitErrorIn(error: unknown): RateLimitError | null {
  let link: unknown = error;
  for (let depth = 0; depth < 8 && link !== null && typeof link === 'object'; depth++) {
    if (isInstance(link, RateLimitError)) return link;
    try {
      link = (link as { cause?: unknown }).cause;
    } catch {
      // A thrown Proxy or getter that throws: its chain ends here (user code may throw anything).
      return null;
    }
  }
  return null;
}
