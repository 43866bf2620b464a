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
 * Every implementation (guard, delay, action) is read from the machine, after
 * `.provide()`: a positional form attached to an implementation
 * (`machines/positional.ts`) is called directly, anything else through the
 * argument object XState would build, so a provided override behaves the same
 * on both engines.
 *
 * Supported: atomic, compound (nested) and final states; `on`, `after` (named or
 * numeric delays), `always`, `entry`, `exit`, `onDone` on states and `on`,
 * `after`, `always`, `entry`, `exit` on the root; `invoke` on states of a named
 * actor whose logic carries a positional start (`positionalCallback`); sibling,
 * child (`.x`), path (`a.b`) and id (`#id`) targets; named or inline guards; named
 * or inline actions, `assign` included. Anything else (parallel or history states,
 * any other `invoke`, built-in actions other than `assign`, params, ...) is rejected with
 * an `UnsupportedMachineError` naming it, so a machine the table cannot run is
 * run by XState instead, never silently diverging.
 * @internal
 */
import type { AnyStateMachine } from 'xstate';
import { positionalFormOf, positionalStartOf, recipeFormOf, type PositionalStart } from '../../machines/positional.js';

/** The parts of an XState machine the compiler reads. */
export interface MachineDefinition {
  readonly config: unknown;
  readonly implementations: unknown;
}

/** An effect called with positional arguments (no argument object is built per call). */
export type DirectEffect<TContext> = (context: TContext, event: { type: string }, self: unknown) => void;

/** A context change applied in place to a context the actor owns. */
export type Recipe<TContext> = (draft: TContext, event: { type: string }) => void;

/** XState's `assign` without a recipe form: the new context from the old one (what XState computes). */
export type ContextAssignment<TContext> = (context: TContext, event: { type: string }, self: unknown) => TContext;

export type CompiledAction<TContext> =
  | { readonly kind: 'recipe'; readonly name: string; readonly run: Recipe<TContext>; readonly copy: (context: TContext) => TContext }
  | { readonly kind: 'assign'; readonly name: string; readonly run: ContextAssignment<TContext> }
  | { readonly kind: 'effect'; readonly name: string; readonly run: DirectEffect<TContext> };

export type CompiledGuard<TContext> = (context: TContext, event: { type: string }) => boolean;

export interface CompiledTransition<TContext> {
  /** Index of the state whose descendants the transition exits (-1: the root), or -2 for a transition without a target. */
  readonly domain: number;
  /** The states entered, outermost first; the last is the new atomic state. */
  readonly enter: readonly number[];
  readonly guard: CompiledGuard<TContext> | null;
  readonly actions: readonly CompiledAction<TContext>[];
}

export interface CompiledDelay<TContext> {
  /** The XState event type: `xstate.after.<delay>.<state id>`. */
  readonly eventType: string;
  readonly delay: (context: TContext, event: { type: string }) => number;
}

/** An actor a state invokes, run without an actor: its positional start. */
export interface CompiledInvocation<TContext> {
  /** The actor slot it invokes (`src`). */
  readonly src: string;
  /** Index of the state that invokes it. */
  readonly state: number;
  readonly start: PositionalStart<TContext>;
}

export interface CompiledState<TContext> {
  /** The path from the root, dot-separated (`running` or `gate.awaitingApproval`). */
  readonly key: string;
  /** The snapshot value while this (atomic) state is active: `'a'` or `{ a: 'b' }`. */
  readonly value: StateValue;
  readonly index: number;
  /** Index of the parent state, or -1 under the root. */
  readonly parent: number;
  readonly final: boolean;
  /** The event a final state raises for its compound parent (`xstate.done.state.<parent id>`), or null. */
  readonly doneEvent: { readonly type: string; readonly output: undefined } | null;
  readonly entry: readonly CompiledAction<TContext>[];
  readonly exit: readonly CompiledAction<TContext>[];
  readonly on: ReadonlyMap<string, readonly CompiledTransition<TContext>[]>;
  readonly after: readonly CompiledDelay<TContext>[];
  readonly always: readonly CompiledTransition<TContext>[];
  /** Started after the step that entered the state, stopped after the step that left it. */
  readonly invoke: readonly CompiledInvocation<TContext>[];
}

export interface CompiledMachine<TContext> {
  readonly id: string;
  readonly machine: AnyStateMachine;
  readonly root: CompiledState<TContext>;
  /** Every state, in document order. */
  readonly states: readonly CompiledState<TContext>[];
  /** The states entered at start, outermost first (the last is atomic). */
  readonly initial: readonly number[];
  /** Whether any state is nested (the actor then walks ancestors). */
  readonly nested: boolean;
  readonly indexOf: ReadonlyMap<string, number>;
  readonly createContext: (input: unknown) => TContext;
  /** `createContext` makes a new object per actor (the machine's `context` is a function, which must not share one). */
  readonly freshContext: boolean;
  readonly output: ((context: TContext) => unknown) | null;
}

