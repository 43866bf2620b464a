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
 */
import { assign, type AnyEventObject, type EventObject, type MachineContext } from 'xstate';

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
