/**
 * What one flush says about the actors that changed: `add`, `state` and
 * `remove` ops, with a flood's oldest short-lived actors counted instead of
 * shipped, and each pulled actor's trail in its op.
 * @internal
 */
import { stateOp, type Pending } from './deltaOps.js';
import { materialize, type Entry } from './entry.js';
import type { EventHistory } from './EventHistory.js';
import type { DeltaOp } from './protocol.js';
import type { RateBudget } from './RateBudget.js';
import type { SanitizeOptions } from './sanitize.js';

/** Where a flush's trail steps go: each is an event, within the flush's event budget, kept in the join history. */
export interface TrailEvents {
  readonly budget: RateBudget;
  readonly history: EventHistory;
  readonly counters: { droppedEvents: number };
}

/** Bounds `change.trail` by the event budget (the newest steps stay), counting the rest as dropped events. */
function spendTrail(change: Pending, events: TrailEvents): void {
  const trail = change.trail;
  if (trail === null) return;
  const left = events.budget.left;
  if (left >= trail.length) {
    events.budget.spend(trail.length);
    return;
  }
  events.counters.droppedEvents += trail.length - left;
  events.budget.spend(left);
  change.trail = left === 0 ? null : trail.slice(trail.length - left);
}

/** A change that sends nothing: its trail's steps are dropped events. */
function dropTrail(change: Pending, events: TrailEvents): void {
  if (change.trail !== null) events.counters.droppedEvents += change.trail.length;
}

/**
 * The ops of `changed` (entries holding their `change`, in first-change order), clearing each
 * `change`. Of the actors that appeared and finished within the batch, only the newest
 * the `shortLived` budget has room for are added (and spent); the others go to `drop`, unsent.
 */
export function actorOps(changed: readonly Entry[], shortLived: RateBudget, limits: Required<SanitizeOptions>, drop: (entry: Entry) => void, events: TrailEvents): DeltaOp[] {
  const ops: DeltaOp[] = [];
  let finishedInBatch = 0;
  for (const entry of changed) {
    const change = entry.change!;
    if (change.added && change.removed === null && entry.actor.status !== 'active') finishedInBatch++;
  }
  const shipped = Math.min(finishedInBatch, shortLived.left);
  shortLived.spend(shipped);
  let skip = finishedInBatch - shipped;
  for (const entry of changed) {
    const change = entry.change!;
    entry.change = null;
    if (change.removed !== null) {
      dropTrail(change, events);
      if (!change.added) ops.push({ op: 'remove', sessionId: entry.actor.sessionId, reason: change.removed });
      continue;
    }
    if (change.added) {
      if (skip > 0 && entry.actor.status !== 'active') {
        skip--; // the oldest short-lived ones of a flood: not shipped
        dropTrail(change, events);
        drop(entry);
        continue;
      }
      spendTrail(change, events);
      const actor = { ...materialize(entry, limits) };
      if (change.trail === null) ops.push({ op: 'add', actor });
      else {
        ops.push({ op: 'add', actor, trail: change.trail });
        events.history.rememberTrail(actor.sessionId, change.trail);
      }
      continue;
    }
    if (!change.changed) {
      dropTrail(change, events);
      continue;
    }
    const actor = materialize(entry, limits, change);
    // Nothing a viewer shows changed: no op (a Site's load back where the last flush left it).
    if (change.same && change.keys === null && !change.whole && change.event === undefined && change.steps === null && change.trail === null && change.moved !== true) continue;
    spendTrail(change, events);
    ops.push(stateOp(actor, change));
    if (change.trail !== null) events.history.rememberTrail(entry.actor.sessionId, change.trail);
  }
  return ops;
}