/** A machine uses something the table engine cannot run; the Sequence runs it with XState instead. */
export class UnsupportedMachineError extends TypeError {
  override readonly name = 'UnsupportedMachineError';
}

type Config = Record<string, unknown>;
type StateValue = string | { readonly [key: string]: StateValue };

const ROOT_KEYS = new Set(['id', 'schemas', 'meta', 'context', 'initial', 'states', 'on', 'after', 'always', 'entry', 'exit', 'output', 'description', 'types', 'version']);
const STATE_KEYS = new Set(['id', 'type', 'initial', 'states', 'entry', 'exit', 'on', 'after', 'always', 'onDone', 'invoke', 'description', 'meta', 'tags']);
const INVOKE_KEYS = new Set(['src', 'id']);
const TRANSITION_KEYS = new Set(['target', 'guard', 'actions', 'description', 'reenter', 'meta']);
const NO_TARGET = -2;

function unsupported(what: string): never {
  throw new UnsupportedMachineError(`The table engine does not support ${what}`);
}

function toArray<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/** A draft node while compiling: config plus its place in the tree. */
interface Node {
  readonly index: number;
  readonly key: string;
  readonly path: readonly string[];
  readonly id: string;
  readonly parent: number;
  readonly config: Config;
  readonly children: Map<string, number>;
}

/**
 * Compiles `machine` (after `.provide(...)`) into a table. Throws an
 * `UnsupportedMachineError` naming the first feature it cannot run.
 * @example
 * const table = compileMachine(actionMachine.provide({ actions: effects }));
 */
