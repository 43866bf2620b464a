/**
 * Whether an action's content and metadata survive `JSON.stringify` →
 * `JSON.parse` as they are: what Echo can persist or report. Persistable are
 * `null`, booleans, strings, finite numbers, arrays and plain objects of those
 * (an `undefined` property is left out, as JSON does; an object with its own
 * `toJSON`, such as a `Date`, is taken as what `toJSON` gives). Not persistable:
 * `BigInt`, functions, symbols, `NaN`/`Infinity`, circular references, getters or
 * `toJSON`s that throw; the answer is a SerializationError naming the first such path.
 * @internal
 */
import { SerializationError, messageOf } from '../errors.js';
import { describeValue } from '../validate.js';
import { toActionRecord, type ActionRecord } from './actionRecord.js';
import type { ActionSpec } from '../../machines/actionTypes.js';

/** The record of `spec` when all of it is persistable (content `undefined` is recorded as `null`), else why not. */
export function persistableRecord(spec: ActionSpec): { readonly record: ActionRecord } | { readonly record: null; readonly error: SerializationError } {
  const error = findUnpersistable(spec.content, 'content') ?? findUnpersistable(spec.metadata, 'metadata');
  if (error !== null) return { record: null, error };
  const record = toActionRecord(spec);
  return { record: record.content === undefined ? { ...record, content: null } : record };
}

/** The first path under `root` whose value JSON cannot carry, as a SerializationError; null when all is persistable. */
export function findUnpersistable(value: unknown, root: string): SerializationError | null {
  const ancestors = new Set<object>();
  const fail = (path: string, what: string, cause?: unknown): SerializationError =>
    new SerializationError(`\`${path}\` cannot be persisted as JSON: ${what}`, { path, ...(cause !== undefined && { cause }) });
  const visit = (current: unknown, path: string): SerializationError | null => {
    switch (typeof current) {
      case 'string':
      case 'boolean':
      case 'undefined':
        return null;
      case 'number':
        return Number.isFinite(current) ? null : fail(path, `${String(current)} is not a finite number`);
      case 'bigint':
      case 'function':
      case 'symbol':
        return fail(path, `a ${typeof current} has no JSON form`);
    }
    if (current === null) return null;
    const object = current as object;
    if (ancestors.has(object)) return fail(path, 'it refers back to itself (circular)');
    try {
      const toJSON = (object as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return visitConverted(() => (toJSON as () => unknown).call(object), path);
      ancestors.add(object);
      try {
        if (Array.isArray(object)) {
          for (let index = 0; index < object.length; index++) {
            const found = visit(object[index], `${path}[${index}]`);
            if (found !== null) return found;
          }
          return null;
        }
        for (const key of Object.keys(object)) {
          const found = visit((object as Record<string, unknown>)[key], `${path}.${key}`);
          if (found !== null) return found;
        }
        return null;
      } finally {
        ancestors.delete(object);
      }
    } catch (thrown) {
      return fail(path, `reading it threw: ${messageOf(thrown)}`, thrown);
    }
  };
  const visitConverted = (convert: () => unknown, path: string): SerializationError | null => {
    let converted: unknown;
    try {
      converted = convert();
    } catch (thrown) {
      return fail(path, `its toJSON threw: ${messageOf(thrown)}`, thrown);
    }
    if (typeof converted === 'object' && converted !== null && typeof (converted as { toJSON?: unknown }).toJSON === 'function') {
      return fail(path, `its toJSON gave ${describeValue(converted)}, which has a toJSON again`);
    }
    return visit(converted, path);
  };
  return visit(value, root);
}
