/**
 * The live feed: a WebSocket to the inspector server that served this page. The
 * token comes from the page URL (`?token=`). Messages are handed to the app in
 * batches (one render per batch), and the socket reconnects after a drop.
 */
import { PROTOCOL_VERSION, type ControlCommand, type ServerMessage } from '../../../src/inspect/protocol.js';
import type { AppAction } from '../state/model.js';
import type { Feed } from './feed.js';

export interface LiveFeedOptions {
  /** WebSocket URL. @default the page's `?ws=`, else the host that served the page */
  url?: string;
  token?: string | null;
  /** Milliseconds messages are gathered before one dispatch. @default 80 */
  batchMs?: number;
}

let reducingBatch = false;

/** True while a batch of live messages is being dispatched (its render then waits for a task of its own). */
export function isReducingBatch(): boolean {
  return reducingBatch;
}

/** Ops reduced in one task at most (a message is never split). */
const MAX_OPS_PER_TASK = 1000;

/** How much reducing a message costs, roughly: its actors or ops. */
function weight(message: ServerMessage): number {
  return message.type === 'delta' ? message.ops.length : message.type === 'full' ? message.actors.length : 1;
}

export function createLiveFeed(options: LiveFeedOptions = {}): Feed {
  const page = new URL(window.location.href);
  const token = options.token ?? page.searchParams.get('token');
  // `?ws=` points a page served elsewhere (the Vite dev server) at a running inspector.
  const url = options.url ?? page.searchParams.get('ws') ?? `${page.protocol === 'https:' ? 'wss:' : 'ws:'}//${page.host}/`;
  const batchMs = options.batchMs ?? 80;
  const listeners = new Set<(message: ServerMessage) => void>();
  let socket: WebSocket | undefined;
  let dispatch: (action: AppAction) => void = () => undefined;
  let queue: ServerMessage[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let retryDelay = 500;
  let stopped = false;
  let nextRef = 1;
  /** Milliseconds the last batch took to reduce and paint. */
  let cost = 0;
  /** When the current bulk transfer began. */
  let bulkSince: number | undefined;

  const flush = (): void => {
    flushTimer = undefined;
    const bulk = bulkSince !== undefined;
    bulkSince = undefined;
    if (queue.length === 0) return;
    // Live changes: at most MAX_OPS_PER_TASK ops are reduced per task (at least one message),
    // the rest follow in the next tasks, so a flood's batches never add up to one long task.
    // A bulk transfer (a join's full state) is reduced in one go: in pieces, each piece's
    // render would go over every actor received so far.
    let take = bulk ? queue.length : 0;
    let ops = 0;
    while (take < queue.length && (take === 0 || ops + weight(queue[take]!) <= MAX_OPS_PER_TASK)) ops += weight(queue[take++]!);
    const messages = take === queue.length ? queue : queue.slice(0, take);
    queue = take === queue.length ? [] : queue.slice(take);
    if (queue.length > 0) flushTimer = setTimeout(flush, 0);
    const started = performance.now();
    reducingBatch = true;
    try {
      dispatch({ type: 'receive', messages, receivedAt: Date.now() });
    } finally {
      reducingBatch = false;
    }
    // The next batch waits at least twice as long as this one took to reduce and paint, so
    // a large state (100k actors) is updated less often instead of falling behind.
    requestAnimationFrame(() => {
      cost = performance.now() - started;
    });
  };

  const connect = (): void => {
    dispatch({ type: 'connection', status: 'connecting' });
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      retryDelay = 500;
      dispatch({ type: 'reset' });
      dispatch({ type: 'connection', status: 'open' });
      ws.send(JSON.stringify(token ? { type: 'subscribe', version: PROTOCOL_VERSION, token } : { type: 'subscribe', version: PROTOCOL_VERSION }));
    };
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string' || stopped) return;
      let message: ServerMessage;
      try {
        message = JSON.parse(event.data) as ServerMessage;
      } catch (error) {
        console.warn('Echo inspector: ignoring a frame that is not JSON', error);
        return;
      }
      for (const listener of listeners) listener(message);
      queue.push(message);
      // A bulk transfer (a full state in chunks) is reduced in one go once its frames stop coming.
      const bulk = message.type === 'full' || (message.type === 'delta' && message.ops.length >= 1000);
      if (bulk && (bulkSince === undefined || Date.now() - bulkSince < 5000)) {
        bulkSince ??= Date.now();
        if (flushTimer) clearTimeout(flushTimer);
        flushTimer = setTimeout(flush, 150);
        return;
      }
      flushTimer ??= setTimeout(flush, Math.min(2000, Math.max(batchMs, 2 * cost)));
    };
    ws.onclose = () => {
      // A stopped feed (the user opened a trace) delivers nothing more: no late live batch mixes into the trace.
      if (stopped) return;
      flush();
      dispatch({ type: 'connection', status: 'closed' });
      retryTimer = setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 10_000);
    };
  };

  return {
    kind: 'live',
    url,
    start(next) {
      dispatch = next;
      connect();
    },
    control(source: string, command: ControlCommand) {
      if (!socket || socket.readyState !== WebSocket.OPEN) return null;
      const ref = `ui-${nextRef++}`;
      dispatch({ type: 'control-sent', ref, source, command, at: Date.now() });
      socket.send(JSON.stringify(token ? { type: 'control', ref, source, command, token } : { type: 'control', ref, source, command }));
      return ref;
    },
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      stopped = true;
      queue = [];
      dispatch = () => undefined;
      listeners.clear();
      if (flushTimer) clearTimeout(flushTimer);
      if (retryTimer) clearTimeout(retryTimer);
      socket?.close();
    },
  };
}
