/**
 * The versioned JSON form of an assigned action, for persistence and transfer:
 * what shutdown reports for unfinished actions, and what `assignRecord` takes back.
 */
import { produce, type Draft } from 'immer';
import { PRIORITIES, isPriority } from '../../machines/actionConstants.js';
import type { ActionSpec } from '../../machines/actionTypes.js';
import { SerializationError } from '../errors.js';
import { expectedMessage, kindOf, oneOf } from '../validate.js';

/** An action as JSON (version 1). */
export interface ActionRecord extends ActionSpec {
  readonly version: 1;
}

/** The record of an action (its spec, versioned). */
export function toActionRecord(spec: ActionSpec): ActionRecord {
  return { version: 1, id: spec.id, name: spec.name, content: spec.content, metadata: spec.metadata, priority: spec.priority, queue: spec.queue };
}

function fail(path: string, expected: string, value: unknown): never {
  throw new SerializationError(expectedMessage(path, expected, value), { path });
}

/**
 * Throws a SerializationError naming the path (`content.items[2].size`) of the first part of
 * `value` that has no JSON form: a BigInt, a Symbol, a function, a cycle, a `toJSON` or a
 * Proxy trap that throws. `undefined` object properties are left out by JSON, as usual.
 * @example
 * checkJsonValue({ size: 10n }, 'content'); // SerializationError: Expected `content.size` to be a JSON value, got 10n (bigint)
 */
export function checkJsonValue(value: unknown, path: string): void {
  const ancestors = new Set<object>();
  const walk = (current: unknown, at: string): void => {
    const kind = typeof current;
    if (current === null || kind === 'string' || kind === 'number' || kind === 'boolean' || kind === 'undefined') return;
    if (kind !== 'object') fail(at, 'a JSON value', current);
    const object = current as object;
    if (ancestors.has(object)) throw new SerializationError(`Expected \`${at}\` to be a JSON value, but it refers back to an enclosing object (a cycle)`, { path: at });
    ancestors.add(object);
    try {
      const toJSON = (object as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') {
        walk((toJSON as (key: string) => unknown).call(object, ''), at);
        return;
      }
      if (kindOf(object) === 'array') {
        for (let i = 0; i < (object as unknown[]).length; i++) walk((object as unknown[])[i], `${at}[${i}]`);
        return;
      }
      for (const key of Object.keys(object)) walk((object as Record<string, unknown>)[key], at === '' ? key : `${at}.${key}`);
    } catch (error) {
      if (error instanceof SerializationError) throw error;
      // A `toJSON` or a Proxy trap threw: this value has no JSON form.
      throw new SerializationError(`Expected \`${at}\` to be a JSON value, but reading it threw`, { path: at, cause: error });
    } finally {
      ancestors.delete(object);
    }
  };
  walk(value, path);
}

/**
 * Reads an ActionRecord from parsed JSON, or throws a SerializationError naming the bad field.
 * @example
 * const record = parseActionRecord(JSON.parse(text));
 */
export function parseActionRecord(json: unknown): ActionRecord {
  // The payload itself has the path `''` (SerializationError's convention).
  if (kindOf(json) !== 'object') throw new SerializationError(expectedMessage('record', 'an object', json), { path: '' });
  const value = readFields(json as object);
  if (value.version !== 1) fail('version', '1', value.version);
  if (typeof value.id !== 'string' || value.id === '') fail('id', 'a non-empty string', value.id);
  if (typeof value.name !== 'string' || value.name === '') fail('name', 'a non-empty string', value.name);
  if (typeof value.metadata !== 'object' || value.metadata === null || Array.isArray(value.metadata)) fail('metadata', 'an object', value.metadata);
  if (!isPriority(value.priority)) fail('priority', oneOf(PRIORITIES), value.priority);
  if (typeof value.queue !== 'string' || value.queue === '') fail('queue', 'a non-empty string', value.queue);
  if (!('content' in value)) fail('content', 'present (null is fine)', undefined);
  checkJsonValue(value.metadata, 'metadata');
  checkJsonValue(value.content, 'content');
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

/** The record's own fields, read once (a Proxy whose traps throw is a SerializationError, not a crash). */
function readFields(json: object): Record<string, unknown> {
  try {
    const source = json as Record<string, unknown>;
    const fields: Record<string, unknown> = {};
    for (const key of ['version', 'id', 'name', 'metadata', 'priority', 'queue']) fields[key] = source[key];
    if ('content' in source) fields.content = source.content;
    return fields;
  } catch (error) {
    throw new SerializationError('Expected the record to be readable, but reading it threw', { path: '', cause: error });
  }
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
