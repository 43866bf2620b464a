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

/**
 * It is also the work piece its run names while the function runs (`run.working`):
 * one object per call, its name made only when read (shutdown's report).
 */
export class RunningAttempt extends Phase implements WorkPiece {
  /** Which call this is (1-based). */
  readonly number: number;
  /** The run it is a call of. */
  readonly run: ActionRun;
  /** True once the function answered or threw: a thenable that calls back twice, or both ways, counts once. */
  stopped = false;
  /** When its signal was aborted (timeout, cancel, revocation, shutdown), or null. */
  abortedAt: number | null = null;
  #waiters: (() => void)[] | null = null;

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

  /** The function answered or threw: whoever waits goes on. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const waiters = this.#waiters;
    this.#waiters = null;
    if (waiters !== null) for (const waiter of waiters) waiter();
  }

  /** True when nobody need wait for it any longer at `now`: it stopped, or its grace after the abort is over. */
  isOver(now: number, grace: number): boolean {
    return this.stopped || (this.abortedAt !== null && now >= this.abortedAt + grace);
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
    (this.#waiters ??= []).push(once);
  }
}
