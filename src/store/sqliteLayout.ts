/**
 * The SQLite store's file: its tables (layout version 4), how it is opened (WAL,
 * one writer, checked at open) and the statements the store runs, each written once.
 * @internal
 */
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { StoreError } from './Store.js';

/** The layout's version, kept in `PRAGMA user_version`. */
export const LAYOUT_VERSION = 4;
const APPLICATION_ID = 0x4563686f; // 'Echo'

/*
 * Layout 4. An action's row holds what it has of its own as columns (id, content,
 * created_at, idempotency key, attempts, retry_at, activity; once settled: status,
 * output, error, settled_at), the id of its shape in `shapes` (what the actions of
 * one Plan entry share: name, priority, queue, delays, timeouts, retry policy; each
 * distinct shape kept once) and `extra`, the JSON of the fields that differ from
 * their usual value (NULL for most actions). `seq` (the rowid) orders rows by
 * assignment and is the dead letters' page cursor. JSON columns hold JSON text.
 * Only what a lookup needs is indexed, so most rows (settled ones) cost the table
 * and the id index alone: partial indexes hold the live rows (what a restart
 * reads) and the dead letters; the settled rows' index (retention) is made by
 * the first prune, as retention is the one reader of it.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS shapes (id INTEGER PRIMARY KEY, shape TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS actions (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL,
  shape INTEGER NOT NULL REFERENCES shapes(id),
  content TEXT,
  created_at REAL NOT NULL,
  extra TEXT,
  idem TEXT,
  attempts TEXT NOT NULL,
  retry_at REAL,
  activity TEXT,
  status TEXT,
  output TEXT,
  error TEXT,
  settled_at REAL
);
CREATE INDEX IF NOT EXISTS actions_idem ON actions(idem) WHERE idem IS NOT NULL;
CREATE INDEX IF NOT EXISTS actions_live ON actions(seq) WHERE state = 'live';
CREATE INDEX IF NOT EXISTS actions_dead ON actions(seq) WHERE state = 'dead';
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS schedules (id TEXT PRIMARY KEY, state TEXT NOT NULL);
`;

/** Layout 3 to 4: its index of every row by state becomes the partial indexes of layout 4. */
const FROM_LAYOUT_3 = `
DROP INDEX IF EXISTS actions_state;
CREATE INDEX IF NOT EXISTS actions_live ON actions(seq) WHERE state = 'live';
CREATE INDEX IF NOT EXISTS actions_dead ON actions(seq) WHERE state = 'dead';
PRAGMA user_version = 4;
`;

/** The columns a row is read with, in this order (`live`, `deadLetters`, `byIdempotencyKey`, `result`). */
export const ROW_COLUMNS = 'id, shape, content, created_at, extra, idem, attempts, retry_at, activity, status, output, error, settled_at, seq';

/** The values of an inserted row, in the order of `INSERT_INTO`. */
export const INSERT_VALUES = 14;
/** The values of a plain row (no extras, key, retry, activity or error), in the order of `INSERT_PLAIN`: the columns left out are NULL. */
export const PLAIN_VALUES = 9;
/** Rows per multi-row INSERT (`insertMany`, `insertPlainMany`): a batch's new rows go in statements of this many, the rest one by one. */
export const INSERT_BATCH = 64;
const INSERT_INTO = 'INSERT INTO actions (id, state, shape, content, created_at, extra, idem, attempts, retry_at, activity, status, output, error, settled_at) VALUES ';
const INSERT_PLAIN = 'INSERT INTO actions (id, state, shape, content, created_at, attempts, status, output, settled_at) VALUES ';
const rowValues = (count: number) => `(${new Array<string>(count).fill('?').join(', ')})`;
const rowsValues = (count: number) => new Array<string>(INSERT_BATCH).fill(rowValues(count)).join(', ');

