/** A WebSocket viewer for tests: collects every message and waits for one that matches. */
import { WebSocket } from 'ws';
import { unpackFrame, type ServerFrame } from '../../src/inspect/packedActors.js';
import type { ServerMessage } from '../../src/inspect/protocol.js';

export interface TestViewer {
  socket: WebSocket;
  messages: ServerMessage[];
  /** Resolves with the first message from now on (or already received after `since`) matching `match`. */
  next<T extends ServerMessage = ServerMessage>(match: (message: ServerMessage) => boolean, what: string, since?: number): Promise<T>;
  send(value: unknown): void;
  close(): Promise<void>;
}

export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

/** Opens a socket to the inspector (no `subscribe` sent). */
export async function openViewer(url: string, options: { origin?: string } = {}): Promise<TestViewer> {
  const socket = new WebSocket(wsUrl(url), options.origin ? { origin: options.origin } : {});
  const messages: ServerMessage[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data) => {
    messages.push(unpackFrame(JSON.parse(String(data)) as ServerFrame));
    for (const waiter of [...waiters]) waiter();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    messages,
    next(match, what, since = 0) {
      return new Promise((resolve, reject) => {
        let index = since;
        const check = (): boolean => {
          for (; index < messages.length; index++) {
            if (match(messages[index]!)) {
              resolve(messages[index] as never);
              return true;
            }
          }
          return false;
        };
        if (check()) return;
        // A guard against a test that would hang: the condition is event-driven, not timed.
        const guard = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`Timed out waiting for ${what}; got ${messages.map((m) => m.type).join(', ')}`));
        }, 5000);
        const waiter = (): void => {
          if (check()) {
            clearTimeout(guard);
            waiters.delete(waiter);
          }
        };
        waiters.add(waiter);
      });
    },
    send(value) {
      socket.send(typeof value === 'string' ? value : JSON.stringify(value));
    },
    close() {
      return new Promise((resolve) => {
        if (socket.readyState === socket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close();
      });
    },
  };
}
