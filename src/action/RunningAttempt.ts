/**
 * One call of an action's function, from its start until it actually stops
 * (answers, or throws). A timeout, a cancel or a License revocation only aborts
 * its signal: a function that ignores the signal keeps running. The Site slot it
 * holds, and the retry that follows it, wait for it to stop, or for `cancelGrace`
 * after it was aborted, whichever comes first (see README, "Cancellation").
 * It is the phase the `attempt` invocation owns (and after a cancel, the
 * `attemptStopping` one, which waits for it to stop).
 * @internal
 */
import type { Clock } from '../clock.js';
import type { ActionEvent } from '../../machines/actionTypes.js';
import type { InvocationScope } from '../../machines/positional.js';
import type { ActionRun } from './ActionRun.js';
import { Phase } from './Phase.js';
import type { WorkPiece } from './runTypes.js';

/** What an attempt that has not stopped yet was told: when it was aborted, and who waits for it to stop. */
interface Stopping {
  abortedAt: number | null;
  waiters: (() => void)[] | null;
}

/** `#stopping` once the function stopped (a mark, not a field of its own: one field less per live action). */
const STOPPED: Stopping = Object.freeze({ abortedAt: null, waiters: null });

/**
 * It is also the work piece its run names while the function runs (`run.working`):
 * one object per call, its name made only when read (shutdown's report).
 */
export class RunningAttempt extends Phase implements WorkPiece {
  /** Which call this is (1-based). */
  readonly number: number;
  /** The run it is a call of. */
  readonly run: ActionRun;
  /**
   * Null while it runs unaborted and unwaited for (a plain live action), `STOPPED` once it
   * stopped, else when it was aborted and who waits (made on the first abort or wait).
   */
  #stopping: Stopping | null = null;

  constructor(run: ActionRun, number: number, scope: InvocationScope<ActionEvent>) {
    super(scope);
    this.run = run;
    this.number = number;
  }

  get piece(): 'function' {
    return 'function';
  }

  get name(): string {
    return `attempt ${this.number}`;
  }

  /** True once the function answered or threw: a thenable that calls back twice, or both ways, counts once. */
  get stopped(): boolean {
    return this.#stopping === STOPPED;
  }

  /** When its signal was aborted (timeout, cancel, revocation, shutdown), or null (also once it stopped). */
  get abortedAt(): number | null {
    return this.#stopping?.abortedAt ?? null;
  }

  /** Its signal is aborted at `now` (the first abort counts); nothing once it stopped. */
  noteAborted(now: number): void {
    const stopping = this.#stopping;
    if (stopping === null) this.#stopping = { abortedAt: now, waiters: null };
    else if (stopping !== STOPPED) stopping.abortedAt ??= now;
  }

  /** The function answered or threw: whoever waits goes on. */
  stop(): void {
    const stopping = this.#stopping;
    if (stopping === STOPPED) return;
    this.#stopping = STOPPED;
    const waiters = stopping?.waiters ?? null;
    if (waiters !== null) for (const waiter of waiters) waiter();
  }

  /** True when nobody need wait for it any longer at `now`: it stopped, or its grace after the abort is over. */
  isOver(now: number, grace: number): boolean {
    const abortedAt = this.abortedAt;
    return this.stopped || (abortedAt !== null && now >= abortedAt + grace);
  }

  /**
   * Calls `then` once the function stopped, or `grace` ms after it was aborted
   * (counted from the abort, so a cancel's grace is not given twice), whichever is
   * first; at once when either is already so.
   */
  whenStoppedOrAbandoned(clock: Clock, grace: number, then: () => void): void {
    if (this.stopped) {
      then();
      return;
    }
    const now = clock.now();
    const left = Math.max(0, (this.abortedAt ?? now) + grace - now);
    if (left === 0) {
      then();
      return;
    }
    let called = false;
    const once = (): void => {
      if (called) return;
      called = true;
      clock.clearTimeout(timer);
      then();
    };
    const timer = clock.setTimeout(once, left);
    const stopping = (this.#stopping ??= { abortedAt: null, waiters: null });
    (stopping.waiters ??= []).push(once);
  }
}
