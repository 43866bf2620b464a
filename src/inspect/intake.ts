/**
 * How many new pulled actors (Echo table-engine actions) the adapter takes in
 * per flush interval, and the ones it declined meanwhile. A declined actor costs
 * its runtime nothing until it is read; at the next flush those still active are
 * taken in (oldest first, within the new interval's intake) and those that
 * finished are only counted.
 */
import type { PullableRef } from './target.js';

export class Intake {
  readonly #perInterval: number;
  #left: number;
  #declined: PullableRef[] = [];

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

  decline(ref: PullableRef): void {
    this.#declined.push(ref);
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
  }
}
