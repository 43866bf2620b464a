/**
 * How many new pulled actors (Echo table-engine actions) the adapter takes in
 * per flush interval, and the ones it declined meanwhile. A declined actor costs
 * its runtime nothing until it is read; at the next flush those still active are
 * taken in (oldest first, within the new interval's intake) and those that
 * finished are only counted. Of the places, fewer go to actors at their first change
 * (`freshPerInterval`, most of a flood of short actions is gone by the flush) than to
 * those still active at a flush, which are the ones a viewer would watch for a while.
 * Declined actors that finish soon are let go at
 * the next turn (`prune`), not held until the flush: a flood of short actions
 * would otherwise keep thousands of finished actors alive past the young
 * generation, and the runtime would pay for it in garbage collection.
 */
import { RateBudget } from './RateBudget.js';
import type { PullableRef } from './target.js';

export class Intake {
  /** Places for new actors: `perInterval` a flush interval (see `RateBudget`). */
  readonly #places: RateBudget;
  /** Of those, the places that may go to actors at their first change. */
  readonly #fresh: RateBudget;
  #declined: PullableRef[] = [];
  /** Declined actors before this index were pruned once already (the rest are new since). */
  #pruned = 0;

  constructor(perInterval: number, freshPerInterval: number, interval: number, start: number) {
    this.#places = new RateBudget(perInterval, interval, start);
    this.#fresh = new RateBudget(Math.min(perInterval, freshPerInterval), interval, start);
  }

  /** Declined actors not yet taken in or counted. */
  get waiting(): number {
    return this.#declined.length;
  }

  /** Takes one place for an actor at its first change; false when none is left. */
  take(): boolean {
    if (this.#places.left === 0 || this.#fresh.left === 0) return false;
    this.#places.spend();
    this.#fresh.spend();
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
   * Adds the places earned since the last review at `now` (unless `all`: a viewer that
   * joins now takes in every active one), and goes through the declined actors: `admit`
   * for those still active while places (and `room()`) last, `dropped` for those that finished.
   */
  review(all: boolean, now: number, room: () => boolean, admit: (ref: PullableRef) => void, dropped: () => void): void {
    const places = this.#places;
    if (!all) {
      places.refill(now);
      this.#fresh.refill(now);
    }
    if (this.#declined.length === 0) return;
    const declined = this.#declined;
    this.#declined = [];
    this.#pruned = 0;
    for (const ref of declined) {
      if (ref.status !== 'active') {
        dropped();
        continue;
      }
      if ((!all && places.left === 0) || !room()) {
        this.#declined.push(ref);
        continue;
      }
      if (!all) places.spend();
      admit(ref);
    }
    this.#pruned = this.#declined.length; // all checked just now
  }
}
