/**
 * A job's data as BullMQ stores it: the encoded action without the fields that hold their usual value (no
 * metadata, the normal lane, the default queue, no License, follow-ups, idempotency key, delay, timeouts,
 * parent, the default retry policy). A noop action's job data is ~200 B instead of ~500 B: less for BullMQ
 * to encode on `add` and to parse on every claim. Decoding puts the left-out fields back before the checks,
 * so a job written whole (by an older version, or a fenced write) reads the same.
 * @internal
 */
import { DEFAULT_PRIORITY, DEFAULT_QUEUE } from '../../machines/actionConstants.js';
import { defaultRetryPolicy } from '../retryPolicy.js';
import { CODEC_VERSION, encodeRetryPolicy, type EncodedAction } from '../store/codec.js';
import type { JobData } from './jobData.js';

const NO_METADATA: Readonly<Record<string, unknown>> = Object.freeze({});
const NO_FOLLOW_UPS: readonly never[] = Object.freeze([]);
const DEFAULT_POLICY = encodeRetryPolicy(defaultRetryPolicy);

/** The usual value of each field a job's data may leave out of its action. */
const USUAL: Readonly<Record<string, unknown>> = Object.freeze({
  codec: CODEC_VERSION,
  kind: 'action',
  metadata: NO_METADATA,
  priority: DEFAULT_PRIORITY,
  queue: DEFAULT_QUEUE,
  license: null,
  followUps: NO_FOLLOW_UPS,
  idempotencyKey: null,
  policy: DEFAULT_POLICY,
  startDelay: 0,
  notBefore: null,
  attemptTimeout: null,
  totalTimeout: null,
  parentId: null,
});

/** Whether `value` is the usual value of field `key` (objects and lists: empty; the policy: the default's fields). */
function isUsual(key: string, value: unknown): boolean {
  const usual = USUAL[key];
  if (value === usual) return true;
  if (key === 'metadata') return isEmptyObject(value);
  if (key === 'followUps') return Array.isArray(value) && value.length === 0;
  if (key === 'policy') return isDefaultPolicy(value);
  return false;
}

function isEmptyObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const _key in value) return false;
  return true;
}

/**
 * Whether `policy` has exactly the default policy's fields, each at the default's value (lists element by element):
 * a field the default does not have, or any other value, keeps the policy in the job data.
 */
function isDefaultPolicy(policy: unknown): boolean {
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) return false;
  const usual = DEFAULT_POLICY as unknown as Readonly<Record<string, unknown>>;
  const keys = Object.keys(policy);
  if (keys.length !== Object.keys(usual).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(usual, key)) return false;
    const value = (policy as Record<string, unknown>)[key];
    const expected = usual[key];
    if (value === expected) continue;
    if (!Array.isArray(value) || !Array.isArray(expected) || value.length !== expected.length) return false;
    for (let i = 0; i < value.length; i++) if (value[i] !== expected[i]) return false;
  }
  return true;
}

/** The job data as stored: its action without the fields at their usual value. */
export function compactJobData(data: JobData): Record<string, unknown> {
  const action: Record<string, unknown> = {};
  for (const key in data.action) {
    const value = (data.action as Record<string, unknown>)[key];
    if (!Object.hasOwn(USUAL, key) || !isUsual(key, value)) action[key] = value;
  }
  return { ...data, action };
}

/**
 * Parsed job data with the left-out fields of its action put back. A compact action has no `codec` (it is always
 * left out); anything else (a whole action, not an object) is returned as it is, for the checks to judge.
 */
export function expandJobData(json: unknown): unknown {
  if (typeof json !== 'object' || json === null) return json;
  const action = (json as { action?: unknown }).action;
  if (typeof action !== 'object' || action === null || Array.isArray(action) || Object.hasOwn(action, 'codec')) return json;
  return { ...(json as Record<string, unknown>), action: { ...USUAL, ...action } };
}
