/**
 * What the inspector sees of a Site: its XState actor's lifecycle state (open, paused, crashed,
 * stopped) and its load, read as data when the inspector reads it. A Site's actor changes state
 * on lifecycle changes only; the actions it runs change no state there (a transition per action
 * was most of the cost of trickling work), so the load reaches the inspector by a pull: the
 * first change of the load since the last read tells the puller, which reads the view at its
 * next flush.
 * @internal
 */
import type { PullableRef } from '../inspect/target.js';

/** The Site's XState actor, as the view reads it. */
export interface SiteActorRef {
  readonly sessionId: string;
  readonly id: string;
  readonly _parent?: { readonly sessionId: string } | undefined;
  readonly logic: unknown;
  getSnapshot(): { readonly value: unknown; readonly status: string; readonly context: object; readonly error?: unknown };
  subscribe(listener: () => void): unknown;
}

/** The load a view shows. */
export interface SiteLoad {
  /** Actions running on the Site now. */
  readonly active: number;
}

/** Who reads changed actors: the inspection hub's `pull` (null while nobody pulls). */
export interface LoadPuller {
  readonly pull: ((actor: never) => boolean | void) | null;
}

/**
 * A Site's actor with its load in the context. It has no `pullSlot`: the puller finds the Site's
 * record by session id, the one its XState events made.
 */
export class SiteView implements PullableRef {
  readonly #actor: SiteActorRef;
  readonly #load: SiteLoad;
  /** The next load change tells the puller (re-armed when the puller reads the view). */
  #armed = true;
  /** The puller told last: a new one (an inspector attached since) is told even if the last never read. */
  #toldTo: unknown = null;

  constructor(actor: SiteActorRef, load: SiteLoad, puller: LoadPuller) {
    this.#actor = actor;
    this.#load = load;
    // A lifecycle change's snapshot carries the machine's context alone: the puller reads the view after it.
    actor.subscribe(() => this.changed(puller));
  }

  get sessionId(): string {
    return this.#actor.sessionId;
  }

  get id(): string {
    return this.#actor.id;
  }

  get _parent(): { sessionId: string } | undefined {
    return this.#actor._parent;
  }

  get logic(): unknown {
    return this.#actor.logic;
  }

  get status(): 'active' | 'done' | 'stopped' {
    const status = this.#actor.getSnapshot().status;
    return status === 'active' ? 'active' : status === 'done' ? 'done' : 'stopped';
  }

  /** The actor's snapshot, its context with the Site's load (`active`) added. */
  getSnapshot(): { value: unknown; status: string; context: object; error?: unknown } {
    const snapshot = this.#actor.getSnapshot();
    return { value: snapshot.value, status: snapshot.status, context: { ...snapshot.context, active: this.#load.active }, error: snapshot.error };
  }

  /** A view has no steps of its own (lifecycle steps come as the actor's XState events); reading re-arms it. */
  takeTrail(): ReadonlyArray<readonly [string, number, string]> {
    this.#armed = true;
    return [];
  }

  /** The load changed: the first change since the last read tells the puller, if one listens. */
  changed(puller: LoadPuller): void {
    const pull = puller.pull;
    if (pull === null || (!this.#armed && pull === this.#toldTo)) return;
    this.#armed = false;
    this.#toldTo = pull;
    pull(this as never);
  }
}
