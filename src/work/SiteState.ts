/**
 * An attached Site's place in a Production, and the line of parked Sites.
 * @internal
 */
import { Deque } from './Deque.js';

/**
 * An attached Site's place in a Production: its local lanes and aging counters, and while it
 * is parked its wake callback and neighbours in the line of parked Sites. `attach` hands it
 * out (as a {@link ProductionSeat}), so a Site takes and parks without a lookup by id.
 */
export class SiteState<T> {
  readonly lanes: readonly [Deque<T>, Deque<T>, Deque<T>];
  /** Per lane: consecutive takes of this Site that passed the lane over while non-empty. */
  readonly passed: [number, number, number] = [0, 0, 0];
  attached = true;
  /** Its wake callback while parked, else null. */
  wake: (() => void) | null = null;
  parkedPrev: SiteState<T> | null = null;
  parkedNext: SiteState<T> | null = null;

  /** `localCapacity`: what its local lanes hold before they grow (and never shrink below). */
  constructor(
    readonly owner: object,
    readonly id: string,
    localCapacity: number,
  ) {
    this.lanes = [new Deque<T>(localCapacity), new Deque<T>(localCapacity), new Deque<T>(localCapacity)];
  }
}

declare const seat: unique symbol;
/** An attached Site's place in a Production (what `attach` returns): pass it to `takeFor`, `parkFor` and `unparkFor`. */
export type ProductionSeat<T> = { readonly id: string; readonly [seat]: T };

/** Parked Sites, longest-parked first, linked through their states: no hashing, nothing allocated. */
export class ParkedSites<T> {
  first: SiteState<T> | null = null;
  #last: SiteState<T> | null = null;

  /** Parks `site` with `wake`; parked already, the new callback replaces the old one and its place in line is kept. */
  add(site: SiteState<T>, wake: () => void): void {
    if (site.wake === null) {
      site.parkedPrev = this.#last;
      if (this.#last === null) this.first = site;
      else this.#last.parkedNext = site;
      this.#last = site;
    }
    site.wake = wake;
  }

  /** Unparks `site` (no-op when it is not parked). */
  remove(site: SiteState<T>): void {
    if (site.wake === null) return;
    const { parkedPrev: prev, parkedNext: next } = site;
    if (prev === null) this.first = next;
    else prev.parkedNext = next;
    if (next === null) this.#last = prev;
    else next.parkedPrev = prev;
    site.parkedPrev = site.parkedNext = null;
    site.wake = null;
  }
}
