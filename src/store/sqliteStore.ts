/**
 * The durable Store on SQLite (better-sqlite3 12): WAL, `synchronous=NORMAL` by
 * default (a commit survives a process crash; only power loss can roll back the
 * last ones) or `durability: 'full'` (an fsync per commit, survives power loss).
 * One writer: the file is held with `locking_mode=EXCLUSIVE`, so a second process
 * gets a StoreError `locked`. Writes of one event-loop turn are coalesced per
 * action and committed in one transaction (group commit).
 * @example
 * const sequence = new Sequence({ plan, store: sqliteStore('echo.db') });
 */
import type Database from 'better-sqlite3';
import type { AttemptRecord } from '../../machines/actionTypes.js';
import type { ActivityContext } from '../action/ActionActivity.js';
import { SerializationError } from '../errors.js';
import type { EncodedAction, EncodedResult } from './codec.js';
import { parseJson } from './decode.js';
import { RowInserts } from './sqliteInserts.js';
import { openStoreFile, prepareStatements, type Statements } from './sqliteLayout.js';
import { attemptsText, decodeRowAction, decodeRowActivity, decodeRowAttempts, decodeRowResult, decodeShape, extraText, NO_ATTEMPTS, optionalText, sameShape, shapeKey, shapeOf, type Row, type Shape } from './sqliteRows.js';
import { resolveDeadLetterQuery, StoreError, type DeadLetter, type DeadLetterPage, type DeadLetterQuery, type RetentionOptions, type Store, type StoredByKey, type StoredLiveAction, type StoredSchedule } from './Store.js';

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  /** `normal`: survives a process crash; `full`: an fsync per commit, survives power loss. @default 'normal' */
  readonly durability?: 'normal' | 'full';
  /** Check every page at open (`PRAGMA quick_check`), so a damaged file is refused at once. @default true */
  readonly verify?: boolean;
}

const defaultOptions = { durability: 'normal', verify: true } as const satisfies Required<SqliteStoreOptions>;

/**
 * What one action's pending writes come to, merged within a batch: the latest of
 * each field wins, and JSON text is made once, at commit.
 */
interface Pending {
  insert?: EncodedAction;
  attempts?: readonly AttemptRecord[];
  retryAt?: number | null;
  activity?: ActivityContext;
  finish?: { state: 'settled' | 'dead'; result: EncodedResult; settledAt: number };
  redriven?: true;
}

class SqliteStore implements Store {
  readonly durable = true;
  readonly session: number;
  readonly #file: string;
  readonly #db: Database.Database;
  readonly #sql: Statements;
  /** The new rows of the commit under way. */
  readonly #inserts: RowInserts;
  #pending = new Map<string, Pending>();
  /** Schedule writes of the batch: the latest state per id, or null for a removal. */
  readonly #pendingSchedules = new Map<string, StoredSchedule | null>();
  #batch: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } | null = null;
  #closed = false;
  /** Whether the settled rows' index (what retention reads) is known to exist. */
  #retentionIndexed = false;
  /** Shape ids by encoded policy object, then by shape key (the actions of one Plan entry share one); cleared when a commit fails. */
  #shapeIds = new WeakMap<object, Map<string, number>>();
  /** Decoded shapes by id, read once. */
  readonly #shapes = new Map<number, Shape>();
  /** The shape id handed out last, with an action of that shape; cleared with `#shapeIds`. */
  #lastShape: { readonly action: EncodedAction; readonly id: number } | null = null;

  constructor(file: string, options: Required<SqliteStoreOptions>) {
    this.#file = file;
    const { db, session } = openStoreFile(file, options);
    this.#db = db;
    this.session = session;
    this.#sql = prepareStatements(db);
    this.#inserts = new RowInserts(this.#sql);
  }

  live(): StoredLiveAction[] {
    this.#commitNow();
    const rows = this.#sql.live.raw().all() as Row[];
    const live: StoredLiveAction[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      live[i] = this.#read(row, () => ({ action: this.#decodeAction(row), attempts: decodeRowAttempts(row), retryAt: row[7], activity: decodeRowActivity(row) }));
    }
    return live;
  }

  assigned(action: EncodedAction): void {
    this.#write(action.id).insert = action;
  }

  attemptStarted(id: string, attempts: readonly AttemptRecord[]): void {
    const pending = this.#write(id);
    pending.attempts = attempts;
    pending.retryAt = null;
  }

  attemptEnded(id: string, attempts: readonly AttemptRecord[]): void {
    this.#write(id).attempts = attempts;
  }

  backoffChosen(id: string, attempts: readonly AttemptRecord[], retryAt: number): void {
    const pending = this.#write(id);
    pending.attempts = attempts;
    pending.retryAt = retryAt;
  }

  activityChanged(id: string, activity: ActivityContext): void {
    this.#write(id).activity = activity;
  }

  settled(result: EncodedResult): void {
    this.#write(result.id).finish = { state: 'settled', result, settledAt: result.settledAt };
  }

