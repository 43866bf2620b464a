/**
 * Records what the live feed receives into a trace file the user downloads. A
 * recording starts with the current state (sources, machines, full states), so
 * it replays on its own.
 */
import { formatTraceEntry, formatTraceHeader, type ServerMessage, type WireActor } from '../../../src/inspect/protocol.js';
import { newestFirst } from '../state/derive.js';
import { VIEW_FIELDS, type ActorView, type AppState } from '../state/model.js';

export interface Recording {
  /** Entries so far. */
  readonly count: number;
  add(message: ServerMessage, at: number): void;
  /** The trace file's text. */
  text(): string;
}

/** Messages that rebuild `state`: what a recording starts with. */
export function snapshotMessages(state: AppState, at: number): ServerMessage[] {
  const messages: ServerMessage[] = [{ type: 'sources', sources: state.sources }];
  for (const [key, machine] of Object.entries(state.machines)) {
    messages.push({ type: 'machine', source: key.slice(0, key.lastIndexOf('|')), machine });
  }
  const bySource = new Map<string, WireActor[]>();
  for (const source of state.sources) bySource.set(source.id, []);
  for (const actor of newestFirst([...state.actors.values()]).reverse()) {
    let list = bySource.get(actor.source);
    if (!list) bySource.set(actor.source, (list = []));
    list.push(toWire(actor));
  }
  for (const [source, actors] of bySource) {
    const stats = state.stats[source] ?? { actors: actors.length, finished: 0, droppedActors: 0, droppedEvents: 0 };
    messages.push({ type: 'full', source, at: at - (state.offsets[source] ?? 0), actors, stats });
  }
  return messages;
}

function toWire(actor: ActorView): WireActor {
  const wire: Partial<ActorView> = { ...actor };
  for (const field of VIEW_FIELDS) delete wire[field];
  return wire as WireActor;
}

export function createRecording(state: AppState, startedAt: number): Recording {
  const lines: string[] = [formatTraceHeader(startedAt)];
  for (const message of snapshotMessages(state, startedAt)) lines.push(formatTraceEntry(startedAt, message));
  return {
    get count() {
      return lines.length - 1;
    },
    add(message, at) {
      if (message.type === 'ack' || message.type === 'hello') return;
      lines.push(formatTraceEntry(at, message));
    },
    text: () => lines.join(''),
  };
}

/** Offers `text` as a file download. */
export function download(text: string, filename: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
