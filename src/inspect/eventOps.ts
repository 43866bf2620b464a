/**
 * The `event` ops of one flush: the events gathered since the last one, within the
 * flush's budget, none about an actor the viewers will not have.
 * @internal
 */
import type { Entry } from './entry.js';
import type { EventHistory } from './EventHistory.js';
import type { DeltaOp } from './protocol.js';
import type { RateBudget } from './RateBudget.js';
import { sanitize, type SanitizeOptions } from './sanitize.js';

/** An event gathered for the next flush; one of a pulled actor holds its entry. */
export interface PendingEvent {
  readonly sessionId: string;
  readonly from: string | null;
  readonly event: unknown;
  readonly at: number;
  readonly entry?: Entry;
}

/** Appends the ops of `events` to `ops` (and to `history`), spending `budget`; the others count in `counters.droppedEvents`. */
export function pushEventOps(ops: DeltaOp[], events: readonly PendingEvent[], budget: RateBudget, limits: Required<SanitizeOptions>, history: EventHistory, counters: { droppedEvents: number }): void {
  for (const item of events) {
    // An actor dropped (or evicted) in this flush: its events would point at nothing.
    if (item.entry?.evicted === true || budget.left === 0) {
      counters.droppedEvents++;
      continue;
    }
    budget.spend();
    const op: DeltaOp = { op: 'event', sessionId: item.sessionId, from: item.from, event: sanitize(item.event, limits), at: item.at };
    ops.push(op);
    history.remember(op);
  }
}
