/**
 * The one place misuse messages are made, in p-queue's style:
 * ``Expected `attempts` to be an integer >= 1, got -2 (number)``.
 *
 * Every check in Echo (options, assign, the Plan, Life, records, revived errors)
 * builds its message here, so they read the same and show any value safely: a
 * BigInt, a Symbol, a circular object or a Proxy whose traps throw is described,
 * never the cause of a second error while the first is being reported.
 * @internal
 */

/** How much of a value a message shows. */
const MAX_SHOWN = 60;

/**
 * A value as misuse messages show it: ``-2 (number)``, ``"full" (string)``, ``null (null)``,
 * ``[1,2] (array)``, ``10n (bigint)``. Never throws, whatever the value.
 * @example
 * describeValue('full'); // '"full" (string)'
 * describeValue(null); // 'null (null)'
 */
export function describeValue(value: unknown): string {
  return `${truncate(shownForm(value), MAX_SHOWN)} (${kindOf(value)})`;
}

/**
 * What kind of value this is, as messages name it: `typeof`, but `null` and `array` apart.
 * @example
 * kindOf([]); // 'array'
 */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  try {
    return Array.isArray(value) ? 'array' : 'object';
  } catch {
    // A revoked Proxy refuses even `Array.isArray`.
    return 'object';
  }
}

/**
 * The message for a value that is not what `field` takes.
 * @example
 * expectedMessage('priority', oneOf(['high', 'normal', 'low']), null);
 * // 'Expected `priority` to be one of "high", "normal", "low", got null (null)'
 */
export function expectedMessage(field: string, expected: string, value: unknown, of?: string): string {
  return `Expected \`${field}\`${of === undefined ? '' : ` of "${of}"`} to be ${expected}, got ${describeValue(value)}`;
}

/**
 * A TypeError for a value that is not what `field` takes; `of` names whose field it is.
 * @example
 * throw invalid('attempts', 'an integer >= 1', -2); // Expected `attempts` to be an integer >= 1, got -2 (number)
 */
export function invalid(field: string, expected: string, value: unknown, of?: string): TypeError {
  return new TypeError(expectedMessage(field, expected, value, of));
}

/**
 * The allowed values as messages list them.
 * @example
 * oneOf(['high', 'normal', 'low']); // 'one of "high", "normal", "low"'
 */
export function oneOf(allowed: readonly string[]): string {
  return `one of ${allowed.map((value) => JSON.stringify(value)).join(', ')}`;
}

/** Where a checked value belongs: its field and, optionally, whose field it is (an action's name). */
export interface FieldOf {
  readonly field: string;
  readonly of?: string;
}

function fail(where: FieldOf, expected: string, value: unknown): never {
  throw invalid(where.field, expected, value, where.of);
}

/**
 * `value` if it is a number `>= min` (or `> min` with `above`), finite unless `infinite`,
 * an integer with `integer`; else a TypeError naming the field.
 * @example
 * checkNumber(5, { field: 'delay' }, { min: 0 }); // 5
 */
export function checkNumber(
  value: unknown,
  where: FieldOf,
  rule: { readonly min: number; readonly above?: boolean; readonly integer?: boolean; readonly infinite?: boolean },
): number {
  const inRange = typeof value === 'number' && (rule.above === true ? value > rule.min : value >= rule.min);
  const ok = inRange && (rule.integer === true ? Number.isSafeInteger(value) || (rule.infinite === true && value === Infinity) : rule.infinite === true || Number.isFinite(value));
  if (!ok) fail(where, numberRule(rule), value);
  return value as number;
}

/** How a number rule reads: `an integer >= 1`, `a finite number > 0`. */
function numberRule(rule: { readonly min: number; readonly above?: boolean; readonly integer?: boolean; readonly infinite?: boolean }): string {
  const what = rule.integer === true ? 'an integer' : rule.infinite === true ? 'a number' : 'a finite number';
  return `${what} ${rule.above === true ? '>' : '>='} ${rule.min}${rule.integer === true && rule.infinite === true ? ' or Infinity' : ''}`;
}

