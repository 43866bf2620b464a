import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/random.js';
import { sqliteStore } from '../../src/store/sqliteStore.js';
import { readWal } from '../support/wal.js';

const SOURCE = join(import.meta.dirname, 'fixtures', 'crashChild.ts');
// Compiled once with esbuild (tsx's compiler) into node_modules/.cache, so each restart is a plain, fast `node` start.
const CHILD = join(process.cwd(), 'node_modules', '.cache', 'echo-crash', 'crashChild.mjs');
const KILLS = 24;
/** Every sixth run is killed in the middle of a commit (the child's `tear` mode); the others at a random ack. */
const TORN_EVERY = 6;

const dir = mkdtempSync(join(tmpdir(), 'echo-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  buildSync({ entryPoints: [SOURCE], bundle: true, platform: 'node', format: 'esm', outfile: CHILD, external: ['better-sqlite3'], logLevel: 'error' });
});

/** Spawns the child; resolves `until` once its stdout satisfied the predicate (never a fixed sleep). */
function run(db: string, log: string, seed: number, mode?: 'drain' | 'tear') {
  const child: ChildProcess = spawn(process.execPath, [CHILD, db, log, String(seed), ...(mode === undefined ? [] : [mode])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acks: string[] = [];
  let stderr = '';
  let buffer = '';
  const waiters: { test: () => boolean; resolve: () => void }[] = [];
  let drained = false;
  let torn = false;
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('ack ')) acks.push(line.slice(4));
      if (line === 'drained') drained = true;
      if (line.startsWith('torn ')) torn = true;
    }
    for (const waiter of waiters.splice(0)) if (waiter.test()) waiter.resolve();
      else waiters.push(waiter);
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const until = (test: () => boolean): Promise<void> =>
    test() ? Promise.resolve() : Promise.race([new Promise<void>((resolve) => waiters.push({ test, resolve })), exited.then(() => { throw new Error(`child exited: ${stderr}`); })]);
  return { child, acks, until, exited, drained: () => drained, torn: () => torn, stderr: () => stderr };
}

describe('crash test', () => {
  it(`loses no acknowledged action across ${KILLS} SIGKILLs, runs no settled action again, keeps histories contiguous`, async () => {
    const db = join(dir, 'echo.db');
    const log = join(dir, 'log.txt');
    const random = seededRandom(42);
    const acked = new Set<string>();
    let tornCommits = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const tear = kill % TORN_EVERY === TORN_EVERY - 1;
      const child = run(db, log, kill + 1, tear ? 'tear' : undefined);
      if (tear) {
        await child.exited.catch(() => undefined);
        expect(child.child.signalCode, child.stderr()).toBe('SIGKILL');
        expect(child.torn()).toBe(true);
        // Killed mid-commit: part of the transaction is in the WAL without its commit frame.
        expect(readWal(db).uncommittedFrames).toBeGreaterThan(0);
        tornCommits++;
      } else {
        const target = 1 + Math.floor(random() * 40);
        await child.until(() => child.acks.length >= target);
        child.child.kill('SIGKILL');
        await child.exited;
      }
      for (const id of child.acks) acked.add(id);
    }
    const last = run(db, log, 999, 'drain');
    await last.until(() => last.drained());
    await last.exited;

    const database = new Database(db, { readonly: true });
    const rows = database.prepare('SELECT id, state FROM actions').all() as { id: string; state: string }[];
    database.close();
    const store = sqliteStore(db);
    const byId = new Map(rows.map((row) => [row.id, row]));
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    const settledAt = new Map<string, number>();
    const execs: { id: string; attempt: number; line: number }[] = [];
    lines.forEach((line, index) => {
      const [kind, id, attempt] = line.split(' ');
      if (kind === 'settled' && !settledAt.has(id!)) settledAt.set(id!, index);
      if (kind === 'exec') execs.push({ id: id!, attempt: Number(attempt), line: index });
    });
    expect(lines.filter((line) => line.startsWith('error'))).toEqual([]);

    const lost = [...acked].filter((id) => !byId.has(id));
    const notTerminal = rows.filter((row) => row.state !== 'settled' && row.state !== 'dead');
    const ranAgain = execs.filter((exec) => settledAt.has(exec.id) && exec.line > settledAt.get(exec.id)!);
    const counts = { done: 0, failed: 0, cancelled: 0, dead: 0, interrupted: 0 };
    for (const row of rows) {
      const result = store.result(row.id)!; // decoded: its attempts numbered 1, 2, 3… or it throws
      const ran = execs.filter((exec) => exec.id === row.id).map((exec) => exec.attempt);
      // Every execution is in the history, and every history entry ran (no gaps, nothing invented).
      expect(new Set(ran)).toEqual(new Set(result.attempts.map((a) => a.number)));
      counts[row.state === 'dead' ? 'dead' : result.status]++;
      counts.interrupted += result.attempts.filter((a) => a.outcome === 'interrupted').length;
    }
    store.close();
    console.log(`crash test: ${KILLS} SIGKILLs (${tornCommits} in the middle of a commit), ${acked.size} acknowledged, ${rows.length} stored (follow-ups included), ${execs.length} executions; ` +
      `done ${counts.done}, failed ${counts.failed}, cancelled ${counts.cancelled}, dead letters ${counts.dead}, interrupted attempts ${counts.interrupted}; ` +
      `lost ${lost.length}, not terminal ${notTerminal.length}, settled and ran again ${ranAgain.length}`);
    expect(lost).toEqual([]);
    expect(notTerminal).toEqual([]);
    expect(ranAgain).toEqual([]);
    expect(acked.size).toBeGreaterThan(KILLS);
    expect(counts.interrupted).toBeGreaterThan(0);
    expect(existsSync(db)).toBe(true);
  }, 120_000);
});
