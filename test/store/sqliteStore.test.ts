import { spawn } from 'node:child_process';
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { resolveRetryPolicy } from '../../src/retryPolicy.js';
import { encodeAction, encodeResult } from '../../src/store/codec.js';
import { memoryStore } from '../../src/store/memoryStore.js';
import { openStoreFile } from '../../src/store/sqliteLayout.js';
import { sqliteStore } from '../../src/store/sqliteStore.js';
import { StoreError, type Store } from '../../src/store/Store.js';
import { readWal } from '../support/wal.js';
import { tempStoreFiles } from '../support/tempStoreFile.js';

const tempFile = tempStoreFiles('store');

const action = (id: string, key: string | null = null) =>
  encodeAction({
    id, name: 'Send', content: { to: id }, metadata: {}, priority: 'normal', queue: 'default', license: null, followUps: [], idempotencyKey: key ?? undefined,
    policy: resolveRetryPolicy(), createdAt: 0, startDelay: 0, attemptTimeout: null, totalTimeout: null, cancelGrace: 100, parentId: null,
  });
const done = (id: string, settledAt = 10) => encodeResult({ id, status: 'done', output: 'ok', error: null, settledAt, attempts: [{ number: 1, startedAt: 1, endedAt: 2, outcome: 'succeeded', error: null, backoff: null }] });

function contract(name: string, open: () => Store) {
  describe(`${name} contract`, () => {
    it('keeps live actions with their attempts and retryAt, results by id and by key, dead letters, retention', async () => {
      const store = open();
      store.assigned(action('a-1', 'k1'));
      store.assigned(action('a-2'));
      store.assigned(action('a-3'));
      store.backoffChosen('a-2', [{ number: 1, startedAt: 1, endedAt: 2, outcome: 'failed', error: null, backoff: 100 }], 102);
      store.settled(done('a-1'));
      store.deadLettered({ ...done('a-3'), status: 'failed' }, 20);
      await store.flush();
      expect(store.live().map((l) => [l.action.id, l.retryAt, l.attempts.length])).toEqual([['a-2', 102, 1]]);
      expect(store.result('a-1')?.output).toBe('ok');
      expect(store.byIdempotencyKey('k1')).toMatchObject({ id: 'a-1', result: { status: 'done' } });
      expect(store.deadLetters().letters.map((d) => d.action.id)).toEqual(['a-3']);
      store.redriven(['a-3'], 30);
      expect(store.deadLetters().letters).toEqual([]);
      store.assigned(action('a-4'));
      store.settled(done('a-4', 50));
      expect(store.prune({ maxCount: 1 }, 60)).toBe(2); // a-1 and the redriven a-3
      expect(store.result('a-4')).toBeDefined();
      expect(store.prune({ maxAge: 5 }, 60)).toBe(1);
      expect(store.result('a-4')).toBeUndefined();
      store.close();
    });

    it('reads dead letters in pages, oldest or newest first, with a cursor and the total', async () => {
      const store = open();
      const failed = (id: string) => ({ ...done(id), status: 'failed' as const });
      for (let i = 1; i <= 5; i++) store.assigned(action(`d-${i}`));
      store.assigned(action('live'));
      for (let i = 1; i <= 5; i++) store.deadLettered(failed(`d-${i}`), 100 + i);
      await store.flush();
      const ids = (page: ReturnType<Store['deadLetters']>) => page.letters.map((letter) => letter.action.id);
      const first = store.deadLetters({ limit: 2 });
      expect([ids(first), first.total]).toEqual([['d-1', 'd-2'], 5]);
      const second = store.deadLetters({ limit: 2, cursor: first.next });
      expect(ids(second)).toEqual(['d-3', 'd-4']);
      store.redriven(['d-3'], 200); // leaving the list between two pages moves no later letter to an earlier page
      const third = store.deadLetters({ limit: 2, cursor: second.next });
      expect([ids(third), third.next, third.total]).toEqual([['d-5'], null, 4]);
      const newest = store.deadLetters({ limit: 3, newestFirst: true });
      expect(ids(newest)).toEqual(['d-5', 'd-4', 'd-2']);
      expect(ids(store.deadLetters({ limit: 3, newestFirst: true, cursor: newest.next }))).toEqual(['d-1']);
      expect(store.deadLetters().letters[0]).toMatchObject({ deadAt: 101, result: { status: 'failed', attempts: [{ outcome: 'succeeded' }] } });
      expect(() => store.deadLetters({ limit: 0 })).toThrow(/Expected `limit` to be an integer >= 1, got 0/);
      expect(() => store.deadLetters({ cursor: 'page-2' })).toThrow(/Expected `cursor` to be the `next` of a dead-letter page, got page-2/);
      store.close();
    });
  });
}
contract('memoryStore', memoryStore);
contract('sqliteStore', () => sqliteStore(tempFile()));


