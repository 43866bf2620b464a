/**
 * `inspect(targets)`: an HTTP + WebSocket server that serves the built inspector
 * app and streams every source live. Binds 127.0.0.1 by default; control commands
 * need the token printed in the URL (like a notebook server); browsers from other
 * origins are refused; malformed or oversized frames get an error frame and the
 * process carries on.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { defaultInspectOptions, type InspectOptions } from './inspectOptions.js';
import { allowedHostNames, hostAllowed, sameOrigin, SECURITY_HEADERS, tokenEquals } from './httpGuard.js';
import {
  PROTOCOL_VERSION,
  splitFullState,
  type ControlCommand,
  type ErrorCode,
  type ProducerAccepted,
  type ProducerControl,
  type ServerMessage,
  type SourceMessage,
} from './protocol.js';
import { packFrame } from './packedActors.js';
import { RemoteControls } from './RemoteControls.js';
import { createLocalSource, createRemoteSource, type RemoteSource, type Source } from './sources.js';
import { StatelyBridge, type StatelyEvent } from './stately.js';
import { defaultStaticDir, serveStatic } from './static.js';
import type { InspectorTarget } from './target.js';
import { createViewerJoins, type Connection } from './viewerJoins.js';
import { checkProducerMessage, checkViewerMessage, isStatelyMessage } from './validate.js';

export interface InspectorServer {
  /** The page's URL, with the token. */
  readonly url: string;
  readonly token: string;
  readonly port: number;
  readonly host: string;
  /** Streams one more target; returns a function that removes it. */
  addSource(target: InspectorTarget): () => void;
  /** Every message as sent to viewers (a trace recorder listens here). */
  subscribe(listener: (message: ServerMessage) => void): () => void;
  /** What a viewer joining now receives first. */
  snapshot(): ServerMessage[];
  /** Closes every connection and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts the inspector server for one or more targets.
 * @example
 * const server = await inspect(sequence);
 * console.log(`Echo inspector: ${server.url}`);
 * await server.close();
 */
