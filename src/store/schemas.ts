/**
 * The valibot schemas of the codec's payloads, one per kind. Every field is
 * required unless the encoder omits it (absent `content`/`output`), and no schema
 * fills a default: a payload that lacks a field is refused, never completed.
 * @internal
 */
import * as v from 'valibot';
import { ATTEMPT_OUTCOMES, CANCELLATION_REASONS, PRIORITIES } from '../../machines/actionConstants.js';

/** Keys valibot's `record` skips (prototype pollution): refused rather than dropped. */
export const RESERVED_KEYS: readonly string[] = ['__proto__', 'prototype', 'constructor'];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const hasNoReservedKey = (value: Record<string, unknown>): boolean => !RESERVED_KEYS.some((key) => Object.hasOwn(value, key));

/**
 * A JSON value (what content, outputs and metadata may hold). Recursive through
 * `lazy`, whose getter returns schemas built once below: a getter that built them
 * would allocate a union of six schemas on every value validated.
 */
export const jsonSchema: v.GenericSchema<unknown> = v.lazy(() => jsonValueSchema);

/** A JSON object. */
export const jsonObjectSchema: v.GenericSchema<Record<string, unknown>> = v.pipe(
  v.custom<Record<string, unknown>>(isObject, 'Expected an object'),
  v.check(hasNoReservedKey, 'Expected no key named __proto__, prototype or constructor'),
  v.record(v.string(), jsonSchema),
);

const jsonValueSchema: v.GenericSchema<unknown> = v.union(
  [v.null(), v.boolean(), v.pipe(v.number(), v.finite()), v.string(), v.array(jsonSchema), jsonObjectSchema],
  'Expected a JSON value',
);

const time = v.pipe(v.number(), v.finite());
const ms = v.pipe(v.number(), v.finite(), v.minValue(0));
const positiveMs = v.pipe(v.number(), v.finite(), v.gtValue(0));
const nonEmpty = v.pipe(v.string(), v.minLength(1));
const positiveInteger = v.pipe(v.number(), v.safeInteger(), v.minValue(1));

/** Echo's SerializedError, with its cause chain (recursive through `lazy`, built once). */
export const errorSchema: v.GenericSchema<ErrorShape> = v.lazy(() => errorObjectSchema);

const errorObjectSchema: v.GenericSchema<ErrorShape> = v.strictObject({
  version: v.literal(1),
  name: v.string(),
  message: v.string(),
  data: v.optional(jsonObjectSchema),
  cause: v.optional(errorSchema),
  stack: v.optional(v.string()),
});

export interface ErrorShape {
  version: 1;
  name: string;
  message: string;
  data?: Record<string, unknown>;
  cause?: ErrorShape;
  stack?: string;
}

export const prioritySchema = v.picklist(PRIORITIES);

export const retryPolicySchema = v.strictObject({
  attempts: positiveInteger,
  initialDelay: ms,
  factor: v.pipe(v.number(), v.finite(), v.minValue(1)),
  maxDelay: ms,
  jitter: v.picklist(['none', 'full', 'equal', 'decorrelated']),
  nonRetryable: v.array(v.string()),
  retryAfter: v.boolean(),
  deadline: v.nullable(ms),
});

export const attemptSchema = v.strictObject({
  number: positiveInteger,
  startedAt: time,
  endedAt: v.nullable(time),
  outcome: v.picklist(ATTEMPT_OUTCOMES),
  error: v.nullable(errorSchema),
  backoff: v.nullable(ms),
});

/** Attempts numbered 1, 2, 3… in order. */
export const attemptsSchema = v.pipe(
  v.array(attemptSchema),
  v.check((attempts) => attempts.every((attempt, i) => attempt.number === i + 1), 'Expected attempts numbered 1, 2, 3… in order'),
);

export const followUpSchema = v.strictObject({
  name: nonEmpty,
  content: v.optional(jsonSchema),
  metadata: v.optional(jsonObjectSchema),
  priority: v.optional(prioritySchema),
});

