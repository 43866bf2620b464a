/**
 * What one flush says about the actors that changed: `add`, `state` and
 * `remove` ops, with a flood's oldest short-lived actors counted instead of
 * shipped.
 * @internal
 */
import { stateOp } from './deltaOps.js';
import { materialize, type Entry } from './entry.js';
import type { DeltaOp } from './protocol.js';
import type { RateBudget } from './RateBudget.js';
import type { SanitizeOptions } from './sanitize.js';

/**
 * The ops of `changed` (entries holding their `change`, in first-change order), clearing each
 * `change`. Of the actors that appeared and finished within the batch, only the newest
 * the `shortLived` budget has room for are added (and spent); the others go to `drop`, unsent.
 */
export function actorOps(changed: readonly Entry[], shortLived: RateBudget, limits: Required<SanitizeOptions>, drop: (entry: Entry) => void): DeltaOp[] {
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
      if (!change.added) ops.push({ op: 'remove', sessionId: entry.actor.sessionId, reason: change.removed });
      continue;
    }
    if (change.added) {
      if (skip > 0 && entry.actor.status !== 'active') {
        skip--; // the oldest short-lived ones of a flood: not shipped
        drop(entry);
        continue;
      }
      ops.push({ op: 'add', actor: { ...materialize(entry, limits) } });
      continue;
    }
    if (!change.changed) continue;
    ops.push(stateOp(materialize(entry, limits, change), change));
  }
  return ops;
}
