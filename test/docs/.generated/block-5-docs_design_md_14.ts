import type { CancellationReason, SerializedError } from 'echo-actions';

export interface AttemptRecord {
  number: number;               // 1-based
  startedAt: number;            // clock ms
  endedAt: number | null;
  outcome: 'running' | 'succeeded' | 'failed' | 'timed-out' | 'cancelled' | 'abandoned';
  error: SerializedError | null;
  backoff: number | null;       // delay chosen before the next attempt, when one was planned
}
export interface ActionContext {
  id: string; name: string; content: unknown; metadata: Readonly<Record<string, unknown>>;
  priority: 'high' | 'normal' | 'low'; queue: string;   // named Production
  createdAt: number; startDelay: number; notBefore: number | null;
  attemptTimeout: number | null; totalTimeout: number | null; cancelGrace: number;
  attempts: AttemptRecord[]; retryAt: number | null;
  output: unknown; error: SerializedError | null;
  cancellation: { reason: CancellationReason; message: string } | null;
  settledAt: number | null;
}
