/**
 * One client interface, two sources: a live inspector server over WebSocket, or a
 * recorded trace replayed offline. Views dispatch and read the same app state
 * from either.
 */
import type { ControlCommand, ServerMessage } from '../../../src/inspect/protocol.js';
import type { AppAction } from '../state/model.js';

export interface Feed {
  readonly kind: 'live' | 'trace';
  /** Starts delivering actions (message batches, connection changes). */
  start(dispatch: (action: AppAction) => void): void;
  /** Sends a control command; returns its ref, or `null` when this feed cannot control. */
  control(source: string, command: ControlCommand): string | null;
  /** Listens to every raw message (the trace recorder). */
  onMessage(listener: (message: ServerMessage) => void): () => void;
  stop(): void;
}
