/**
 * An actor running on a compiled transition table (see `compileMachine.ts`):
 * the same statechart as XState's `createActor`, as a small object.
 *
 * It mirrors XState v5 where it matters to Echo: run-to-completion macrosteps,
 * events sent during a step are processed after it, `always` transitions,
 * delayed transitions through an injected clock (scheduled on entry, cancelled
 * on exit; non-finite delays are never scheduled), invocations started after the
 * macrostep that entered their state and stopped after the one that left it
 * (`TableInvocations.ts`), a final top-level state makes
 * the actor `done` with its `output`, and inspection events shaped like XState's
 * (`@xstate.actor`, `@xstate.event`, `@xstate.snapshot`).
 * @internal
 */
import type { Clock } from '../clock.js';
import type { CompiledAction, CompiledMachine, CompiledState, CompiledTransition } from './compileMachine.js';
import { TableInvocations } from './TableInvocations.js';
import type { InspectionSink, TableInspectionEvent } from './tableInspection.js';
import { TableActorSnapshot, type TableSnapshot } from './TableSnapshot.js';

export type { TableSnapshot } from './TableSnapshot.js';

/** The most steps a trail keeps between two reads (the oldest are dropped). */
const MAX_TRAIL = 16;

export type SnapshotListener<TContext> = (snapshot: TableSnapshot<TContext>) => void;

/** What every actor of one runtime shares: created once, not per actor. */
export interface TableActorOptions {
  readonly clock: Clock;
  /** Receives inspection events while `enabled`; when disabled none is built. */
  readonly inspect?: InspectionSink | undefined;
  readonly rootId?: string;
  /** Called once when the actor reaches a final state or is stopped. */
  readonly onSettled?: ((actor: TableActor<never>) => void) | undefined;
  /** Called when an effect throws: the error becomes a value, never escapes. */
  readonly onEffectError?: ((actor: TableActor<never>, error: unknown, effect: string) => void) | undefined;
}

const NO_TRAIL: ReadonlyArray<readonly [string, number, string]> = Object.freeze([]);
const INIT_EVENT = Object.freeze({ type: 'xstate.init' });
/** `CompiledTransition.domain` of a transition without a target. */
const NO_TARGET = -2;
const ARMED = 0;
const READING = 1;
const DECLINED = 2;
type PullState = typeof ARMED | typeof READING | typeof DECLINED;

/** A statechart actor on a compiled table. */
export class TableActor<TContext> {
  readonly id: string;
  /** Made on first read (an unobserved actor never builds the string). */
  #sessionId: string | undefined = undefined;
  /** The parent in the actor tree: the Sequence while queued, the Site that runs it after. */
  _parent: { readonly sessionId: string } | undefined;
  /** Free slot for the runtime that owns this actor (its per-action state). */
  owner: unknown = undefined;
  /** Free slot for the puller that inspects this actor (its record of it). */
  pullSlot: unknown = undefined;
  /** Steps since the puller last read this actor: [state, time, event type]. */
  #trail: [string, number, string][] | null = null;
  /** Whether the next change calls `pull` (ARMED), only extends the trail (READING), or is ignored (DECLINED). */
  #pullState: PullState = ARMED;

  #table: CompiledMachine<TContext>;
  #options: TableActorOptions;
  #state: CompiledState<TContext>;
  #context: TContext;
  /**
   * Only this actor has held `#context` since it made it (no snapshot, getter,
   * listener or inspector saw it): recipes may change it in place. Effects, guards
   * and delays see it during their call only and must not keep it.
   */
  #owned = true;
  #status: 'idle' | 'active' | 'done' | 'stopped' = 'idle';
  #output: unknown = undefined;
  #snapshot: TableActorSnapshot<TContext> | null = null;
  #timers: Map<string, unknown> | null = null;
  /** The mailbox: the first queued event in a slot (the common case: one), the rest in an array. */
  #first: { type: string } | null = null;
  #queue: { type: string }[] | null = null;
  #processing = false;
  /** Events raised inside a macrostep (`xstate.done.state.*`), processed before the mailbox. */
  #internal: { type: string }[] | null = null;
  #listeners: SnapshotListener<TContext>[] | null = null;
  /** Its invocations, made when it first enters a state that invokes. */
  #invocations: TableInvocations<TContext> | null = null;

