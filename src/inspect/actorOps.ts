/**
 * What one flush says about the actors that changed: `add`, `state` and
 * `remove` ops, with a flood's oldest short-lived actors counted instead of
 * shipped.
 * @internal
 */
import { stateOp } from './deltaOps.js';
import { materialize, type Entry } from './entry.js';
import type { DeltaOp } from './protocol.js';
import type { SanitizeOptions } from './sanitize.js';

/**
 * The ops of `changed` (entries holding their `change`, in first-change order), clearing each
 * `change`. Of the actors that appeared and finished within the batch, only the newest
 * `maxShortLived` are added; the others count in `counters.droppedActors`.
 */
export function actorOps(changed: readonly Entry[], maxShortLived: number, limits: Required<SanitizeOptions>, counters: { droppedActors: number }): DeltaOp[] {
  const ops: DeltaOp[] = [];
  let shortLived = 0;
  for (const entry of changed) {
    const change = entry.change!;
    if (change.added && change.removed === null && entry.actor.status !== 'active') shortLived++;
  }
  let skip = Math.max(0, shortLived - maxShortLived);
  for (const entry of changed) {
    const change = entry.change!;
    entry.change = null;
    if (change.removed !== null) {
      if (!change.added) ops.push({ op: 'remove', sessionId: entry.actor.sessionId, reason: change.removed });
      continue;
    }
    if (change.added) {
      if (skip > 0 && entry.actor.status !== 'active') {
        skip--; // the oldest short-lived ones of a flood: counted, not shipped
        counters.droppedActors++;
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
