/**
 * Turns `assign(name, content, options)` into a validated ActionRun init and the
 * statechart's input: routing, schema, queue, capacity, retry policy, timeouts
 * and the hook chain. Everything wrong is a typed error here, before anything
 * is queued.
 * @internal
 */
import { DEFAULT_PRIORITY, DEFAULT_QUEUE, PRIORITIES, type Priority } from '../../machines/actionConstants.js';
import type { ActionRecord } from './actionRecord.js';
import { parseActionRecord } from './actionRecord.js';
import type { ActionRun, FollowUp, RunInit } from './ActionRun.js';
import { BackpressureError, RoutingError } from '../errors.js';
import type { NamedHook } from './hooks.js';
import type { IdGenerator } from '../ids.js';
import type { License } from '../License.js';
import type { Life } from '../Life.js';
import type { ActionDefinition, Plan } from '../Plan.js';
import type { ActionMap, AnyActions, FollowUpOf } from '../planTypes.js';
import type { Production } from '../work/Production.js';
import { resolveRetryPolicy, type RetryPolicy } from '../retryPolicy.js';
import { validateContent } from '../schema.js';
import { checkFunction, checkKnownKeys, checkNumber, checkOneOf, checkRecord, checkString, describeValue, invalid } from '../validate.js';

/**
 * Options of one assignment. `Actions` are the Plan's types and `Output` the action's
 * result, so a follow-up in `then` must name a known action and take matching content.
 */
export interface AssignOptions<Actions extends ActionMap = AnyActions, Output = unknown> {
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** @default the Plan entry's, else 'normal' */
  readonly priority?: Priority;
  /** Wait this long (ms) before the action becomes available to Sites. */
  readonly delay?: number;
  /** A revocable authorization checked before every attempt. */
  readonly license?: License;
  /** While an action with this key is live, assigning the same key returns its handle. */
  readonly idempotencyKey?: string;
  /** Named queue. @default the Plan entry's, else 'default' */
  readonly queue?: string;
  /** Overrides the Plan's timeouts for this action. */
  readonly timeout?: number | { readonly attempt?: number; readonly total?: number };
  /** Overrides fields of the retry policy for this action. */
  readonly retry?: Partial<RetryPolicy>;
  /** Follow-up actions assigned after success with the output (the seed's `NextAction`). */
  readonly then?: FollowUpOf<Actions, Output> | readonly FollowUpOf<Actions, Output>[];
  /**
   * Cancels the action when aborted, like `fetch`'s `signal`: reason `user`, the signal's
   * reason as the CancellationError's `cause`. An already-aborted signal cancels at once.
   */
  readonly signal?: AbortSignal;
}

const NO_FOLLOW_UPS: readonly FollowUp[] = Object.freeze([]);
const EMPTY_METADATA: Readonly<Record<string, unknown>> = Object.freeze({});
const NO_OPTIONS: AssignOptions = Object.freeze({});
const KEYS = new Set(['metadata', 'priority', 'delay', 'license', 'idempotencyKey', 'queue', 'timeout', 'retry', 'then', 'signal']);
const FOLLOW_UP_KEYS = new Set(['name', 'content', 'contentFrom', 'metadata', 'priority']);

export interface AssignmentDeps {
  readonly plan: Plan;
  readonly life: Life;
  readonly ids: IdGenerator;
  readonly productions: ReadonlyMap<string, Production<ActionRun>>;
  readonly served: ReadonlySet<string>;
  readonly overflow: 'throw' | 'wait';
  now(): number;
  waiting(queue: string): number;
  /** Whether a live action has this id; given only when ids come from an injected generator. */
  isLive?(id: string): boolean;
}

/** Per Plan entry: the resolved policy and hook chains, computed once. */
const resolvedCache = new WeakMap<ActionDefinition, WeakMap<Life, { policy: RetryPolicy; before: NamedHook[]; after: NamedHook[] }>>();

/** A Plan entry's retry policy and hook chains under `life` (computed once per entry and Life). */
export function resolvedFor(definition: ActionDefinition, life: Life): { readonly policy: RetryPolicy; readonly before: readonly NamedHook[]; readonly after: readonly NamedHook[] } {
  let byLife = resolvedCache.get(definition);
  if (byLife === undefined) resolvedCache.set(definition, (byLife = new WeakMap()));
  let resolved = byLife.get(life);
  if (resolved === undefined) {
    resolved = {
      policy: resolveRetryPolicy(definition.retry, life.fate.retry),
      before: [...life.span.globalBefore, ...definition.before],
      after: [...definition.after].reverse().concat([...life.span.globalAfter].reverse()),
    };
    byLife.set(life, resolved);
  }
  return resolved;
}

