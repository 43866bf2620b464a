/**
 * Echo's real effects for an Action statechart run outside a Sequence:
 * `createActor(actionMachine.provide(echoImplementations({ plan })), { input })` runs one
 * action of `plan` with its function, retry policy, timeouts and hooks, for tests and for
 * people composing their own XState systems. There is no Site: an action that is queued
 * starts at once. The actor's output is `{ status, output, error }` (the error as a record).
 * @example
 * const logic = actionMachine.provide(echoImplementations({ plan }));
 * const actor = createActor(logic, { input: { id: 'a-1', name: 'Read', content: 'notes.txt', createdAt: 0 } }).start();
 */
import type { ActionEffectName, ActionPhaseName } from '../../machines/action.machine.js';
import type { ActionContext, ActionEvent } from '../../machines/actionTypes.js';
import type { PositionalCallback } from '../../machines/positional.js';
import { systemClock, type Clock, type RandomSource } from '../clock.js';
import type { EchoEvent } from '../events.js';
import { Life } from '../Life.js';
import type { Plan } from '../Plan.js';
import { ActionRun, type ActionActor, type RunServices } from './ActionRun.js';
import { asXStateActions, createActionEffects } from './actionEffects.js';
import { asXStateActors, createActionPhases } from './actionPhases.js';
import { resolvedFor } from './assignment.js';
import { resolveActivityOptions } from './ActionActivity.js';

/** What the effects run with: the Plan whose functions run, and the runtime's clock, random source and Life. */
export interface EchoRuntime {
  /** The actions: the machine's `context.name` picks the entry. */
  readonly plan: Plan;
  /** Time for hooks, attempts and retry decisions; give the actor the same one (`createActor(logic, { clock })`). @default systemClock */
  readonly clock?: Clock;
  /** @default Math.random */
  readonly random?: RandomSource;
  /** Shared context and global hooks. @default new Life() */
  readonly life?: Life;
  /** Receives the lifecycle events a Sequence would put on `events$` (`started`, `attempt-failed`, `retrying`). */
  readonly onEvent?: (event: EchoEvent) => void;
}

/** What `echoImplementations` gives `machine.provide(...)`: an implementation per effect slot and per invoked phase of the Action statechart. */
export interface EchoImplementations {
  /** One implementation per effect slot (`enqueue`, `abortWork`, `runOwedAfterHooks`, ...). */
  readonly actions: Readonly<Record<ActionEffectName, EffectImplementation>>;
  /** One callback actor per phase its states invoke (`beforeHooks`, `attempt`, `attemptStopping`, `afterHooks`). */
  readonly actors: Readonly<Record<ActionPhaseName, PositionalCallback<ActionContext, ActionEvent>>>;
}

/** An effect slot's implementation, as XState calls it. */
export type EffectImplementation = (args: { readonly context: ActionContext; readonly event: { readonly type: string }; readonly self?: unknown }) => void;

/** The standalone runtime's one "Site". */
const STANDALONE = 'standalone';

/**
 * Implementations of the Action statechart's effect slots for `machine.provide(...)`, backed
 * by `runtime`. Throws a `RoutingError` (inside the actor, which then errors) when the
 * machine's input names an action the Plan lacks.
 */
export function echoImplementations(runtime: EchoRuntime): EchoImplementations {
  const clock = runtime.clock ?? systemClock;
  const life = runtime.life ?? new Life();
  const onEvent = runtime.onEvent;
  const services: RunServices = {
    clock,
    random: runtime.random ?? Math.random,
    life,
    // No Site: the action starts as soon as it is queued.
    enqueue: (run) => run.actor.send({ type: 'START', site: STANDALONE, at: clock.now() }),
    releaseSite: () => {},
    emit: (event) => onEvent?.(event),
    listening: onEvent !== undefined,
    attemptFailed: () => {},
    tracer: null,
    // Progress and log lines are kept in the run; no inspector reads them here.
    activity: { options: resolveActivityOptions(undefined), changed: () => {} },
    // The caller may provide hooks actors of their own over these: the hooks states are always entered.
    passOverHooks: { before: false, after: false },
  };
  const runs = new WeakMap<object, ActionRun>();
  /** The run of an actor, made from its context on its first effect. */
  const runOf = (self: unknown, context: ActionContext): ActionRun => {
    let run = runs.get(self as object);
    if (run !== undefined) return run;
    const definition = runtime.plan.require(context.name);
    const { policy, before, after } = resolvedFor(definition, life);
    run = new ActionRun(
      {
        ...context,
        license: null,
        definition,
        policy,
        before,
        after,
        followUps: [],
        idempotencyKey: undefined,
        provenance: null,
        history: context.attempts,
      },
      services,
      null,
    );
    run.attach(self as ActionActor);
    runs.set(self as object, run);
    return run;
  };
  const effects = createActionEffects((self) => runs.get(self as object)!);
  const bound: typeof effects = { ...effects };
  for (const [name, effect] of Object.entries(effects) as [keyof typeof effects, (typeof effects)[keyof typeof effects]][]) {
    bound[name] = (context, event, self) => {
      runOf(self, context);
      effect(context, event as ActionEvent, self);
    };
  }
  const phases = createActionPhases((self) => runs.get(self as object)!);
  const boundPhases: typeof phases = { ...phases };
  for (const [name, phase] of Object.entries(phases) as [keyof typeof phases, (typeof phases)[keyof typeof phases]][]) {
    boundPhases[name] = (context, parent, receiver) => {
      runOf(parent, context);
      return phase(context, parent, receiver);
    };
  }
  return {
    actions: asXStateActions(bound) as unknown as EchoImplementations['actions'],
    actors: asXStateActors(boundPhases) as unknown as EchoImplementations['actors'],
  };
}