/**
 * `value` if it is one of `allowed`; else a TypeError listing them.
 * @example
 * checkOneOf('high', { field: 'priority' }, ['high', 'normal', 'low']); // 'high'
 */
export function checkOneOf<T extends string>(value: unknown, where: FieldOf, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(value)) fail(where, oneOf(allowed), value);
  return value as T;
}

/**
 * `value` if it is a string (non-empty with `nonEmpty`); else a TypeError.
 * @example
 * checkString('default', { field: 'queue' }, { nonEmpty: true }); // 'default'
 */
export function checkString(value: unknown, where: FieldOf, rule: { readonly nonEmpty?: boolean } = {}): string {
  if (typeof value !== 'string' || (rule.nonEmpty === true && value.length === 0)) fail(where, rule.nonEmpty === true ? 'a non-empty string' : 'a string', value);
  return value;
}

/**
 * `value` if it is a function; else a TypeError.
 * @example
 * checkFunction(() => 1, { field: 'contentFrom' });
 */
export function checkFunction<F extends (...args: never[]) => unknown>(value: unknown, where: FieldOf): F {
  if (typeof value !== 'function') fail(where, 'a function', value);
  return value as F;
}

/**
 * `value` if it is a record: an object, not `null`, not an array; else a TypeError.
 * @example
 * checkRecord({ tenant: 'acme' }, { field: 'metadata' });
 */
export function checkRecord(value: unknown, where: FieldOf, expected = 'an object'): Readonly<Record<string, unknown>> {
  if (kindOf(value) !== 'object') fail(where, expected, value);
  return value as Readonly<Record<string, unknown>>;
}

/**
 * Throws a TypeError naming the first key of `options` that is not in `known`.
 * @example
 * checkKnownKeys({ atempts: 3 }, new Set(['attempts']), 'retry policy option'); // TypeError: Unknown retry policy option `atempts`
 */
export function checkKnownKeys(options: object, known: ReadonlySet<string>, what: string, of?: string, prefix = ''): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new TypeError(`Unknown ${what} \`${prefix}${key}\`${of === undefined ? '' : ` for action "${of}"`}`);
  }
}

/** The printed form of any value; never throws. */
function shownForm(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'bigint':
      return `${value.toString()}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      return `[function ${readName(value)}]`;
    case 'object':
      if (value === null) return 'null';
      // A Map or a class instance prints `{}` as JSON: its tag says more.
      return (isPlain(value) ? jsonText(value) : undefined) ?? tagOf(value);
    default:
      return String(value);
  }
}

function readName(fn: unknown): string {
  try {
    const name = (fn as { name?: unknown }).name;
    return typeof name === 'string' && name !== '' ? name : '(anonymous)';
  } catch {
    // A Proxy of a function whose `get` trap throws.
    return '(anonymous)';
  }
}

/** An array or an object made by a literal (or `Object.create(null)`). */
function isPlain(value: object): boolean {
  try {
    if (Array.isArray(value)) return true;
    const prototype: unknown = Object.getPrototypeOf(value);
    return prototype === Object.prototype || prototype === null;
  } catch {
    // A Proxy whose `getPrototypeOf` trap throws, or a revoked one.
    return false;
  }
}

/** The value's JSON text, or undefined when it has none (a cycle, a BigInt, a throwing `toJSON` or trap). @internal */
export function jsonText(value: object): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    // No JSON form: the caller shows the value's tag instead.
    return undefined;
  }
}

/** `[object Object]`, `[object Map]`; `[unreadable value]` for a Proxy that refuses even that. */
function tagOf(value: object): string {
  try {
    return Object.prototype.toString.call(value);
  } catch {
    // A Proxy whose traps throw has no printed form at all.
    return '[unreadable value]';
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Drops `undefined` fields, so that spreading options over their defaults keeps the defaults. */
export function withoutUndefined<O extends object>(options: O): Partial<O> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<O>;
}
