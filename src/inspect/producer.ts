/**
 * `connectInspector(target, { url })`: streams a runtime in this process into an
 * inspector running elsewhere (`echo inspect`, or another process's `inspect()`),
 * as one of its sources. The adapter runs here, so only batched wire deltas cross
 * the socket; control commands come back and are carried out on the target.
 */
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { createInspectionAdapter, type AdapterOptions } from './adapter.js';
import { PROTOCOL_VERSION, splitFullState, type AckMessage, type ProducerMessage } from './protocol.js';
import type { InspectorTarget } from './target.js';
import { checkCommand } from './validate.js';

/** Where {@link connectInspector} streams to, and with which token. */
export interface ConnectOptions {
  /** The inspector's URL (`http://…/?token=…` as printed, or `ws://…`). */
  readonly url: string;
  /** The inspector's token, when it is not in `url`. */
  readonly token?: string;
  /** Bytes queued on the socket before deltas are dropped (a full state follows when it drains). @default 8 MiB */
  readonly maxBuffer?: number;
  readonly adapter?: AdapterOptions;
  /** The source id to stream as. @default the target's id with this process's tag (unique per process and target) */
  readonly sourceId?: string;
}

/** The inspector refused the connection (no token, a source id in use) or closed it before accepting it. */
export class InspectorConnectionError extends Error {
  override readonly name = 'InspectorConnectionError';
  constructor(
    message: string,
    /** The server's error code (`unauthorized`, `source-in-use`, …), or `closed`. */
    readonly code: string,
  ) {
    super(message);
  }
}

/** Tells this process's sources apart from another's: two processes' Sequences both have the root id `x:0`. */
const PROCESS_TAG = `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
let connected = 0;

/** A live stream into a standalone inspector. */
export interface InspectorConnection {
  /** The source id the inspector shows this runtime as. */
  readonly source: string;
  /** Settles once the connection has ended (closed by either side). */
  readonly closed: Promise<void>;
  /** Stops streaming and closes the socket. */
  close(): void;
}

/**
 * Connects a target to a running inspector; resolves once the connection is open.
 * @example
 * const connection = await connectInspector(sequence, { url: 'http://127.0.0.1:4000/?token=…' });
 * connection.close();
 */
export async function connectInspector(target: InspectorTarget, options: ConnectOptions): Promise<InspectorConnection> {
  const url = new URL(options.url);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new TypeError(`Expected \`url\` to be an http(s) or ws(s) URL, got ${JSON.stringify(options.url)}`);
  }
  if (options.token !== undefined) url.searchParams.set('token', options.token);
  const maxBuffer = options.maxBuffer ?? 8 * 1024 * 1024;
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });

  const send = (message: ProducerMessage): void => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };
  const sourceId = options.sourceId ?? `${target.id}@${PROCESS_TAG}-${++connected}`;
  const token = url.searchParams.get('token') ?? undefined;
  // Accepted or refused: the server answers `produced` or an error frame (and closes).
  const accepted = new Promise<void>((resolve, reject) => {
    let refusal: InspectorConnectionError | undefined;
    const onMessage = (data: unknown): void => {
      let message: { type?: unknown; code?: unknown; message?: unknown };
      try {
        message = JSON.parse(String(data)) as typeof message;
      } catch {
        return;
      }
      if (message.type === 'produced') {
        socket.off('message', onMessage);
        socket.off('close', onClose);
        resolve();
      } else if (message.type === 'error') {
        refusal = new InspectorConnectionError(`The inspector refused the connection: ${String(message.message)}`, String(message.code));
      }
    };
    const onClose = (code: number, reason: Buffer): void => {
      socket.off('message', onMessage);
      reject(refusal ?? new InspectorConnectionError(`The inspector closed the connection before accepting it (${code} ${String(reason)})`, 'closed'));
    };
    socket.on('message', onMessage);
    socket.once('close', onClose);
  });
  const adapter = createInspectionAdapter(sourceId, target, options.adapter);
  send({ type: 'produce', version: PROTOCOL_VERSION, source: { id: sourceId, name: target.name }, ...(token !== undefined ? { token } : {}) });
  for (const message of adapter.machines()) send(message);
  for (const message of splitFullState(adapter.fullState())) send(message);
  const dead = adapter.deadLetters();
  if (dead !== null) send(dead);
  let stale = false;
  const unsubscribe = adapter.subscribe((message) => {
    if (message.type !== 'delta') return send(message);
    if (socket.bufferedAmount > maxBuffer) {
      stale = true;
      return;
    }
    if (stale) {
      stale = false;
      for (const item of splitFullState(adapter.fullState())) send(item); // holds this delta's changes too
      return;
    }
    send(message);
  });

  socket.on('message', (data) => {
    let message: { type?: unknown; ref?: unknown; command?: unknown };
    try {
      message = JSON.parse(String(data)) as typeof message;
    } catch (error) {
      // The inspector only sends JSON; anything else is ignored rather than crashing the runtime.
      void error;
      return;
    }
    if (message.type !== 'control' || typeof message.ref !== 'string') return;
    const ref = message.ref;
    const command = checkCommand(message.command);
    const ack = (ok: boolean, error?: string): void => send(error === undefined ? { type: 'ack', ref, ok } : ({ type: 'ack', ref, ok, error } satisfies AckMessage));
    if (typeof command === 'string') return ack(false, command);
    target.control(command).then(
      () => ack(true),
      (error: unknown) => ack(false, error instanceof Error ? error.message : String(error)),
    );
  });

  const closed = new Promise<void>((resolve) => {
    socket.on('close', () => {
      unsubscribe();
      adapter.dispose();
      resolve();
    });
  });
  socket.on('error', () => undefined); // followed by 'close'
  await accepted;
  return {
    source: sourceId,
    closed,
    close() {
      adapter.flush();
      socket.close();
    },
  };
}
