/**
 * Trace files: NDJSON, one header line then one `{ t, m }` line per message sent to
 * viewers. Pure, no Node imports: the server records them, the web app replays them.
 */
import type { ServerMessage } from './protocol.js';
import { OLDEST_TRACE_VERSION, PROTOCOL_VERSION } from './protocolVersion.js';

export const TRACE_MAGIC = 'echo-inspector-trace';

/** The first line of a trace file: its format version and when it was recorded. */
export interface TraceHeader {
  trace: typeof TRACE_MAGIC;
  version: number;
  /** Wall-clock ms when recording started. */
  startedAt: number;
}

/** One recorded message and when it was sent. */
export interface TraceEntry {
  /** Wall-clock ms when the message was recorded. */
  t: number;
  m: ServerMessage;
}

/** A recorded trace: its header and its entries. */
export interface Trace {
  header: TraceHeader;
  entries: TraceEntry[];
}

/** A trace file that cannot be read, with the 1-based line at fault. */
export class TraceFormatError extends Error {
  override readonly name = 'TraceFormatError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`${message} (line ${line})`);
  }
}

/** The first line of a trace file recorded from `startedAt` (ms). */
export function formatTraceHeader(startedAt: number): string {
  const header: TraceHeader = { trace: TRACE_MAGIC, version: PROTOCOL_VERSION, startedAt };
  return JSON.stringify(header) + '\n';
}

/** One line of a trace file: `message`, sent `t` ms after the start. */
export function formatTraceEntry(t: number, message: ServerMessage): string {
  return JSON.stringify({ t, m: message } satisfies TraceEntry) + '\n';
}

const TRACE_TYPES = new Set(['hello', 'sources', 'full', 'machine', 'delta', 'dead-letters', 'ack', 'error']);

/**
 * Reads a whole trace file. Blank lines are skipped; anything else that is not a
 * trace line throws {@link TraceFormatError}.
 * @example
 * const text = formatTraceHeader(0) + formatTraceEntry(5, { type: 'sources', sources: [] });
 * parseTrace(text).entries.length; // 1
 */
export function parseTrace(text: string): Trace {
  const lines = text.split('\n');
  let header: TraceHeader | undefined;
  const entries: TraceEntry[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new TraceFormatError(`Expected a JSON line, got ${line.slice(0, 40)}: ${(error as Error).message}`, i + 1);
    }
    if (header === undefined) {
      const candidate = value as Partial<TraceHeader> | null;
      if (candidate?.trace !== TRACE_MAGIC) throw new TraceFormatError(`Expected an ${TRACE_MAGIC} header`, i + 1);
      // An older trace is read as it is: each of its versions' messages is one the app still understands.
      if (typeof candidate.version !== 'number' || !Number.isInteger(candidate.version) || candidate.version < OLDEST_TRACE_VERSION || candidate.version > PROTOCOL_VERSION) {
        throw new TraceFormatError(`Expected trace version ${OLDEST_TRACE_VERSION} to ${PROTOCOL_VERSION}, got ${String(candidate.version)}`, i + 1);
      }
      header = { trace: TRACE_MAGIC, version: candidate.version, startedAt: Number(candidate.startedAt ?? 0) };
      continue;
    }
    const entry = value as Partial<TraceEntry> | null;
    const type = (entry?.m as { type?: unknown } | undefined)?.type;
    if (typeof entry?.t !== 'number' || typeof type !== 'string' || !TRACE_TYPES.has(type)) {
      throw new TraceFormatError('Expected a { t: number, m: message } entry', i + 1);
    }
    entries.push(entry as TraceEntry);
  }
  if (header === undefined) throw new TraceFormatError('Empty trace', 1);
  return { header, entries };
}
