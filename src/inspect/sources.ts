/**
 * What the server streams from: a source has an id, a current state for late
 * joiners, its machines, a stream of messages and (maybe) a control channel.
 * Local targets and `@statelyai/inspect` bridges go through the adapter in this
 * process; remote producers already speak the wire format and are mirrored.
 */
import { createInspectionAdapter, type AdapterOptions } from './adapter.js';
import { SourceMirror } from './mirror.js';
import type { ControlCommand, FullState, MachineMessage, SourceInfo, SourceKind, SourceMessage } from './protocol.js';
import type { InspectorTarget } from './target.js';

/** One stream of actors the server shows. */
export interface Source {
  info(): SourceInfo;
  fullState(): FullState;
  /** What a joining viewer gets of this source, lazily in bounded frames (see the adapter's `joinMessages`). */
  joinMessages(chunk: number, othersWatching?: boolean): Iterable<SourceMessage>;
  machines(): MachineMessage[];
  subscribe(listener: (message: SourceMessage) => void): () => void;
  control(command: ControlCommand): Promise<void>;
  close(): void;
}

/** A target in this process (the Sequence, a fake, a Stately bridge), through an adapter. */
export function createLocalSource(target: InspectorTarget, kind: SourceKind, options: AdapterOptions): Source {
  const adapter = createInspectionAdapter(target.id, target, options);
  const controllable = kind !== 'stately';
  let connected = true;
  return {
    info: () => ({ id: target.id, name: target.name, kind, controllable, connected }),
    fullState: () => adapter.fullState(),
    joinMessages: (chunk, othersWatching) => adapter.joinMessages(chunk, othersWatching),
    machines: () => adapter.machines(),
    subscribe: (listener) => adapter.subscribe(listener),
    control: (command) => target.control(command),
    close() {
      adapter.flush();
      adapter.dispose();
      connected = false;
    },
  };
}

/** A source streamed by another process: its messages are relayed and mirrored for late joiners. */
export interface RemoteSource extends Source {
  receive(message: SourceMessage): void;
  disconnect(): void;
}

/** `sendControl` forwards a command to the producer and settles with its ack. */
export function createRemoteSource(
  id: string,
  name: string,
  sendControl: (command: ControlCommand) => Promise<void>,
  maxActors?: number,
): RemoteSource {
  const mirror = new SourceMirror(id, maxActors);
  const listeners = new Set<(message: SourceMessage) => void>();
  let connected = true;
  return {
    info: () => ({ id, name, kind: 'remote', controllable: connected, connected }),
    fullState: () => mirror.fullState(),
    joinMessages: (chunk) => mirror.joinMessages(chunk),
    machines: () => mirror.machines(),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    control(command) {
      if (!connected) return Promise.reject(new Error(`Source ${id} is disconnected`));
      return sendControl(command);
    },
    receive(message) {
      // The producer's own name for its source is ignored: the connection decides it.
      const relayed = { ...message, source: id } as SourceMessage;
      mirror.apply(relayed);
      for (const listener of listeners) listener(relayed);
    },
    disconnect() {
      connected = false;
    },
    close() {
      connected = false;
      listeners.clear();
    },
  };
}
