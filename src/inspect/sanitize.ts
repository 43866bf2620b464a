/**
 * Turns any runtime value into bounded JSON for the wire: depth, string length,
 * array length and key count are capped, cycles and actor refs are cut, errors
 * keep their name, message and cause chain, and their stacks (of live errors and of
 * error records, `{ name, message, stack }`) are sanitized and truncated by
 * {@link sanitizeStack} (no directory outside the project, no URL secrets).
 */
import { homedir } from 'node:os';
import type { Json } from './protocol.js';
import { sanitizeStack, type StackLimits } from './stack.js';

/** Bounds on what the inspector sends of contexts and events (depth, lengths). */
export interface SanitizeOptions {
  /** Nesting levels kept; deeper values become a short description. @default 6 */
  readonly maxDepth?: number;
  /** Characters kept of a string. @default 2000 */
  readonly maxString?: number;
  /** Items kept of an array (head and tail, with a marker between). @default 50 */
  readonly maxArray?: number;
  /** Keys kept of an object. @default 100 */
  readonly maxKeys?: number;
  /** Links of an error's `cause` chain kept. @default 8 */
  readonly maxCauses?: number;
  /** Frames kept of an error's stack. @default 20 */
  readonly maxStackLines?: number;
  /** Characters kept of one stack line. @default 300 */
  readonly maxStackLineChars?: number;
  /** Shown as `.` in stacks; `null` for none. @default process.cwd() */
  readonly projectRoot?: string | null;
  /** Shown as `~` in stacks; `null` for none. @default os.homedir() */
  readonly homeDir?: string | null;
}

/** The defaults of {@link SanitizeOptions} (the roots are read when options are resolved). */
export const defaultSanitizeOptions = {
  maxDepth: 6,
  maxString: 2000,
  maxArray: 50,
  maxKeys: 100,
  maxCauses: 8,
  maxStackLines: 20,
  maxStackLineChars: 300,
  projectRoot: null,
  homeDir: null,
} satisfies Required<SanitizeOptions>;

const COUNTS = ['maxDepth', 'maxString', 'maxArray', 'maxKeys', 'maxCauses', 'maxStackLines', 'maxStackLineChars'] as const;

/** Validates and fills sanitize options. */
export function resolveSanitizeOptions(options: SanitizeOptions = {}): Required<SanitizeOptions> {
  const resolved = { ...defaultSanitizeOptions, projectRoot: process.cwd(), homeDir: homedir(), ...options };
  for (const key of COUNTS) {
    const value = resolved[key];
    if (!Number.isInteger(value) || value < 1) {
      throw new TypeError(`Expected \`${key}\` to be an integer >= 1, got ${String(value)} (${typeof value})`);
    }
  }
  for (const key of ['projectRoot', 'homeDir'] as const) {
    const value = resolved[key];
    if (value !== null && typeof value !== 'string') throw new TypeError(`Expected \`${key}\` to be a path or null, got ${String(value)} (${typeof value})`);
  }
  return resolved;
}

function stackLimits(options: Required<SanitizeOptions>): StackLimits {
  return { maxLines: options.maxStackLines, maxLineChars: options.maxStackLineChars, projectRoot: options.projectRoot, homeDir: options.homeDir };
}

/** A stack as it goes on the wire: sanitized, then bounded like any string. */
function wireStack(stack: string, options: Required<SanitizeOptions>): string {
  return truncateString(sanitizeStack(stack, stackLimits(options)), options.maxString);
}

/**
 * Sanitizes a value to bounded JSON.
 * @example
 * sanitize({ s: 'x'.repeat(10) }, resolveSanitizeOptions({ maxString: 4 })); // { s: 'xxxx…(+6 chars)' }
 */
export function sanitize(value: unknown, options: Required<SanitizeOptions> = defaultSanitizeOptions): Json {
  return walk(value, options, 0, []);
}

/** The objects being walked, outermost first (a short stack: depth and cause chains are capped). */
type Seen = object[];

