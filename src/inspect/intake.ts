/**
 * How many new pulled actors (Echo table-engine actions) the adapter takes in
 * per flush interval, and the ones it declined meanwhile. A declined actor costs
 * its runtime nothing until it is read; at the next flush those still active are
 * taken in (oldest first, within the new interval's intake) and those that
 * finished are only counted. Declined actors that finish soon are let go at
 * the next turn (`prune`), not held until the flush: a flood of short actions
 * would otherwise keep thousands of finished actors alive past the young
 * generation, and the runtime would pay for it in garbage collection.
 */
import type { PullableRef } from './target.js';

export class Intake {
  readonly #perInterval: number;
  #left: number;
  #declined: PullableRef[] = [];
  /** Declined actors before this index were pruned once already (the rest are new since). */
  #pruned = 0;

  constructor(perInterval: number) {
    this.#perInterval = perInterval;
    this.#left = perInterval;
  }

  /** Declined actors not yet taken in or counted. */
  get waiting(): number {
    return this.#declined.length;
  }

  /** Takes one place of this interval for a new actor; false when none is left. */
  take(): boolean {
    if (this.#left === 0) return false;
    this.#left--;
    return true;
  }

  /** Declines `ref`; answers whether it is the first since the last prune (the caller then schedules one). */
  decline(ref: PullableRef): boolean {
    this.#declined.push(ref);
    return this.#declined.length === this.#pruned + 1;
  }

  /** Lets go of the actors declined since the last prune that have finished already (`dropped` counts each). */
  prune(dropped: () => void): void {
    const declined = this.#declined;
    let kept = this.#pruned;
    for (let i = this.#pruned; i < declined.length; i++) {
      const ref = declined[i]!;
      if (ref.status !== 'active') dropped();
      else declined[kept++] = ref;
    }
    declined.length = kept;
    this.#pruned = kept;
  }

  /**
   * Starts a new interval (unless `all`: a viewer that joins now takes in every
   * active one), and goes through the declined actors: `admit` for those still
   * active while places (and `room()`) last, `dropped` for those that finished.
   */
  review(all: boolean, room: () => boolean, admit: (ref: PullableRef) => void, dropped: () => void): void {
    if (!all) this.#left = this.#perInterval;
    if (this.#declined.length === 0) return;
    const declined = this.#declined;
    this.#declined = [];
    this.#pruned = 0;
    for (const ref of declined) {
      if (ref.status !== 'active') {
        dropped();
        continue;
      }
      if ((!all && this.#left === 0) || !room()) {
        this.#declined.push(ref);
        continue;
      }
      if (!all) this.#left--;
      admit(ref);
    }
    this.#pruned = this.#declined.length; // all checked just now
  }
}
