/**
 * Decoding through a Standard Schema (valibot here): the first issue becomes a
 * SerializationError naming the dotted path of the bad field.
 * @internal
 */
import * as v from 'valibot';
import { SerializationError } from '../errors.js';
import { describeValue } from '../validate.js';

/** Dotted path of a Standard Schema issue: `attempts[2].outcome`. */
function dotted(path: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined): string {
  let text = '';
  for (const part of path ?? []) {
    const key = typeof part === 'object' && part !== null ? part.key : part;
    text += typeof key === 'number' ? `[${key}]` : text === '' ? String(key) : `.${String(key)}`;
  }
  return text;
}

/** The value at `path` in `root` (for the error message). */
function valueAt(root: unknown, path: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined): unknown {
  let current = root;
  for (const part of path ?? []) {
    const key = typeof part === 'object' && part !== null ? part.key : part;
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * Validates `value` with `schema` (through its `~standard` interface) or throws a
 * SerializationError whose `path` is prefixed with `root`.
 */
export function decodeWith<S extends v.GenericSchema>(schema: S, value: unknown, root = ''): v.InferOutput<S> {
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) throw new TypeError('Echo codec schemas are synchronous');
  if (result.issues === undefined) return result.value as v.InferOutput<S>;
  const issue = result.issues[0]!;
  const inner = dotted(issue.path);
  const path = root === '' ? inner : inner === '' ? root : inner.startsWith('[') ? `${root}${inner}` : `${root}.${inner}`;
  const got = valueAt(value, issue.path);
  const where = path === '' ? 'the payload' : `\`${path}\``;
  throw new SerializationError(`Invalid ${where}: ${issue.message}, got ${describeValue(got)}`, { path });
}

/** `JSON.parse` that answers a SerializationError instead of a SyntaxError. */
export function parseJson(text: string, root: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new SerializationError(`Expected \`${root || 'payload'}\` to be JSON text: ${(error as Error).message}`, { path: root, cause: error });
  }
}
