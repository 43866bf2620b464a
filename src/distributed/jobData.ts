/**
 * What a BullMQ job carries for Echo, in the versioned codec of `src/store/codec.ts`: the encoded
 * action and its attempt history (so an attempt on process B numbers on from, and shows, the attempts
 * made on process A), and how an action settled (the job's return value, or its failed reason).
 * Decoding validates with valibot and answers a SerializationError naming the bad field.
 * @internal
 */
import * as v from 'valibot';
import type { AttemptRecord } from '../../machines/actionTypes.js';
import type { AssignOptions } from '../action/assignment.js';
import type { FollowUp } from '../action/ActionRun.js';
import { SerializationError } from '../errors.js';
import { License } from '../License.js';
import { resolveRetryPolicy, type RetryPolicy } from '../retryPolicy.js';
import { CODEC_VERSION, decodeError, decodeResult, decodeRetryPolicy, encodeAttempts, type EncodedAction, type EncodedResult } from '../store/codec.js';
import { decodeWith, parseJson } from '../store/decode.js';
import { actionSchema, attemptsSchema } from '../store/schemas.js';
import { expandJobData } from './compactJobData.js';
import { commonDoneResult, commonJobData } from './jobChecks.js';
import type { TraceCarrier } from './tracePropagation.js';

/** The data of an Echo job. */
export interface JobData {
  readonly codec: typeof CODEC_VERSION;
  readonly kind: 'job';
  readonly action: EncodedAction;
  /** Every attempt made so far, on whichever process. */
  readonly attempts: readonly AttemptRecord[];
  /** The trace context active at `assign` (see `tracePropagation.ts`), when there was one. */
  readonly trace?: TraceCarrier;
  /** A run Echo added for a due time its job scheduler skipped (catch-up `all`): its admission catches nothing up. */
  readonly catchUp?: true;
}

const jobDataSchema = v.strictObject({
  codec: v.literal(CODEC_VERSION),
  kind: v.literal('job'),
  action: actionSchema,
  attempts: attemptsSchema,
  trace: v.optional(v.record(v.string(), v.string())),
  catchUp: v.optional(v.literal(true)),
});

/** The job data of a newly assigned action. */
export function newJobData(action: EncodedAction, trace?: TraceCarrier): JobData {
  return { codec: CODEC_VERSION, kind: 'job', action, attempts: [], ...(trace !== undefined && { trace }) };
}

/** The same job data with a new attempt history. */
export function withAttempts(data: JobData, attempts: readonly AttemptRecord[]): JobData {
  return { ...data, attempts: encodeAttempts(attempts) };
}

/** The retry policy each decoded job's action carries, resolved once (by the action object decoded). */
const resolvedPolicies = new WeakMap<EncodedAction, RetryPolicy>();

/** Policies resolved from jobs, by their fields: the jobs of one Plan entry share one (bounded: cleared when full). */
const policiesByFields = new Map<string, RetryPolicy>();
const POLICIES_KEPT = 256;

/** A policy the hand-written checks accepted, resolved (once per distinct policy). */
function resolvedPolicy(policy: EncodedAction['policy']): RetryPolicy {
  const key = `${policy.attempts}|${policy.initialDelay}|${policy.factor}|${policy.maxDelay}|${policy.jitter}|${policy.retryAfter}|${policy.deadline}|${policy.nonRetryable.join('\u0000')}`;
  let resolved = policiesByFields.get(key);
  if (resolved === undefined) {
    try {
      resolved = resolveRetryPolicy(policy);
    } catch (error) {
      throw new SerializationError(`Invalid \`action.policy\`: ${(error as Error).message}`, { path: 'action.policy', cause: error });
    }
    if (policiesByFields.size >= POLICIES_KEPT) policiesByFields.clear();
    policiesByFields.set(key, resolved);
  }
  return resolved;
}

/**
 * Decodes a job's data (stored whole, or compact: see `compactJobData.ts`), its policy resolved (once, kept for the
 * claim): the common form through hand-written checks (see `jobChecks.ts`), any other through one schema pass over
 * the action and its history.
 */
export function decodeJobData(stored: unknown): JobData {
  const json = expandJobData(stored);
  const common = commonJobData(json);
  if (common !== undefined) {
    resolvedPolicies.set(common.action, resolvedPolicy(common.action.policy));
    return common;
  }
  const data = decodeWith(jobDataSchema, json) as JobData;
  resolvedPolicies.set(data.action, decodeRetryPolicy(data.action.policy, 'action.policy'));
  return data;
}

/**
 * The history as the next attempt sees it: an attempt still `running` belonged to a process that
 * died (or lost its lock), so it is recorded as `interrupted` (at-least-once, as the durable store).
 */
export function interruptedHistory(attempts: readonly AttemptRecord[]): AttemptRecord[] {
  return attempts.map((attempt) => (attempt.outcome === 'running' ? { ...attempt, outcome: 'interrupted' as const } : attempt));
}

/**
 * The history a claimed attempt numbers on from: the job's, with `interrupted` records for the claims whose
 * start times the job kept since (`cutOff`: their attempts never ended, so their processes died or lost the lock).
 */
export function claimedHistory(attempts: readonly AttemptRecord[], cutOff: readonly number[]): AttemptRecord[] {
  const history = interruptedHistory(attempts);
  for (const startedAt of cutOff) history.push({ number: history.length + 1, startedAt, endedAt: null, outcome: 'interrupted', error: null, backoff: null });
  return history;
}

/** The assignment options that run a claimed action here as it was assigned: policy, timeouts, License, follow-ups. */
export function claimedAssignOptions(action: EncodedAction, license: License | undefined): AssignOptions {
  const then: FollowUp[] = action.followUps.map((next) => ({ ...next }));
  return {
    metadata: action.metadata,
    priority: action.priority,
    queue: action.queue,
    retry: resolvedPolicies.get(action) ?? decodeRetryPolicy(action.policy),
    ...(action.idempotencyKey !== null && { idempotencyKey: action.idempotencyKey }),
    ...(then.length > 0 && { then }),
    ...(license !== undefined && { license }),
  };
}

/** A License for a claimed action: revoked already when it was revoked when assigned. */
export function licenseOf(action: EncodedAction): License | undefined {
  if (action.license === null) return undefined;
  const license = new License(action.license.name);
  if (action.license.revoked !== null) license.revoke(decodeError(action.license.revoked).message);
  return license;
}

/** Decodes a settled action's result from a job's return value or failed reason (JSON text or parsed). */
export function decodeSettled(value: unknown): EncodedResult {
  const json = typeof value === 'string' ? parseJson(value, '') : value;
  return commonDoneResult(json) ?? decodeResult(json);
}