export async function inspect(targets: InspectorTarget | readonly InspectorTarget[] = [], options: InspectOptions = {}): Promise<InspectorServer> {
  const config = { ...defaultInspectOptions, ...options };
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    throw new TypeError(`Expected \`port\` to be an integer from 0 to 65535, got ${String(config.port)} (${typeof config.port})`);
  }
  const token = config.token !== '' ? config.token : (process.env.ECHO_INSPECT_TOKEN ?? '') !== '' ? process.env.ECHO_INSPECT_TOKEN! : randomBytes(24).toString('base64url');
  const hostNames = allowedHostNames(config.host, config.allowedHosts);
  const staticDir = config.staticDir !== '' ? config.staticDir : defaultStaticDir();
  const sources = new Map<string, Source & Partial<RemoteSource>>();
  const unsubscribers = new Map<string, () => void>();
  const connections = new Set<Connection>();
  const listeners = new Set<(message: ServerMessage) => void>();
  let nextId = 1;
  const remoteControls = new RemoteControls(config.clock, config.controlTimeout, () => nextId++);

  const http = createServer((request, response) => {
    if (!hostAllowed(request, hostNames)) {
      response.writeHead(403, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end('Forbidden: unknown Host');
      return;
    }
    void serveStatic(staticDir, request, response);
  });
  const wss = new WebSocketServer({
    server: http,
    maxPayload: config.maxProducerMessageBytes,
    verifyClient: ({ req }: { req: IncomingMessage }, done: (ok: boolean, code?: number, reason?: string) => void) => {
      if (!hostAllowed(req, hostNames)) return done(false, 403, 'Forbidden: unknown Host');
      return sameOrigin(req) ? done(true) : done(false, 403, 'Forbidden: the inspector only accepts pages it served');
    },
  });

  const socketsOf = new Map<WebSocket, Connection>();
  const send = (socket: WebSocket, message: ServerMessage | ProducerControl | ProducerAccepted): void => {
    if (socket.readyState !== socket.OPEN) return;
    socket.send(JSON.stringify(message));
    checkBuffer(socket);
  };
  const { checkBuffer, watchDrain, startJoin } = createViewerJoins({
    sources,
    connections,
    listeners,
    socketsOf,
    maxClientBuffer: config.maxClientBuffer,
    joinChunk: config.joinChunk,
    sourcesMessage,
  });
  const fail = (socket: WebSocket, code: ErrorCode, message: string, ref?: string): void =>
    send(socket, ref === undefined ? { type: 'error', code, message } : { type: 'error', code, message, ref });

  function sourcesMessage(): ServerMessage {
    return { type: 'sources', sources: [...sources.values()].map((source) => source.info()) };
  }

  function broadcast(message: ServerMessage, sourceId?: string): void {
    for (const listener of listeners) listener(message);
    // Encoded once for every viewer, and only when one gets it (a join's catch-up flush may have no one else to go to).
    let text: string | undefined;
    for (const connection of connections) {
      if (connection.role !== 'viewer') continue;
      const socket = connection.socket;
      if (sourceId !== undefined && message.type === 'delta') {
        if (connection.joining.has(sourceId)) continue;
        if (socket.bufferedAmount > config.maxViewerBuffer) {
          connection.stale.add(sourceId);
          watchDrain(connection);
          continue;
        }
        if (connection.stale.delete(sourceId)) {
          // The full state already holds this delta's changes: sent paced, like a join.
          const source = sources.get(sourceId);
          if (source) startJoin(connection, connection.join !== null ? undefined : sourceId);
          continue;
        }
      }
      if (socket.readyState === socket.OPEN) {
        socket.send((text ??= JSON.stringify(packFrame(message))));
        checkBuffer(socket);
      }
    }
  }

  function attach(source: Source & Partial<RemoteSource>): () => void {
    const id = source.info().id;
    if (sources.has(id)) throw new TypeError(`Expected a unique source id, got ${JSON.stringify(id)} twice`);
    sources.set(id, source);
    unsubscribers.set(id, source.subscribe((message: SourceMessage) => broadcast(message, id)));
    for (const message of source.machines()) broadcast(message);
    for (const message of splitFullState(source.fullState())) broadcast(message);
    broadcast(sourcesMessage());
    return () => detach(id);
  }

  function detach(id: string): void {
    const source = sources.get(id);
    if (!source) return;
    unsubscribers.get(id)?.();
    unsubscribers.delete(id);
    source.close();
    sources.delete(id);
    broadcast(sourcesMessage());
  }

  function snapshot(): ServerMessage[] {
    const out: ServerMessage[] = [sourcesMessage()];
    for (const source of sources.values()) out.push(...source.machines(), ...splitFullState(source.fullState()));
    return out;
  }

  const tokenMatches = (candidate: string | undefined): boolean => tokenEquals(candidate, token);

  function onViewerMessage(connection: Connection, value: unknown): void {
    const message = checkViewerMessage(value);
    if (typeof message === 'string') return fail(connection.socket, 'bad-message', message);
    const socket = connection.socket;
    if (message.type === 'subscribe') {
      connection.role = 'viewer';
      connection.stale.clear();
      const canControl = tokenMatches(message.token ?? connection.urlToken);
      send(socket, { type: 'hello', version: PROTOCOL_VERSION, server: config.name, canControl, maxMessageBytes: config.maxViewerMessageBytes });
      startJoin(connection);
      return;
    }
    if (!tokenMatches(message.token ?? connection.urlToken)) {
      return fail(socket, 'unauthorized', 'Control commands need the token printed when the inspector started', message.ref);
    }
    const source = sources.get(message.source);
    if (!source) return fail(socket, 'unknown-source', `No source ${JSON.stringify(message.source)}`, message.ref);
    source.control(message.command).then(
      () => send(socket, { type: 'ack', ref: message.ref, ok: true }),
      (error: unknown) => send(socket, { type: 'ack', ref: message.ref, ok: false, error: errorText(error) }),
    );
  }

  function onProducerMessage(connection: Connection, value: unknown): void {
    const message = checkProducerMessage(value);
    if (typeof message === 'string') return fail(connection.socket, 'bad-message', message);
    if (message.type === 'produce') {
      const socket = connection.socket;
      if (connection.source) return fail(socket, 'bad-message', 'This connection already produces a source');
      if (!tokenMatches(message.token ?? connection.urlToken)) {
        fail(socket, 'unauthorized', 'A producer needs the token printed when the inspector started');
        socket.close(4401, 'unauthorized');
        return;
      }
      const existing = sources.get(message.source.id);
      if (existing !== undefined && (existing.info().kind !== 'remote' || existing.info().connected)) {
        // A producer never takes over another source's id (a live producer's, or a local source's).
        fail(socket, 'source-in-use', `Source id ${JSON.stringify(message.source.id)} is in use by another source`);
        socket.close(4409, 'source-in-use');
        return;
      }
      if (existing) detach(message.source.id); // the same producer reconnecting
      const remote = createRemoteSource(message.source.id, message.source.name, (command) => controlRemote(connection, command));
      connection.role = 'producer';
      connection.source = remote;
      attach(remote);
      send(socket, { type: 'produced', source: message.source.id });
      return;
    }
    if (message.type === 'ack') {
      remoteControls.acknowledge(message);
      return;
    }
    if (!connection.source?.receive) return fail(connection.socket, 'bad-message', 'Send `produce` before source messages');
    connection.source.receive(message);
  }

  function controlRemote(connection: Connection, command: ControlCommand): Promise<void> {
    return remoteControls.request(command, (ref) => send(connection.socket, { type: 'control', ref, command }));
  }

  function onStatelyMessage(connection: Connection, value: StatelyEvent): void {
    if (!connection.bridge) {
      if (!tokenMatches(connection.urlToken)) {
        fail(connection.socket, 'unauthorized', 'An @statelyai/inspect client needs the token in its URL (ws://HOST:PORT/?token=…)');
        connection.socket.close(4401, 'unauthorized');
        return;
      }
      const id = `xstate-${nextId++}`;
      connection.bridge = new StatelyBridge(id, `XState app ${id.slice(7)}`);
      connection.role = 'stately';
      connection.source = createLocalSource(connection.bridge, 'stately', { ...config.adapter, clock: config.clock });
      attach(connection.source);
    }
    connection.bridge.receive(value);
  }

  function onFrame(connection: Connection, data: Buffer, isBinary: boolean): void {
    const socket = connection.socket;
    if (isBinary) return fail(socket, 'bad-message', 'Expected a text frame with JSON, got a binary frame');
    const tooLarge = data.length > config.maxViewerMessageBytes;
    const refuse = () => fail(socket, 'too-large', `Expected a message of at most ${config.maxViewerMessageBytes} bytes, got ${data.length}`);
    if (connection.role === 'viewer' && tooLarge) return refuse();
    let value: unknown;
    try {
      value = JSON.parse(data.toString('utf8'));
    } catch (error) {
      return fail(socket, 'bad-json', `Expected JSON, got a frame that does not parse: ${errorText(error)}`);
    }
    const type = (value as { type?: unknown } | null)?.type;
    if (connection.role === 'stately' || (connection.role === 'pending' && isStatelyMessage(value))) {
      if (isStatelyMessage(value)) return onStatelyMessage(connection, value);
      return fail(socket, 'bad-message', 'Expected an @statelyai/inspect event');
    }
    if (connection.role === 'producer' || type === 'produce') return onProducerMessage(connection, value);
    // A first frame may be a producer's or a Stately client's (larger): a viewer's size is known only now.
    if (tooLarge) return refuse();
    return onViewerMessage(connection, value);
  }

  wss.on('connection', (socket, request) => {
    const urlToken = new URL(request.url ?? '/', 'http://inspector').searchParams.get('token') ?? undefined;
    const connection: Connection = { socket, role: 'pending', urlToken, stale: new Set(), join: null, joining: new Set(), joinWaiting: false, drainWatch: false };
    connections.add(connection);
    socketsOf.set(socket, connection);
    socket.on('message', (data, isBinary) => {
      try {
        onFrame(connection, Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), isBinary);
      } catch (error) {
        // One bad frame must never take the server down: report it to that client only.
        fail(socket, 'internal', errorText(error));
      }
    });
    // Socket errors (e.g. a frame past maxPayload) close that socket; the 'close' below cleans up.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      connections.delete(connection);
      socketsOf.delete(socket);
      connection.join = null;
      if (connection.role === 'producer' && connection.source?.disconnect) {
        connection.source.disconnect();
        broadcast(sourcesMessage());
      } else if (connection.role === 'stately' && connection.source) {
        detach(connection.source.info().id);
      }
    });
  });
  wss.on('error', () => undefined); // errors of the underlying server surface on `http`

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  for (const target of Array.isArray(targets) ? targets : [targets as InspectorTarget]) {
    attach(createLocalSource(target, 'echo', { ...config.adapter, clock: config.clock }));
  }

  return {
    url: `http://${shownHost}:${address.port}/?token=${encodeURIComponent(token)}`,
    token,
    port: address.port,
    host: address.address,
    addSource: (target) => attach(createLocalSource(target, 'echo', { ...config.adapter, clock: config.clock })),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    snapshot,
    async close() {
      for (const id of [...sources.keys()]) detach(id);
      remoteControls.rejectAll('The inspector closed');
      for (const connection of connections) connection.socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