  deadLettered(result: EncodedResult, at: number): void {
    this.#write(result.id).finish = { state: 'dead', result, settledAt: at };
  }

  redriven(ids: readonly string[]): void {
    for (const id of ids) this.#write(id).redriven = true;
  }

  result(id: string): EncodedResult | undefined {
    this.#commitNow();
    const row = this.#sql.byId.raw().get(id) as Row | undefined;
    return row === undefined ? undefined : this.#read(row, () => decodeRowResult(row));
  }

  byIdempotencyKey(key: string): StoredByKey | undefined {
    this.#commitNow();
    const row = this.#sql.byKey.raw().get(key) as Row | undefined;
    if (row === undefined) return undefined;
    return this.#read(row, () => ({ id: row[0], action: this.#decodeAction(row), result: decodeRowResult(row) }));
  }

  deadLetters(query?: DeadLetterQuery): DeadLetterPage {
    const { limit, after, newestFirst } = resolveDeadLetterQuery(query);
    this.#commitNow();
    // One row more than the page tells whether a page follows.
    const rows = (newestFirst ? this.#sql.deadBefore.raw().all(after ?? Number.MAX_SAFE_INTEGER, limit + 1) : this.#sql.deadAfter.raw().all(after ?? 0, limit + 1)) as Row[];
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const letters = rows.map((row): DeadLetter => this.#read(row, () => ({ action: this.#decodeAction(row), result: decodeRowResult(row)!, deadAt: row[12]! })));
    return { letters, next: more ? String(rows[rows.length - 1]![13]) : null, total: this.#sql.deadCount.pluck().get() as number };
  }

  prune(retention: RetentionOptions, now: number): number {
    this.#commitNow();
    let dropped = 0;
    const maxAge = retention.maxAge ?? Infinity;
    const maxCount = retention.maxCount ?? Infinity;
    if (!this.#retentionIndexed && (Number.isFinite(maxAge) || Number.isFinite(maxCount))) {
      this.#sql.retentionIndex.run();
      this.#retentionIndexed = true;
    }
    if (Number.isFinite(maxAge)) dropped += this.#sql.pruneByAge.run(now - maxAge).changes;
    if (Number.isFinite(maxCount)) dropped += this.#sql.pruneByCount.run(maxCount).changes;
    return dropped;
  }

  scheduleSaved(state: StoredSchedule): void {
    this.#open();
    this.#pendingSchedules.set(state.id, state);
    this.#schedule();
  }

  scheduleRemoved(id: string): void {
    this.#open();
    this.#pendingSchedules.set(id, null);
    this.#schedule();
  }

  schedules(): StoredSchedule[] {
    this.#commitNow();
    const rows = this.#sql.schedules.raw().all() as [string, string][];
    return rows.map(([id, state]) => {
      try {
        const parsed = parseJson(state, 'schedule');
        if (typeof parsed !== 'object' || parsed === null || (parsed as { id?: unknown }).id !== id) throw new SerializationError(`Expected \`schedule\` to be the state of schedule "${id}"`, { path: 'schedule' });
        return parsed as StoredSchedule;
      } catch (error) {
        throw new StoreError(`Stored schedule ${id} in ${this.#file} cannot be read: ${(error as Error).message}`, { code: 'corrupt', file: this.#file, cause: error });
      }
    });
  }

  flush(): Promise<void> {
    return this.#batch?.promise ?? Promise.resolve();
  }

  close(): void {
    if (this.#closed) return;
    try {
      this.#commitNow();
    } finally {
      this.#closed = true;
      this.#db.close();
    }
  }

  /** The pending writes of `id`, scheduling the batch's commit for the end of this event-loop turn. */
  #write(id: string): Pending {
    this.#open();
    let pending = this.#pending.get(id);
    if (pending === undefined) this.#pending.set(id, (pending = {}));
    this.#schedule();
    return pending;
  }

  #open(): void {
    if (this.#closed) throw new StoreError(`The store ${this.#file} is closed`, { code: 'closed', file: this.#file });
  }

  /** Schedules the batch's commit for the end of this event-loop turn. */
  #schedule(): void {
    if (this.#batch === null) {
      let resolve!: () => void;
      let reject!: (error: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // A failed commit rejects `accepted` handles; unobserved, it must not be an unhandled rejection.
      promise.catch(() => undefined);
      this.#batch = { promise, resolve, reject };
      setImmediate(() => this.#commitNow());
    }
  }

  /** Commits every pending write in one transaction. */
  #commitNow(): void {
    const batch = this.#batch;
    if (batch === null || this.#closed) return;
    this.#batch = null;
    const pending = this.#pending;
    this.#pending = new Map();
    const schedules = [...this.#pendingSchedules];
    this.#pendingSchedules.clear();
    try {
      this.#db.transaction(() => {
        for (const [id, write] of pending) this.#apply(id, write);
        this.#inserts.drain();
        for (const [id, state] of schedules) {
          if (state === null) this.#sql.removeSchedule.run(id);
          else this.#sql.saveSchedule.run(id, JSON.stringify(state));
        }
      })();
      batch.resolve();
    } catch (error) {
      this.#shapeIds = new WeakMap(); // ids handed out in the rolled-back transaction do not exist
      this.#lastShape = null;
      this.#inserts.clear();
      batch.reject(new StoreError(`Could not commit to the store ${this.#file}: ${(error as Error).message}`, { code: 'corrupt', file: this.#file, cause: error }));
    }
  }

  /** One action's merged writes, in as few statements as its case needs (one, mostly). */
  #apply(id: string, write: Pending): void {
    const { insert, finish, attempts, retryAt, activity } = write;
    const sql = this.#sql;
    if (insert !== undefined) {
      // Assigned (and often settled) within one batch: one row, written once.
      const result = finish?.result;
      const history = result?.attempts ?? attempts;
      this.#inserts.add(
        id, finish?.state ?? 'live', this.#shapeId(insert), optionalText(insert.content), insert.createdAt, extraText(insert), insert.idempotencyKey,
        history === undefined ? NO_ATTEMPTS : attemptsText(history), finish === undefined ? (retryAt ?? null) : null, optionalText(activity),
        result?.status ?? null, optionalText(result?.output), result === undefined || result.error === null ? null : JSON.stringify(result.error), finish?.settledAt ?? null,
      );
    } else {
      if (activity !== undefined) sql.setActivity.run(JSON.stringify(activity), id);
      if (finish !== undefined) {
        const { result } = finish;
        sql.finish.run(finish.state, result.status, optionalText(result.output), result.error === null ? null : JSON.stringify(result.error), attemptsText(result.attempts), finish.settledAt, id);
      } else if (attempts !== undefined && retryAt !== undefined) sql.setAttemptsRetry.run(attemptsText(attempts), retryAt, id);
      else if (attempts !== undefined) sql.setAttempts.run(attemptsText(attempts), id);
      else if (retryAt !== undefined) sql.setRetry.run(retryAt, id);
    }
    if (write.redriven === true) {
      if (insert !== undefined) this.#inserts.drain(); // its row first
      sql.redrive.run(id);
    }
  }

  /** The id of `action`'s shape in \`shapes\`, inserted (inside the running transaction) the first time it is seen. */
  #shapeId(action: EncodedAction): number {
    // The shape of the action before, mostly (a burst of one Plan entry): no key string to make.
    const last = this.#lastShape;
    if (last !== null && sameShape(last.action, action)) return last.id;
    // By policy object first (one per Plan entry), then by the shape's other fields: no policy JSON per action.
    let byKey = this.#shapeIds.get(action.policy);
    if (byKey === undefined) this.#shapeIds.set(action.policy, (byKey = new Map()));
    const key = shapeKey(action);
    let id = byKey.get(key);
    if (id === undefined) {
      const text = JSON.stringify(shapeOf(action));
      this.#sql.insertShape.run(text);
      id = this.#sql.shapeId.pluck().get(text) as number;
      byKey.set(key, id);
    }
    this.#lastShape = { action, id };
    return id;
  }

  /** A row's action, its shape decoded once per distinct shape. */
  #decodeAction(row: Row): EncodedAction {
    const shapeId = row[1];
    let shape = this.#shapes.get(shapeId);
    if (shape === undefined) {
      const text = this.#sql.shapeById.pluck().get(shapeId) as string | undefined;
      if (text === undefined) throw new SerializationError(`Expected \`shape\` to name a stored shape, got ${shapeId}`, { path: 'shape' });
      shape = decodeShape(text);
      this.#shapes.set(shapeId, shape);
    }
    return decodeRowAction(row, shape);
  }

  /** Decodes from a row, or throws a StoreError naming the action. */
  #read<T>(row: Row, decode: () => T): T {
    try {
      return decode();
    } catch (error) {
      throw new StoreError(`Stored action ${row[0]} in ${this.#file} cannot be read: ${(error as Error).message}`, { code: 'corrupt', file: this.#file, cause: error });
    }
  }
}

/**
 * Opens (or creates) the durable store at `file`. Throws a StoreError: `locked`
 * when another process holds it, `corrupt` when the file is damaged or truncated,
 * `not-echo` for another application's database.
 * @example
 * const store = sqliteStore('echo.db', { durability: 'full' });
 */
export function sqliteStore(file: string, options: SqliteStoreOptions = {}): Store {
  if (typeof file !== 'string' || file === '') throw new TypeError(`Expected \`file\` to be a path, got ${String(file)} (${typeof file})`);
  const durability = options.durability ?? defaultOptions.durability;
  if (durability !== 'normal' && durability !== 'full') throw new TypeError(`Expected \`durability\` to be 'normal' or 'full', got ${String(durability)} (${typeof durability})`);
  return new SqliteStore(file, { durability, verify: options.verify ?? defaultOptions.verify });
}