function metadataHooks(metadata: Readonly<Record<string, unknown>>, life: Life, name: string): { before: NamedHook[]; after: NamedHook[] } | null {
  const hooks = metadata.hooks;
  if (hooks === undefined) return null;
  // Anything but an array or a { before, after } object (a lone name, a number) would otherwise be read as "no hooks".
  if (!Array.isArray(hooks) && (typeof hooks !== 'object' || hooks === null)) {
    throw invalid('metadata.hooks', 'an array of hook names or { before, after }', hooks, name);
  }
  const lists = Array.isArray(hooks) ? { before: hooks, after: [] } : (hooks as { before?: unknown; after?: unknown });
  const resolve = (names: unknown, phase: string): NamedHook[] => {
    if (names === undefined) return [];
    if (!Array.isArray(names)) throw invalid(`metadata.hooks.${phase}`, 'an array of hook names', names, name);
    return names.map((hookName) => {
      const hook = typeof hookName === 'string' ? life.span.get(hookName) : undefined;
      const shown = typeof hookName === 'string' ? JSON.stringify(hookName) : describeValue(hookName);
      if (hook === undefined) throw new RoutingError(`Action "${name}" lists hook ${shown} in its metadata, but Life defines no such hook`, { target: String(hookName) });
      return hook;
    });
  };
  return { before: resolve(lists.before, 'before'), after: resolve(lists.after, 'after') };
}

function timeouts(value: AssignOptions['timeout'], base: ActionDefinition['timeout'], life: Life): { attempt: number | null; total: number | null } {
  if (value !== undefined && typeof value !== 'number' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw invalid('timeout', 'a number of ms or { attempt, total }', value);
  }
  const fromOptions = typeof value === 'number' ? { attempt: value } : (value ?? {});
  for (const [field, ms] of Object.entries(fromOptions)) {
    // An unknown key (`{ atempt: 50 }`) would otherwise mean "no timeout" without a word.
    if (field !== 'attempt' && field !== 'total') throw new TypeError(`Unknown assign option \`timeout.${field}\``);
    // The Plan refuses `Infinity` (no timeout is "leave it out"); assign agrees.
    checkNumber(ms, { field: typeof value === 'number' ? 'timeout' : `timeout.${field}` }, { min: 0, above: true });
  }
  return {
    attempt: fromOptions.attempt ?? base.attempt ?? life.fate.timeout.attempt,
    total: (fromOptions as { total?: number }).total ?? base.total ?? life.fate.timeout.total,
  };
}

