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

export type InspectionObserver = (event: InspectionEvent) => void;

/** Options of a subscription. */
export interface InspectionSubscribeOptions {
  /**
   * Called for a table-engine action that changed since it was last read; its XState
   * events are not sent then. Answering `false` declines the actor until it is read.
   */
  readonly pull?: (actor: PullableActor) => boolean | void;
}

/** What a pulling observer can read from a table-engine actor. */
export interface PullableActor {
  readonly sessionId: string;
  readonly id: string;
  readonly _parent?: { readonly sessionId: string } | undefined;
  readonly logic: unknown;
  /** A slot the puller may keep its record of this actor in. */
  pullSlot: unknown;
  /** `active` until it settles (cheaper to read than a snapshot). */
  readonly status: 'active' | 'done' | 'stopped';
  getSnapshot(): unknown;
  /** The states it went through since the last read, with their times and events; clears them and re-arms `pull`. */
  takeTrail(): ReadonlyArray<readonly [value: string, at: number, event: string]>;
}

export class InspectionHub {
  readonly #observers = new Set<InspectionObserver>();
  /** Observers that pull table actors (they get no XState events from them). */
  readonly #pulling = new Map<InspectionObserver, (actor: PullableActor) => boolean | void>();
  readonly #onError: (error: unknown) => void;
  /** Table actors emit XState events: some observer wants them. */
  enabled = false;
  /** Someone inspects at all (table actors are then made eagerly, so queued ones show). */
  active = false;
  /** Set while some observer pulls table actors. */
  pull: ((actor: PullableActor) => boolean | void) | null = null;

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

  /** Sends an event of an XState actor to every observer; one that throws is reported, never breaks the runtime. */
  emit(event: unknown): void {
    if (!this.active) return;
    for (const observer of this.#observers) this.#deliver(observer, event);
  }

  /** Sends an event of a table actor to the observers that do not pull. */
  emitTable(event: unknown): void {
    if (!this.enabled) return;
    for (const observer of this.#observers) if (!this.#pulling.has(observer)) this.#deliver(observer, event);
  }

  #deliver(observer: InspectionObserver, event: unknown): void {
    try {
      observer(event as InspectionEvent);
    } catch (error) {
      this.#onError(error);
    }
  }

  #refresh(): void {
    this.active = this.#observers.size > 0;
    this.enabled = this.#observers.size > this.#pulling.size;
    this.pull = this.#pulling.values().next().value ?? null;
  }
}
