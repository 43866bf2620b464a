/**
 * BullMQ's custom backoff strategy for Echo jobs: the delay is the one Echo's retry policy chose
 * (cap, jitter, retry-after hint, deadline) for the attempt that just failed, as recorded in the
 * job's attempt history before the job was failed. So the delay Redis waits is the delay the
 * Action statechart showed in `retrying`.
 * @internal
 */
import type { MinimalJob } from 'bullmq';
import type { JobData } from './jobData.js';

/** The backoff type of Echo jobs (`backoff: { type: 'echo' }`). */
export const ECHO_BACKOFF = 'echo';

/** The delay Echo chose for the failed attempt; -1 (no retry) when the history records none. */
export function echoBackoffStrategy(_attemptsMade: number, type?: string, _error?: Error, job?: MinimalJob): number {
  if (type !== ECHO_BACKOFF || job === undefined) return -1;
  const attempts = (job.data as Partial<JobData> | undefined)?.attempts;
  const delay = attempts?.[attempts.length - 1]?.backoff;
  return typeof delay === 'number' && delay >= 0 ? delay : -1;
}