export const licenseSchema = v.nullable(v.strictObject({ name: v.string(), revoked: v.nullable(errorSchema) }));

const CODEC = v.literal(1);

/** The fields an action's payload and its snapshot's context share: defined once, spread into both. */
const actionEntries = {
  id: nonEmpty,
  name: nonEmpty,
  content: v.optional(jsonSchema),
  metadata: jsonObjectSchema,
  priority: prioritySchema,
  queue: nonEmpty,
  createdAt: time,
  startDelay: ms,
  notBefore: v.nullable(time),
  attemptTimeout: v.nullable(positiveMs),
  totalTimeout: v.nullable(positiveMs),
  cancelGrace: ms,
};

export const actionSchema = v.strictObject({
  codec: CODEC,
  kind: v.literal('action'),
  ...actionEntries,
  license: licenseSchema,
  followUps: v.array(followUpSchema),
  idempotencyKey: v.nullable(v.string()),
  policy: retryPolicySchema,
  parentId: v.nullable(nonEmpty),
  // Absent when the action has none (and in payloads written before it was stored).
  // An object, not an array: valibot's strictObject would read [] as {} (every key here is optional).
  provenance: v.optional(
    v.pipe(
      v.custom<Record<string, unknown>>(isObject, 'Expected an object'),
      v.strictObject({ recordOf: v.optional(nonEmpty), againOf: v.optional(nonEmpty), redriveOf: v.optional(nonEmpty) }),
    ),
  ),
});

/*
 * The SQLite layout keeps an action in three parts, each checked by its own schema
 * (all picked from actionSchema, so each field is defined once):
 * - its shape: what the actions of one Plan entry share, stored once per distinct value;
 * - its columns: what every action has of its own;
 * - its extras: the fields that differ from their usual value (empty metadata, no
 *   License, no follow-ups, no parent, no provenance), absent when none does.
 */
/** What the actions of one Plan entry share: stored once, decoded once per restore. */
export const actionShapeSchema = v.pick(actionSchema, ['name', 'priority', 'queue', 'startDelay', 'attemptTimeout', 'totalTimeout', 'cancelGrace', 'policy']);
/** What each stored action has of its own. */
export const actionColumnsSchema = v.pick(actionSchema, ['id', 'content', 'createdAt', 'idempotencyKey']);
/** The fields of a stored action that differ from their usual value; each absent one has it. */
export const actionExtrasSchema = v.partial(v.pick(actionSchema, ['metadata', 'license', 'followUps', 'parentId', 'provenance']));

/** What `ctx.progress`/`ctx.log` left on an action (its context's activity keys). */
export const activitySchema = v.strictObject({
  progress: v.optional(jsonSchema),
  logs: v.optional(v.array(v.strictObject({ at: time, attempt: positiveInteger, message: v.string(), data: v.optional(jsonSchema) }))),
  logsDropped: v.optional(positiveInteger),
});

export const resultSchema = v.strictObject({
  codec: CODEC,
  kind: v.literal('result'),
  id: nonEmpty,
  status: v.picklist(['done', 'failed', 'cancelled']),
  output: v.optional(jsonSchema),
  error: v.nullable(errorSchema),
  settledAt: time,
  attempts: attemptsSchema,
});

export const contextSchema = v.strictObject({
  ...actionEntries,
  site: v.nullable(v.string()),
  attempts: attemptsSchema,
  retryAt: v.nullable(time),
  output: v.optional(jsonSchema),
  error: v.nullable(errorSchema),
  cancellation: v.nullable(v.strictObject({ reason: v.picklist(CANCELLATION_REASONS), message: v.string(), at: time })),
  settledAt: v.nullable(time),
});

export const snapshotSchema = v.strictObject({
  codec: CODEC,
  kind: v.literal('snapshot'),
  machine: v.strictObject({ id: nonEmpty, version: positiveInteger }),
  value: nonEmpty,
  status: v.picklist(['active', 'done', 'stopped']),
  context: contextSchema,
});
