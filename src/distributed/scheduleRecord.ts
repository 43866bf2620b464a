/**
 * Echo's record of a schedule on BullMQ, as kept in Redis (the hash `<prefix>:<queue>:echo-schedules`,
 * one JSON text per schedule id), and how it is read back: every record is validated with a valibot
 * schema, and one that is damaged (not JSON, a field missing or of the wrong kind, another
 * schedule's id) is answered with a SerializationError that names the schedule and the path of the
 * bad field. It is never used as it came.
 * @internal
 */
import * as v from 'valibot';
import type { Redis } from 'ioredis';
import { SerializationError } from '../errors.js';
import type { ScheduleState } from '../schedule/scheduleSpec.js';
import { decodeWith, parseJson } from '../store/decode.js';
import { jsonObjectSchema, jsonSchema, prioritySchema } from '../store/schemas.js';

/** Echo's record of a schedule in Redis (its counts are kept apart, incremented by the workers). */
export type ScheduleRecord = Pick<ScheduleState, 'version' | 'id' | 'name' | 'content' | 'trigger' | 'options' | 'createdAt' | 'paused'>;

const time = v.pipe(v.number(), v.finite());
const nonEmpty = v.pipe(v.string(), v.minLength(1));

/** The record's fields as `sequence.schedule` checks them (readScheduleSpec); no default is filled in. */
export const scheduleRecordSchema = v.strictObject({
  version: v.literal(1),
  id: nonEmpty,
  name: nonEmpty,
  content: v.optional(jsonSchema),
  trigger: v.union(
    [
      v.strictObject({ every: v.pipe(v.number(), v.finite(), v.minValue(1)), startAt: v.optional(time) }),
      v.strictObject({ cron: nonEmpty, timezone: v.optional(nonEmpty) }),
    ],
    'Expected a trigger { every, startAt? } or { cron, timezone? }',
  ),
  options: v.strictObject({
    overlap: v.picklist(['skip', 'queue', 'cancel-previous']),
    catchUp: v.picklist(['none', 'one', 'all']),
    maxCatchUp: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
    lateness: v.pipe(v.number(), v.finite(), v.minValue(0)),
    metadata: jsonObjectSchema,
    priority: v.optional(prioritySchema),
    queue: v.optional(nonEmpty),
  }),
  createdAt: time,
  paused: v.boolean(),
});

/** The Redis keys of a production's schedules. */
export function scheduleKeys(base: string): { records: string; counts(id: string): string; live(id: string): string; waiting(id: string): string } {
  return {
    records: `${base}:echo-schedules`,
    counts: (id) => `${base}:echo-schedule:${id}`,
    live: (id) => `${base}:echo-schedule:${id}:live`,
    waiting: (id) => `${base}:echo-schedule:${id}:waiting`,
  };
}

/**
 * Decodes the record of schedule `id` from its JSON text, or throws a SerializationError naming
 * the schedule and the bad field's path (`options.overlap`), with the raw text as `payload`.
 */
export function decodeRecord(id: string, text: string): ScheduleRecord {
  try {
    const record = decodeWith(scheduleRecordSchema, parseJson(text, ''));
    if (record.id !== id) throw new SerializationError(`Invalid \`id\`: Expected "${id}", the key it is kept under, got "${record.id}"`, { path: 'id' });
    return record as ScheduleRecord;
  } catch (error) {
    if (!(error instanceof SerializationError)) throw error;
    throw new SerializationError(`The record of schedule "${id}" in Redis cannot be read: ${error.message}`, { path: error.path, payload: text, cause: error });
  }
}

/** Reads the record of schedule `id` (null when there is none; a SerializationError when it is damaged). */
export async function readRecord(redis: Redis, base: string, id: string): Promise<ScheduleRecord | null> {
  const text = await redis.hget(scheduleKeys(base).records, id);
  return text === null ? null : decodeRecord(id, text);
}