export function compileMachine<TContext>(definition: MachineDefinition): CompiledMachine<TContext> {
  const machine = definition as AnyStateMachine;
  const config = machine.config as Config;
  const id = String(config.id ?? '(machine)');
  for (const key of Object.keys(config)) if (!ROOT_KEYS.has(key)) unsupported(`\`${key}\` on the root of machine "${id}"`);
  const impl = machine.implementations as {
    actions: Record<string, unknown>;
    guards: Record<string, unknown>;
    delays: Record<string, unknown>;
    actors?: Record<string, unknown>;
  };

  // The tree, in document order.
  const nodes: Node[] = [];
  const byId = new Map<string, number>();
  const rootChildren = new Map<string, number>();
  const collect = (states: unknown, parent: number, parentPath: readonly string[], siblings: Map<string, number>): void => {
    for (const [key, raw] of Object.entries((states ?? {}) as Record<string, Config>)) {
      const path = [...parentPath, key];
      const where = `state "${path.join('.')}"`;
      for (const k of Object.keys(raw)) if (!STATE_KEYS.has(k)) unsupported(`\`${k}\` in ${where}`);
      const type = raw.type ?? (raw.states !== undefined ? 'compound' : 'atomic');
      if (type !== 'atomic' && type !== 'compound' && type !== 'final') unsupported(`${String(type)} states (${where})`);
      const stateId = typeof raw.id === 'string' ? raw.id : [id, ...path].join('.');
      const node: Node = { index: nodes.length, key: path.join('.'), path, id: stateId, parent, config: raw, children: new Map() };
      nodes.push(node);
      siblings.set(key, node.index);
      byId.set(stateId, node.index);
      if (raw.states !== undefined) {
        if (type === 'final') unsupported(`child states of a final state (${where})`);
        collect(raw.states, node.index, path, node.children);
        if (typeof raw.initial !== 'string' || !node.children.has(raw.initial)) throw new TypeError(`Compound ${where} has no valid initial state`);
      }
    }
  };
  collect(config.states, -1, [], rootChildren);
  const childrenOf = (index: number): Map<string, number> => (index < 0 ? rootChildren : nodes[index]!.children);
  const parentOf = (index: number): number => (index < 0 ? -1 : nodes[index]!.parent);
  /** Whether `inner` is a strict descendant of `outer` (-1 is the root). */
  const isDescendant = (inner: number, outer: number): boolean => {
    for (let at = parentOf(inner); ; at = parentOf(at)) {
      if (at === outer) return true;
      if (at < 0) return false;
    }
  };
  /** The states entered from `domain` (exclusive) to `target`, then `target`'s initial descendants. */
  const entryPath = (domain: number, target: number): number[] => {
    const path: number[] = [];
    for (let at = target; at !== domain; at = parentOf(at)) path.unshift(at);
    for (let at = target; nodes[at]!.children.size > 0; ) {
      at = nodes[at]!.children.get(nodes[at]!.config.initial as string)!;
      path.push(at);
    }
    return path;
  };

  const implementationName = (ref: unknown): string | null => {
    if (typeof ref === 'string') return ref;
    if (typeof ref === 'object' && ref !== null && typeof (ref as { type?: unknown }).type === 'string') {
      const { type } = ref as { type: string };
      if ('params' in ref) return unsupported(`params (action or guard \`${type}\`)`);
      return type;
    }
    return null;
  };

  const action = (ref: unknown, where: string): CompiledAction<TContext> => {
    const name = implementationName(ref);
    const run = name === null ? ref : impl.actions[name];
    const label = name ?? 'inline action';
    if (typeof run !== 'function') {
      if (name === null) unsupported(`actions that are not functions or names (in ${where})`);
      throw new TypeError(`Action \`${name}\` used in ${where} has no implementation`);
    }
    const recipe = recipeFormOf<TContext>(run);
    if (recipe !== undefined) return { kind: 'recipe', name: label, run: recipe.recipe, copy: recipe.copy };
    const builtIn = (run as { type?: unknown }).type;
    if (builtIn === 'xstate.assign') return { kind: 'assign', name: label, run: assignment<TContext>(run as never, label) };
    if (typeof builtIn === 'string' || 'resolve' in run) unsupported(`the built-in action \`${String(builtIn)}\` (in ${where})`);
    const positional = positionalFormOf(run);
    if (positional !== undefined) return { kind: 'effect', name: label, run: positional as unknown as DirectEffect<TContext> };
    const implementation = run as (args: { context: TContext; event: { type: string }; self: unknown }, params: unknown) => void;
    return { kind: 'effect', name: label, run: (context, event, self) => implementation({ context, event, self }, undefined) };
  };
  const actions = (refs: unknown, where: string) => toArray(refs).map((ref) => action(ref, where));

  const guard = (ref: unknown, where: string): CompiledGuard<TContext> | null => {
    if (ref === undefined) return null;
    const name = implementationName(ref);
    const run = name === null ? ref : impl.guards[name];
    if (typeof run !== 'function') {
      if (name === null) unsupported(`guards that are not functions or names (in ${where})`);
      throw new TypeError(`Guard \`${name}\` used in ${where} has no implementation`);
    }
    if ('check' in run) unsupported(`higher-order guards (and/or/not/stateIn) (in ${where})`);
    const positional = positionalFormOf(run);
    if (positional !== undefined) return positional as unknown as CompiledGuard<TContext>;
    const implementation = run as (args: { context: TContext; event: { type: string } }, params: unknown) => boolean;
    return (context, event) => implementation({ context, event }, undefined);
  };

  /** Resolves a target written on `source` as XState does: `#id`, `.child`, or a sibling (path). */
  const target = (raw: string, source: number, where: string): number => {
    let index: number | undefined;
    if (raw.startsWith('#')) index = byId.get(raw.slice(1));
    else {
      const [base, segments] = raw.startsWith('.') ? [source, raw.slice(1).split('.')] : [source < 0 ? NO_TARGET : parentOf(source), raw.split('.')];
      if (base === NO_TARGET) unsupported(`root target "${raw}" (write ".${raw}")`);
      index = base;
      for (const segment of segments) index = index === undefined ? undefined : childrenOf(index).get(segment);
    }
    if (index === undefined || index < 0) throw new TypeError(`Unknown target state "${raw}" in ${where}`);
    return index;
  };

  const transitions = (value: unknown, source: number, where: string): CompiledTransition<TContext>[] =>
    toArray(value).map((raw) => {
      const t: Config = typeof raw === 'string' ? { target: raw } : (raw as Config);
      for (const k of Object.keys(t)) if (!TRANSITION_KEYS.has(k)) unsupported(`\`${k}\` on a transition (in ${where})`);
      if (t.reenter === true) unsupported(`reenter (in ${where})`);
      const targets = toArray(t.target as string | string[] | undefined);
      if (targets.length > 1 || targets.some((x) => typeof x !== 'string')) unsupported(`multiple or non-string targets (in ${where})`);
      const compiled = { guard: guard(t.guard, where), actions: actions(t.actions, where) };
      if (targets.length === 0) return { domain: NO_TARGET, enter: [], ...compiled };
      const to = target(targets[0]!, source, where);
      // XState's transition domain: the source itself when the target is it or lies inside it (nothing outside
      // it is exited or entered), else their nearest common proper ancestor.
      let domain = source;
      if (source >= 0 && to !== source && !isDescendant(to, source)) {
        domain = parentOf(source);
        while (domain >= 0 && !isDescendant(to, domain)) domain = parentOf(domain);
      }
      return { domain, enter: entryPath(domain, to), ...compiled };
    });

  const delayFn = (name: string, where: string): ((context: TContext, event: { type: string }) => number) => {
    const numeric = Number(name);
    if (!Number.isNaN(numeric)) return () => numeric;
    const run = impl.delays[name];
    if (typeof run === 'number') return () => run;
    if (typeof run !== 'function') throw new TypeError(`Delay \`${name}\` used in ${where} has no implementation`);
    const positional = positionalFormOf(run);
    if (positional !== undefined) return positional as unknown as (context: TContext, event: { type: string }) => number;
    return (context, event) => (run as (args: { context: TContext; event: unknown }) => number)({ context, event });
  };

  const invocations = (value: unknown, state: number, where: string): CompiledInvocation<TContext>[] =>
    toArray(value).map((raw) => {
      if (typeof raw !== 'object' || raw === null) unsupported(`an \`invoke\` that is not an object (in ${where})`);
      for (const k of Object.keys(raw)) if (!INVOKE_KEYS.has(k)) unsupported(`\`${k}\` on an invoke (in ${where})`);
      const src = (raw as { src?: unknown }).src;
      if (typeof src !== 'string') unsupported(`an \`invoke\` of inline logic (in ${where})`);
      const logic = impl.actors?.[src];
      if (logic === undefined) throw new TypeError(`Actor \`${src}\` invoked in ${where} has no implementation`);
      const start = positionalStartOf<TContext>(logic);
      if (start === undefined) unsupported(`\`invoke\` of actor \`${src}\` without a positional start (in ${where}; make it with positionalCallback)`);
      return { src, state, start };
    });

  const valueOf = (path: readonly string[]): StateValue => {
    let value: StateValue = path[path.length - 1]!;
    for (let i = path.length - 2; i >= 0; i--) value = { [path[i]!]: value };
    return value;
  };

  const compileState = (index: number, key: string, stateId: string, cfg: Config, path: readonly string[]): CompiledState<TContext> => {
    const where = index < 0 ? `the root of "${id}"` : `state "${key}"`;
    const on = new Map<string, CompiledTransition<TContext>[]>();
    for (const [eventType, value] of Object.entries((cfg.on ?? {}) as Config)) {
      if (eventType.includes('*')) unsupported(`wildcard events (in ${where})`);
      on.set(eventType, transitions(value, index, `${where} on ${eventType}`));
    }
    const after: CompiledDelay<TContext>[] = [];
    for (const [delay, value] of Object.entries((cfg.after ?? {}) as Config)) {
      const eventType = `xstate.after.${delay}.${stateId}`;
      after.push({ eventType, delay: delayFn(delay, where) });
      on.set(eventType, transitions(value, index, `${where} after ${delay}`));
    }
    if (cfg.onDone !== undefined) on.set(`xstate.done.state.${stateId}`, transitions(cfg.onDone, index, `${where} onDone`));
    const parent = index < 0 ? -1 : nodes[index]!.parent;
    const final = cfg.type === 'final';
    return {
      key,
      value: index < 0 ? key : valueOf(path),
      index,
      parent,
      final,
      doneEvent: final && parent >= 0 ? Object.freeze({ type: `xstate.done.state.${nodes[parent]!.id}`, output: undefined }) : null,
      entry: actions(cfg.entry, `${where} entry`),
      exit: actions(cfg.exit, `${where} exit`),
      on,
      after,
      always: transitions(cfg.always, index, `${where} always`),
      invoke: final && cfg.invoke !== undefined ? unsupported(`\`invoke\` in a final state (${where})`) : invocations(cfg.invoke, index, where),
    };
  };

  const states = nodes.map((node) => compileState(node.index, node.key, node.id, node.config, node.path));
  const root = compileState(-1, '', id, config, []);
  const initialIndex = rootChildren.get(String(config.initial));
  if (initialIndex === undefined) throw new TypeError(`Machine "${id}" has no valid initial state`);

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
  return {
    id,
    machine,
    root,
    states,
    initial: entryPath(-1, initialIndex),
    nested: nodes.some((node) => node.parent >= 0),
    indexOf: new Map(nodes.map((node) => [node.key, node.index])),
    createContext,
    freshContext: typeof contextConfig === 'function',
    output,
  };
}

/** XState's `assign` as a function of the context: the same partial update, merged the same way. */
function assignment<TContext>(run: { assignment: unknown }, name: string): ContextAssignment<TContext> {
  const spawn = (): never => unsupported(`spawn inside assign \`${name}\``);
  const assigned = run.assignment;
  if (typeof assigned === 'function') {
    return (context, event, self) => Object.assign({}, context, (assigned as (args: object, params: unknown) => object)({ context, event, self, spawn }, undefined));
  }
  const entries = Object.entries(assigned as Record<string, unknown>);
  return (context, event, self) => {
    const next = Object.assign({}, context) as Record<string, unknown>;
    const args = { context, event, self, spawn };
    for (const [key, value] of entries) next[key] = typeof value === 'function' ? (value as (args: object, params: unknown) => unknown)(args, undefined) : value;
    return next as TContext;
  };
}
