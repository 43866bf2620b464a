/**
 * Test support: real worker processes (test/distributed/fixtures/worker.ts, bundled once with esbuild
 * so each start is a plain `node` start), their output lines, and waits on conditions over them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll } from 'vitest';

const FIXTURES = join(import.meta.dirname, 'fixtures');
// Per test process (node_modules may be shared by several checkouts, whose fixtures differ), inside
// node_modules so that the bundles' bare imports (bullmq, ioredis) resolve.
const BUNDLES = join(process.cwd(), 'node_modules', '.cache', `echo-bullmq-${randomUUID().slice(0, 8)}`);
afterAll(() => rmSync(BUNDLES, { recursive: true, force: true }));
const built = new Set<string>();

/** Settings of a worker process. */
export interface WorkerSettings {
  readonly prefix: string;
  readonly queue: string;
  readonly lockDuration?: number;
  readonly stalledInterval?: number;
  readonly maxStalledCount?: number;
  readonly concurrency?: number;
  /** The fixture to run (a file in test/distributed/fixtures, without `.ts`). @default 'worker' */
  readonly fixture?: string;
  /** More arguments, after the ones above. */
  readonly args?: readonly string[];
}

/** One line a worker printed, with the worker's name. */
export interface WorkerLine {
  readonly worker: string;
  readonly words: readonly string[];
}

/** All lines of all workers of one test, in arrival order, and waits on them. */
export class WorkerLog {
  readonly lines: WorkerLine[] = [];
  readonly #waiters: { test: () => boolean; resolve: () => void }[] = [];

  push(line: WorkerLine): void {
    this.lines.push(line);
    for (const waiter of this.#waiters.splice(0)) {
      if (waiter.test()) waiter.resolve();
      else this.#waiters.push(waiter);
    }
  }

  /** Lines whose first word is `kind`. */
  of(kind: string): WorkerLine[] {
    return this.lines.filter((line) => line.words[0] === kind);
  }

  /**
   * Resolves once `test` holds (checked on every line). Given `what` and `within` (ms), it rejects after that long
   * instead, naming `what` and listing every line so far: a stalled run says where it stalled.
   */
  until(test: () => boolean, deadline?: { readonly what: string; readonly within: number }): Promise<void> {
    if (test()) return Promise.resolve();
    const met = new Promise<void>((resolve) => this.#waiters.push({ test, resolve }));
    if (deadline === undefined) return met;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out after ${deadline.within} ms waiting for ${deadline.what}; lines:\n${this.lines.map((line) => `${line.worker}: ${line.words.join(' ')}`).join('\n')}`)), deadline.within);
    });
    return Promise.race([met, late]).finally(() => clearTimeout(timer));
  }
}

/** A running worker process. */
export interface WorkerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

/** Starts a worker process; resolves once it printed `ready` (it claims jobs from then on). */
export async function startWorker(name: string, settings: WorkerSettings, log: WorkerLog): Promise<WorkerProcess> {
  const fixture = settings.fixture ?? 'worker';
  const bundle = join(BUNDLES, `${fixture}.mjs`);
  if (!built.has(fixture)) {
    buildSync({ entryPoints: [join(FIXTURES, `${fixture}.ts`)], bundle: true, platform: 'node', format: 'esm', outfile: bundle, packages: 'external', logLevel: 'error' });
    built.add(fixture);
  }
  const args = [settings.prefix, settings.queue, settings.lockDuration ?? 1000, settings.stalledInterval ?? 500, settings.maxStalledCount ?? 1, settings.concurrency ?? 4, ...(settings.args ?? [])].map(String);
  const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let buffer = '';
  let stderr = '';
  let ready = false;
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const text of lines) {
      if (text === 'ready') ready = true;
      log.push({ worker: name, words: text.split(' ') });
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await Promise.race([
    log.until(() => ready),
    exited.then(() => {
      throw new Error(`worker ${name} exited before it was ready: ${stderr}`);
    }),
  ]);
  return { name, child, exited, stderr: () => stderr };
}

/** Kills a worker with SIGKILL and waits for it to be gone. */
export async function killWorker(worker: WorkerProcess): Promise<void> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  await worker.exited;
}
