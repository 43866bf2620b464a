/**
 * The adapter's finished actors, oldest first, so the oldest can be evicted
 * beyond `maxFinished` (an array with a moving head: a Set's delete-first is slow).
 * @internal
 */
import type { Entry } from './entry.js';

/** A first-in first-out queue of finished entries. */
export class FinishedQueue {
  #items: Entry[] = [];
  #head = 0;
  /** Entries in the queue. */
  count = 0;

  /** Adds a just-finished entry at the end. */
  push(entry: Entry): void {
    this.#items.push(entry);
    this.count++;
  }

  /** One entry in the queue was let go (marked `evicted`): it no longer counts, and `shift` skips it. */
  forget(): void {
    this.count--;
  }

  /** Takes out the oldest entry not let go; call only while `count > 0`. */
  shift(): Entry {
    let oldest = this.#items[this.#head++]!;
    while (oldest.evicted) oldest = this.#items[this.#head++]!;
    this.count--;
    // The taken-out front is dropped once it is most of the array.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return oldest;
  }
}
