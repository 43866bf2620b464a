/**
 * The live feed: a WebSocket to the inspector server that served this page. The
 * token comes from the page URL (`?token=`). Messages are handed to the app in
 * batches of bounded size (rendering is paced apart), and the socket reconnects after a drop.
 */
import { unpackFrame, type ServerFrame } from '../../../src/inspect/packedActors.js';
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

/**
 * Ops reduced in one task at most (a message is never split): five frames of a joining
 * viewer's initial state (2,000 actors each), so a join copies the table's touched parts
 * once per five frames, and a flood's batches stay short tasks. Rendering is paced apart
 * (see ui/renderPacing.ts).
 */
const MAX_OPS_PER_TASK = 10_000;

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
  /** Milliseconds the last batch took to reduce. */
  let cost = 0;
  /** Ops queued (the weight of `queue`). */
  let queuedOps = 0;

  const flush = (): void => {
    flushTimer = undefined;
    if (queue.length === 0) return;
    // At most MAX_OPS_PER_TASK ops per task (at least one message); the rest follow in the next tasks.
    let take = 0;
    let ops = 0;
    while (take < queue.length && (take === 0 || ops + weight(queue[take]!) <= MAX_OPS_PER_TASK)) ops += weight(queue[take++]!);
    const messages = take === queue.length ? queue : queue.slice(0, take);
    queue = take === queue.length ? [] : queue.slice(take);
    queuedOps -= ops;
    if (queue.length > 0) flushTimer = setTimeout(flush, 0);
    const started = performance.now();
    // The app keeps only its latest state: the table may change in place (no copy per batch).
    dispatch({ type: 'receive', messages, receivedAt: Date.now(), owned: true });
    cost = performance.now() - started;
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
        // Version 3 packs the actors of a join's frames: unpacked here, the app sees messages.
        message = unpackFrame(JSON.parse(event.data) as ServerFrame);
      } catch (error) {
        console.warn('Echo inspector: ignoring a frame that is not JSON', error);
        return;
      }
      for (const listener of listeners) listener(message);
      queue.push(message);
      queuedOps += weight(message);
      if (flushTimer !== undefined) return;
      // A full state (a join's first frame) is shown at once, and a backlog of a task's worth goes
      // now; live changes (a join's later frames among them: each batch copies the parts of the
      // table it touches, so fewer, larger batches copy less) are gathered for `batchMs`, longer
      // while reducing them is slow.
      const now = message.type === 'full' || queuedOps >= MAX_OPS_PER_TASK;
      flushTimer = setTimeout(flush, now ? 0 : Math.min(2000, Math.max(batchMs, 2 * cost)));
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
      queuedOps = 0;
      dispatch = () => undefined;
      listeners.clear();
      if (flushTimer) clearTimeout(flushTimer);
      if (retryTimer) clearTimeout(retryTimer);
      socket?.close();
    },
  };
}
