/**
 * The adapter's side of pulled actors (Echo table-engine actions): a pull marks an
 * actor changed, and it is read once, at the next flush (or at once when nobody
 * listens). A new actor beyond this interval's intake is declined; it then costs
 * its runtime nothing until the intake takes it in (see `Intake`).
 * @internal
 */
import type { Clock } from '../clock.js';
import { sameValue, type Pending } from './deltaOps.js';
import type { Entry } from './entry.js';
import { Intake } from './intake.js';
import type { TrailStep } from './protocol.js';
import type { PullableRef } from './target.js';

/** What the pull intake needs of its adapter. */
export interface PullHost {
  readonly entries: ReadonlyMap<string, Entry>;
  /** Marks the adapter's own entries (an actor's `pullSlot` may still hold one of an earlier adapter). */
  readonly owner: object;
  readonly clock: Clock;
  readonly counters: { droppedActors: number };
  /** Whether one more active actor fits (`maxActors`). */
  hasRoom(): boolean;
  /** Adds an actor (`announce` false: a joining viewer gets it in its frames, no delta says so). */
  add(ref: PullableRef, snapshot: unknown, announce?: boolean): Entry | undefined;
  /** Marks an entry changed for the next flush; undefined when nobody listens. */
  touch(entry: Entry): Pending | undefined;
  /** Applies a snapshot to an entry. */
  update(entry: Entry, snapshot: unknown, change: Pending | null, now: number): void;
  /** Asks for a flush. */
  schedule(): void;
}

export class PullIntake {
  readonly #host: PullHost;
  readonly #intake: Intake;
  #pruneTimer: unknown;

  constructor(host: PullHost, perInterval: number, freshPerInterval: number, interval: number, start: number) {
    this.#host = host;
    this.#intake = new Intake(perInterval, freshPerInterval, interval, start);
  }

  /** Declined actors not yet taken in or counted. */
  get waiting(): number {
    return this.#intake.waiting;
  }

  /** A pulled actor changed; answers false when it is declined (see `InspectorTarget.subscribeInspection`). */
  readonly onPull = (ref: PullableRef): boolean => {
    const host = this.#host;
    // The actor's slot finds its entry without a lookup; an empty slot means a new actor.
    const known = 'pullSlot' in ref ? (ref.pullSlot as Entry | undefined) : host.entries.get(ref.sessionId);
    let entry = known !== undefined && known.owner === host.owner && !known.evicted ? known : undefined;
    if (entry === undefined) {
      if (!host.hasRoom() || !this.#intake.take()) {
        if (this.#intake.decline(ref) && this.#pruneTimer === undefined) this.#pruneTimer = host.clock.setTimeout(this.#prune, 0);
        host.schedule();
        return false;
      }
      entry = host.add(ref, undefined)!;
    }
    entry.pulled = ref;
    const change = host.touch(entry);
    if (change === undefined) this.read(entry, null);
    return true;
  };

  /** Lets go of declined actors that finished since (see `Intake.prune`). */
  readonly #prune = (): void => {
    this.#pruneTimer = undefined;
    this.#intake.prune(() => this.#host.counters.droppedActors++);
  };

  /** Takes in declined actors (see `Intake`); `all` for a viewer that joins now (`announce` false: only it watches). */
  admit(all: boolean, announce = true): void {
    const host = this.#host;
    this.#intake.review(
      all,
      host.clock.now(),
      () => host.hasRoom(),
      (ref) => {
        ref.takeTrail(); // re-armed: it pulls again on its next change
        host.add(ref, ref.getSnapshot(), announce);
      },
      () => host.counters.droppedActors++,
    );
  }

  /**
   * Reads a pulled actor: its snapshot becomes the current state, and its trail (the steps since
   * the last read) rides in the actor's next op as it is: no object per step.
   */
  read(entry: Entry, change: Pending | null): void {
    const host = this.#host;
    const ref = entry.pulled!;
    entry.pulled = null;
    const actor = entry.actor;
    const wasFinished = actor.status !== 'active';
    const trail = ref.takeTrail();
    if (trail.length === 0) {
      // Read in the step that changed it (nobody listens, so it is read at once).
      actor.updatedAt = host.clock.now();
    } else {
      const last = trail[trail.length - 1]!;
      actor.value = last[0];
      actor.updatedAt = last[1];
      // The runtime hands over its array (it keeps no reference once read); a second read in one batch adds to the first.
      if (change !== null) change.trail = change.trail === null ? (trail as TrailStep[]) : change.trail.concat(trail);
    }
    if (wasFinished) return;
    const { value, status } = actor;
    host.update(entry, ref.getSnapshot(), change, actor.updatedAt);
    if (change !== null) {
      // A read without steps that finds the state as it was (a Site's view: its load went and came back) may send nothing.
      change.same &&= trail.length === 0 && actor.status === status && sameValue(actor.value, value);
      change.changed = true;
    }
    const parentId = ref._parent?.sessionId ?? null;
    if (parentId !== actor.parentId) {
      actor.parentId = parentId;
      if (change !== null) change.moved = true;
    }
  }

  /** Reads every pulled actor among `changed` that still holds its change. */
  readAll(changed: readonly Entry[]): void {
    for (const entry of changed) if (entry.pulled !== null && entry.change !== null) this.read(entry, entry.change);
  }

  /** Cancels a pending prune. */
  dispose(): void {
    if (this.#pruneTimer !== undefined) this.#host.clock.clearTimeout(this.#pruneTimer);
    this.#pruneTimer = undefined;
  }
}
