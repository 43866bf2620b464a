/**
 * Where a durable Sequence keeps its actions: what was assigned, each attempt's
 * start and end, each backoff with its `retryAt`, how each action settled, and
 * the dead letters. Writes are buffered and committed together (group commit);
 * `flush()` resolves once everything written before it is committed.
 */
import type { AttemptRecord } from '../../machines/actionTypes.js';
import type { ActivityContext } from '../action/ActionActivity.js';
import type { EncodedAction, EncodedResult } from './codec.js';

/** An action the store holds that has not settled: what a restart restores. */
export interface StoredLiveAction {
  readonly action: EncodedAction;
  /** Its attempts so far (the last may be `running`: the process ended while it ran). */
  readonly attempts: readonly AttemptRecord[];
  /** When its planned retry starts, when it was waiting for one. */
  readonly retryAt: number | null;
  /** What its function reported with `ctx.progress`/`ctx.log` (bounded as in memory); null when nothing. */
  readonly activity: ActivityContext | null;
}

/** An action that failed and was set aside, with its whole history. */
export interface DeadLetter {
  readonly action: EncodedAction;
  readonly result: EncodedResult;
  readonly deadAt: number;
}

/** Which page of dead letters to read. */
export interface DeadLetterQuery {
  /** Dead letters on the page, at most. @default 100 */
  readonly limit?: number;
  /** Where the page starts: the `next` of the page before; absent or null for the first page. */
  readonly cursor?: string | null;
  /** Newest first (the inspector's list), instead of oldest first. @default false */
  readonly newestFirst?: boolean;
}

/** One page of dead letters. */
export interface DeadLetterPage {
  readonly letters: DeadLetter[];
  /** The cursor of the page after this one; null on the last page. */
  readonly next: string | null;
  /** How many dead letters there are in all (not yet redriven). */
  readonly total: number;
}

/** The defaults of {@link DeadLetterQuery}. */
export const defaultDeadLetterQuery = { limit: 100, cursor: null, newestFirst: false } as const satisfies Required<DeadLetterQuery>;

/**
 * Validates a dead-letter query and fills its defaults (a TypeError names the bad field).
 * A cursor is the position of the last letter of a page: a non-negative integer, as text.
 */
export function resolveDeadLetterQuery(query: DeadLetterQuery | undefined): { readonly limit: number; readonly after: number | null; readonly newestFirst: boolean } {
  if (query !== undefined && (typeof query !== 'object' || query === null)) throw new TypeError(`Expected the dead-letter query to be an object { limit?, cursor?, newestFirst? }, got ${String(query)} (${typeof query})`);
  const { limit, cursor, newestFirst } = { ...defaultDeadLetterQuery, ...query };
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) throw new TypeError(`Expected \`limit\` to be an integer >= 1, got ${String(limit)} (${typeof limit})`);
  if (cursor !== null && (typeof cursor !== 'string' || !/^\d{1,15}$/.test(cursor))) throw new TypeError(`Expected \`cursor\` to be the \`next\` of a dead-letter page, got ${String(cursor)} (${typeof cursor})`);
  if (typeof newestFirst !== 'boolean') throw new TypeError(`Expected \`newestFirst\` to be a boolean, got ${String(newestFirst)} (${typeof newestFirst})`);
  return { limit, after: cursor === null ? null : Number(cursor), newestFirst };
}

/** A stored action found by its idempotency key. */
export interface StoredByKey {
  readonly id: string;
  readonly action: EncodedAction;
  /** How it settled; undefined while it is live. */
  readonly result: EncodedResult | undefined;
}

/** A schedule's persisted state: `ScheduleState` from `sequence.schedules.list()`, as JSON. */
export interface StoredSchedule {
  readonly id: string;
}

/** Which settled rows to drop. */
export interface RetentionOptions {
  /** Drop settled actions older than this (ms since they settled). @default Infinity */
  readonly maxAge?: number;
  /** Keep at most this many settled actions (the newest). @default Infinity */
  readonly maxCount?: number;
}

/** A Store: Echo's persistence seam. */
export interface Store {
  /** True when what is committed survives the process (false for the in-memory store). */
  readonly durable: boolean;
  /** How many times the store was opened (1 the first time): a durable Sequence's default ids carry it, so they never repeat across restarts. */
  readonly session: number;
  /** The actions to restore: assigned, not settled, not dead-lettered, in assignment order. */
  live(): StoredLiveAction[];
  /** An action was assigned (its acknowledgement is the commit of this write). */
  assigned(action: EncodedAction): void;
  /** An attempt began: `attempts` is the whole history so far. */
  attemptStarted(id: string, attempts: readonly AttemptRecord[]): void;
  /** An attempt ended: `attempts` is the whole history so far. */
  attemptEnded(id: string, attempts: readonly AttemptRecord[]): void;
  /** A retry was planned: `retryAt` is when it starts. */
  backoffChosen(id: string, attempts: readonly AttemptRecord[], retryAt: number): void;
  /** What the action's function reported changed (`ctx.progress`/`ctx.log`): `activity` is the whole of it, bounded. */
  activityChanged(id: string, activity: ActivityContext): void;
  /** An action reached its terminal state. */
  settled(result: EncodedResult): void;
  /** An action failed for good and goes to the dead-letter list with its history. */
  deadLettered(result: EncodedResult, at: number): void;
  /** Marks dead letters as redriven (they leave the dead-letter list). */
  redriven(ids: readonly string[], at: number): void;
  /** How the action `id` settled, or undefined while it is live or unknown. */
  result(id: string): EncodedResult | undefined;
  /** The stored action assigned with this idempotency key. */
  byIdempotencyKey(key: string): StoredByKey | undefined;
  /** One page of the dead letters not yet redriven, oldest first (or newest first); see {@link DeadLetterQuery}. */
  deadLetters(query?: DeadLetterQuery): DeadLetterPage;
  /** Drops settled rows per `retention`; returns how many. */
  prune(retention: RetentionOptions, now: number): number;
  /**
   * A schedule's state changed (added, fired, paused, resumed): committed with the
   * writes of the same turn, so a fire and the action it assigned commit together.
   */
  scheduleSaved(state: StoredSchedule): void;
  /** A schedule was removed. */
  scheduleRemoved(id: string): void;
  /** The stored schedules' states (JSON values, checked by the Scheduler when it takes them back). */
  schedules(): StoredSchedule[];
  /** Resolves once every write made before the call is committed. */
  flush(): Promise<void>;
  /** Commits what is pending and releases the store (its file and lock). */
  close(): void;
}

/** Error opening or writing a store: locked by another process, corrupt, not an Echo store. */
export class StoreError extends Error {
  override name = 'StoreError';
  /** `locked`, `corrupt`, `not-echo`, `version` or `closed`. */
  readonly code: 'locked' | 'corrupt' | 'not-echo' | 'version' | 'closed';
  readonly file: string;

  constructor(message: string, options: { readonly code: StoreError['code']; readonly file: string; readonly cause?: unknown }) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.code = options.code;
    this.file = options.file;
  }
}
