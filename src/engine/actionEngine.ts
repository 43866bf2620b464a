/**
 * The two ways to run an Action statechart: the table engine (default, a small
 * object per action on a table compiled once from the machine) and XState's own
 * `createActor` (every XState feature, ~10× the cost). Both run the same
 * machine with the same effects.
 * @internal
 */
import { createActor, type AnyActorRef, type AnyStateMachine, type InspectionEvent } from 'xstate';
import { actionMachine, actionPhaseNames } from '../../machines/action.machine.js';
import { isEmptySlot } from '../../machines/positional.js';
import type { ActionContext, ActionInput, ActionOutput } from '../../machines/actionTypes.js';
import { asXStateActions, createActionEffects, type ActionEffect } from '../action/actionEffects.js';
import { asXStateActors, createActionPhases, type ActionPhase } from '../action/actionPhases.js';
import type { ActionActor, ActionRun } from '../action/ActionRun.js';
import type { HookPassOver } from '../action/runTypes.js';
import type { Clock } from '../clock.js';
import { toError } from '../errors.js';
import type { InspectionHub } from '../inspect/InspectionHub.js';
import { compileMachine, UnsupportedMachineError, type CompiledMachine } from './compileMachine.js';
import { TableActor } from './TableActor.js';
import { zeroDelayClock } from './zeroDelayClock.js';

export interface ActionEngine {
  /** Creates, attaches to `run` and starts the actor of `run` (the run is the machine's input); `settled` is called once it ends. */
  start(run: ActionRun, parent: { readonly sessionId: string } | undefined): ActionActor;
  /** A Site took `run`: its actor moves under `site` in the actor tree, as this engine's actors can. */
  adopt(run: ActionRun, site: { readonly sessionId: string } | undefined): void;
}

export interface EngineServices {
  readonly clock: Clock;
  readonly hub: InspectionHub;
  readonly rootId: () => string;
  settled(run: ActionRun, output: ActionOutput, context: ActionContext): void;
  failed(run: ActionRun, error: Error): void;
}

/** The actor implementations `machine` has, by slot name (an empty slot is `emptyInvocationSlot`'s). */
function actorSlotsOf(machine: AnyStateMachine): Readonly<Record<string, unknown>> {
  return (machine.implementations as { actors?: Record<string, unknown> }).actors ?? {};
}

/**
 * `machine` with Echo's `effects` in its action slots and Echo's `phases` in the
 * invoked actor slots it leaves empty: a phase a user provided (`machine.provide({
 * actors: { attempt } })`) stays theirs, on both engines.
 */
export function provideRuntime(machine: AnyStateMachine, effects: Readonly<Record<string, ActionEffect>>, phases: Readonly<Record<string, ActionPhase>> = {}): AnyStateMachine {
  const slots = actorSlotsOf(machine);
  const empty: Record<string, ActionPhase> = {};
  for (const [name, phase] of Object.entries(phases)) if (isEmptySlot(slots[name])) empty[name] = phase;
  return machine.provide({ actions: asXStateActions(effects), actors: asXStateActors(empty) } as never);
}

/**
 * Which hooks states `machine` may pass over for a run with no hook there (`RunServices.passOverHooks`):
 * a state that is Echo's own (the same configuration object, as a chart spread from Echo's keeps it)
 * with Echo's phase in its slot does nothing but run the hooks and answer, so leaving it at once is
 * what entering it would do. A state a user wrote (an approval gate after HOOKS_PASSED) is always entered.
 * A success passing `afterHooks` over goes to `done` at once, past `finalizing`: both must be Echo's too.
 */
export function hookPassOver(machine: AnyStateMachine): HookPassOver {
  const states = (machine.config.states ?? {}) as Record<string, unknown>;
  const echo = actionMachine.config.states as Record<string, unknown>;
  const slots = actorSlotsOf(machine);
  return {
    before: states.hooks === echo.hooks && isEmptySlot(slots.beforeHooks),
    after: states.afterHooks === echo.afterHooks && isEmptySlot(slots.afterHooks) && states.finalizing === echo.finalizing && states.done === echo.done,
  };
}

/**
 * The Action table exactly as the table engine runs it: `machine` with Echo's
 * `effects` and `phases` provided (`provideRuntime`), compiled. Every implementation comes from the machine.
 */
export function compileActionTable(
  machine: AnyStateMachine,
  effects: Readonly<Record<string, ActionEffect>>,
  phases: Readonly<Record<string, ActionPhase>> = {},
): CompiledMachine<ActionContext> {
  return compileMachine<ActionContext>(provideRuntime(machine, effects, phases));
}

