/**
 * What an ActionRun holds only in some lives: its License, idempotency key,
 * provenance, restored history, host, parent and follow-ups; its live follow-ups; the queue it was routed to;
 * a store's commit; the live errors of its failures; listeners of its settling; its spans and reported activity. A run
 * makes it on first need, so a plain queued or running action stays a small
 * record (bytes per action are a goal of the bench: `bench/memory.ts`).
 * @internal
 */
import type { AttemptRecord } from '../../machines/actionTypes.js';
import type { License } from '../License.js';
import type { ActionActivity } from './ActionActivity.js';
import type { AttemptFailure } from './AttemptFailure.js';
import type { RunningAttempt } from './RunningAttempt.js';
import type { FollowUp, Provenance } from './runTypes.js';

export class RunExtras<Run> {
  license: License | null = null;
  idempotencyKey: string | undefined = undefined;
  provenance: Provenance | null = null;
  history: readonly AttemptRecord[] | undefined = undefined;
  host: { readonly sessionId: string } | null = null;
  parent: Run | null = null;
  followUps: readonly FollowUp[] | null = null;
  children: Set<Run> | null = null;
  accepted: Promise<void> | null = null;
  /** How many times a Site behaviour crashed on it. */
  crashes = 0;
  /** The live errors behind its error records (a failed attempt's wrapper may be made on first read). */
  liveErrors: Map<object, Error | AttemptFailure> | null = null;
  cancelCause: { readonly cause: unknown } | null = null;
  licenseRelease: (() => void) | null = null;
  lastError: Error | AttemptFailure | null = null;
  onSettled: (() => void)[] | null = null;
  traced: unknown = null;
  activity: ActionActivity | null = null;
  /** The queue a Site behaviour routed it to (null: the one it was assigned to, its kind's). */
  queue: string | null = null;
  /** A call of its function that had not stopped when a phase of hooks began after it (see `ActionRun.attempt`). */
  unstoppedAttempt: RunningAttempt | null = null;
}
