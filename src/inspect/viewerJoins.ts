/**
 * A viewer's connection and how its initial state reaches it: a join sends the
 * sources' frames paced by the socket (one frame in flight past a high-water
 * mark), a slow viewer whose deltas were dropped gets a fresh full state once
 * its buffer drains, and a client that does not read at all is closed.
 * @internal
 */
import type { WebSocket } from 'ws';
import { packFrame } from './packedActors.js';
import type { ServerMessage } from './protocol.js';
import type { RemoteSource, Source } from './sources.js';
import type { StatelyBridge } from './stately.js';

/** Bytes queued to a joining viewer before the next frame of its initial state waits for the socket to drain. */
const JOIN_HIGH_WATER = 1024 * 1024;

/** One WebSocket client of the inspector server: a viewer, a producer, a Stately client, or not yet known. */
export interface Connection {
  socket: WebSocket;
  role: 'pending' | 'viewer' | 'producer' | 'stately';
  urlToken: string | undefined;
  /** Sources whose deltas were dropped for this slow viewer: it gets their full state when it drains. */
  stale: Set<string>;
  /** The initial state still to send (one at a time: a repeated `subscribe` replaces it). */
  join: Iterator<ServerMessage> | null;
  /**
   * Sources whose `full` frame the join has not sent yet: their deltas are not sent to this
   * viewer meanwhile (the join's frames, read when sent, hold those changes already).
   */
  joining: Set<string>;
  /** A frame of the join is being written: the join goes on when it is. */
  joinWaiting: boolean;
  /** Waiting for a slow viewer's buffer to be written out (see `watchDrain`). */
  drainWatch: boolean;
  source?: Source & Partial<RemoteSource>;
  bridge?: StatelyBridge;
}

/** The server's state that joins read (the server owns and changes it). */
export interface JoinState {
  readonly sources: ReadonlyMap<string, Source>;
  readonly connections: ReadonlySet<Connection>;
  /** Listeners of every message (a trace recorder): while one listens, deltas have a reader. */
  readonly listeners: ReadonlySet<unknown>;
  readonly socketsOf: ReadonlyMap<WebSocket, Connection>;
  /** Bytes queued to a client that does not read before it is closed. */
  readonly maxClientBuffer: number;
  /** Actors per frame of a joining viewer's initial state. */
  readonly joinChunk: number;
  /** The `sources` message a join starts with. */
  sourcesMessage(): ServerMessage;
}

/** The server's join and buffer handling, over its state. */
export function createViewerJoins(state: JoinState): {
  checkBuffer(socket: WebSocket): void;
  watchDrain(connection: Connection): void;
  startJoin(connection: Connection, only?: string): void;
} {
  /** A client that does not read is closed once its buffer passes the limit (nothing more is queued for it). */
  function checkBuffer(socket: WebSocket): void {
    if (socket.bufferedAmount <= state.maxClientBuffer) return;
    const connection = state.socketsOf.get(socket);
    if (connection) {
      connection.join = null;
      connection.joining.clear();
    }
    socket.close(1008, 'slow-client: the send buffer passed its limit');
    socket.terminate();
  }

  /**
   * Once a slow viewer's buffer is written out, it gets the full state of the sources whose
   * deltas it missed, even if no delta follows (the runtime went idle after a flood): it
   * converges to the runtime's truth instead of showing finished actions as active.
   */
  function watchDrain(connection: Connection): void {
    if (connection.drainWatch) return;
    connection.drainWatch = true;
    // A ping's callback runs once everything queued before it is written.
    connection.socket.ping(undefined, false, () => {
      connection.drainWatch = false;
      if (connection.stale.size === 0 || connection.socket.readyState !== connection.socket.OPEN) return;
      const only = connection.stale.size === 1 && connection.join === null ? [...connection.stale][0] : undefined;
      connection.stale.clear();
      startJoin(connection, only);
    });
  }

  /** What a viewer joining now gets: sources, then per source its machines, actor frames and event history. */
  function* joinMessages(connection: Connection, only?: string): Generator<ServerMessage> {
    if (only === undefined) yield state.sourcesMessage();
    for (const [id, source] of [...state.sources]) {
      if (only !== undefined && id !== only) continue;
      if (only === undefined) yield* source.machines();
      yield* source.joinMessages(state.joinChunk, othersWatch(connection, id));
    }
  }

  /** Whether anyone but `connection` gets `source`'s deltas now (another viewer, a recorder). */
  function othersWatch(connection: Connection, source: string): boolean {
    if (state.listeners.size > 0) return true;
    for (const other of state.connections) if (other !== connection && other.role === 'viewer' && !other.joining.has(source)) return true;
    return false;
  }

  /** Starts (or restarts) a viewer's join: at most one is pending per client, whatever it sends. */
  function startJoin(connection: Connection, only?: string): void {
    connection.joining = new Set(only === undefined ? state.sources.keys() : [only]);
    connection.join = joinMessages(connection, only);
    if (!connection.joinWaiting) pump(connection);
  }

  /** Sends the join's frames while the socket keeps up; waits for a frame to be written before more. */
  function pump(connection: Connection): void {
    connection.joinWaiting = false;
    const socket = connection.socket;
    while (connection.join !== null) {
      if (socket.readyState !== socket.OPEN) {
        connection.join = null;
        return;
      }
      const next = connection.join.next();
      if (next.done === true) {
        connection.join = null;
        connection.joining.clear();
        return;
      }
      if (next.value.type === 'full') connection.joining.delete(next.value.source);
      const text = JSON.stringify(packFrame(next.value));
      if (socket.bufferedAmount + text.length > JOIN_HIGH_WATER) {
        connection.joinWaiting = true;
        socket.send(text, () => pump(connection));
        checkBuffer(socket);
        return;
      }
      socket.send(text);
    }
  }

  return { checkBuffer, watchDrain, startJoin };
}
