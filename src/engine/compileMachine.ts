/**
 * Derives a flat transition table from an XState v5 machine definition, once.
 *
 * The table engine (`TableActor`) runs actors on this table: a small object per
 * actor instead of a full XState actor, which costs ~60 µs and ~59 KB of garbage
 * per short-lived actor here. The machine stays the single source of truth: the
 * table is read from `machine.config` and `machine.implementations`, and
 * `test/tableEngine.test.ts` replays every shortest path of `xstate/graph`
 * against both engines and compares them.
 *
 * Supported: one level of atomic/final states under the root; `on`, `after`
 * (named or numeric delays), `always`, `entry`, `exit` on states and on the
 * root; named guards; named actions. Anything else is rejected with a TypeError
 * naming what is not supported, so a machine change can never silently diverge.
 * @internal
 */
import type { AnyStateMachine } from 'xstate';

/** The parts of an XState machine the compiler reads. */
export interface MachineDefinition {
  readonly config: unknown;
  readonly implementations: unknown;
}

/** A context update applied directly by the table engine (the same function XState wraps in `assign`). */
export type PureUpdate<TContext> = (context: TContext, event: { type: string }) => TContext;

/** An effect called with positional arguments (no argument object is built per call). */
export type DirectEffect<TContext> = (context: TContext, event: { type: string }, self: unknown) => void;

/** A context change applied in place to a context the actor owns. */
export type Recipe<TContext> = (draft: TContext, event: { type: string }) => void;

export type CompiledAction<TContext> =
  | { readonly kind: 'update'; readonly name: string; readonly run: PureUpdate<TContext> }
  | { readonly kind: 'recipe'; readonly name: string; readonly run: Recipe<TContext> }
  | { readonly kind: 'effect'; readonly name: string; readonly run: DirectEffect<TContext> };

export type CompiledGuard<TContext> = (context: TContext, event: { type: string }) => boolean;

/**
 * Implementations the table engine calls directly, by name, instead of the
 * machine's XState ones (which take one argument object). Each must do exactly
 * what the machine's implementation of that name does.
 */
export interface DirectImplementations<TContext> {
  /** Pure context updates, by action name (XState wraps the same functions in `assign`). */
  readonly updates?: Readonly<Record<string, PureUpdate<TContext>>>;
  /**
   * In-place versions of updates, by action name, with the `copy` that makes a
   * context the actor may change: applying a recipe to `copy(context)` must equal
   * the pure update. A recipe wins over an update of the same name.
   */
  readonly recipes?: Readonly<Record<string, Recipe<TContext>>>;
  readonly copy?: (context: TContext) => TContext;
  readonly guards?: Readonly<Record<string, CompiledGuard<TContext>>>;
  readonly delays?: Readonly<Record<string, (context: TContext, event: { type: string }) => number>>;
  readonly effects?: Readonly<Record<string, DirectEffect<TContext>>>;
}

export interface CompiledTransition<TContext> {
  /** Index of the target state, or -1 for a transition without a target. */
  readonly target: number;
  readonly guard: CompiledGuard<TContext> | null;
  readonly actions: readonly CompiledAction<TContext>[];
}

export interface CompiledDelay<TContext> {
  /** The XState event type: `xstate.after.<delay>.<state id>`. */
  readonly eventType: string;
  readonly delay: (context: TContext, event: { type: string }) => number;
}

export interface CompiledState<TContext> {
  readonly key: string;
  readonly final: boolean;
  readonly entry: readonly CompiledAction<TContext>[];
  readonly exit: readonly CompiledAction<TContext>[];
  readonly on: ReadonlyMap<string, readonly CompiledTransition<TContext>[]>;
  readonly after: readonly CompiledDelay<TContext>[];
  readonly always: readonly CompiledTransition<TContext>[];
}

export interface CompiledMachine<TContext> {
  readonly id: string;
  readonly machine: AnyStateMachine;
  readonly root: CompiledState<TContext>;
  readonly states: readonly CompiledState<TContext>[];
  readonly initial: number;
  readonly indexOf: ReadonlyMap<string, number>;
  readonly createContext: (input: unknown) => TContext;
  /** Makes a context the actor may change in place (for recipes). */
  readonly copy: (context: TContext) => TContext;
  /** `createContext` makes a new object per actor (the machine's `context` is a function, which must not share one). */
  readonly freshContext: boolean;
  readonly output: ((context: TContext) => unknown) | null;
}

