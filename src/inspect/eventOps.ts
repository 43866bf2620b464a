/**
 * The `event` ops of one flush: the events gathered since the last one, within the
 * flush's budget.
 * @internal
 */
import type { EventHistory } from './EventHistory.js';
import type { DeltaOp } from './protocol.js';
import type { RateBudget } from './RateBudget.js';
import { sanitize, type SanitizeOptions } from './sanitize.js';

/** An event of an XState actor gathered for the next flush (a pulled actor's steps ride in its op's trail instead). */
export interface PendingEvent {
  readonly sessionId: string;
  readonly from: string | null;
  readonly event: unknown;
  readonly at: number;
}

/** Appends the ops of `events` to `ops` (and to `history`), spending `budget`; the others count in `counters.droppedEvents`. */
export function pushEventOps(ops: DeltaOp[], events: readonly PendingEvent[], budget: RateBudget, limits: Required<SanitizeOptions>, history: EventHistory, counters: { droppedEvents: number }): void {
  for (const item of events) {
    if (budget.left === 0) {
      counters.droppedEvents++;
      continue;
    }
    budget.spend();
    const op: DeltaOp = { op: 'event', sessionId: item.sessionId, from: item.from, event: sanitize(item.event, limits), at: item.at };
    ops.push(op);
    history.remember(op);
  }
}
