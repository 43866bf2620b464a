/**
 * Production: Echo's work queue. Global priority lanes feed per-Site local deques; a Site
 * serves the highest lane that has work for it, moving a batch of that lane from the global
 * lanes, or stealing about half of that lane from a peer's local deque when only peers hold it.
 * So lanes, not arrival batches, decide the order: a `high` item is served before `normal` ones
 * a Site already holds. Idle Sites park with a wake callback: nothing polls.
 *
 * Storage: ring buffers of `T` (tickets in a parallel Float64Array) and one `Map<T, ticket>`
 * of live items, no wrapper per item. A discard deletes the map entry; the copy left behind
 * is stale (ticket mismatch), skipped when met and swept once stale copies outnumber live ones.
 *
 * Aging: each take of a Site serves one lane it can see (its local or the global lane is
 * non-empty). Per Site and lane, a counter holds how many consecutive takes of that Site
 * passed the lane over while it was non-empty; serving it, or its being empty, resets it.
 * A lane whose counter reached `agingLimit` is served next, ahead of priority (highest counter
 * first, ties to the higher priority): a non-empty lane is passed over at most
 * `agingLimit + 2` consecutive takes of a Site.
 */
import type { RandomSource } from '../clock.js';
import { Deque } from './Deque.js';
import { ParkedSites, SiteState, type ProductionSeat } from './SiteState.js';
import { SlotBook, type LiveBook, type TicketSlot } from './ticketBook.js';
import { BackpressureError } from '../errors.js';
import { invalid, oneOf } from '../validate.js';
import { readProductionOptions, type ProductionOptions, type ProductionStats } from './productionOptions.js';
import { PRIORITIES, type Priority } from '../../machines/actionConstants.js';

export { PRIORITIES, type Priority } from '../../machines/actionConstants.js';
export type { ProductionOptions, ProductionStats } from './productionOptions.js';
export type { ProductionSeat } from './SiteState.js';

type Lanes<T> = SiteState<T>['lanes'];
const newLanes = <T>(): Lanes<T> => [new Deque<T>(), new Deque<T>(), new Deque<T>()];

type SpaceWaiter = { readonly resolve: () => void; readonly cleanup: () => void };
/** What `whenSpace` answers when there is room: one settled promise for every such call. */
const SPACE: Promise<void> = Promise.resolve();
/** Stale copies are swept once they outnumber live items (and this floor). */
const SWEEP_FLOOR = 1024;
/**
 * A named, bounded work queue with priority lanes, per-Site local deques, batching,
 * stealing, aging, O(1) lazy discard and wake-on-enqueue.
 * @example
 * const production = new Production<string>({ name: 'files', capacity: 100 });
 * production.attach('site-1');
 * production.enqueue('read', 'high');
 * production.take('site-1'); // 'read'
 */
export class Production<T> {
  /** The queue's name. */
  readonly name: string;
  /** Max live items. */
  readonly capacity: number;
  readonly #batchSize: number;
  readonly #agingLimit: number;
  readonly #random: RandomSource;
  /** Live items → the ticket of their one live copy. */
  readonly #live: LiveBook<T>;
  readonly #global: Lanes<T> = newLanes();
  readonly #sites = new Map<string, SiteState<T>>();
  readonly #siteList: SiteState<T>[] = [];
  readonly #parked = new ParkedSites<T>();
  readonly #waiters = new Set<SpaceWaiter>();
  readonly #counts = { batches: 0, steals: 0, stolenItems: 0 };
  #nextTicket = 1;
  /** Copies held in all deques, live or stale; equal to `size` when no copy is stale. */
  #physical = 0;
  readonly #isLive = (item: T, ticket: number): boolean => this.#live.get(item) === ticket;
  readonly #isStale = (item: T, ticket: number): boolean => !this.#isLive(item, ticket);

  constructor(options: ProductionOptions = {}) {
    const { name, capacity, batchSize, agingLimit, random, ticket } = readProductionOptions(options);
    this.#live = ticket === undefined ? new Map<T, number>() : new SlotBook(ticket as TicketSlot<T>);
    this.name = name;
    this.capacity = capacity;
    this.#batchSize = batchSize;
    this.#agingLimit = agingLimit;
    this.#random = random;
  }

  /** Live items, global and local (discarded ones are not counted). */
  get size(): number {
    return this.#live.size;
  }

  /** Whether `size` has reached `capacity`. */
  get isFull(): boolean {
    return this.#live.size >= this.capacity;
  }

