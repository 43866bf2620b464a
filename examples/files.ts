/** Seed use case: file Read(path) / Write({ path, content }) actions on real files, and a Sequence running both (write, then read back as a follow-up). */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Sequence, createPlan, type ActionHandle, type ActionTypes, type Plan, type Clock, type RunContext } from '../src/index.js';

/** What a Write action takes. */
export interface WriteContent {
  readonly path: string;
  readonly content: string;
}

/** What a Write action returns: the path (so a follow-up Read can use it) and the bytes written. */
export interface WriteResult {
  readonly path: string;
  readonly bytes: number;
}

/**
 * Reads a UTF-8 file; the attempt's signal aborts the read on cancel, timeout or shutdown.
 * A missing file is marked `retryable: false`: another attempt cannot make it appear.
 */
export async function read(path: string, ctx: RunContext): Promise<string> {
  if (typeof path !== 'string') throw new TypeError(`Expected Read's content to be a path (string), got ${typeof path}`);
  try {
    return await readFile(path, { encoding: 'utf8', signal: ctx.signal });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') Object.assign(error as object, { retryable: false });
    throw error;
  }
}

/** Writes a UTF-8 file; the attempt's signal aborts the write. */
export async function write({ path, content }: WriteContent, ctx: RunContext): Promise<WriteResult> {
  await writeFile(path, content, { encoding: 'utf8', signal: ctx.signal });
  return { path, bytes: Buffer.byteLength(content) };
}

/** The types of the file actions. */
export type FileActions = {
  readonly Read: ActionTypes<string, string>;
  readonly Write: ActionTypes<WriteContent, WriteResult>;
};

/** The file actions: Read(path) and Write({ path, content }). */
export function filePlan(): Plan<FileActions> {
  return createPlan({
    Read: { run: read, description: 'Reads a UTF-8 file' },
    Write: { run: write, description: 'Writes a UTF-8 file' },
  });
}

/** Options of {@link main}. */
export interface FilesOptions {
  /** Directory to write in. @default a new directory under the OS temp dir */
  readonly dir?: string;
  readonly clock?: Clock;
  /** @default console.log */
  readonly log?: (line: string) => void;
}

/** What the example did. */
export interface FilesSummary {
  readonly dir: string;
  /** The Write action's result. */
  readonly written: WriteResult;
  /** What the direct Read action returned. */
  readonly read: string;
  /** What the Read follow-up of the second Write returned. */
  readonly readBack: string;
  /** The follow-up's parent (the Write's id) and its own id. */
  readonly followUp: { readonly parentId: string; readonly id: string };
  /** Error name and message of reading a missing file. */
  readonly missing: { readonly name: string; readonly message: string; readonly attempts: number };
  readonly finished: number;
}

export async function main(options: FilesOptions = {}): Promise<FilesSummary> {
  const log = options.log ?? console.log;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'echo-files-')));
  const sequence = new Sequence({ plan: filePlan(), sites: 2, ...(options.clock !== undefined && { clock: options.clock }) });

  // A follow-up is assigned by the Sequence, not by us: learn its handle from its `assigned` event.
  const followUps = new Map<string, (handle: ActionHandle<string>) => void>();
  const subscription = sequence.events$.subscribe((event) => {
    if (event.type !== 'assigned' || event.parentId === null) return;
    followUps.get(event.parentId)?.(sequence.get(event.actionId) as ActionHandle<string>);
  });
  const followUpOf = (parent: ActionHandle): Promise<ActionHandle<string>> => new Promise((resolve) => followUps.set(parent.id, resolve));

  sequence.start();

  // 1. Write, then Read the same file as a separate action.
  const notes = join(dir, 'notes.txt');
  const written = await sequence.assign('Write', { path: notes, content: 'Echo wrote this.\n' } satisfies WriteContent).result;
  const read = await sequence.assign('Read', notes).result;

  // 2. One Sequence running both: Write, and on success a Read of the path it returns (the seed's NextAction).
  const echo = join(dir, 'echo.txt');
  const writeThenRead = sequence.assign('Write', { path: echo, content: 'written, then read back\n' } satisfies WriteContent, {
    then: { name: 'Read', contentFrom: (output) => output.path },
  });
  const followUp = followUpOf(writeThenRead);
  await writeThenRead.result;
  const readBackHandle = await followUp;
  const readBack = await readBackHandle.result;

  // 3. A missing file: a typed ExecutionError with the ENOENT cause, not retried.
  const missingHandle = sequence.assign('Read', join(dir, 'missing.txt'));
  const missing = await missingHandle.result.then(
    () => ({ name: 'none', message: 'the missing file was read', attempts: 0 }),
    (error: Error) => ({ name: error.name, message: error.message, attempts: missingHandle.getSnapshot().context.attempts.length }),
  );

  const report = await sequence.shutdown({ deadline: 1_000 });
  subscription.unsubscribe();

  log(`dir: ${dir}`);
  log(`Write ${notes} → ${written.bytes} bytes; Read → ${JSON.stringify(read)}`);
  log(`Write ${echo} then Read (follow-up ${readBackHandle.id} of ${writeThenRead.id}) → ${JSON.stringify(readBack)}`);
  log(`Read missing.txt → ${missing.name} after ${missing.attempts} attempt(s): ${missing.message}`);
  log(`shutdown: ${report.finished} finished, ${report.unfinished.length} unfinished`);
  return {
    dir,
    written,
    read,
    readBack,
    followUp: { parentId: writeThenRead.id, id: readBackHandle.id },
    missing,
    finished: report.finished,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) await main();
