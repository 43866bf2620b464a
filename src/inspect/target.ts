/**
 * The seam between a runtime and the inspector: whatever can be inspected (the
 * Echo `Sequence`, a test's fake, a bridge for a third-party XState app) offers
 * these few methods, and nothing in `src/inspect/` reaches further into it.
 */
import type { AnyStateMachine, InspectionEvent } from 'xstate';
import type { DeadLetterPage, DeadLetterQuery } from '../store/Store.js';
import type { ControlCommand } from './protocol.js';

export type { ControlCommand };

/** What an actor ref must offer the inspector (a subset of XState's `ActorRef`). */
export interface InspectableActorRef {
  sessionId: string;
  id: string;
  _parent?: { sessionId: string } | undefined;
  logic?: unknown;
  /** The actor's current snapshot. */
  getSnapshot(): any;
}

/** An actor the inspector reads when it is told the actor changed. */
export interface PullableRef extends InspectableActorRef {
  /** `active` until the actor settles. */
  readonly status: 'active' | 'done' | 'stopped';
  /** A slot the puller may keep its record of this actor in (it saves a lookup per change). */
  pullSlot?: unknown;
  /** The steps since the last read, oldest first: [state, time, event type]; reading re-arms the next pull (also of a declined actor). */
  takeTrail(): ReadonlyArray<readonly [string, number, string]>;
}

/** A runtime the inspector can watch and steer. */
export interface InspectorTarget {
  /** Unique source id: several runtime processes may stream into one inspector. */
  readonly id: string;
  readonly name: string;
  /**
   * Every inspection event of the runtime's actor tree (XState v5 shapes), from now on.
   * With `pull`, a runtime may instead call `pull(actor)` for an actor that changed since
   * it was last read (an Echo table-engine action) and send no events of that actor.
   * `pull` answering `false` declines the actor: no calls for it until it is read.
   */
  subscribeInspection(observer: (event: InspectionEvent) => void, options?: { readonly pull?: (actor: PullableRef) => boolean | void }): () => void;
  /** Current actors, for a client that joins late. */
  currentActors(): Iterable<InspectableActorRef>;
  /**
   * The machines the runtime runs, by role: `echo.action`, `echo.site`, `echo.sequence` (a user's
   * Action machine, whatever its id, is given under `echo.action`: its actors show as actions).
   */
  machines(): Record<string, AnyStateMachine>;
  /** Carries out a command; rejects when the command cannot apply (unknown action, not controllable). */
  control(command: ControlCommand): Promise<void>;
  /**
   * A durable runtime's dead letters: `listener` is called when they may have changed (an
   * action failed, some were redriven); answers null when the runtime keeps none (no store).
   */
  subscribeDeadLetters?(listener: () => void): (() => void) | null;
  /**
   * Resolves once the runtime has nothing in flight (an Echo `Sequence`: no live action).
   * The inspector then sends what changed at once instead of at its flush interval's end.
   */
  whenIdle?(): Promise<void>;
  /** One page of the dead letters not yet redriven (a runtime whose `subscribeDeadLetters` answered a function); see `DeadLetterQuery`. */
  deadLetters?(query?: DeadLetterQuery): DeadLetterPage;
}
