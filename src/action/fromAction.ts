/**
 * Echo actions inside users' machines: XState actor logic that assigns one action
 * to a Sequence. A user's machine `invoke`s or `spawn`s it like any promise actor:
 * its input is the action's content, its output the action's result, its error the
 * action's typed Echo error (an `ExecutionError`, `TimeoutError`, `CancellationError`, ...).
 * Stopping it (leaving the invoking state, stopping the spawned child) cancels the
 * action with reason `parent`.
 * @example
 * const checkout = setup({ actors: { charge: fromAction(sequence, 'Charge') } }).createMachine({
 *   initial: 'charging',
 *   states: {
 *     charging: {
 *       invoke: { src: 'charge', input: { cents: 1200 }, onDone: 'paid', onError: 'declined' },
 *       on: { ABANDON: 'abandoned' }, // leaving `charging` cancels the charge (reason `parent`)
 *     },
 *     paid: { type: 'final' },
 *     declined: { type: 'final' },
 *     abandoned: { type: 'final' },
 *   },
 * });
 */
import { fromPromise, type AnyActorRef, type PromiseActorLogic } from 'xstate';
import type { ActionHandle } from './ActionHandle.js';
import type { AssignOptions } from './assignment.js';
import type { ActionMap, ActionName, ContentOf, ResultOf } from '../planTypes.js';
import type { Sequence } from '../Sequence.js';

/**
 * Actor logic running one Echo action: XState's promise logic, with the action's
 * content as input and its result as output.
 */
export type ActionLogic<Content = unknown, Result = unknown> = PromiseActorLogic<Result, Content>;

/**
 * Options of every action the logic assigns: those of `sequence.assign`, without `signal`
 * (the invoking actor's lifetime is the action's) and follow-ups.
 */
export type ActionLogicOptions = Omit<AssignOptions, 'signal' | 'then'>;

/**
 * Assigns `name` with `content` on behalf of the actor `host` (the one that invoked or spawned
 * the logic, or null at a root): the Sequence's side of `fromAction`.
 * @internal
 */
export type HostedAssign = (content: unknown, host: AnyActorRef | null) => ActionHandle<unknown>;

/**
 * The logic: each start assigns one action through `assign`; a stop cancels it with reason `parent`.
 * @internal
 */
export function createActionLogic<Content, Result>(name: string, assign: HostedAssign): ActionLogic<Content, Result> {
  return fromPromise<Result, Content>(({ input, signal, self }) => {
    const handle = assign(input, (self as { _parent?: AnyActorRef })._parent ?? null);
    const cancel = (): void => handle.cancel('parent', `Action "${name}" was cancelled: the actor that invoked it stopped`);
    signal.addEventListener('abort', cancel, { once: true });
    const result = handle.result as Promise<Result>;
    result.then(
      () => signal.removeEventListener('abort', cancel),
      () => signal.removeEventListener('abort', cancel),
    );
    return result;
  });
}

/**
 * Actor logic that runs action `name` of `sequence` each time a user's machine invokes
 * or spawns it (the same as `sequence.actor(name, options)`). Throws a `RoutingError`
 * at once when the Plan has no action `name`.
 * @example
 * const machine = setup({ actors: { charge: fromAction(sequence, 'Charge') } }).createMachine({
 *   invoke: { src: 'charge', input: { cents: 1200 }, onDone: { actions: ({ event }) => console.log(event.output) } },
 * });
 */
export function fromAction<Actions extends ActionMap, Name extends ActionName<Actions>>(
  sequence: Sequence<Actions>,
  name: Name,
  options?: ActionLogicOptions,
): ActionLogic<ContentOf<Actions, Name>, ResultOf<Actions, Name>> {
  return sequence.actor(name, options);
}
