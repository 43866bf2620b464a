/**
 * Fans the inspection of one runtime out to observers.
 *
 * Two kinds of observer:
 * - classic ones get XState v5 inspection events of every actor;
 * - a pulling one (the inspector's adapter) gets XState events of the real XState
 *   actors (Sequence, Sites) only, and for table-engine actions just a `pull(actor)`
 *   call on the first change since it last read them: it reads each changed action
 *   once per flush instead of handling ten events per action.
 * While nobody listens, table actors build no event objects at all.
 * @internal
 */
import type { InspectionEvent } from 'xstate';
import type { PullableRef } from './target.js';

export type InspectionObserver = (event: InspectionEvent) => void;

/** Options of a subscription. */
export interface InspectionSubscribeOptions {
  /**
   * Called for a table-engine action that changed since it was last read; its XState
   * events are not sent then. Answering `false` declines the actor until it is read.
   */
  readonly pull?: (actor: PullableRef) => boolean | void;
}

/** Context keys a runtime shows beside an actor's own (an Echo action's progress and logs); read on every look. */
export interface ContextExtras {
  readonly view: object;
}

/** What {@link InspectionHub.place} reads of an actor. */
export interface PlaceableRef {
  readonly sessionId: string;
  readonly id: string;
  readonly logic?: unknown;
  getSnapshot(): unknown;
}

/** The view of a placed actor: its own, but for its parent. */
interface PlacedRef extends PlaceableRef {
  readonly _parent: { readonly sessionId: string };
}

