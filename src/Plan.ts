/**
 * The Plan: named actions, each a signature (name, description, content schema)
 * and an async function `(content, ctx) => result`, with its retry policy,
 * timeouts and hooks. Lookups never mutate the Plan (the original removed the
 * function on first use, so retries failed).
 */
import { RoutingError } from './errors.js';
import { nameHooks, type Hook, type NamedHook } from './action/hooks.js';
import { resolveRetryPolicy, type RetryPolicy } from './retryPolicy.js';
import { isStandardSchema, type StandardSchemaV1 } from './schema.js';
import { PRIORITIES, type Priority } from '../machines/actionConstants.js';
import type { ActionMap, ActionTypes, AnyActions, SchemaInput, SchemaOutput, Simplify, TypesOfEntry } from './planTypes.js';
import { checkKnownKeys, checkNumber, checkOneOf, checkString, invalid } from './validate.js';

/** What an action's function receives beside its content. */
export interface RunContext {
  /** Aborted on cancel, timeout, license revocation and shutdown; `signal.reason` says which. */
  readonly signal: AbortSignal;
  /** 1-based attempt number. */
  readonly attempt: number;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The action's id. */
  readonly action: string;
  readonly name: string;
  /** The shared context (hooks, config, cache, named queues). */
  readonly life: import('./Life.js').Life;
  /**
   * Reports how far the function got: any JSON value (`0.4`, `{ done: 4, total: 10 }`).
   * Throttled on the Sequence's clock (at most one published value per
   * `activity.progressInterval`, default 100 ms; the latest value is never lost). It shows
   * in `events$` (`progress`), in the handle's snapshot context and in the inspector.
   * A value with no exact JSON form throws a SerializationError naming its path.
   * @example
   * const plan = createPlan({
   *   Import: async (rows: string[], ctx) => {
   *     for (let i = 0; i < rows.length; i++) ctx.progress({ done: i + 1, total: rows.length });
   *     return rows.length;
   *   },
   * });
   */
  progress(value: unknown): void;
  /**
   * Logs a line for this action, with optional JSON `data`. The newest
   * `activity.maxLogs` lines (default 50) are kept; older ones are counted in
   * `logsDropped`. Each line is a `log` event on `events$`, and shows in the handle's
   * snapshot context and the inspector's log pane. A message that is not a string
   * throws a TypeError; data with no exact JSON form a SerializationError.
   * @example
   * const plan = createPlan({
   *   Sync: async (_content: null, ctx) => {
   *     ctx.log('fetched', { rows: 12 });
   *     return 12;
   *   },
   * });
   */
  log(message: string, data?: unknown): void;
}

/** An action's function. */
export type ActionFunction<Content = any, Result = unknown> = (content: Content, ctx: RunContext) => Result | Promise<Result>;

/** Name and contract of an action. */
export interface ActionSignature<Name extends string = string, Schema extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined> {
  readonly name: Name;
  readonly description?: string;
  /** A Standard Schema (zod, valibot, …) checked at assign time; it also types the content. */
  readonly schema?: Schema;
}

/** Per-action settings. */
export interface ActionOptions {
  /** Overrides of the Life's default retry policy. */
  readonly retry?: Partial<RetryPolicy>;
  /** A number is the per-attempt timeout; `total` counts from assignment (schedule-to-close). */
  readonly timeout?: number | { readonly attempt?: number; readonly total?: number };
  readonly before?: Hook | NamedHook | readonly (Hook | NamedHook)[];
  readonly after?: Hook | NamedHook | readonly (Hook | NamedHook)[];
  /** How long a cancelled function may take to stop before it is abandoned, ms. */
  readonly cancelGrace?: number;
  /** Default named queue (Production) for this action. */
  readonly queue?: string;
  readonly priority?: Priority;
}

/** A registered action, normalized and validated. */
export interface ActionDefinition {
  readonly signature: ActionSignature;
  readonly run: ActionFunction;
  readonly retry: Partial<RetryPolicy>;
  readonly timeout: { readonly attempt: number | null; readonly total: number | null };
  readonly before: readonly NamedHook[];
  readonly after: readonly NamedHook[];
  readonly cancelGrace: number | undefined;
  readonly queue: string | undefined;
  readonly priority: Priority | undefined;
}

const OPTION_KEYS = new Set(['retry', 'timeout', 'before', 'after', 'cancelGrace', 'queue', 'priority']);

function positive(value: unknown, field: string, name: string): number {
  return checkNumber(value, { field, of: name }, { min: 0, above: true });
}

