/**
 * Fast forms attached to a machine's own implementations.
 *
 * XState calls a guard, delay or action with one argument object
 * (`{ context, event, self }`). The table engine (`src/engine/`) may call the same
 * function with positional arguments instead, without building that object: each
 * helper here returns the XState implementation with its positional form attached
 * to it (under `POSITIONAL`, or `RECIPE` for a context change). The table engine
 * reads the form from the implementation the machine holds, after `.provide()`,
 * so an override provided by a user (which carries no form) is called through its
 * argument object on both engines: there is no second registry to diverge.
 *
 * An invoked actor's logic may carry a positional form too (`positionalCallback`):
 * the table engine then runs the invocation without an actor (started after the
 * step's entry actions, ended after its exit actions, its late events dropped);
 * an invoked logic without one makes the table engine refuse the machine, which
 * then runs on XState.
 */
import { assign, fromCallback, type AnyEventObject, type CallbackActorLogic, type EventObject, type MachineContext } from 'xstate';

/** The property of an implementation holding its positional form. */
export const POSITIONAL: unique symbol = Symbol.for('echo.positional');

/** The property of an `assign` action holding its in-place recipe and copy. */
export const RECIPE: unique symbol = Symbol.for('echo.recipe');

type Args<TContext> = { readonly context: TContext; readonly event: AnyEventObject; readonly self?: unknown };

/** A guard callable both ways: `({ context, event })` for XState, `(context, event)` for the table engine. */
export interface PositionalGuard<TContext, TEvent> {
  (args: Args<TContext>): boolean;
  readonly [POSITIONAL]: (context: TContext, event: TEvent) => boolean;
}

/** A delay callable both ways. */
export interface PositionalDelay<TContext, TEvent> {
  (args: Args<TContext>): number;
  readonly [POSITIONAL]: (context: TContext, event: TEvent) => number;
}

/** An action (an effect) callable both ways. */
export interface PositionalAction<TContext, TEvent> {
  (args: Args<TContext>, params?: unknown): void;
  readonly [POSITIONAL]: (context: TContext, event: TEvent, self: unknown) => void;
}

/** A context change in place on a draft the caller owns; it never mutates what the draft shares. */
export type Recipe<TDraft, TEvent> = (draft: TDraft, event: TEvent) => void;

/** What the table engine reads from an `assign` made by `recipeAssign`. */
export interface RecipeForm<TContext> {
  readonly recipe: Recipe<TContext, AnyEventObject>;
  /** Makes a context the recipe may change: a copy keeping every field (also fields a user's machine added). */
  readonly copy: (context: TContext) => TContext;
}

export function positionalGuard<TContext, TEvent = AnyEventObject>(fn: (context: TContext, event: TEvent) => boolean): PositionalGuard<TContext, TEvent> {
  const guard = ({ context, event }: Args<TContext>): boolean => fn(context, event as TEvent);
  return Object.assign(guard, { [POSITIONAL]: fn });
}

export function positionalDelay<TContext, TEvent = AnyEventObject>(fn: (context: TContext, event: TEvent) => number): PositionalDelay<TContext, TEvent> {
  const delay = ({ context, event }: Args<TContext>): number => fn(context, event as TEvent);
  return Object.assign(delay, { [POSITIONAL]: fn });
}

export function positionalAction<TContext, TEvent = AnyEventObject>(
  fn: (context: TContext, event: TEvent, self: unknown) => void,
): PositionalAction<TContext, TEvent> {
  const action = ({ context, event, self }: Args<TContext>): void => fn(context, event as TEvent, self);
  return Object.assign(action, { [POSITIONAL]: fn });
}

/**
 * An `assign` whose change is written once, as a recipe on a copy: XState applies
 * it to `copy(context)`; the table engine applies it in place to a context nobody
 * has seen (or to a copy once one was seen).
 */
export function recipeAssign<TContext extends MachineContext, TEvent extends EventObject, TDraft extends TContext = TContext>(
  recipe: Recipe<TDraft, TEvent>,
  copy: (context: TContext) => TDraft,
) {
  const action = assign<TContext, TEvent, undefined, TEvent, never>(({ context, event }) => {
    const next = copy(context);
    recipe(next, event);
    return next;
  });
  const form: RecipeForm<TContext> = { recipe: recipe as unknown as Recipe<TContext, AnyEventObject>, copy };
  return Object.assign(action, { [RECIPE]: form });
}

/** The positional form attached to `implementation`, if any. */
export function positionalFormOf(implementation: unknown): ((...args: never[]) => unknown) | undefined {
  if (typeof implementation !== 'function') return undefined;
  const form = (implementation as { [POSITIONAL]?: unknown })[POSITIONAL];
  return typeof form === 'function' ? (form as (...args: never[]) => unknown) : undefined;
}

