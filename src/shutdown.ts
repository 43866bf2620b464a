/**
 * Accounting of a Sequence's actions and its shutdown: every assigned action is
 * counted once when it settles, and those still unfinished when the deadline
 * cut in are recorded, so finished + unfinished (+ handed back, with an external
 * production) = assigned.
 * @internal
 */
import { isOutcomeDecided } from '../machines/actionConstants.js';
import type { ActionContext } from '../machines/actionTypes.js';
import type { ActionRecord } from './action/actionRecord.js';
import type { ActionRun, WorkPiece } from './action/ActionRun.js';
import { persistableRecord } from './action/persistable.js';
import { serializeError, type SerializedError } from './errors.js';

/** An action that had not finished when shutdown's deadline came. */
export interface UnfinishedAction {
  /** Its state when the deadline came (`queued`, `running`, `retrying`, …). */
  readonly state: string;
  readonly attempts: number;
  /**
   * Its versioned JSON form: `sequence.assign(record)` runs it again. `null` when its
   * content or metadata cannot be encoded as JSON; `serializationError` says where.
   */
  readonly record: ActionRecord | null;
  /** Why there is no record: a SerializationError (JSON form) naming the path that cannot be encoded. */
  readonly serializationError?: SerializedError;
}

/** User code still running when shutdown resolved: abandoned, its late answer ignored. */
export interface AbandonedWork extends WorkPiece {
  readonly actionId: string;
  /** The action's name. */
  readonly action: string;
}

/** What `shutdown()` resolves with. */
export interface ShutdownReport {
  readonly assigned: number;
  /** Actions that reached done, failed or cancelled on their own. */
  readonly finished: number;
  /**
   * Actions cut off by the deadline (cancelled with reason `shutdown`). An action already
   * in `afterHooks` or `cancelling` at the deadline has its outcome and is counted as finished.
   */
  readonly unfinished: readonly UnfinishedAction[];
  /** Each piece of user code (Site behaviour, hook, function) that had not settled when shutdown resolved. */
  readonly abandoned: readonly AbandonedWork[];
  readonly done: number;
  readonly failed: number;
  readonly cancelled: number;
  /**
   * Actions handed back to an external production (BullMQ) unfinished, for another process to run:
   * counted apart from finished and unfinished. Present only when the Sequence has one.
   */
  readonly handedBack?: number;
}

export class ShutdownTracker {
  readonly counts = { assigned: 0, done: 0, failed: 0, cancelled: 0 };
  started = false;
  aborting = false;
  drained = false;
  readonly #unfinished = new Map<string, UnfinishedAction>();
  /** Runs live at the deadline: what user code of theirs still runs is named when shutdown resolves. */
  readonly #watched: ActionRun[] = [];
  readonly #resolve: (report: ShutdownReport) => void;
  readonly report: Promise<ShutdownReport>;
  #finished = 0;
  /** Runs handed back to an external production; null without one. */
  #handedBack: number | null;

  constructor(external = false) {
    this.#handedBack = external ? 0 : null;
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
    const counts = this.counts;
    if (status === 'done') counts.done++;
    else if (status === 'failed') counts.failed++;
    else counts.cancelled++;
    // Actions are recorded unfinished only once the deadline came: before it, no lookup.
    if (this.#unfinished.size === 0 || !this.#unfinished.has(run.id)) this.#finished++;
  }

  /** A run left this process unsettled: its external production holds it again. */
  handedBack(): void {
    this.#handedBack = (this.#handedBack ?? 0) + 1;
  }

  begin(): void {
    this.started = true;
  }

  /**
   * The deadline came: record what is still live before it is cancelled. An action in
   * `afterHooks` (its outcome is known) or `cancelling` (cancelled already) is no
   * unfinished work: running its record again would run it twice.
   */
  beginAbort(live: Iterable<ActionRun>): void {
    this.aborting = true;
    for (const run of live) {
      const snapshot = run.actor.getSnapshot();
      const state = String(snapshot.value);
      this.#watched.push(run);
      if (isOutcomeDecided(state)) continue;
      const persisted = persistableRecord(run);
      this.#unfinished.set(run.id, {
        state,
        attempts: snapshot.context.attempts.length,
        record: persisted.record,
        ...(persisted.record === null && { serializationError: serializeError(persisted.error) }),
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
      abandoned: this.#watched.flatMap((run) => (run.working === null ? [] : [{ actionId: run.id, action: run.name, piece: run.working.piece, name: run.working.name }])),
      done: this.counts.done,
      failed: this.counts.failed,
      cancelled: this.counts.cancelled,
      ...(this.#handedBack !== null && { handedBack: this.#handedBack }),
    });
  }
}
