/**
 * One client interface, two sources: a live inspector server over WebSocket, or a
 * recorded trace replayed offline. Views dispatch and read the same app state
 * from either.
 */
import type { ControlCommand, ServerMessage } from '../../../src/inspect/protocol.js';
import type { AppAction } from '../state/model.js';

export interface Feed {
  readonly kind: 'live' | 'trace' | 'offline';
  /** Where a live feed connects. */
  readonly url?: string;
  /** Starts delivering actions (message batches, connection changes). */
  start(dispatch: (action: AppAction) => void): void;
  /** Sends a control command; returns its ref, or `null` when this feed cannot control. */
  control(source: string, command: ControlCommand): string | null;
  /** Listens to every raw message (the trace recorder). */
  onMessage(listener: (message: ServerMessage) => void): () => void;
  stop(): void;
}

/**
 * The feed of a page opened from a file (`file://`): there is no server to connect
 * to, so it only says so; the user opens a trace.
 */
export function createOfflineFeed(): Feed {
  return {
    kind: 'offline',
    start: (dispatch) => dispatch({ type: 'connection', status: 'offline' }),
    control: () => null,
    onMessage: () => () => undefined,
    stop: () => undefined,
  };
}

/** Whether this page can reach an inspector server (it was served over HTTP, or `?ws=` names one). */
export function canGoLive(location: { protocol: string; search: string }): boolean {
  return location.protocol === 'http:' || location.protocol === 'https:' || new URLSearchParams(location.search).has('ws');
}