export class InspectionHub {
  readonly #observers = new Set<InspectionObserver>();
  /** Extras by actor (an actor without any costs one boolean check per event). */
  readonly #extras = new WeakMap<object, ContextExtras>();
  #annotating = false;
  /**
   * Views of actors shown under another parent than their own `_parent` (see {@link place}),
   * by actor; an actor without one costs one boolean check per event.
   */
  readonly #placed = new WeakMap<object, PlacedRef>();
  #placing = false;
  /** Observers that pull table actors (they get no XState events from them). */
  readonly #pulling = new Map<InspectionObserver, (actor: PullableRef) => boolean | void>();
  readonly #onError: (error: unknown) => void;
  /** Table actors emit XState events: some observer wants them. */
  enabled = false;
  /** Someone inspects at all (table actors are then made eagerly, so queued ones show). */
  active = false;
  /** Set while some observer pulls table actors. */
  pull: ((actor: PullableRef) => boolean | void) | null = null;
  /** Told each time someone starts inspecting after nobody did (see {@link onActivate}). */
  readonly #activation = new Set<() => void>();

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  subscribe(observer: InspectionObserver, options: InspectionSubscribeOptions = {}): () => void {
    this.#observers.add(observer);
    // One puller at a time (a trail is read once); a second one gets events like any observer.
    if (options.pull !== undefined && this.#pulling.size === 0) this.#pulling.set(observer, options.pull);
    this.#refresh();
    return () => {
      this.#observers.delete(observer);
      this.#pulling.delete(observer);
      this.#refresh();
    };
  }

  /**
   * Calls `listener` each time the hub becomes {@link active} (a first observer after none):
   * an engine that starts XState actors without an inspection observer while nobody watches
   * gives the live ones theirs then. Returns the unsubscribe.
   */
  onActivate(listener: () => void): () => void {
    this.#activation.add(listener);
    return () => this.#activation.delete(listener);
  }

  /** Sends an event of an XState actor to every observer; one that throws is reported, never breaks the runtime. */
  emit(event: unknown): void {
    if (!this.active) return;
    if (this.#annotating) event = this.#annotate(event);
    if (this.#placing) event = this.#placeIn(event);
    for (const observer of this.#observers) this.#deliver(observer, event);
  }

  /**
   * Shows `actor` under `parent` in the actor tree, to every observer (its events, late
   * joiners through {@link viewOf}), while its own `_parent` stays what its engine needs:
   * an XState-engine action invoked by a user's actor is a root of its own system (a
   * parent would receive its done event and refuse to let it be stopped), yet it belongs
   * under the actor that invoked it, as a table-engine action is.
   */
  place(actor: PlaceableRef, parent: { readonly sessionId: string }): void {
    // An XState actor's ids and logic never change: the view copies them.
    const { sessionId, id, logic } = actor;
    this.#placed.set(actor, { sessionId, id, logic, _parent: parent, getSnapshot: () => this.snapshotOf(actor) });
    this.#placing = true;
  }

  /** Sends an event of a table actor to the observers that do not pull. */
  emitTable(event: unknown): void {
    if (!this.enabled) return;
    if (this.#annotating) event = this.#annotate(event);
    for (const observer of this.#observers) if (!this.#pulling.has(observer)) this.#deliver(observer, event);
  }

  /**
   * Shows `extras.view` in `actor`'s context from now on, to every observer (events,
   * pulls, late joiners through {@link viewOf}); the actor's own context is not changed.
   */
  annotate(actor: object, extras: ContextExtras): void {
    this.#extras.set(actor, extras);
    this.#annotating = true;
  }

  /** The actor's snapshot with its extras in the context. */
  snapshotOf(actor: { getSnapshot(): unknown }, snapshot: unknown = actor.getSnapshot()): unknown {
    const extras = this.#annotating ? this.#extras.get(actor) : undefined;
    if (extras === undefined) return snapshot;
    const current = snapshot as { context?: unknown };
    return { ...current, context: { ...(current.context as object), ...extras.view } };
  }

  /** The actor itself, or a view of it whose snapshot shows its extras (for a puller or a late joiner). */
  viewOf<Actor extends object>(actor: Actor): Actor {
    const placed = this.#placing ? this.#placed.get(actor) : undefined;
    if (placed !== undefined) return placed as unknown as Actor;
    if (!this.#annotating || !this.#extras.has(actor)) return actor;
    const real = actor as unknown as PullableRef;
    const snapshot = (): unknown => this.snapshotOf(real);
    if ('takeTrail' in real) return annotatedView(real, snapshot) as unknown as Actor;
    // An XState actor: what a late joiner reads of it.
    const { sessionId, id, _parent, logic } = actor as unknown as PullableRef;
    return { sessionId, id, _parent, logic, getSnapshot: snapshot } as unknown as Actor;
  }

  /**
   * The extras of `actor` changed: observers read it again (an `@xstate.snapshot` with
   * `eventType`; a puller gets the annotated view at its next flush).
   */
  touched(actor: PullableRef | { sessionId: string; getSnapshot(): unknown }, rootId: string, eventType: string): void {
    if (!this.active) return;
    this.emit({ type: '@xstate.snapshot', actorRef: actor, rootId, snapshot: actor.getSnapshot(), event: { type: eventType } });
    const pull = this.#puller;
    // An actor the puller does not know yet is introduced by the snapshot above.
    if (pull !== null && 'takeTrail' in actor && actor.pullSlot !== undefined) pull(this.viewOf(actor));
  }

  #annotate(event: unknown): unknown {
    const candidate = event as { type?: unknown; actorRef?: object; snapshot?: unknown };
    if (candidate.type !== '@xstate.snapshot' || candidate.actorRef === undefined || !this.#extras.has(candidate.actorRef)) return event;
    return { ...candidate, snapshot: this.snapshotOf(candidate.actorRef as { getSnapshot(): unknown }, candidate.snapshot) };
  }

  #placeIn(event: unknown): unknown {
    const candidate = event as { actorRef?: object };
    const placed = candidate.actorRef === undefined ? undefined : this.#placed.get(candidate.actorRef);
    return placed === undefined ? event : { ...candidate, actorRef: placed };
  }

  #deliver(observer: InspectionObserver, event: unknown): void {
    try {
      observer(event as InspectionEvent);
    } catch (error) {
      this.#onError(error);
    }
  }

  #refresh(): void {
    const wasActive = this.active;
    this.active = this.#observers.size > 0;
    this.enabled = this.#observers.size > this.#pulling.size;
    const puller = this.#pulling.values().next().value ?? null;
    this.#puller = puller;
    this.pull = puller === null ? null : (actor) => puller(this.#annotating ? this.viewOf(actor) : actor);
    if (this.active && !wasActive) for (const listener of this.#activation) this.#deliverActivation(listener);
  }

  #deliverActivation(listener: () => void): void {
    try {
      listener();
    } catch (error) {
      this.#onError(error);
    }
  }

  #puller: ((actor: PullableRef) => boolean | void) | null = null;
}

/** A pullable actor whose snapshot is `snapshot()`; everything else is the actor's own (its trail, its slot). */
export function annotatedView(real: PullableRef, snapshot: () => unknown): PullableRef {
  return {
    get sessionId() {
      return real.sessionId;
    },
    get _parent() {
      return real._parent;
    },
    get id() {
      return real.id;
    },
    get logic() {
      return real.logic;
    },
    get status() {
      return real.status;
    },
    get pullSlot() {
      return real.pullSlot;
    },
    set pullSlot(slot: unknown) {
      real.pullSlot = slot;
    },
    getSnapshot: snapshot,
    takeTrail: () => real.takeTrail(),
  };
}
