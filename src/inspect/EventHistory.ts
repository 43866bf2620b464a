/** The last event ops of one source, kept for viewers that join late (a ring: the oldest go first). */
import type { DeltaOp } from './protocol.js';

/** A bounded ring of event ops; a capacity of 0 keeps nothing. */
export class EventHistory {
  readonly #capacity: number;
  readonly #ring: DeltaOp[] = [];
  /** Where the oldest op is once the ring is full. */
  #head = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Keeps `op`, replacing the oldest when full. */
  remember(op: DeltaOp): void {
    if (this.#capacity === 0) return;
    if (this.#ring.length < this.#capacity) this.#ring.push(op);
    else {
      this.#ring[this.#head] = op;
      this.#head = (this.#head + 1) % this.#capacity;
    }
  }

  /** The kept ops, oldest first. */
  ops(): DeltaOp[] {
    return [...this.#ring.slice(this.#head), ...this.#ring.slice(0, this.#head)];
  }
}