/** The recipe form attached to an `assign`, if any. */
export function recipeFormOf<TContext>(implementation: unknown): RecipeForm<TContext> | undefined {
  if (typeof implementation !== 'function') return undefined;
  return (implementation as { [RECIPE]?: RecipeForm<TContext> })[RECIPE];
}

/** Where an invocation answers: the invoking actor while the invocation runs; once it stopped, its events are dropped. */
export interface InvocationReceiver<TEvent extends EventObject = AnyEventObject> {
  /** Sends `event` to the invoking actor (dropped once the invocation has stopped). */
  send(event: TEvent): void;
}

/**
 * What a positional start answers through: `answer` during the call itself, and `hold()`
 * for a receiver that stays open until the invocation stops (call it during the start,
 * before returning, to answer later). An invocation that answers only during its start
 * costs the table engine nothing to keep.
 */
export interface InvocationScope<TEvent extends EventObject = AnyEventObject> {
  /** During the start: sends `event` to the invoking actor (it waits for the step to end); dropped once the start has returned. */
  answer(event: TEvent): void;
  /**
   * Keeps a receiver open until the invocation stops, to answer after the start has returned.
   * With `fence`, the handle this start returns, which drops its own answers once its `end()`
   * was called, nothing is kept for the receiver: it is the invoking actor itself (the table
   * engine ends `fence` at once, and reports a TypeError, if the start returns anything else).
   */
  hold(fence?: InvocationHandle): InvocationReceiver<TEvent>;
}

/** What a running invocation gives back: `end()` is called once when it stops (XState's callback cleanup). */
export interface InvocationHandle {
  /** Stops what the invocation runs; called once, when the invoking state is left or the actor stops. */
  end(): void;
}

/**
 * An invocation's start with positional arguments: the invoking actor's context as the
 * step that entered the state left it (read during the call only), the invoking actor,
 * and where to answer (see `InvocationScope`). Returns what ends it, if anything runs on.
 */
export type PositionalStart<TContext, TEvent extends EventObject = AnyEventObject> = (
  context: TContext,
  parent: unknown,
  scope: InvocationScope<TEvent>,
  /** The event of the step that entered the state, when the engine has it at hand (the table engine; an XState child does not see it). */
  entered?: AnyEventObject,
) => InvocationHandle | void;

/** Callback actor logic carrying its positional start. */
export type PositionalCallback<TContext, TEvent extends EventObject = AnyEventObject> = CallbackActorLogic<EventObject> & {
  readonly [POSITIONAL]: PositionalStart<TContext, TEvent>;
};

/** The property marking an invocation slot the runtime has not filled yet. */
const EMPTY_SLOT: unique symbol = Symbol.for('echo.emptySlot');

/**
 * Callback actor logic for `invoke`, runnable both ways: XState starts it as a child
 * actor (its `sendBack` is the receiver, its cleanup `end()`), the table engine calls
 * `start` directly. The child reads its parent's context when it starts (after the
 * step that entered the state), as the table engine passes it.
 */
export function positionalCallback<TContext, TEvent extends EventObject = AnyEventObject>(start: PositionalStart<TContext, TEvent>): PositionalCallback<TContext, TEvent> {
  const logic = fromCallback<EventObject>(({ self, sendBack }) => {
    const parent = (self as unknown as { _parent?: { getSnapshot(): { context: TContext } } })._parent;
    if (parent === undefined) throw new TypeError('A positional callback runs only when invoked by a state machine');
    // XState's sendBack stays open until the child stops: it is the held receiver too.
    const receiver: InvocationReceiver<TEvent> = { send: sendBack as (event: TEvent) => void };
    const scope: InvocationScope<TEvent> = { answer: receiver.send, hold: () => receiver };
    const handle = start(parent.getSnapshot().context, parent, scope);
    return handle === undefined ? undefined : () => handle.end();
  });
  return Object.assign(logic, { [POSITIONAL]: start });
}

/**
 * An invocation slot of a machine that does nothing until the runtime fills it (see
 * `isEmptySlot`). Typed as plain callback logic, so any callback actor may be provided in its place.
 */
export function emptyInvocationSlot(): CallbackActorLogic<EventObject> {
  return Object.assign(positionalCallback(() => undefined), { [EMPTY_SLOT]: true });
}

/** Whether `logic` is a slot made by `emptyInvocationSlot` (a provided implementation is not). */
export function isEmptySlot(logic: unknown): boolean {
  return typeof logic === 'object' && logic !== null && (logic as { [EMPTY_SLOT]?: unknown })[EMPTY_SLOT] === true;
}

/** The positional start attached to an invoked actor logic, if any. */
export function positionalStartOf<TContext>(logic: unknown): PositionalStart<TContext> | undefined {
  if (typeof logic !== 'object' || logic === null) return undefined;
  const form = (logic as { [POSITIONAL]?: unknown })[POSITIONAL];
  return typeof form === 'function' ? (form as PositionalStart<TContext>) : undefined;
}
