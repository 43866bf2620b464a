/**
 * Echo's persistence (`echo-actions/store`): the Store seam, the in-memory store and the durable SQLite store.
 * The SQLite store needs `better-sqlite3` version 12 next to Echo (`npm install better-sqlite3@12`); nothing loads it
 * unless this entry point is imported.
 * @example
 * const durable = new Sequence({ plan, store: sqliteStore('echo.db') }).start();
 * await durable.assign('Charge', { amount: 5 }).accepted; // committed: survives a crash
 */
export { sqliteStore, type SqliteStoreOptions } from './sqliteStore.js';
export { memoryStore } from './memoryStore.js';
export { StoreError, type DeadLetter, type DeadLetterPage, type DeadLetterQuery, type RetentionOptions, type Store, type StoredByKey, type StoredLiveAction, type StoredSchedule } from './Store.js';
export type { DeadLetterPolicy } from './journal.js';
export type { EncodedAction, EncodedResult } from './codec.js';
