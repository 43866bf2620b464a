/**
 * What the codec can carry: JSON values (null, booleans, finite numbers, strings,
 * arrays, plain objects). An object property that is `undefined` is absent, as in
 * JSON; everything else (functions, symbols, bigints, NaN/Infinity, `undefined`
 * in an array, class instances such as Date or Map, cycles) is refused with the
 * path of the offending value, so nothing is dropped or changed silently.
 */
import { SerializationError } from '../errors.js';
import { RESERVED_KEYS } from './schemas.js';

/** A JSON value. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

function refuse(path: string, what: string): never {
  throw new SerializationError(`Expected \`${path}\` to be JSON-encodable, got ${what}`, { path });
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'bigint') return `a bigint (${String(value)}n)`;
  if (typeof value === 'number') return `${String(value)} (number)`;
  if (value === undefined) return 'undefined';
  const ctor = (value as object).constructor?.name;
  return ctor !== undefined ? `an instance of ${ctor}` : 'an exotic object';
}

/** Deeper than this is refused (JSON.parse and JSON.stringify recurse too). */
const MAX_DEPTH = 1_000;

/**
 * Throws a SerializationError naming the first value under `path` that has no
 * exact JSON form.
 * @example
 * assertEncodable({ to: 'a@b.c', at: new Date() }, 'content'); // SerializationError: Expected `content.at` to be JSON-encodable, got an instance of Date
 */
export function assertEncodable(value: unknown, path: string): void {
  if (value === undefined || value === null || typeof value === 'string' || typeof value === 'boolean') return; // absent, or a JSON primitive
  if (typeof value === 'number' && Number.isFinite(value)) return;
  if (isEmptyPlainObject(value)) return; // the usual metadata: nothing to walk
  walk(value, path, new Set(), 0, false);
}

/** `{}` (or an object without prototype and keys): what most actions' metadata is. */
function isEmptyPlainObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  for (const _ in value) return false;
  return true;
}

function walk(value: unknown, path: string, ancestors: Set<object>, depth: number, inArray: boolean): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) refuse(path, describe(value));
    return;
  }
  if (value === undefined && !inArray) return;
  if (typeof value !== 'object' || value === undefined) refuse(path, describe(value));
  if (depth >= MAX_DEPTH) refuse(path, `a value nested deeper than ${MAX_DEPTH} levels`);
  const isArray = Array.isArray(value);
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!isArray && proto !== Object.prototype && proto !== null) refuse(path, describe(value));
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') refuse(path, 'an object with toJSON');
  if (ancestors.has(value)) refuse(path, 'a cycle (an object that contains itself)');
  ancestors.add(value);
  if (isArray) {
    const array = value as unknown[];
    for (let i = 0; i < array.length; i++) {
      if (!(i in array)) refuse(`${path}[${i}]`, 'a hole in an array');
      walk(array[i], `${path}[${i}]`, ancestors, depth + 1, true);
    }
  } else {
    for (const key of Object.keys(value)) {
      if (RESERVED_KEYS.includes(key)) refuse(path === '' ? key : `${path}.${key}`, `a key named ${key} (refused: a prototype-pollution vector)`);
      walk((value as Record<string, unknown>)[key], path === '' ? key : `${path}.${key}`, ancestors, depth + 1, false);
    }
  }
  ancestors.delete(value);
}