  constructor(
    table: CompiledMachine<TContext>,
    options: TableActorOptions,
    id: string,
    input?: unknown,
    parent?: { readonly sessionId: string },
  ) {
    this.#table = table;
    this.#options = options;
    this.id = id;
    this._parent = parent;
    this.#state = table.states[table.initial[table.initial.length - 1]!]!;
    this.#context = table.createContext(input);
    this.#owned = table.freshContext;
  }

  /** Its id in the actor tree, `echo:<id>`. */
  get sessionId(): string {
    return (this.#sessionId ??= `echo:${this.id}`);
  }

  /** The current context (no snapshot object is built); it is never changed after this read. */
  get context(): TContext {
    this.#owned = false;
    return this.#context;
  }

  /** The output once done. */
  get output(): unknown {
    return this.#output;
  }

  /** `active`, `done` or `stopped`. */
  get status(): 'active' | 'done' | 'stopped' {
    return this.#status === 'idle' ? 'active' : this.#status;
  }

  /** The machine this actor runs (what the inspector draws). */
  get logic(): CompiledMachine<TContext>['machine'] {
    return this.#table.machine;
  }

  /** Enters the initial state; effects may run synchronously. */
  start(): this {
    if (this.#status !== 'idle') return this;
    this.#status = 'active';
    this.#inspect('@xstate.actor');
    this.#processing = true;
    this.#runActions(this.#table.root.entry, INIT_EVENT);
    this.#arm(this.#table.root, INIT_EVENT);
    this.#enterAll(this.#table.initial, INIT_EVENT);
    this.#settle(INIT_EVENT);
    this.#endStep(INIT_EVENT);
    const next = this.#takeQueued();
    if (next === undefined) this.#processing = false;
    else this.#step(next);
    return this;
  }

  /** Sends an event; ignored once the actor is done or stopped. */
  send(event: { type: string }): void {
    if (this.#status !== 'active') return;
    if (this.#processing) {
      if (this.#first === null) this.#first = event;
      else (this.#queue ??= []).push(event);
      return;
    }
    this.#processing = true;
    this.#step(event);
  }

  getSnapshot(): TableSnapshot<TContext> {
    this.#owned = false;
    return (this.#snapshot ??= new TableActorSnapshot(
      this.#state.value,
      this.#status === 'idle' ? 'active' : this.#status,
      this.#context,
      this.#output,
    ));
  }

  /** Listens to every new snapshot; returns the unsubscribe function. */
  subscribe(listener: SnapshotListener<TContext>): { unsubscribe(): void } {
    (this.#listeners ??= []).push(listener);
    return {
      unsubscribe: () => {
        const index = this.#listeners?.indexOf(listener) ?? -1;
        if (index >= 0) this.#listeners!.splice(index, 1);
      },
    };
  }

  /**
   * For the puller: the steps since its last read, oldest first, as
   * `[state, time, event type]`. Reading clears them and re-arms the next `pull`
   * (also after the puller declined this actor).
   */
  takeTrail(): ReadonlyArray<readonly [string, number, string]> {
    const trail = this.#trail ?? NO_TRAIL;
    this.#trail = null;
    this.#pullState = ARMED;
    return trail;
  }

  #notePull(pull: (actor: TableActor<never>) => boolean | void, eventType: string): void {
    const state = this.#pullState;
    if (state === DECLINED) return;
    if (state === ARMED) {
      // Asked first, so a declined actor costs no trail at all.
      this.#pullState = READING;
      if (pull(this as unknown as TableActor<never>) === false) {
        this.#pullState = DECLINED;
        this.#trail = null;
        return;
      }
      if ((this.#pullState as PullState) === ARMED) return; // read at once: the puller saw this step's snapshot
    }
    const step: [string, number, string] = [this.#state.key, this.#options.clock.now(), eventType];
    const trail = this.#trail;
    if (trail === null) {
      this.#trail = [step];
      return;
    }
    if (trail.length >= MAX_TRAIL) trail.shift();
    trail.push(step);
  }

  /** Stops the actor where it is: timers cleared, no further events processed. */
  stop(): void {
    if (this.#status === 'done' || this.#status === 'stopped') return;
    this.#status = 'stopped';
    this.#clearTimers();
    const invocations = this.#invocations;
    this.#invocations = null;
    invocations?.stopAll(this, this.#options.onEffectError);
    this.#queue = null;
    this.#first = null;
    this.#snapshot = null;
    const sink = this.#options.inspect;
    if (sink !== undefined && sink.pull !== null) this.#notePull(sink.pull, 'xstate.stop');
    this.#emit();
    this.#options.onSettled?.(this as unknown as TableActor<never>);
  }

  #step(event: { type: string }): void {
    for (let next: { type: string } | undefined = event; next !== undefined; next = this.#takeQueued()) {
      if (this.#status !== 'active') break;
      if (this.#options.inspect?.enabled === true) this.#inspect('@xstate.event', next);
      const transition = this.#select(next);
      if (transition !== null) {
        this.#take(transition, next);
        this.#settle(next);
      }
      this.#endStep(next);
    }
    this.#processing = false;
  }

  #takeQueued(): { type: string } | undefined {
    const first = this.#first;
    if (first === null) return undefined;
    this.#first = this.#queue === null || this.#queue.length === 0 ? null : this.#queue.shift()!;
    return first;
  }

  /** The first enabled transition for `event`: the atomic state's own, else its ancestors', else the root's. */
  #select(event: { type: string }): CompiledTransition<TContext> | null {
    const states = this.#table.states;
    for (let state = this.#state; ; state = states[state.parent]!) {
      const own = state.on.get(event.type);
      const chosen = own === undefined ? null : this.#firstEnabled(own, event);
      if (chosen !== null) return chosen;
      if (state.parent < 0) break;
    }
    const onRoot = this.#table.root.on.get(event.type);
    return onRoot === undefined ? null : this.#firstEnabled(onRoot, event);
  }

  /** The first enabled eventless transition, searched like `#select`. */
  #selectAlways(event: { type: string }): CompiledTransition<TContext> | null {
    const states = this.#table.states;
    for (let state = this.#state; ; state = states[state.parent]!) {
      if (state.always.length > 0) {
        const chosen = this.#firstEnabled(state.always, event);
        if (chosen !== null) return chosen;
      }
      if (state.parent < 0) break;
    }
    const always = this.#table.root.always;
    return always.length === 0 ? null : this.#firstEnabled(always, event);
  }

  #firstEnabled(candidates: readonly CompiledTransition<TContext>[], event: { type: string }): CompiledTransition<TContext> | null {
    for (const candidate of candidates) {
      if (candidate.guard === null || candidate.guard(this.#context, event)) return candidate;
    }
    return null;
  }

  /** One microstep: exit up to the transition's domain, its actions, then enter its states (XState's order). */
  #take(transition: CompiledTransition<TContext>, event: { type: string }): void {
    const domain = transition.domain;
    if (domain === NO_TARGET) {
      this.#runActions(transition.actions, event);
      return;
    }
    const states = this.#table.states;
    for (let at = this.#state.index; at !== domain && at >= 0; at = states[at]!.parent) {
      const leaving = states[at]!;
      this.#runActions(leaving.exit, event);
      this.#disarm(leaving);
      if (leaving.invoke.length > 0) this.#invocations?.leave(leaving.index);
    }
    this.#runActions(transition.actions, event);
    this.#enterAll(transition.enter, event);
  }

  #enterAll(indexes: readonly number[], event: { type: string }): void {
    const states = this.#table.states;
    for (const index of indexes) {
      const state = states[index]!;
      this.#state = state;
      this.#runActions(state.entry, event);
      if (!state.final) {
        this.#arm(state, event);
        if (state.invoke.length > 0) (this.#invocations ??= new TableInvocations(this)).enter(state.invoke);
        continue;
      }
      if (state.doneEvent !== null) (this.#internal ??= []).push(state.doneEvent);
      else this.#finish(event);
    }
  }

  /** After a microstep: eventless transitions first, then internal events (`xstate.done.state.*`), as XState's macrostep. */
  #settle(event: { type: string }): void {
    let current = event;
    for (let steps = 0; this.#status === 'active'; steps++) {
      if (steps > 100) throw new Error(`Endless eventless transitions in state "${this.#state.key}"`);
      const always = this.#selectAlways(current);
      if (always !== null) {
        this.#take(always, current);
        continue;
      }
      const internal = this.#internal;
      if (internal === null || internal.length === 0) return;
      current = internal.shift()!;
      const transition = this.#select(current);
      if (transition !== null) this.#take(transition, current);
    }
    this.#internal = null;
  }

  /** A top-level final state: the output, then every active state's exit actions, innermost first (XState's order). */
  #finish(event: { type: string }): void {
    this.#status = 'done';
    this.#output = this.#table.output?.(this.#context);
    const states = this.#table.states;
    for (let at = this.#state.index; at >= 0; at = states[at]!.parent) this.#runActions(states[at]!.exit, event);
    this.#runActions(this.#table.root.exit, event);
    this.#clearTimers();
    this.#invocations?.leave(-1);
    this.#internal = null;
  }

  #runActions(actions: readonly CompiledAction<TContext>[], event: { type: string }): void {
    for (const action of actions) {
      if (action.kind === 'recipe') {
        if (!this.#owned) {
          this.#context = action.copy(this.#context);
          this.#owned = true;
          this.#snapshot = null;
        }
        action.run(this.#context, event);
        continue;
      }
      if (action.kind === 'assign') {
        // XState's assign: a new object merged from the old one and the partial update.
        this.#context = action.run(this.#context, event, this);
        this.#owned = true; // a new object: recipes replace its fields, never change what they share
        this.#snapshot = null;
        continue;
      }
      try {
        action.run(this.#context, event, this);
      } catch (error) {
        if (this.#options.onEffectError === undefined) throw error;
        this.#options.onEffectError(this as unknown as TableActor<never>, error, action.name);
      }
    }
  }

  #arm(state: CompiledState<TContext>, event: { type: string }): void {
    for (const delayed of state.after) {
      const ms = delayed.delay(this.#context, event);
      if (!Number.isFinite(ms)) continue;
      const type = delayed.eventType;
      const handle = this.#options.clock.setTimeout(() => {
        this.#timers?.delete(type);
        this.send({ type });
      }, ms);
      (this.#timers ??= new Map()).set(type, handle);
    }
  }

  #disarm(state: CompiledState<TContext>): void {
    if (this.#timers === null) return;
    for (const delayed of state.after) {
      const handle = this.#timers.get(delayed.eventType);
      if (handle === undefined) continue;
      this.#options.clock.clearTimeout(handle);
      this.#timers.delete(delayed.eventType);
    }
  }

  #clearTimers(): void {
    if (this.#timers === null) return;
    for (const handle of this.#timers.values()) this.#options.clock.clearTimeout(handle);
    this.#timers = null;
  }

  #endStep(event: { type: string }): void {
    const invocations = this.#invocations;
    if (invocations !== null) {
      if (invocations.pending) invocations.flush(this.#context, event, this, this.#options.onEffectError);
      // Done: its invocations stopped (a settled action keeps nothing of them).
      if (this.#status !== 'active') this.#invocations = null;
    }
    this.#snapshot = null;
    const sink = this.#options.inspect;
    if (sink !== undefined) {
      if (sink.enabled) this.#inspect('@xstate.snapshot', event);
      if (sink.pull !== null) this.#notePull(sink.pull, event.type);
    }
    this.#emit();
    if (this.#status === 'done') {
      this.#queue = null;
      this.#first = null;
      this.#options.onSettled?.(this as unknown as TableActor<never>);
    }
  }

  #emit(): void {
    const listeners = this.#listeners;
    if (listeners === null || listeners.length === 0) return;
    const snapshot = this.getSnapshot();
    for (const listener of listeners.slice()) listener(snapshot);
  }

  #inspect(type: TableInspectionEvent['type'], event?: { type: string }): void {
    const sink = this.#options.inspect;
    if (sink === undefined || !sink.enabled) return;
    const rootId = this.#options.rootId ?? this.sessionId;
    const actorRef = this as unknown as TableActor<unknown>;
    if (type === '@xstate.actor') sink.emitTable({ type, actorRef, rootId });
    else if (type === '@xstate.event') sink.emitTable({ type, actorRef, rootId, event: event!, sourceRef: undefined });
    else sink.emitTable({ type, actorRef, rootId, event: event!, snapshot: this.getSnapshot() as TableSnapshot<unknown> });
  }
}