type Config = Record<string, unknown>;

const ROOT_KEYS = new Set(['id', 'schemas', 'meta', 'context', 'initial', 'states', 'on', 'after', 'always', 'entry', 'exit', 'output', 'description', 'types', 'version']);
const STATE_KEYS = new Set(['type', 'entry', 'exit', 'on', 'after', 'always', 'description', 'meta', 'tags']);

function unsupported(what: string): never {
  throw new TypeError(`The table engine does not support ${what}; run this machine with engine 'xstate'`);
}

function toArray<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/**
 * Compiles `machine` (after `.provide(...)`) into a flat table. `direct` names
 * the context changes, as pure updates or in-place recipes (one is required for
 * every `assign`) and, optionally, guards, delays and effects to call without an
 * argument object.
 * @example
 * const table = compileMachine(actionMachine.provide({ actions: effects }), { updates: actionUpdates });
 */
export function compileMachine<TContext>(definition: MachineDefinition, direct: DirectImplementations<TContext> = {}): CompiledMachine<TContext> {
  const updates = direct.updates ?? {};
  if (direct.recipes !== undefined && direct.copy === undefined) throw new TypeError('Recipes need a `copy` function for contexts the actor does not own');
  const machine = definition as AnyStateMachine;
  const config = machine.config as Config;
  const id = String(config.id ?? '(machine)');
  for (const key of Object.keys(config)) if (!ROOT_KEYS.has(key)) unsupported(`\`${key}\` on the root of machine "${id}"`);
  const impl = machine.implementations as {
    actions: Record<string, unknown>;
    guards: Record<string, unknown>;
    delays: Record<string, unknown>;
  };
  const stateConfigs = (config.states ?? {}) as Record<string, Config>;
  const keys = Object.keys(stateConfigs);
  const indexOf = new Map(keys.map((key, index) => [key, index]));

  const action = (ref: unknown, where: string): CompiledAction<TContext> => {
    const name = typeof ref === 'string' ? ref : (ref as { type?: unknown } | null)?.type;
    if (typeof name !== 'string') unsupported(`inline action functions (in ${where})`);
    if (typeof ref === 'object' && ref !== null && 'params' in ref) unsupported(`action params (in ${where})`);
    const recipe = direct.recipes?.[name];
    if (recipe !== undefined) return { kind: 'recipe', name, run: recipe };
    const update = updates[name];
    if (update !== undefined) return { kind: 'update', name, run: update };
    const effect = direct.effects?.[name];
    if (effect !== undefined) return { kind: 'effect', name, run: effect };
    const run = impl.actions[name];
    if (typeof run !== 'function') throw new TypeError(`Action \`${name}\` used in ${where} has no implementation`);
    if ((run as { type?: unknown }).type === 'xstate.assign') {
      throw new TypeError(`Action \`${name}\` is an assign without a pure update or recipe; add it to \`updates\` or \`recipes\``);
    }
    const implementation = run as (args: { context: TContext; event: { type: string }; self: unknown }, params: unknown) => void;
    return { kind: 'effect', name, run: (context, event, self) => implementation({ context, event, self }, undefined) };
  };
  const actions = (refs: unknown, where: string) => toArray(refs).map((ref) => action(ref, where));

  const guard = (ref: unknown, where: string): CompiledGuard<TContext> | null => {
    if (ref === undefined) return null;
    if (typeof ref !== 'string') unsupported(`guards other than named ones (in ${where})`);
    const own = direct.guards?.[ref];
    if (own !== undefined) return own;
    const run = impl.guards[ref];
    if (typeof run !== 'function') throw new TypeError(`Guard \`${ref}\` used in ${where} has no implementation`);
    const implementation = run as (args: { context: TContext; event: { type: string } }, params: unknown) => boolean;
    return (context, event) => implementation({ context, event }, undefined);
  };

  const target = (ref: unknown, fromRoot: boolean, where: string): number => {
    if (ref === undefined) return -1;
    const list = toArray(ref);
    if (list.length !== 1 || typeof list[0] !== 'string') unsupported(`multiple or non-string targets (in ${where})`);
    const raw = list[0] as string;
    if (raw.startsWith('#')) unsupported(`id targets (${raw} in ${where})`);
    const key = fromRoot ? (raw.startsWith('.') ? raw.slice(1) : unsupported(`root target "${raw}"`)) : raw;
    const index = indexOf.get(key);
    if (index === undefined) throw new TypeError(`Unknown target state "${raw}" in ${where}`);
    return index;
  };

  const transitions = (value: unknown, fromRoot: boolean, where: string): CompiledTransition<TContext>[] =>
    toArray(value).map((raw) => {
      const t: Config = typeof raw === 'string' ? { target: raw } : (raw as Config);
      for (const k of Object.keys(t)) {
        if (!['target', 'guard', 'actions', 'description', 'reenter'].includes(k)) unsupported(`\`${k}\` on a transition (in ${where})`);
      }
      if (t.reenter === true) unsupported(`reenter (in ${where})`);
      return { target: target(t.target, fromRoot, where), guard: guard(t.guard, where), actions: actions(t.actions, where) };
    });

  const delayFn = (name: string, where: string): ((context: TContext, event: { type: string }) => number) => {
    const numeric = Number(name);
    if (!Number.isNaN(numeric)) return () => numeric;
    const own = direct.delays?.[name];
    if (own !== undefined) return own;
    const run = impl.delays[name];
    if (typeof run === 'number') return () => run;
    if (typeof run !== 'function') throw new TypeError(`Delay \`${name}\` used in ${where} has no implementation`);
    return (context, event) => (run as (args: { context: TContext; event: unknown }) => number)({ context, event });
  };

  const compileState = (key: string, stateId: string, cfg: Config, fromRoot: boolean): CompiledState<TContext> => {
    const where = fromRoot ? `the root of "${id}"` : `state "${key}"`;
    const on = new Map<string, CompiledTransition<TContext>[]>();
    for (const [eventType, value] of Object.entries((cfg.on ?? {}) as Config)) {
      if (eventType.includes('*')) unsupported(`wildcard events (in ${where})`);
      on.set(eventType, transitions(value, fromRoot, `${where} on ${eventType}`));
    }
    const after: CompiledDelay<TContext>[] = [];
    for (const [delay, value] of Object.entries((cfg.after ?? {}) as Config)) {
      const eventType = `xstate.after.${delay}.${stateId}`;
      after.push({ eventType, delay: delayFn(delay, where) });
      on.set(eventType, transitions(value, fromRoot, `${where} after ${delay}`));
    }
    return {
      key,
      final: cfg.type === 'final',
      entry: actions(cfg.entry, `${where} entry`),
      exit: actions(cfg.exit, `${where} exit`),
      on,
      after,
      always: transitions(cfg.always, fromRoot, `${where} always`),
    };
  };

  const states = keys.map((key) => {
    const cfg = stateConfigs[key]!;
    for (const k of Object.keys(cfg)) if (!STATE_KEYS.has(k)) unsupported(`\`${k}\` in state "${key}"`);
    if (cfg.type !== undefined && cfg.type !== 'atomic' && cfg.type !== 'final') unsupported(`state type "${String(cfg.type)}"`);
    return compileState(key, `${id}.${key}`, cfg, false);
  });
  const root = compileState('', id, config, true);
  const initial = indexOf.get(String(config.initial));
  if (initial === undefined) throw new TypeError(`Machine "${id}" has no valid initial state`);

  const contextConfig = config.context;
  const createContext =
    typeof contextConfig === 'function'
      ? (input: unknown) => (contextConfig as (args: { input: unknown }) => TContext)({ input })
      : () => contextConfig as TContext;
  const outputConfig = config.output;
  const output =
    typeof outputConfig === 'function'
      ? (context: TContext) => (outputConfig as (args: { context: TContext }) => unknown)({ context })
      : null;
  const copy = direct.copy ?? ((context: TContext) => context);
  return { id, machine, root, states, initial, indexOf, createContext, copy, freshContext: typeof contextConfig === 'function', output };
}