/** A number (the per-attempt timeout) or `{ attempt, total }`; anything else, or an unknown key, is a TypeError rather than "no timeout". */
function checkTimeout(timeout: unknown, name: string): { readonly attempt: number | null; readonly total: number | null } {
  if (timeout === undefined) return { attempt: null, total: null };
  if (typeof timeout === 'number') return { attempt: positive(timeout, 'timeout', name), total: null };
  if (typeof timeout !== 'object' || timeout === null || Array.isArray(timeout)) {
    throw invalid('timeout', 'a number of ms or { attempt, total }', timeout, name);
  }
  checkKnownKeys(timeout, TIMEOUT_KEYS, 'option', name, 'timeout.');
  const { attempt, total } = timeout as { attempt?: unknown; total?: unknown };
  return {
    attempt: attempt === undefined ? null : positive(attempt, 'timeout.attempt', name),
    total: total === undefined ? null : positive(total, 'timeout.total', name),
  };
}

const TIMEOUT_KEYS: ReadonlySet<string> = new Set(['attempt', 'total']);

function checkSignature(signature: ActionSignature): ActionSignature {
  if (typeof signature !== 'object' || signature === null) throw invalid('signature', 'an object', signature);
  checkString(signature.name, { field: 'signature.name' }, { nonEmpty: true });
  if (signature.description !== undefined) checkString(signature.description, { field: 'description', of: signature.name });
  if (signature.schema !== undefined && !isStandardSchema(signature.schema)) {
    throw new TypeError(`Expected \`schema\` of "${signature.name}" to be a Standard Schema (with a "~standard" property)`);
  }
  return Object.freeze({ ...signature });
}

function define(signature: ActionSignature, run: ActionFunction, options: ActionOptions = {}): ActionDefinition {
  const name = signature.name;
  if (typeof run !== 'function') throw invalid('run', 'a function', run, name);
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalid('options', 'an object', options, name);
  checkKnownKeys(options, OPTION_KEYS, 'option', name);
  if (options.retry !== undefined) resolveRetryPolicy(options.retry); // validates now, resolved later over Life's defaults
  const timeout = checkTimeout(options.timeout, name);
  // `'100'`, `true` or `[]` compare as numbers (`'100' >= 0`) and would hang cancel and shutdown.
  if (options.cancelGrace !== undefined) checkNumber(options.cancelGrace, { field: 'cancelGrace', of: name }, { min: 0 });
  if (options.queue !== undefined) checkString(options.queue, { field: 'queue', of: name }, { nonEmpty: true });
  if (options.priority !== undefined) checkOneOf(options.priority, { field: 'priority', of: name }, PRIORITIES);
  return Object.freeze({
    signature,
    run,
    retry: options.retry ?? {},
    timeout,
    before: nameHooks(options.before, `before hook of "${name}"`),
    after: nameHooks(options.after, `after hook of "${name}"`),
    cancelGrace: options.cancelGrace,
    queue: options.queue,
    priority: options.priority,
  });
}

/**
 * The registry of actions an application can assign. `Actions` maps each name to
 * its content and result types (inferred by `createPlan` and the builder); a plain
 * `Plan` accepts any name.
 */
export class Plan<Actions extends ActionMap = AnyActions> {
  /** @internal Carries the static types only; never set. */
  declare readonly '~actions'?: Actions;
  readonly #definitions: ReadonlyMap<string, ActionDefinition>;

  /** @internal use `Plan.create()` or `createPlan()`. */
  constructor(definitions: ReadonlyMap<string, ActionDefinition>) {
    this.#definitions = definitions;
  }

  /**
   * Starts a builder, in the seed's order: signature first, then its function.
   * @example
   * const plan = Plan.create()
   *   .withSignature({ name: 'Read' })
   *   .withFunction('Read', async (path: string) => path.length)
   *   .build();
   */
  static create(): PlanBuilder {
    return new PlanBuilder();
  }

  /** The definition of `name`, or undefined. Never mutates the Plan. */
  get(name: string): ActionDefinition | undefined {
    return this.#definitions.get(name);
  }