  /**
   * Queues `item` at the back of its global lane and wakes one parked Site. Throws
   * `BackpressureError` when full, `TypeError` if the item is `undefined` or already queued.
   */
  enqueue(item: T, priority: Priority = 'normal'): void {
    if (this.tryEnqueue(item, priority)) return;
    const { capacity, name } = this;
    throw new BackpressureError(`Queue "${name}" is full (capacity ${capacity})`, { capacity, queue: name });
  }

  /** Like {@link enqueue}, but returns `false` instead of throwing when full. */
  tryEnqueue(item: T, priority: Priority = 'normal'): boolean {
    const lane = laneOf(priority);
    if (item === undefined) throw invalid('item', 'a queued item (not undefined)', item);
    const size = this.#live.size;
    if (size >= this.capacity) return false;
    const ticket = this.#nextTicket++;
    // One hash operation: a size that did not grow means the item was already live.
    if (this.#live.set(item, ticket).size === size) this.#rejectDuplicate(item);
    this.#global[lane]!.pushBack(item, ticket);
    this.#physical++;
    if (this.#parked.first !== null) this.#wakeOne();
    return true;
  }

  /**
   * Resolves once `size < capacity`: at once if there is space and nobody waits, else FIFO,
   * one waiter per freed slot (not reserved: competing producers use `tryEnqueue`).
   * Rejects with `signal.reason` on abort.
   */
  whenSpace(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#live.size < this.capacity && this.#waiters.size === 0) return SPACE;
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters.delete(waiter);
        reject(signal?.reason);
      };
      const waiter: SpaceWaiter = { resolve, cleanup: () => signal?.removeEventListener('abort', onAbort) };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
      this.#grant();
    });
  }

  /**
   * A Site joins: it gets a local deque of three lanes. Returns its seat, which `takeFor`,
   * `parkFor` and `unparkFor` take instead of the id (no lookup per call).
   */
  attach(siteId: string): ProductionSeat<T> {
    if (this.#sites.has(siteId)) throw new TypeError(`Expected a Site not attached to "${this.name}", got "${siteId}"`);
    // Room for two batches: a local lane filled by a batch and emptied again keeps its buffer.
    const site = new SiteState<T>(this, siteId, 2 * this.#batchSize);
    this.#sites.set(siteId, site);
    this.#siteList.push(site);
    return site as unknown as ProductionSeat<T>;
  }

  /** A Site leaves (or crashed): its local items go back to the front of the global lanes, in order. */
  detach(siteId: string): void {
    const site = this.#site(siteId);
    this.#parked.remove(site);
    site.attached = false;
    this.#sites.delete(siteId);
    this.#siteList.splice(this.#siteList.indexOf(site), 1);
    for (let lane = 0; lane < 3; lane++) {
      const [local, global] = [site.lanes[lane]!, this.#global[lane]!];
      this.#physical -= local.retain(this.#isLive);
      for (; local.length > 0; local.pop()) global.pushFront(local.peekBack() as T, local.backTag());
    }
  }

  /**
   * The next item for a Site, of the highest lane with work: from its local deque, else a
   * batch of that lane from the global lanes, or about half of a random peer's local items of a
   * higher lane when only peers hold it; aging applies (see the module doc). `undefined` only
   * when no live item is left anywhere.
   */
  take(siteId: string): T | undefined {
    return this.#take(this.#site(siteId));
  }

  /** {@link take} for the Site of `seat`. */
  takeFor(seat: ProductionSeat<T>): T | undefined {
    return this.#take(this.#seated(seat));
  }

  #take(site: SiteState<T>): T | undefined {
    const lane = this.#choose(site);
    if (lane < 0) return undefined;
    const local = site.lanes[lane]!;
    let item: T;
    if (local.length > 0) item = local.shift() as T;
    else {
      const global = this.#global[lane]!;
      if (global.length === 1 && this.#physical === this.#live.size) {
        // A batch of one (an idle Sequence's every action): taken from the global lane, not moved through the local one.
        item = global.shift() as T;
        this.#counts.batches++;
      } else {
        this.#moveBatch(global, local);
        item = local.shift() as T;
      }
    }
    this.#physical--;
    this.#live.delete(item);
    if (this.#waiters.size > 0) this.#grant();
    return item;
  }

  /** Drops a queued item in O(1) (it is skipped later) and frees its slot; `false` if not queued. */
  discard(item: T): boolean {
    if (!this.#live.delete(item)) return false;
    if (this.#physical - this.#live.size > Math.max(SWEEP_FLOOR, this.#live.size)) this.#sweep();
    if (this.#waiters.size > 0) this.#grant();
    return true;
  }

  /**
   * An idle Site registers `wake`; the next enqueue calls it once and unparks the Site
   * (one wake per enqueued item, longest-parked Site first). Returns `false`, and parks
   * nothing, while a live item exists: `take` would return work right now.
   */
  park(siteId: string, wake: () => void): boolean {
    return this.#park(this.#site(siteId), wake);
  }

  /** {@link park} for the Site of `seat`. */
  parkFor(seat: ProductionSeat<T>, wake: () => void): boolean {
    return this.#park(this.#seated(seat), wake);
  }

  /** Withdraws a Site's wake callback (no-op when it is not parked). */
  unpark(siteId: string): void {
    const site = this.#sites.get(siteId);
    if (site !== undefined) this.#parked.remove(site);
  }

  /** {@link unpark} for the Site of `seat`. */
  unparkFor(seat: ProductionSeat<T>): void {
    this.#parked.remove(seat as unknown as SiteState<T>);
  }

  #park(site: SiteState<T>, wake: () => void): boolean {
    if (this.#live.size > 0) return false;
    this.#parked.add(site, wake);
    return true;
  }

  /** Removes and returns every live item, high → normal → low (per lane: local deques, then global). */
  drain(): T[] {
    const out: T[] = [];
    for (let lane = 0; lane < 3; lane++) {
      for (const deque of [...this.#siteList.map((site) => site.lanes[lane]!), this.#global[lane]!]) {
        deque.retain(this.#isLive);
        for (let i = 0; i < deque.length; i++) {
          const item = deque.at(i) as T;
          this.#live.delete(item);
          out.push(item);
        }
        deque.clear();
      }
    }
    this.#live.clear();
    this.#physical = 0;
    for (const site of this.#siteList) site.passed.fill(0);
    if (this.#waiters.size > 0) this.#grant();
    return out;
  }

  /** Counters and live counts per global lane and per Site (O(queued items)). */
  stats(): ProductionStats {
    const [high, normal, low] = this.#global.map((deque) => deque.count(this.#isLive)) as [number, number, number];
    const local: Record<string, number> = {};
    for (const site of this.#siteList) local[site.id] = site.lanes.reduce((n, deque) => n + deque.count(this.#isLive), 0);
    return { size: this.size, lanes: { high, normal, low }, local, ...this.#counts };
  }

  #site(siteId: string): SiteState<T> {
    const site = this.#sites.get(siteId);
    if (site === undefined) throw new TypeError(`Expected a Site attached to "${this.name}", got "${siteId}"`);
    return site;
  }

  #seated(seat: ProductionSeat<T>): SiteState<T> {
    const site = seat as unknown as SiteState<T>;
    if (site.owner !== this || !site.attached) throw new TypeError(`Expected a Site attached to "${this.name}", got "${site.id}"`);
    return site;
  }

  /**
   * The lane a Site's take serves, its front copy live; -1 when no live item is left anywhere.
   * Lanes decide, not where items wait: the highest lane non-empty in the Site's local deque or
   * the global lanes, unless a peer holds a higher one locally, which is then stolen first (so a
   * `high` item assigned while this Site holds a batch of `normal` ones runs before them).
   * An aged lane (see the module doc) is served as chosen.
   */
  #choose(site: SiteState<T>): number {
    const { lanes: local, passed } = site;
    const global = this.#global;
    const limit = this.#agingLimit;
    if (this.#physical === 0) {
      // Nothing anywhere (an idle Production, the common case of a Site asking once more): no lane to choose, no peer to steal from.
      passed[0] = passed[1] = passed[2] = 0;
      return -1;
    }
    for (;;) {
      // What each lane holds for this Site (live or stale copies), read once.
      const high = local[0].length + global[0].length;
      const normal = local[1].length + global[1].length;
      const low = local[2].length + global[2].length;
      let chosen = -1;
      let aged = false;
      if (passed[0] >= limit || passed[1] >= limit || passed[2] >= limit) {
        if (passed[0] >= limit && high > 0) chosen = 0;
        if (passed[1] >= limit && normal > 0 && (chosen < 0 || passed[1] > passed[chosen]!)) chosen = 1;
        if (passed[2] >= limit && low > 0 && (chosen < 0 || passed[2] > passed[chosen]!)) chosen = 2;
        aged = chosen >= 0;
      }
      if (!aged) {
        chosen = high > 0 ? 0 : normal > 0 ? 1 : low > 0 ? 2 : -1;
        // A peer's higher lane comes first: steal from it and choose again (the lane only rises, so this ends).
        // When this Site's lanes and the global ones hold every copy, no peer holds any: nothing to look for.
        if (chosen !== 0 && this.#physical !== high + normal + low && this.#steal(site, chosen < 0 ? 3 : chosen)) continue;
      }
      if (chosen < 0) {
        passed[0] = passed[1] = passed[2] = 0;
        return -1;
      }
      passed[chosen] = 0;
      if (this.#physical !== this.#live.size) {
        this.#dropStaleFront(local[chosen]!);
        if (local[chosen]!.length === 0) this.#dropStaleFront(global[chosen]!);
        // Only stale copies were there: choose again, no take counted.
        if (local[chosen]!.length + global[chosen]!.length === 0) continue;
      }
      if (chosen !== 0) passed[0] = high > 0 ? passed[0] + 1 : 0;
      if (chosen !== 1) passed[1] = normal > 0 ? passed[1] + 1 : 0;
      if (chosen !== 2) passed[2] = low > 0 ? passed[2] + 1 : 0;
      return chosen;
    }
  }

  /** Moves min(batchSize, ceil(half)) copies from a global lane's front to an empty local lane. */
  #moveBatch(from: Deque<T>, to: Deque<T>): void {
    const noStale = this.#physical === this.#live.size; // the common case: skip ticket checks
    for (let count = Math.min(this.#batchSize, Math.ceil(from.length / 2)); count > 0; count--, from.shift()) {
      const item = from.peekFront() as T;
      if (noStale || this.#isLive(item, from.frontTag())) to.pushBack(item, from.frontTag());
      else this.#physical--;
    }
    this.#counts.batches++;
  }

  /**
   * Steals from the highest lane below `limit` that a peer holds live items in: about half
   * (ceil(n/2)) of that lane of the first peer holding any, starting at a random peer and going
   * round, from the back of its lane into the thief's matching (empty) local lane, order kept.
   * `false` when no peer holds a live item in those lanes.
   */
  #steal(thief: SiteState<T>, limit: number): boolean {
    const list = this.#siteList;
    const peers = list.length - 1;
    if (peers === 0) return false;
    for (let lane = 0; lane < limit; lane++) {
      let held = false;
      for (let i = 0; i < list.length && !held; i++) held = list[i] !== thief && list[i]!.lanes[lane]!.length > 0;
      if (!held) continue;
      const self = list.indexOf(thief);
      const start = Math.min(peers - 1, Math.floor(this.#random() * peers));
      for (let k = 0; k < peers; k++) {
        const at = (start + k) % peers;
        const from = list[at < self ? at : at + 1]!.lanes[lane]!;
        // Local lanes are small (a batch or a steal), so counting live items exactly is cheap.
        this.#physical -= from.retain(this.#isLive);
        let quota = Math.ceil(from.length / 2);
        if (quota === 0) continue;
        this.#counts.steals++;
        this.#counts.stolenItems += quota;
        const to = thief.lanes[lane]!;
        for (; quota > 0; quota--, from.pop()) to.pushFront(from.peekBack() as T, from.backTag());
        return true;
      }
    }
    return false;
  }

  /** Restores the live copy's ticket (the highest one held) that `set` overwrote, then throws. */
  #rejectDuplicate(item: T): never {
    let ticket = 0;
    for (const deque of this.#deques()) ticket = Math.max(ticket, deque.maxTagOf(item));
    this.#live.set(item, ticket);
    throw new TypeError(`Expected an item not already queued in "${this.name}"`);
  }

  *#deques(): Generator<Deque<T>> {
    yield* this.#global;
    for (const site of this.#siteList) yield* site.lanes;
  }

  #dropStaleFront(deque: Deque<T>): void {
    if (this.#physical !== this.#live.size) this.#physical -= deque.dropFrontWhile(this.#isStale);
  }

  /** Removes every stale copy: amortized O(1) per discard, as it runs only once stale copies dominate. */
  #sweep(): void {
    for (const deque of this.#deques()) this.#physical -= deque.retain(this.#isLive);
  }

  #wakeOne(): void {
    const site = this.#parked.first!;
    const wake = site.wake!;
    this.#parked.remove(site);
    try {
      wake();
    } catch (error) {
      // The item is queued either way: report the callback's failure, don't make enqueue look failed.
      queueMicrotask(() => { throw error; });
    }
  }

  /** Resolves the oldest waiters, one per free slot. */
  #grant(): void {
    let free = this.capacity - this.#live.size;
    for (const waiter of this.#waiters) {
      if (free-- <= 0) break;
      this.#waiters.delete(waiter);
      waiter.cleanup();
      waiter.resolve();
    }
  }
}

function laneOf(priority: Priority): number {
  if (priority === 'high') return 0;
  if (priority === 'normal') return 1;
  if (priority === 'low') return 2;
  throw invalid('priority', oneOf(PRIORITIES), priority);
}
