/**
 * Trace files: a run recorded as NDJSON of wire messages with timestamps (the
 * format is in `protocol.ts`, shared with the web app, which opens traces offline
 * and records them too). A trace starts with the state at the moment recording
 * began (sources, machines, full states), so it replays on its own.
 */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { systemClock, type Clock } from '../clock.js';
import { createInspectionAdapter, type AdapterOptions } from './adapter.js';
import { formatTraceEntry, formatTraceHeader, parseTrace, type ServerMessage, type Trace } from './protocol.js';
import type { InspectorTarget } from './target.js';

/** Anything that can say what a viewer joining now sees, then stream what follows (the inspector server). */
export interface MessageStream {
  /** What a viewer joining now receives first. */
  snapshot(): ServerMessage[];
  /** Calls `listener` with every later message; returns the unsubscribe function. */
  subscribe(listener: (message: ServerMessage) => void): () => void;
}

/** Records inspector messages into an NDJSON trace file. */
export interface TraceRecorder {
  /** Messages written so far. */
  readonly count: number;
  /** Stops recording and closes the file. */
  stop(): Promise<void>;
}

/** Options of {@link recordTrace}. */
export interface RecordOptions {
  /** Clock of the `t` timestamps. @default systemClock */
  readonly clock?: Clock;
  /** Adapter options, when recording a target directly. */
  readonly adapter?: AdapterOptions;
}

/**
 * Records a server's stream, or a target's (through its own adapter), into `path`.
 * @example
 * const recorder = recordTrace(server, 'run.echo-trace.ndjson');
 * await recorder.stop();
 * const trace = await loadTrace('run.echo-trace.ndjson');
 */
export function recordTrace(from: MessageStream | InspectorTarget, path: string, options: RecordOptions = {}): TraceRecorder {
  const clock = options.clock ?? systemClock;
  const stream = 'subscribeInspection' in from ? streamOfTarget(from, { clock, ...options.adapter }) : { ...from, dispose: () => undefined };
  const file = createWriteStream(path, { encoding: 'utf8' });
  let count = 0;
  let failure: Error | undefined;
  file.on('error', (error) => {
    failure = error;
  });
  file.write(formatTraceHeader(clock.now()));
  const write = (message: ServerMessage): void => {
    count++;
    file.write(formatTraceEntry(clock.now(), message));
  };
  for (const message of stream.snapshot()) write(message);
  const unsubscribe = stream.subscribe(write);
  return {
    get count() {
      return count;
    },
    async stop() {
      stream.dispose(); // flushes a target's last batch into the file first
      unsubscribe();
      await new Promise<void>((resolve) => file.end(resolve));
      if (failure) throw failure;
    },
  };
}

/** Reads a trace file; throws `TraceFormatError` with the line at fault. */
export async function loadTrace(path: string): Promise<Trace> {
  return parseTrace(await readFile(path, 'utf8'));
}

function streamOfTarget(target: InspectorTarget, options: AdapterOptions): MessageStream & { dispose(): void } {
  const adapter = createInspectionAdapter(target.id, target, options);
  return {
    snapshot: () => [
      { type: 'sources', sources: [{ id: target.id, name: target.name, kind: 'echo', controllable: false, connected: true }] },
      ...adapter.machines(),
      adapter.fullState(),
    ],
    subscribe: (listener) => adapter.subscribe(listener),
    dispose() {
      adapter.flush();
      adapter.dispose();
    },
  };
}