/** The SQL of every statement the store runs. */
const SQL = {
  insert: INSERT_INTO + rowValues(INSERT_VALUES),
  insertMany: INSERT_INTO + rowsValues(INSERT_VALUES),
  insertPlain: INSERT_PLAIN + rowValues(PLAIN_VALUES),
  insertPlainMany: INSERT_PLAIN + rowsValues(PLAIN_VALUES),
  setAttempts: 'UPDATE actions SET attempts = ? WHERE id = ?',
  setAttemptsRetry: 'UPDATE actions SET attempts = ?, retry_at = ? WHERE id = ?',
  setRetry: 'UPDATE actions SET retry_at = ? WHERE id = ?',
  setActivity: 'UPDATE actions SET activity = ? WHERE id = ?',
  finish: 'UPDATE actions SET state = ?, status = ?, output = ?, error = ?, attempts = ?, settled_at = ?, retry_at = NULL WHERE id = ?',
  redrive: "UPDATE actions SET state = 'redriven' WHERE id = ? AND state = 'dead'",
  retentionIndex: "CREATE INDEX IF NOT EXISTS actions_settled ON actions(settled_at) WHERE state IN ('settled', 'redriven')",
  live: `SELECT ${ROW_COLUMNS} FROM actions WHERE state = 'live' ORDER BY seq`,
  byId: `SELECT ${ROW_COLUMNS} FROM actions WHERE id = ?`,
  byKey: `SELECT ${ROW_COLUMNS} FROM actions WHERE idem = ? ORDER BY seq DESC LIMIT 1`,
  deadAfter: `SELECT ${ROW_COLUMNS} FROM actions WHERE state = 'dead' AND seq > ? ORDER BY seq LIMIT ?`,
  deadBefore: `SELECT ${ROW_COLUMNS} FROM actions WHERE state = 'dead' AND seq < ? ORDER BY seq DESC LIMIT ?`,
  deadCount: "SELECT count(*) FROM actions WHERE state = 'dead'",
  pruneByAge: "DELETE FROM actions WHERE state IN ('settled', 'redriven') AND settled_at < ?",
  pruneByCount: "DELETE FROM actions WHERE state IN ('settled', 'redriven') AND seq NOT IN (SELECT seq FROM actions WHERE state IN ('settled', 'redriven') ORDER BY settled_at DESC, seq DESC LIMIT ?)",
  shapeId: 'SELECT id FROM shapes WHERE shape = ?',
  insertShape: 'INSERT INTO shapes (shape) VALUES (?) ON CONFLICT (shape) DO NOTHING',
  shapeById: 'SELECT shape FROM shapes WHERE id = ?',
  saveSchedule: 'INSERT INTO schedules (id, state) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state',
  removeSchedule: 'DELETE FROM schedules WHERE id = ?',
  schedules: 'SELECT id, state FROM schedules ORDER BY rowid',
} as const;

/** The store's prepared statements, by name. */
export type Statements = { readonly [K in keyof typeof SQL]: Database.Statement };

/** Prepares every statement of the store once. */
export function prepareStatements(db: Database.Database): Statements {
  return Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)])) as unknown as Statements;
}

/** An opened store file: the database, held for writing by this process, and the count of times it was opened. */
export interface OpenedFile {
  readonly db: Database.Database;
  readonly session: number;
}

/**
 * Opens (or creates) the store file: WAL, `synchronous` per `durability`, the write
 * lock taken now (a second writer is refused at open, not at its first commit), and
 * the file checked (an empty, damaged, foreign or other-version file is a StoreError).
 */
export function openStoreFile(file: string, options: { readonly durability: 'normal' | 'full'; readonly verify: boolean }): OpenedFile {
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
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
    db.exec('BEGIN EXCLUSIVE; COMMIT');
    if (options.verify) {
      const check = db.pragma('quick_check', { simple: true }) as string;
      if (check !== 'ok') throw Object.assign(new Error(`integrity check: ${check}`), { code: 'SQLITE_CORRUPT' });
    }
    const applicationId = db.pragma('application_id', { simple: true }) as number;
    const tables = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name <> 'sqlite_sequence'").pluck().get() as number;
    if (applicationId !== APPLICATION_ID) {
      if (tables > 0) throw new StoreError(`The file ${file} is an SQLite database, but not an Echo store`, { code: 'not-echo', file });
      db.exec(SCHEMA);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${LAYOUT_VERSION}`);
    }
    if ((db.pragma('user_version', { simple: true }) as number) === 3) db.transaction(() => db.exec(FROM_LAYOUT_3))();
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== LAYOUT_VERSION) throw new StoreError(`The store ${file} has layout version ${version}; this Echo reads version ${LAYOUT_VERSION}`, { code: 'version', file });
    db.prepare("INSERT INTO meta (key, value) VALUES ('session', 1) ON CONFLICT (key) DO UPDATE SET value = value + 1").run();
    const session = db.prepare("SELECT value FROM meta WHERE key = 'session'").pluck().get() as number;
    return { db, session };
  } catch (error) {
    db.close();
    if (error instanceof StoreError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new StoreError(`The store ${file} is held by another process (one writer per store); stop it or use another file`, { code: 'locked', file, cause: error });
    }
    throw new StoreError(`The store file ${file} is damaged or not a database (${code ?? 'error'}: ${(error as Error).message})`, { code: 'corrupt', file, cause: error });
  }
}
