/**
 * The versioned JSON form of an assigned action, for persistence and transfer:
 * what shutdown reports for unfinished actions, and what `assignRecord` takes back.
 */
import { produce, type Draft } from 'immer';
import type { ActionSpec } from '../../machines/actionTypes.js';
import { SerializationError } from '../errors.js';

/** An action as JSON (version 1). */
export interface ActionRecord extends ActionSpec {
  readonly version: 1;
}

/** The record of an action (its spec, versioned). */
export function toActionRecord(spec: ActionSpec): ActionRecord {
  return { version: 1, id: spec.id, name: spec.name, content: spec.content, metadata: spec.metadata, priority: spec.priority, queue: spec.queue };
}

function fail(path: string, expected: string, value: unknown): never {
  const shown = value === undefined ? 'undefined' : JSON.stringify(value)?.slice(0, 60) ?? String(value);
  throw new SerializationError(`Expected \`${path}\` to be ${expected}, got ${shown} (${value === null ? 'null' : typeof value})`, { path });
}

/**
 * Reads an ActionRecord from parsed JSON, or throws a SerializationError naming the bad field.
 * @example
 * const record = parseActionRecord(JSON.parse(text));
 */
export function parseActionRecord(json: unknown): ActionRecord {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('record', 'an object', json);
  const value = json as Record<string, unknown>;
  if (value.version !== 1) fail('version', '1', value.version);
  if (typeof value.id !== 'string' || value.id === '') fail('id', 'a non-empty string', value.id);
  if (typeof value.name !== 'string' || value.name === '') fail('name', 'a non-empty string', value.name);
  if (typeof value.metadata !== 'object' || value.metadata === null || Array.isArray(value.metadata)) fail('metadata', 'an object', value.metadata);
  if (value.priority !== 'high' && value.priority !== 'normal' && value.priority !== 'low') fail('priority', "'high', 'normal' or 'low'", value.priority);
  if (typeof value.queue !== 'string' || value.queue === '') fail('queue', 'a non-empty string', value.queue);
  if (!('content' in value)) fail('content', 'present (null is fine)', undefined);
  return {
    version: 1,
    id: value.id,
    name: value.name,
    content: value.content,
    metadata: Object.freeze({ ...(value.metadata as Record<string, unknown>) }),
    priority: value.priority,
    queue: value.queue,
  };
}

/**
 * A copy of `record` with its metadata updated by an immer recipe (the seed's
 * `WithMetadata`); the record and its metadata stay frozen.
 * @example
 * const tagged = withMetadata(record, (draft) => { draft.tenant = 'acme'; });
 */
export function withMetadata(record: ActionRecord, recipe: (draft: Draft<Record<string, unknown>>) => void): ActionRecord {
  const metadata = produce(record.metadata as Record<string, unknown>, recipe);
  return Object.freeze({ ...record, metadata });
}
