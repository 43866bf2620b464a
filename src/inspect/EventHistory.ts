/**
 * The last events of one source, kept for viewers that join late (bounded: the oldest go
 * first). It keeps `event` ops and actors' trails (see `TrailStep`) as they came, one entry
 * per op; a joining viewer gets them all as `event` ops.
 */
import type { DeltaOp, TrailStep } from './protocol.js';

type EventOp = Extract<DeltaOp, { op: 'event' }>;

/** An actor's trail, of which the steps from `from` on are still kept. */
interface KeptTrail {
  readonly sessionId: string;
  readonly trail: readonly TrailStep[];
  from: number;
}

/** A bounded history of events; a capacity of 0 keeps nothing. */
export class EventHistory {
  readonly #capacity: number;
  /** Oldest first, from `#head` on (the entries before it are let go, and cut off now and then). */
  #items: Array<EventOp | KeptTrail> = [];
  #head = 0;
  /** Events kept (an event op is one, a trail one per step kept). */
  #count = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Keeps an event op. */
  remember(op: DeltaOp): void {
    if (this.#capacity === 0 || op.op !== 'event') return;
    this.#items.push(op);
    this.#count++;
    this.#trim();
  }

  /** Keeps the steps of `sessionId`'s trail (each an event it received); `trail` must not change afterwards. */
  rememberTrail(sessionId: string, trail: readonly TrailStep[]): void {
    if (this.#capacity === 0 || trail.length === 0) return;
    this.#items.push({ sessionId, trail, from: 0 });
    this.#count += trail.length;
    this.#trim();
  }

  /** The kept events as `event` ops, oldest first. */
  ops(): DeltaOp[] {
    const ops: DeltaOp[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i]!;
      if ('op' in item) {
        ops.push(item);
        continue;
      }
      for (let step = item.from; step < item.trail.length; step++) {
        const [, at, type] = item.trail[step]!;
        ops.push({ op: 'event', sessionId: item.sessionId, from: null, event: { type }, at });
      }
    }
    return ops;
  }

  #trim(): void {
    const items = this.#items;
    while (this.#count > this.#capacity) {
      const oldest = items[this.#head]!;
      const over = this.#count - this.#capacity;
      if (!('op' in oldest) && oldest.trail.length - oldest.from > over) {
        oldest.from += over; // its newest steps stay
        this.#count -= over;
        break;
      }
      this.#count -= 'op' in oldest ? 1 : oldest.trail.length - oldest.from;
      this.#head++;
    }
    // Let go of what was dropped once it is most of the array (each entry is moved at most once per pass).
    if (this.#head > 64 && this.#head * 2 > items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
  }
}
