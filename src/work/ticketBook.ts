/**
 * Where a Production keeps the ticket of each live item: a Map by default, or a
 * field on the item itself (no hashing on the hot path).
 * @internal
 */

/** Reads and writes a ticket stored on the item itself; 0 means "not queued here". */
export interface TicketSlot<T> {
  /** The ticket of `item` (0 when it holds none). */
  get(item: T): number;
  /** Gives `item` its ticket (0 to clear). */
  set(item: T, ticket: number): void;
}

/** The live items' tickets, with the subset of `Map` the Production uses. */
export interface LiveBook<T> {
  readonly size: number;
  get(item: T): number | undefined;
  set(item: T, ticket: number): LiveBook<T>;
  delete(item: T): boolean;
  clear(): void;
}

/** Tickets stored on the items: no hashing. */
export class SlotBook<T> implements LiveBook<T> {
  size = 0;
  constructor(readonly slot: TicketSlot<T>) {}
  get(item: T): number | undefined {
    const ticket = this.slot.get(item);
    return ticket === 0 ? undefined : ticket;
  }
  set(item: T, ticket: number): this {
    if (this.slot.get(item) === 0) this.size++;
    this.slot.set(item, ticket);
    return this;
  }
  delete(item: T): boolean {
    if (this.slot.get(item) === 0) return false;
    this.slot.set(item, 0);
    this.size--;
    return true;
  }
  clear(): void {
    this.size = 0;
  }
}