/** Validates one assignment and prepares its run and machine input. */
export function prepareAssignment(
  nameOrRecord: string | ActionRecord,
  contentOrOptions: unknown,
  maybeOptions: AssignOptions | undefined,
  deps: AssignmentDeps,
): RunInit {
  const fromRecord = typeof nameOrRecord === 'object' && nameOrRecord !== null;
  const record = fromRecord ? parseActionRecord(nameOrRecord) : null;
  const name = record?.name ?? nameOrRecord;
  if (typeof name !== 'string' || name.length === 0) throw invalid('name', 'an action name (a non-empty string) or an ActionRecord', name);
  const options: AssignOptions = (fromRecord ? (contentOrOptions as AssignOptions | undefined) : maybeOptions) ?? NO_OPTIONS;
  if (options !== NO_OPTIONS) {
    checkRecord(options, { field: 'options' }, 'an object of assign options');
    checkKnownKeys(options, KEYS, 'assign option', name);
    if (options.metadata !== undefined) checkRecord(options.metadata, { field: 'metadata' });
  }
  const definition = deps.plan.require(name);
  const rawContent = record !== null ? record.content : contentOrOptions;
  const content = definition.signature.schema === undefined ? rawContent : validateContent(definition.signature.schema, rawContent, name);

  const metadata =
    record === null && options.metadata === undefined
      ? EMPTY_METADATA
      : Object.freeze({ ...(record?.metadata ?? {}), ...(options.metadata ?? {}) });
  // `null` is no way to say "the default": only a missing option (or `undefined`) is.
  const priority = options.priority !== undefined ? checkOneOf(options.priority, { field: 'priority' }, PRIORITIES) : (record?.priority ?? definition.priority ?? DEFAULT_PRIORITY);
  const queue = options.queue !== undefined ? checkString(options.queue, { field: 'queue' }, { nonEmpty: true }) : (record?.queue ?? definition.queue ?? DEFAULT_QUEUE);
  const production = deps.productions.get(queue);
  if (production === undefined || !deps.served.has(queue)) {
    throw new RoutingError(`Action "${name}" is routed to queue "${queue}", which no Site serves`, { target: queue });
  }
  const delay = options.delay === undefined ? 0 : checkNumber(options.delay, { field: 'delay' }, { min: 0 });
  if (deps.overflow === 'throw' && delay === 0 && production.size + deps.waiting(queue) >= production.capacity) {
    throw new BackpressureError(`Queue "${queue}" is full (capacity ${production.capacity}); action "${name}" was not assigned`, {
      capacity: production.capacity,
      queue,
    });
  }
  if (options.license !== undefined && typeof options.license?.onRevoke !== 'function') throw invalid('license', 'a License', options.license);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalid('signal', 'an AbortSignal', options.signal);
  if (options.idempotencyKey !== undefined) checkString(options.idempotencyKey, { field: 'idempotencyKey' });

  const resolved = resolvedFor(definition, deps.life);
  const policy = options.retry === undefined ? resolved.policy : resolveRetryPolicy(options.retry, resolved.policy);
  const named = metadataHooks(metadata, deps.life, name);
  const before = named === null ? resolved.before : [...resolved.before, ...named.before];
  const after = named === null ? resolved.after : [...[...named.after].reverse(), ...resolved.after];
  const followUps = options.then === undefined ? NO_FOLLOW_UPS : checkFollowUps(options.then, name, deps.plan);
  // Without a per-assignment timeout (the common case) the Plan's and Life's apply: no object is built.
  const time = options.timeout === undefined ? null : timeouts(options.timeout, definition.timeout, deps.life);

  // A record gets a fresh id: the one it had may be live, or belong to another process.
  const id = deps.ids();
  if (deps.isLive !== undefined) {
    checkString(id, { field: 'ids()' }, { nonEmpty: true });
    if (deps.isLive(id)) throw invalid('ids()', 'a new id (a live action has this one)', id);
  }
  return {
    id,
    name,
    content,
    metadata,
    priority,
    queue,
    license: options.license ?? null,
    definition,
    policy,
    before,
    after,
    followUps,
    idempotencyKey: options.idempotencyKey,
    // Where the action came from lives apart from the user's metadata, which stays exactly as given.
    provenance: record === null ? null : { recordOf: record.id },
    createdAt: deps.now(),
    startDelay: delay,
    attemptTimeout: time === null ? (definition.timeout.attempt ?? deps.life.fate.timeout.attempt) : time.attempt,
    totalTimeout: time === null ? (definition.timeout.total ?? deps.life.fate.timeout.total) : time.total,
    cancelGrace: definition.cancelGrace ?? deps.life.fate.cancelGrace,
  };
}

/** Each follow-up is `{ name, content?, contentFrom?, metadata?, priority? }` naming an action of the Plan. */
function checkFollowUps(then: unknown, name: string, plan: Plan): readonly FollowUp[] {
  const list: readonly unknown[] = Array.isArray(then) ? then : [then];
  list.forEach((next, index) => {
    const field = Array.isArray(then) ? `then[${index}]` : 'then';
    checkKnownKeys(checkRecord(next, { field }, '{ name, content?, contentFrom?, metadata?, priority? }'), FOLLOW_UP_KEYS, 'follow-up option', name);
    const followUp = next as Record<keyof FollowUp, unknown>;
    checkString(followUp.name, { field: `${field}.name` }, { nonEmpty: true });
    if (followUp.contentFrom !== undefined) checkFunction(followUp.contentFrom, { field: `${field}.contentFrom` });
    if (followUp.metadata !== undefined) checkRecord(followUp.metadata, { field: `${field}.metadata` });
    if (followUp.priority !== undefined) checkOneOf(followUp.priority, { field: `${field}.priority` }, PRIORITIES);
    plan.require(followUp.name as string);
  });
  return list as readonly FollowUp[];
}