function walk(value: unknown, options: Required<SanitizeOptions>, depth: number, seen: Seen): Json {
  switch (typeof value) {
    case 'string':
      return truncateString(value, options.maxString);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return `${value}n`;
    case 'undefined':
      return null;
    case 'symbol':
      return value.toString();
    case 'function':
      return `[Function ${value.name || 'anonymous'}]`;
  }
  if (value === null) return null;
  const object = value as object;
  if (seen.includes(object)) return '[Circular]';
  if (isActorRef(object)) return { $actor: String(object.id), sessionId: String(object.sessionId) };
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
  if (object instanceof Error) return walkError(object, options, depth, seen, 0);
  if (depth >= options.maxDepth) return describe(object);
  if (ArrayBuffer.isView(object)) return `[${object.constructor.name}(${object.byteLength} bytes)]`;
  seen.push(object);
  try {
    if (Array.isArray(object)) return walkArray(object, options, depth, seen);
    if (object instanceof Map) return walkEntries(object.entries(), object.size, options, depth, seen);
    if (object instanceof Set) return walkArray([...object], options, depth, seen);
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return walk(toJSON.call(object), options, depth, seen);
    return walkObject(object as Record<string, unknown>, options, depth, seen);
  } finally {
    seen.pop();
  }
}

/** A plain object's own enumerable keys (no entry pairs are built). */
function walkObject(object: Record<string, unknown>, options: Required<SanitizeOptions>, depth: number, seen: Seen): Json {
  const keys = Object.keys(object);
  const out: Record<string, Json> = {};
  let count = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = object[key];
    if (item === undefined) continue;
    if (count === options.maxKeys) {
      out['…'] = `${keys.length - count} more keys`;
      break;
    }
    // An error record (serializeError's `{ name, message, stack }`) has its stack sanitized like a live error's.
    out[key] = key === 'stack' && typeof item === 'string' && typeof object.message === 'string' ? wireStack(item, options) : walk(item, options, depth + 1, seen);
    count++;
  }
  return out;
}

function walkArray(items: readonly unknown[], options: Required<SanitizeOptions>, depth: number, seen: Seen): Json[] {
  const max = options.maxArray;
  if (items.length <= max) return items.map((item) => walk(item, options, depth + 1, seen));
  // Head and tail: the first items say how it began, the last ones (latest attempts) matter most.
  const tail = Math.floor(max / 2);
  const head = max - tail;
  const out: Json[] = items.slice(0, head).map((item) => walk(item, options, depth + 1, seen));
  out.push(`…(${items.length - max} more items)`);
  for (const item of items.slice(items.length - tail)) out.push(walk(item, options, depth + 1, seen));
  return out;
}

function walkEntries(
  entries: Iterable<[unknown, unknown]>,
  size: number,
  options: Required<SanitizeOptions>,
  depth: number,
  seen: Seen,
): Json {
  const out: Record<string, Json> = {};
  let count = 0;
  for (const [key, item] of entries) {
    if (item === undefined) continue;
    if (count === options.maxKeys) {
      out['…'] = `${size - count} more keys`;
      break;
    }
    out[String(key)] = walk(item, options, depth + 1, seen);
    count++;
  }
  return out;
}

function walkError(
  error: Error,
  options: Required<SanitizeOptions>,
  depth: number,
  seen: Seen,
  link: number,
): Json {
  seen.push(error);
  try {
    const out: Record<string, Json> = { name: truncateString(error.name, options.maxString), message: truncateString(error.message, options.maxString) };
    for (const [key, item] of Object.entries(error)) {
      if (key === 'cause' || key === 'name' || key === 'message' || item === undefined) continue;
      out[key] = walk(item, options, Math.max(depth, options.maxDepth - 2), seen);
    }
    if (typeof error.stack === 'string') out.stack = wireStack(error.stack, options);
    const cause: unknown = error.cause;
    if (cause !== undefined) {
      if (link + 1 >= options.maxCauses) out.cause = '…(cause chain cut)';
      else if (cause instanceof Error && !seen.includes(cause)) out.cause = walkError(cause, options, depth, seen, link + 1);
      else out.cause = walk(cause, options, Math.max(depth, options.maxDepth - 2), seen);
    }
    return out;
  } finally {
    seen.pop();
  }
}

function isActorRef(object: object): object is { id: unknown; sessionId: unknown } {
  const candidate = object as { sessionId?: unknown; send?: unknown; getSnapshot?: unknown };
  return typeof candidate.sessionId === 'string' && typeof candidate.send === 'function' && typeof candidate.getSnapshot === 'function';
}

function describe(object: object): string {
  if (Array.isArray(object)) return `[Array(${object.length})]`;
  if (object instanceof Map) return `[Map(${object.size})]`;
  if (object instanceof Set) return `[Set(${object.size})]`;
  const name = object.constructor?.name;
  return name && name !== 'Object' ? `[${name}]` : '[Object]';
}

/** Cuts a string to `max` characters, saying how much was cut. */
export function truncateString(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max)}…(+${value.length - max} chars)`;
}
