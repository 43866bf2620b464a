/**
 * Hand-written checks of the payloads every BullMQ job carries on the common path: the data of a job
 * claimed for its first attempt (no License, follow-ups or provenance) and a `done` result whose
 * attempts carry no error. Each accepts only what the codec's valibot schema accepts (a subset of
 * it); anything else answers undefined and goes through the schema, which also says what is wrong.
 * The schemas cost ~13 µs per job on the claim and ~3 µs on the result; these, about 1 µs.
 * @internal
 */
import type { AttemptRecord } from '../../machines/actionTypes.js';
import { ATTEMPT_OUTCOMES, PRIORITIES } from '../../machines/actionConstants.js';
import type { EncodedAction, EncodedResult } from '../store/codec.js';
import { RESERVED_KEYS } from '../store/schemas.js';

/** The keys of an encoded action without provenance (one fewer without content). */
const ACTION_KEYS = 19;
const JOB_KEYS: ReadonlySet<string> = new Set(['codec', 'kind', 'action', 'attempts', 'trace']);
const RESULT_KEYS: ReadonlySet<string> = new Set(['codec', 'kind', 'id', 'status', 'output', 'error', 'settledAt', 'attempts']);
const POLICY_KEYS = 8;
const JITTERS: readonly unknown[] = ['none', 'full', 'equal', 'decorrelated'];
const OUTCOMES: readonly unknown[] = ATTEMPT_OUTCOMES;
const LANES: readonly unknown[] = PRIORITIES;
/** How deep a JSON value is walked here; deeper ones are the schema's (it has no limit). */
const MAX_DEPTH = 8;

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isMs = (value: unknown): value is number => isTime(value) && value >= 0;
const isNonEmpty = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** A JSON value as the codec's `jsonSchema` accepts it (finite numbers, no reserved keys), or false (also: too deep to walk here). */
export function isJsonValue(value: unknown, depth = 0): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        for (const item of value) if (!isJsonValue(item, depth + 1)) return false;
        return true;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      for (const key in value) {
        if (!Object.hasOwn(value, key)) return false;
        if (RESERVED_KEYS.includes(key) || !isJsonValue((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return !Object.hasOwn(value, '__proto__');
    }
    default:
      return false;
  }
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && isJsonValue(value);
}

function isPolicy(value: unknown): boolean {
  if (!isPlainObject(value) || Object.keys(value).length !== POLICY_KEYS) return false;
  const { attempts, initialDelay, factor, maxDelay, jitter, nonRetryable, retryAfter, deadline } = value;
  return (
    Number.isSafeInteger(attempts) &&
    (attempts as number) >= 1 &&
    isMs(initialDelay) &&
    isTime(factor) &&
    factor >= 1 &&
    isMs(maxDelay) &&
    JITTERS.includes(jitter) &&
    Array.isArray(nonRetryable) &&
    nonRetryable.every((name) => typeof name === 'string') &&
    typeof retryAfter === 'boolean' &&
    (deadline === null || isMs(deadline))
  );
}

/** The common action: no License, follow-ups or provenance (those go through the schema). */
function isCommonAction(value: unknown): value is EncodedAction {
  if (!isPlainObject(value)) return false;
  const a = value;
  const keys = Object.keys(a).length;
  if (keys !== ACTION_KEYS && !(keys === ACTION_KEYS - 1 && !('content' in a))) return false;
  return (
    a.codec === 1 &&
    a.kind === 'action' &&
    isNonEmpty(a.id) &&
    isNonEmpty(a.name) &&
    (!('content' in a) || isJsonValue(a.content)) &&
    isJsonObject(a.metadata) &&
    LANES.includes(a.priority) &&
    isNonEmpty(a.queue) &&
    a.license === null &&
    Array.isArray(a.followUps) &&
    a.followUps.length === 0 &&
    (a.idempotencyKey === null || typeof a.idempotencyKey === 'string') &&
    isPolicy(a.policy) &&
    isTime(a.createdAt) &&
    isMs(a.startDelay) &&
    (a.notBefore === null || isTime(a.notBefore)) &&
    (a.attemptTimeout === null || (isTime(a.attemptTimeout) && a.attemptTimeout > 0)) &&
    (a.totalTimeout === null || (isTime(a.totalTimeout) && a.totalTimeout > 0)) &&
    isMs(a.cancelGrace) &&
    (a.parentId === null || isNonEmpty(a.parentId))
  );
}

/** Attempts without errors, numbered 1, 2, 3… (one with an error goes through the schema). */
function isPlainAttempts(value: unknown): value is AttemptRecord[] {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) {
    const attempt: unknown = value[i];
    if (!isPlainObject(attempt) || Object.keys(attempt).length !== 6) return false;
    const { number, startedAt, endedAt, outcome, error, backoff } = attempt;
    if (number !== i + 1 || !isTime(startedAt) || !(endedAt === null || isTime(endedAt)) || !OUTCOMES.includes(outcome) || error !== null || !(backoff === null || isMs(backoff))) return false;
  }
  return true;
}

function hasOnly(value: Record<string, unknown>, keys: ReadonlySet<string>): boolean {
  for (const key in value) if (!keys.has(key)) return false;
  return true;
}

/** Job data of the common form, as is (parsed JSON the schema would accept unchanged); else undefined. */
export function commonJobData(json: unknown): { codec: 1; kind: 'job'; action: EncodedAction; attempts: AttemptRecord[]; trace?: Record<string, string> } | undefined {
  if (!isPlainObject(json) || !hasOnly(json, JOB_KEYS) || json.codec !== 1 || json.kind !== 'job') return undefined;
  if (!isCommonAction(json.action) || !isPlainAttempts(json.attempts)) return undefined;
  const trace = json.trace;
  if (trace !== undefined && !(isPlainObject(trace) && Object.values(trace).every((part) => typeof part === 'string') && isJsonValue(trace))) return undefined;
  return json as never;
}

/** A `done` result whose attempts carry no error, as is; else undefined. */
export function commonDoneResult(json: unknown): EncodedResult | undefined {
  if (!isPlainObject(json) || !hasOnly(json, RESULT_KEYS) || json.codec !== 1 || json.kind !== 'result' || json.status !== 'done' || json.error !== null) return undefined;
  if (!isNonEmpty(json.id) || !isTime(json.settledAt) || !isPlainAttempts(json.attempts)) return undefined;
  if ('output' in json && !isJsonValue(json.output)) return undefined;
  return json as EncodedResult;
}
