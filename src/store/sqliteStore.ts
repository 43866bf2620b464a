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
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { AttemptRecord } from '../../machines/actionTypes.js';
import { SerializationError } from '../errors.js';
import { decodeActionWithPolicy, decodeAttempts, decodeResult, decodeRetryPolicy, encodeRetryPolicy, type EncodedAction, type EncodedResult, type EncodedRetryPolicy } from './codec.js';
import { parseJson } from './decode.js';
import type { DeadLetter, RetentionOptions, Store, StoredByKey, StoredLiveAction, StoredSchedule } from './Store.js';
import { StoreError } from './Store.js';

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  /** `normal`: survives a process crash; `full`: an fsync per commit, survives power loss. @default 'normal' */
  readonly durability?: 'normal' | 'full';
  /** Check every page at open (`PRAGMA quick_check`), so a damaged file is refused at once. @default true */
  readonly verify?: boolean;
}

const defaultOptions = { durability: 'normal', verify: true } as const satisfies Required<SqliteStoreOptions>;

/** The schema's version, kept in `PRAGMA user_version`. */
const SCHEMA_VERSION = 2;
const APPLICATION_ID = 0x4563686f; // 'Echo'

/** Schedules by id: each row a ScheduleState as JSON (created at open in files made before they were stored). */
const SCHEDULES = 'CREATE TABLE IF NOT EXISTS schedules (id TEXT PRIMARY KEY, state TEXT NOT NULL);';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS policies (id INTEGER PRIMARY KEY, policy TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS actions (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL,
  action TEXT NOT NULL,
  policy INTEGER NOT NULL REFERENCES policies(id),
  attempts TEXT NOT NULL,
  retry_at REAL,
  result TEXT,
  settled_at REAL,
  idem TEXT
);
CREATE INDEX IF NOT EXISTS actions_idem ON actions(idem) WHERE idem IS NOT NULL;
CREATE INDEX IF NOT EXISTS actions_state ON actions(state, settled_at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
${SCHEDULES}
`;

/**
 * What one action's pending writes come to, merged within a batch: the latest of
 * each field wins, and JSON text is made once, at commit.
 */
interface Pending {
  insert?: EncodedAction;
  attempts?: readonly AttemptRecord[];
  retryAt?: number | null;
  finish?: { state: 'settled' | 'dead'; result: EncodedResult; settledAt: number };
  redriven?: true;
}

/*
 * Layout (version 2): an action's row holds its encoded action without the retry
 * policy, and the id of its policy in \`policies\`, where each distinct policy is
 * kept once: the actions of one Plan entry share one, so rows are smaller and a
 * restore decodes each policy once. \`seq\` (the rowid) orders rows by assignment.
 */

/** A settled row's `attempts` column: its history is in `result`, once. */
const NO_ATTEMPTS = '[]';

class SqliteStore implements Store {
  readonly durable = true;
  readonly session: number;
  readonly #file: string;
  readonly #db: Database.Database;
  readonly #pending = new Map<string, Pending>();
  /** Schedule writes of the batch: the latest state per id, or null for a removal. */
  readonly #pendingSchedules = new Map<string, StoredSchedule | null>();
  #batch: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } | null = null;
  #closed = false;
  readonly #insert: Database.Statement;
  readonly #insertSettled: Database.Statement;
  readonly #setAttempts: Database.Statement;
  readonly #setAttemptsRetry: Database.Statement;
  readonly #setRetry: Database.Statement;
  readonly #finish: Database.Statement;
  readonly #redrive: Database.Statement;
  readonly #byId: Database.Statement;
  readonly #byKey: Database.Statement;
  readonly #insertPolicy: Database.Statement;
  readonly #saveSchedule: Database.Statement;
  readonly #removeSchedule: Database.Statement;
  readonly #policyById: Database.Statement;
  /** Policy ids by JSON text, and by the encoded policy object (actions of one Plan entry share one). */
  #policyIds = new Map<string, number>();
  #policyIdsByObject = new WeakMap<object, number>();
  /** Decoded policies by id, read once. */
  readonly #policies = new Map<number, EncodedRetryPolicy>();

  constructor(file: string, options: Required<SqliteStoreOptions>) {
    this.#file = file;
    const existed = file !== ':memory:' && existsSync(file);
    if (existed && statSync(file).size === 0 && !(existsSync(`${file}-wal`) && statSync(`${file}-wal`).size > 0)) {
      throw new StoreError(`The store file ${file} exists but is empty (0 bytes): truncated, or not an Echo store; refusing to start with an empty store`, { code: 'corrupt', file });
    }
    let db: Database.Database;
    try {
      db = new Database(file, { timeout: 0 });
    } catch (error) {
      throw new StoreError(`Could not open the store file ${file}: ${(error as Error).message}`, { code: 'corrupt', file, cause: error });
    }
    this.#db = db;
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
      // Take the write lock now: a second writer is refused at open, not at its first commit.
      db.exec('BEGIN EXCLUSIVE; COMMIT');
      if (options.verify) {
        const check = db.pragma('quick_check', { simple: true }) as string;
        if (check !== 'ok') throw Object.assign(new Error(`integrity check: ${check}`), { code: 'SQLITE_CORRUPT' });
      }
      const applicationId = db.pragma('application_id', { simple: true }) as number;
      const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name <> 'sqlite_sequence'").get() as { n: number };
      if (applicationId !== APPLICATION_ID) {
        if (tables.n > 0) throw new StoreError(`The file ${file} is an SQLite database, but not an Echo store`, { code: 'not-echo', file });
        db.exec(SCHEMA);
        db.pragma(`application_id = ${APPLICATION_ID}`);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      }
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version !== SCHEMA_VERSION) throw new StoreError(`The store ${file} has schema version ${version}; this Echo reads version ${SCHEMA_VERSION}`, { code: 'version', file });
      db.exec(SCHEDULES);
    } catch (error) {
      db.close();
      if (error instanceof StoreError) throw error;
      const code = (error as { code?: string }).code;
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
        throw new StoreError(`The store ${file} is held by another process (one writer per store); stop it or use another file`, { code: 'locked', file, cause: error });
      }
      throw new StoreError(`The store file ${file} is damaged or not a database (${code ?? 'error'}: ${(error as Error).message})`, { code: 'corrupt', file, cause: error });
    }
    this.#insert = db.prepare("INSERT INTO actions (id, state, action, policy, attempts, retry_at, idem) VALUES (?, 'live', ?, ?, ?, ?, ?)");
    // Assigned and settled within one batch (most short actions): one row, written once.
    this.#insertSettled = db.prepare(`INSERT INTO actions (id, state, action, policy, attempts, result, settled_at, idem) VALUES (?, ?, ?, ?, '${NO_ATTEMPTS}', ?, ?, ?)`);
    this.#insertPolicy = db.prepare('INSERT INTO policies (policy) VALUES (?)');
    this.#saveSchedule = db.prepare('INSERT INTO schedules (id, state) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state');
    this.#removeSchedule = db.prepare('DELETE FROM schedules WHERE id = ?');
    this.#policyById = db.prepare('SELECT policy FROM policies WHERE id = ?').pluck();
    this.#loadPolicyIds();
    this.#setAttempts = db.prepare('UPDATE actions SET attempts = ? WHERE id = ?');
    this.#setAttemptsRetry = db.prepare('UPDATE actions SET attempts = ?, retry_at = ? WHERE id = ?');
    this.#setRetry = db.prepare('UPDATE actions SET retry_at = ? WHERE id = ?');
    this.#finish = db.prepare(`UPDATE actions SET state = ?, result = ?, settled_at = ?, retry_at = NULL, attempts = '${NO_ATTEMPTS}' WHERE id = ?`);
    this.#redrive = db.prepare("UPDATE actions SET state = 'redriven' WHERE id = ? AND state = 'dead'");
    this.#byId = db.prepare('SELECT result FROM actions WHERE id = ?');
    this.#byKey = db.prepare('SELECT id, action, policy, result FROM actions WHERE idem = ? ORDER BY seq DESC LIMIT 1');
    db.prepare("INSERT INTO meta (key, value) VALUES ('session', 1) ON CONFLICT (key) DO UPDATE SET value = value + 1").run();
    this.session = (db.prepare("SELECT value FROM meta WHERE key = 'session'").get() as { value: number }).value;
  }

  live(): StoredLiveAction[] {
    this.#commitNow();
    const rows = this.#db.prepare("SELECT id, action, policy, attempts, retry_at FROM actions WHERE state = 'live' ORDER BY seq").raw().all() as [string, string, number, string, number | null][];
    const live: StoredLiveAction[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [id, action, policy, attempts, retryAt] = rows[i]!;
      try {
        live[i] = { action: this.#decodeAction(action, policy), attempts: attempts === NO_ATTEMPTS ? [] : decodeAttempts(parseJson(attempts, 'attempts'), 'attempts'), retryAt };
      } catch (error) {
        this.#unreadable(id, error);
      }
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
    const row = this.#byId.get(id) as { result: string | null } | undefined;
    return row?.result == null ? undefined : this.#read(id, () => decodeResult(parseJson(row.result!, 'result')));
  }

  byIdempotencyKey(key: string): StoredByKey | undefined {
    this.#commitNow();
    const row = this.#byKey.get(key) as { id: string; action: string; policy: number; result: string | null } | undefined;
    if (row === undefined) return undefined;
    return { id: row.id, action: this.#read(row.id, () => this.#decodeAction(row.action, row.policy)), result: row.result === null ? undefined : this.#read(row.id, () => decodeResult(parseJson(row.result!, 'result'))) };
  }

  deadLetters(): DeadLetter[] {
    this.#commitNow();
    const rows = this.#db.prepare("SELECT id, action, policy, result, settled_at FROM actions WHERE state = 'dead' ORDER BY seq").raw().all() as [string, string, number, string, number][];
    return rows.map(([id, action, policy, result, deadAt]) =>
      this.#read(id, () => ({ action: this.#decodeAction(action, policy), result: decodeResult(parseJson(result, 'result')), deadAt })),
    );
  }

  prune(retention: RetentionOptions, now: number): number {
    this.#commitNow();
    let dropped = 0;
    const maxAge = retention.maxAge ?? Infinity;
    const maxCount = retention.maxCount ?? Infinity;
    if (Number.isFinite(maxAge)) {
      dropped += this.#db.prepare("DELETE FROM actions WHERE state IN ('settled', 'redriven') AND settled_at < ?").run(now - maxAge).changes;
    }
    if (Number.isFinite(maxCount)) {
      dropped += this.#db
        .prepare("DELETE FROM actions WHERE state IN ('settled', 'redriven') AND seq NOT IN (SELECT seq FROM actions WHERE state IN ('settled', 'redriven') ORDER BY settled_at DESC, seq DESC LIMIT ?)")
        .run(maxCount).changes;
    }
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
    const rows = this.#db.prepare('SELECT id, state FROM schedules ORDER BY rowid').raw().all() as [string, string][];
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
    const pending = [...this.#pending];
    this.#pending.clear();
    const schedules = [...this.#pendingSchedules];
    this.#pendingSchedules.clear();
    try {
      this.#db.transaction(() => {
        for (const [id, write] of pending) this.#apply(id, write);
        for (const [id, state] of schedules) {
          if (state === null) this.#removeSchedule.run(id);
          else this.#saveSchedule.run(id, JSON.stringify(state));
        }
      })();
      batch.resolve();
    } catch (error) {
      this.#loadPolicyIds(); // ids handed out in the rolled-back transaction do not exist

      batch.reject(new StoreError(`Could not commit to the store ${this.#file}: ${(error as Error).message}`, { code: 'corrupt', file: this.#file, cause: error }));
    }
  }

  /** One action's merged writes, in as few statements as its case needs (one, mostly). */
  #apply(id: string, write: Pending): void {
    const { insert, finish, attempts, retryAt } = write;
    if (insert !== undefined) {
      const { policy, ...action } = insert;
      const policyId = this.#policyId(policy);
      if (finish !== undefined) this.#insertSettled.run(id, finish.state, JSON.stringify(action), policyId, JSON.stringify(finish.result), finish.settledAt, insert.idempotencyKey);
      else this.#insert.run(id, JSON.stringify(action), policyId, attempts === undefined ? NO_ATTEMPTS : JSON.stringify(attempts), retryAt ?? null, insert.idempotencyKey);
    } else if (finish !== undefined) {
      this.#finish.run(finish.state, JSON.stringify(finish.result), finish.settledAt, id);
    } else if (attempts !== undefined && retryAt !== undefined) this.#setAttemptsRetry.run(JSON.stringify(attempts), retryAt, id);
    else if (attempts !== undefined) this.#setAttempts.run(JSON.stringify(attempts), id);
    else if (retryAt !== undefined) this.#setRetry.run(retryAt, id);
    if (write.redriven === true) this.#redrive.run(id);
  }

  /** The id of `policy` in \`policies\`, inserted (inside the running transaction) the first time it is seen. */
  #policyId(policy: EncodedRetryPolicy): number {
    let id = this.#policyIdsByObject.get(policy);
    if (id !== undefined) return id;
    const text = JSON.stringify(policy);
    id = this.#policyIds.get(text);
    if (id === undefined) {
      id = Number(this.#insertPolicy.run(text).lastInsertRowid);
      this.#policyIds.set(text, id);
    }
    this.#policyIdsByObject.set(policy, id);
    return id;
  }

  #loadPolicyIds(): void {
    this.#policyIds = new Map((this.#db.prepare('SELECT policy, id FROM policies').raw().all() as [string, number][]).map(([text, id]) => [text, id]));
    this.#policyIdsByObject = new WeakMap();
  }

  /** A stored action: its row's text, and its policy (decoded once per distinct policy). */
  #decodeAction(text: string, policyId: number): EncodedAction {
    let policy = this.#policies.get(policyId);
    if (policy === undefined) {
      const policyText = this.#policyById.get(policyId) as string | undefined;
      if (policyText === undefined) throw new SerializationError(`Expected \`policy\` to name a stored retry policy, got ${policyId}`, { path: 'policy' });
      policy = encodeRetryPolicy(decodeRetryPolicy(parseJson(policyText, 'policy'), 'policy'));
      this.#policies.set(policyId, policy);
    }
    return decodeActionWithPolicy(parseJson(text, 'action'), policy);
  }

  #read<T>(id: string, decode: () => T): T {
    try {
      return decode();
    } catch (error) {
      this.#unreadable(id, error);
    }
  }

  #unreadable(id: string, error: unknown): never {
    throw new StoreError(`Stored action ${id} in ${this.#file} cannot be read: ${(error as Error).message}`, { code: 'corrupt', file: this.#file, cause: error });
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