  /** The definition of `name`, or a RoutingError naming what is known. */
  require(name: string): ActionDefinition {
    const definition = this.#definitions.get(name);
    if (definition !== undefined) return definition;
    const known = [...this.#definitions.keys()].map((n) => `"${n}"`).join(', ') || 'none';
    throw new RoutingError(`No action named "${name}" in the Plan (known: ${known})`, { target: name });
  }

  /** True when the Plan has an action named `name`. */
  has(name: string): boolean {
    return this.#definitions.has(name);
  }

  /** The action names, in registration order. */
  names(): string[] {
    return [...this.#definitions.keys()];
  }
}

/**
 * Builds a Plan: `withSignature` then `withFunction`, as the seed did. `Signed` holds
 * each signed name's schema (or `undefined`), `Actions` the types of the names that
 * have their function.
 */
export class PlanBuilder<Signed extends Record<string, StandardSchemaV1 | undefined> = {}, Actions extends ActionMap = {}> {
  readonly #signatures = new Map<string, ActionSignature>();
  readonly #definitions = new Map<string, ActionDefinition>();

  /**
   * Declares an action's signature. A name may be signed once. A `schema` types the
   * content: `assign` takes the schema's input, the function receives its output.
   */
  withSignature<const Name extends string, Schema extends StandardSchemaV1 | undefined = undefined>(
    signature: ActionSignature<Name, Schema>,
  ): PlanBuilder<Simplify<Signed & { readonly [K in Name]: Schema }>, Actions> {
    const checked = checkSignature(signature as ActionSignature);
    if (this.#signatures.has(checked.name)) throw new TypeError(`Expected a new action name, but "${checked.name}" is already signed`);
    this.#signatures.set(checked.name, checked);
    return this as never;
  }

  /**
   * Adds the function of a signed action. Its content is the signature's schema
   * output, or else what the function declares.
   */
  withFunction<
    Name extends Exclude<keyof Signed & string, keyof Actions>,
    Result,
    Content = Signed[Name] extends StandardSchemaV1 ? SchemaOutput<Signed[Name]> : any,
  >(
    name: Name,
    run: ActionFunction<Signed[Name] extends StandardSchemaV1 ? SchemaOutput<Signed[Name]> : Content, Result>,
    options?: ActionOptions,
  ): PlanBuilder<Signed, Simplify<Actions & { readonly [K in Name]: ActionTypes<Signed[Name] extends StandardSchemaV1 ? SchemaInput<Signed[Name]> : Content, Awaited<Result>> }>> {
    const signature = this.#signatures.get(name);
    if (signature === undefined) {
      throw new TypeError(`Expected a signature for "${name}" before its function; call withSignature({ name: ${JSON.stringify(name)} }) first`);
    }
    if (this.#definitions.has(name)) throw new TypeError(`Expected one function per action, but "${name}" already has one`);
    this.#definitions.set(name, define(signature, run as ActionFunction, options));
    return this as never;
  }

  /** Freezes the Plan. Every signature must have its function. */
  build(): Plan<Actions> {
    const missing = [...this.#signatures.keys()].filter((name) => !this.#definitions.has(name));
    if (missing.length > 0) throw new TypeError(`Expected a function for every signature; missing: ${missing.map((n) => `"${n}"`).join(', ')}`);
    return new Plan(new Map(this.#definitions));
  }
}

/** The concise form of an action in `createPlan`: its function, or `{ run, schema?, description?, ...options }`. */
export type PlanEntry = ActionFunction | (ActionOptions & Omit<ActionSignature, 'name'> & { readonly run: ActionFunction });

/** The Plan types `createPlan` infers from its entries. */
export type PlanActionsOf<Entries> = { readonly [Name in keyof Entries & string]: TypesOfEntry<Entries[Name]> };

/**
 * Builds a Plan from an object of actions, inferring each name's content (from the
 * function's parameter, or the entry's `schema`) and result.
 * @example
 * const plan = createPlan({
 *   Read: async (path: string) => `content of ${path}`,
 *   Write: { run: async ({ path }: { path: string; text: string }) => path, retry: { attempts: 5 }, timeout: 1_000 },
 * });
 */
export function createPlan<const Entries extends Readonly<Record<string, PlanEntry>>>(entries: Entries): Plan<PlanActionsOf<Entries>> {
  // Names come from data here: the builder is used untyped, the result typed from the entries.
  const builder = new PlanBuilder() as unknown as PlanBuilder<Record<string, undefined>>;
  for (const [name, entry] of Object.entries(entries)) {
    if (typeof entry === 'function') {
      builder.withSignature({ name }).withFunction(name, entry);
      continue;
    }
    if (typeof entry !== 'object' || entry === null) throw invalid('entry', 'a function or { run, ... }', entry, name);
    const { run, description, schema, ...options } = entry as Exclude<PlanEntry, ActionFunction>;
    builder.withSignature({ name, ...(description !== undefined && { description }), ...(schema !== undefined && { schema }) });
    builder.withFunction(name, run, options);
  }
  return builder.build() as Plan<PlanActionsOf<Entries>>;
}