describe('sqliteStore', () => {
  it('commits the writes of one event-loop turn in one transaction, and survives reopening', async () => {
    const file = tempFile();
    const store = sqliteStore(file);
    store.assigned(action('a-0'));
    await store.flush();
    const before = readWal(file).commits;
    expect(before).toBeGreaterThan(0); // the counter sees commits at all
    for (let i = 1; i <= 100; i++) store.assigned(action(`a-${i}`));
    for (let i = 1; i <= 50; i++) store.settled(done(`a-${i}`));
    const accepted = store.flush();
    await accepted;
    // One commit: 100 inserts and 50 settlements of one turn are one transaction in the WAL, not 150.
    expect(readWal(file).commits - before).toBe(1);
    store.close();
    const db = new Database(file, { readonly: true });
    expect((db.prepare('SELECT count(*) AS n FROM actions').get() as { n: number }).n).toBe(101);
    db.close();
    const again = sqliteStore(file);
    expect(again.live()).toHaveLength(51);
    again.close();
  });

  it('refuses a second writer process with a typed error', async () => {
    const file = tempFile();
    const store = sqliteStore(file);
    store.assigned(action('a-1'));
    await store.flush();
    const script = `
      import { sqliteStore } from './src/store/sqliteStore.ts';
      try { sqliteStore(${JSON.stringify(file)}); console.log('opened'); }
      catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const answer = JSON.parse(out.trim()) as { name: string; code: string; message: string };
    expect(answer).toMatchObject({ name: 'StoreError', code: 'locked' });
    expect(answer.message).toMatch(/held by another process/);
    store.close();
  });

  it('answers a typed error for a corrupted, truncated, empty or foreign file, never an empty store', async () => {
    const file = tempFile();
    const store = sqliteStore(file);
    for (let i = 1; i <= 2000; i++) store.assigned(action(`a-${i}`));
    await store.flush();
    store.close();
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(8192);

    const garbage = tempFile();
    writeFileSync(garbage, Buffer.alloc(20_000, 7));
    expect(() => sqliteStore(garbage)).toThrow(expect.objectContaining({ name: 'StoreError', code: 'corrupt' }));

    const truncated = tempFile();
    writeFileSync(truncated, readFileSync(file));
    truncateSync(truncated, Math.floor(size / 2));
    expect(() => sqliteStore(truncated)).toThrow(expect.objectContaining({ name: 'StoreError', code: 'corrupt' }));

    const scribbled = tempFile();
    const bytes = readFileSync(file);
    bytes.fill(0xff, 4096 * 2, 4096 * 2 + 600); // a damaged b-tree page
    writeFileSync(scribbled, bytes);
    expect(() => sqliteStore(scribbled)).toThrow(StoreError);

    const empty = tempFile();
    writeFileSync(empty, '');
    expect(() => sqliteStore(empty)).toThrow(expect.objectContaining({ code: 'corrupt' }));

    const foreign = tempFile();
    const db = new Database(foreign);
    db.exec('CREATE TABLE notes (x)');
    db.close();
    expect(() => sqliteStore(foreign)).toThrow(expect.objectContaining({ code: 'not-echo' }));
  });

  it('a row that no longer decodes is a typed error naming the action and the field, not a crash', async () => {
    const file = tempFile();
    const store = sqliteStore(file);
    store.assigned(action('a-1'));
    store.assigned(action('a-2'));
    store.close();
    const damage = (sql: string) => {
      const db = new Database(file);
      db.prepare(sql).run();
      db.close();
    };
    const refusal = (pattern: RegExp) => {
      const again = sqliteStore(file);
      try {
        expect(() => again.live()).toThrow(expect.objectContaining({ name: 'StoreError', code: 'corrupt', message: expect.stringMatching(pattern) }));
      } finally {
        again.close();
      }
    };
    damage("UPDATE actions SET content = '{\"to\": ' WHERE id = 'a-2'");
    refusal(/a-2.*`content` to be JSON text/);
    damage(`UPDATE actions SET content = '{"to": "a-2"}', created_at = -1e400 WHERE id = 'a-2'`);
    refusal(/a-2.*`createdAt`/);
    damage(`UPDATE actions SET created_at = 0, extra = '{"parentId": ""}' WHERE id = 'a-2'`);
    refusal(/a-2.*`parentId`/);
    damage(`UPDATE actions SET extra = '{"id": "a-9"}' WHERE id = 'a-2'`);
    refusal(/a-2.*`id`: Invalid key/);
    damage("UPDATE actions SET extra = NULL, attempts = '[{\"number\": 2}]' WHERE id = 'a-2'");
    refusal(/a-2.*`attempts\[0\]/);
    damage("UPDATE actions SET attempts = '[]', activity = '{\"logsDropped\": -1}' WHERE id = 'a-2'");
    refusal(/a-2.*`activity.logsDropped`/);
    damage("UPDATE actions SET activity = NULL WHERE id = 'a-2'");
    damage("UPDATE shapes SET shape = json_set(shape, '$.priority', 'urgent')");
    refusal(/a-1.*priority/);
  });

  it('keeps each distinct shape (name, options, retry policy) once; a damaged or missing shape is a typed error naming the action', async () => {
    const file = tempFile();
    const store = sqliteStore(file);
    for (let i = 1; i <= 3; i++) store.assigned(action(`a-${i}`));
    store.assigned({ ...action('a-4'), policy: { ...action('a-4').policy, attempts: 7 } });
    store.close();
    const reopened = sqliteStore(file);
    expect(reopened.live().map((live) => live.action.policy.attempts)).toEqual([3, 3, 3, 7]);
    expect(reopened.live().map((live) => live.action)).toEqual([1, 2, 3].map((i) => action(`a-${i}`)).concat({ ...action('a-4'), policy: { ...action('a-4').policy, attempts: 7 } }));
    reopened.close();
    const db = new Database(file);
    expect(db.prepare('SELECT count(*) FROM shapes').pluck().get()).toBe(2);
    db.pragma('foreign_keys = OFF'); // damage the way another tool could
    db.prepare("UPDATE shapes SET shape = json_set(shape, '$.policy.factor', 0.5) WHERE id = 2").run();
    db.prepare("UPDATE actions SET shape = 99 WHERE id = 'a-1'").run();
    db.close();
    const again = sqliteStore(file);
    expect(() => again.live()).toThrow(expect.objectContaining({ name: 'StoreError', code: 'corrupt', message: expect.stringMatching(/a-1.*shape/) }));
    expect(() => again.deadLetters()).not.toThrow();
    again.close();
    const fixed = new Database(file);
    fixed.prepare("UPDATE actions SET shape = 1 WHERE id = 'a-1'").run();
    fixed.close();
    const last = sqliteStore(file);
    expect(() => last.live()).toThrow(expect.objectContaining({ name: 'StoreError', message: expect.stringMatching(/a-4.*factor/) }));
    last.close();
  });

  it('inserts the new rows of a commit in assignment order, 64 to a statement and the rest one by one, plain rows and rows with more mixed; a row dead-lettered and redriven in its own turn ends redriven', async () => {
    const file = tempFile();
    const store = sqliteStore(file);
    const ids = Array.from({ length: 300 }, (_, i) => `a-${i}`); // 64 + 64 + 22 plain ones, then plain ones among ones with a key
    for (const [i, id] of ids.entries()) store.assigned(action(id, i >= 150 && i % 3 === 0 ? `key-${i}` : null));
    store.deadLettered({ ...done('a-70'), status: 'failed' }, 20);
    store.redriven(['a-70'], 21);
    await store.flush();
    expect(store.live().map((l) => l.action.id)).toEqual(ids.filter((id) => id !== 'a-70'));
    expect([store.byIdempotencyKey('key-153')?.id, store.byIdempotencyKey('key-154'), store.live()[200]?.action.idempotencyKey]).toEqual(['a-153', undefined, 'key-201']);
    expect(store.deadLetters().total).toBe(0);
    expect(store.result('a-70')?.status).toBe('failed');
    store.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT id FROM actions ORDER BY seq').pluck().all()).toEqual(ids);
    expect(db.prepare("SELECT state FROM actions WHERE id = 'a-70'").pluck().get()).toBe('redriven');
    db.close();
  });

  it('indexes the live rows and the dead letters only; the settled rows get their index with the first prune; a layout-3 file is taken to layout 4', async () => {
    const file = tempFile();
    const indexes = (db: Database.Database) => db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").pluck().all();
    const store = sqliteStore(file);
    store.assigned(action('a-1'));
    store.settled(done('a-1', 10));
    store.close();
    // Back to layout 3 by hand: its one index of every row by state.
    let db = new Database(file);
    expect(indexes(db)).toEqual(['actions_dead', 'actions_idem', 'actions_live']);
    db.exec("DROP INDEX actions_live; DROP INDEX actions_dead; CREATE INDEX actions_state ON actions(state, settled_at); PRAGMA user_version = 3");
    db.close();
    const again = sqliteStore(file);
    expect(again.result('a-1')?.output).toBe('ok');
    again.assigned(action('a-2'));
    await again.flush();
    expect(again.live().map((l) => l.action.id)).toEqual(['a-2']);
    expect(again.prune({ maxAge: 5 }, 100)).toBe(1);
    again.close();
    db = new Database(file, { readonly: true });
    expect([db.pragma('user_version', { simple: true }), indexes(db)]).toEqual([4, ['actions_dead', 'actions_idem', 'actions_live', 'actions_settled']]);
    db.close();
  });

  it("opens the file in WAL with synchronous=NORMAL by default and FULL with durability 'full'", () => {
    for (const [durability, synchronous] of [['normal', 1], ['full', 2]] as const) {
      const { db } = openStoreFile(tempFile(), { durability, verify: true });
      expect([db.pragma('journal_mode', { simple: true }), db.pragma('synchronous', { simple: true }), db.pragma('locking_mode', { simple: true })]).toEqual(['wal', synchronous, 'exclusive']);
      db.close();
    }
    expect(() => sqliteStore(tempFile(), { durability: 'fsync' as never })).toThrow(/Expected `durability` to be 'normal' or 'full', got fsync/);
  });
});
