/**
 * Accounting of a Sequence's actions and its shutdown: every assigned action is
 * counted once when it settles, and those still unfinished when the deadline
 * cut in are recorded, so finished + unfinished = assigned.
 * @internal
 */
import type { ActionContext } from '../machines/actionTypes.js';
import { toActionRecord, type ActionRecord } from './action/actionRecord.js';
import type { ActionRun } from './action/ActionRun.js';

/** An action that had not finished when shutdown's deadline came. */
export interface UnfinishedAction {
  /** Its state when the deadline came (`queued`, `running`, `retrying`, …). */
  readonly state: string;
  readonly attempts: number;
  /** Its versioned JSON form: `sequence.assign(record)` runs it again. */
  readonly record: ActionRecord;
}

/** What `shutdown()` resolves with. */
export interface ShutdownReport {
  readonly assigned: number;
  /** Actions that reached done, failed or cancelled on their own. */
  readonly finished: number;
  /** Actions cut off by the deadline (cancelled with reason `shutdown`). */
  readonly unfinished: readonly UnfinishedAction[];
  readonly done: number;
  readonly failed: number;
  readonly cancelled: number;
}

export class ShutdownTracker {
  readonly counts = { assigned: 0, done: 0, failed: 0, cancelled: 0 };
  started = false;
  aborting = false;
  drained = false;
  readonly #unfinished = new Map<string, UnfinishedAction>();
  readonly #resolve: (report: ShutdownReport) => void;
  readonly report: Promise<ShutdownReport>;
  #finished = 0;

  constructor() {
    let resolve!: (report: ShutdownReport) => void;
    this.report = new Promise((r) => (resolve = r));
    this.#resolve = resolve;
  }

  get unfinishedCount(): number {
    return this.#unfinished.size;
  }

  assigned(): void {
    this.counts.assigned++;
  }

  settled(run: ActionRun, status: 'done' | 'failed' | 'cancelled', _context: ActionContext): void {
    this.counts[status]++;
    if (!this.#unfinished.has(run.id)) this.#finished++;
  }

  begin(): void {
    this.started = true;
  }

  /** The deadline came: record what is still live before it is cancelled. */
  beginAbort(live: Iterable<ActionRun>): void {
    this.aborting = true;
    for (const run of live) {
      const snapshot = run.actor.getSnapshot();
      this.#unfinished.set(run.id, {
        state: String(snapshot.value),
        attempts: snapshot.context.attempts.length,
        record: toActionRecord(run),
      });
    }
  }

  markDrained(): void {
    this.drained = true;
  }

  finish(): void {
    this.#resolve({
      assigned: this.counts.assigned,
      finished: this.#finished,
      unfinished: [...this.#unfinished.values()],
      done: this.counts.done,
      failed: this.counts.failed,
      cancelled: this.counts.cancelled,
    });
  }
}