/** The default engine: actors on a compiled transition table. */
export function createTableEngine(services: EngineServices, machine: AnyStateMachine = actionMachine): ActionEngine {
  const runOf = (self: unknown): ActionRun => (self as TableActor<ActionContext>).owner as ActionRun;
  const table = compileActionTable(machine, createActionEffects(runOf), createActionPhases(runOf));
  const shared = {
    clock: zeroDelayClock(services.clock),
    inspect: services.hub,
    get rootId() {
      return services.rootId();
    },
    onSettled: (done: TableActor<never>) => {
      const actor = done as unknown as TableActor<ActionContext>;
      if (actor.status === 'done') services.settled(runOf(done), actor.output as ActionOutput, actor.context);
    },
    onEffectError: (actor: TableActor<never>, error: unknown, effect: string) => {
      const run = runOf(actor);
      services.failed(run, new Error(`Effect "${effect}" of action "${run.name}" threw: ${toError(error).message}`, { cause: error }));
    },
  };
  return {
    start(run, parent) {
      const actor = new TableActor<ActionContext>(table, shared, run.id, run, parent);
      actor.owner = run;
      run.attach(actor as unknown as ActionActor);
      actor.start();
      return run.actor;
    },
    // Under its Site in the actor tree, unless a user's actor invoked it: it stays under that one.
    adopt(run, site) {
      if (run.host === null) run.actor._parent = site;
    },
  };
}

/** XState's own actors, one root per action. */
export function createXStateEngine(services: EngineServices, actionLogic: AnyStateMachine = actionMachine): ActionEngine {
  const runs = new WeakMap<object, ActionRun>();
  const runOf = (self: unknown): ActionRun => runs.get(self as object)!;
  const machine = provideRuntime(actionLogic, createActionEffects(runOf), createActionPhases(runOf));
  const clock = zeroDelayClock(services.clock);
  const hub = services.hub;
  const inspect = (event: InspectionEvent): void => {
    const shown = withoutPhaseActors(event);
    if (shown !== null) hub.emit(shown);
  };
  // XState builds an inspection event for every step of an actor whose system has an observer,
  // whether anyone reads it or not (about a fifth of an action's cost): an actor started while
  // nobody inspects gets none, and the live ones get theirs once someone starts to inspect
  // (a late joiner reads their current state from the target; their next events follow).
  const unwatched = new Set<AnyActorRef>();
  hub.onActivate(() => {
    for (const actor of unwatched) actor.system.inspect(inspect);
    unwatched.clear();
  });
  return {
    start(run) {
      const input: ActionInput = run;
      const watched = hub.active;
      const actor = createActor(machine, watched ? { input, clock, id: run.id, inspect } : { input, clock, id: run.id });
      if (!watched) unwatched.add(actor);
      runs.set(actor, run);
      // Invoked by a user's actor (`fromAction`): it stays a root here, yet shows under that actor, as on the table engine.
      if (run.host !== null) services.hub.place(actor, run.host);
      run.attach(actor as unknown as ActionActor);
      actor.subscribe({
        complete: () => {
          unwatched.delete(actor);
          const snapshot = actor.getSnapshot();
          services.settled(run, snapshot.output as ActionOutput, snapshot.context);
        },
        error: (error) => {
          unwatched.delete(actor);
          services.failed(run, toError(error));
        },
      });
      actor.start();
      return run.actor;
    },
    // XState's own actors stay roots (a parent would receive their done events): they do not move under their Site.
    // One a user's actor invoked shows under that actor all the same (`InspectionHub.place`, in `start`).
    adopt() {},
  };
}

const PHASES: ReadonlySet<unknown> = new Set(actionPhaseNames);

/** Whether `ref` is a phase an action's state invoked (a child of the action's actor, an implementation detail). */
function isPhaseActor(ref: unknown): boolean {
  const actor = ref as { _parent?: unknown; src?: unknown } | undefined;
  return actor?._parent !== undefined && PHASES.has(actor.src);
}

/**
 * The inspection `event` without the invoked phase actors (`attempt`, ...): they are
 * not shown as actors of their own (the table engine runs them without one), and the
 * events they send the action show as the action's own.
 */
function withoutPhaseActors(event: InspectionEvent): InspectionEvent | null {
  if (isPhaseActor(event.actorRef)) return null;
  if (event.type === '@xstate.event' && isPhaseActor(event.sourceRef)) return { ...event, sourceRef: undefined };
  return event;
}

/**
 * The engine `kind` names for `machine`: the table engine when it can compile it, else
 * `createActor`, after `unsupported` is told why (the Sequence's one-line notice).
 */
export function chooseActionEngine(
  kind: 'table' | 'xstate',
  machine: AnyStateMachine,
  services: EngineServices,
  unsupported: (error: UnsupportedMachineError) => void,
): { readonly engine: ActionEngine; readonly table: boolean } {
  if (kind === 'xstate') return { engine: createXStateEngine(services, machine), table: false };
  try {
    return { engine: createTableEngine(services, machine), table: true };
  } catch (error) {
    if (!(error instanceof UnsupportedMachineError)) throw error;
    unsupported(error);
    return { engine: createXStateEngine(services, machine), table: false };
  }
}
