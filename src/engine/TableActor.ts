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
import { armDelays, clearDelays, disarmDelays, type DelayedEvents } from './delayedEvents.js';
import { InvokingActor } from './TableInvocations.js';
import type { InspectionSink, TableInspectionEvent } from './tableInspection.js';
import { EMPTY_TRAIL, PullTrail } from './pullTrail.js';
import { SettledTableActor } from './SettledTableActor.js';
import { TableActorExtras } from './TableActorExtras.js';
import { TableActorSnapshot, type TableSnapshot } from './TableSnapshot.js';

export type { TableSnapshot } from './TableSnapshot.js';

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

const INIT_EVENT = Object.freeze({ type: 'xstate.init' });
/** `CompiledTransition.domain` of a transition without a target. */
const NO_TARGET = -2;
/** `bits` (the field it shares with `InvokingActor`, whose bit is above these): its status (IDLE until started) in the low two bits, then two flags. */
const IDLE = 0;
const ACTIVE = 1;
const DONE = 2;
const STOPPED = 3;
const STATUS = 3;
const STATUS_NAMES = ['active', 'active', 'done', 'stopped'] as const;
/**
 * Only this actor has held `#context` since it made it (no snapshot, getter, listener or inspector saw
 * it): recipes may change it in place (effects, guards and delays see it during their call only).
 */
const OWNED = 4;
/** Inside a macrostep: events sent meanwhile wait in the mailbox. */
const PROCESSING = 8;

/** A statechart actor on a compiled table. */
export class TableActor<TContext> extends InvokingActor<TContext> {
  readonly id: string;
  /** The parent in the actor tree: the Sequence while queued, the Site that runs it after. */
  _parent: { readonly sessionId: string } | undefined;
  /** Free slot for the runtime that owns this actor (its per-action state). */
  owner: unknown = undefined;

  #table: CompiledMachine<TContext>;
  #options: TableActorOptions;
  #state: CompiledState<TContext>;
  #context: TContext;
  #output: unknown = undefined;
  #snapshot: TableActorSnapshot<TContext> | null = null;
  #timers: DelayedEvents | null = null;
  /** The mailbox: the one queued event (the common case), or an array of them once more came. */
  #mail: { type: string } | { type: string }[] | null = null;
  /** Its session id, listeners, puller's trail and internal events, made on first need (see `TableActorExtras`). */
  #extras: TableActorExtras<SnapshotListener<TContext>> | null = null;

  constructor(
    table: CompiledMachine<TContext>,
    options: TableActorOptions,
    id: string,
    input?: unknown,
    parent?: { readonly sessionId: string },
  ) {
    super();
    this.#table = table;
    this.#options = options;
    this.id = id;
    this._parent = parent;
    this.#state = table.states[table.initial[table.initial.length - 1]!]!;
    this.#context = table.createContext(input);
    if (table.freshContext) this.bits |= OWNED;
  }

  /** Its id in the actor tree, `echo:<id>` (made on first read: an unobserved actor never builds the string). */
  get sessionId(): string {
    return (this.extra().sessionId ??= `echo:${this.id}`);
  }

  /** Free slot for the puller that inspects this actor (its record of it), kept on its trail. */
  get pullSlot(): unknown {
    return this.#extras?.pull?.slot;
  }

  set pullSlot(slot: unknown) {
    if (slot !== undefined || this.#extras?.pull != null) this.trail().slot = slot;
  }

  /** The current context (no snapshot object is built); it is never changed after this read. */
  get context(): TContext {
    this.bits &= ~OWNED;
    return this.#context;
  }

  /**
   * The current context for a reader inside the runtime that is done with it before the actor's
   * next step (a failed attempt reading its attempt count): unlike {@link context} it leaves the
   * context the actor's own, so the next step changes it in place instead of copying it first.
   * What it answers must not be kept, nor handed to user code.
   */
  peekContext(): TContext {
    return this.#context;
  }

  /** The output once done. */
  get output(): unknown {
    return this.#output;
  }

  /** `active`, `done` or `stopped`. */
  get status(): 'active' | 'done' | 'stopped' {
    return STATUS_NAMES[this.bits & STATUS]!;
  }

  /** The machine this actor runs (what the inspector draws). */
  get logic(): CompiledMachine<TContext>['machine'] {
    return this.#table.machine;
  }

  /** Enters the initial state; effects may run synchronously. */
  start(): this {
    if ((this.bits & STATUS) !== IDLE) return this;
    this.bits |= ACTIVE;
    this.inspect('@xstate.actor');
    this.bits |= PROCESSING;
    this.runActions(this.#table.root.entry, INIT_EVENT);
    this.#timers = armDelays(this.#timers, this.#table.root.after, this.#context, INIT_EVENT, this.#options.clock, this);
    this.enterAll(this.#table.initial, INIT_EVENT);
    this.settle(INIT_EVENT);
    this.endStep(INIT_EVENT);
    const next = this.takeQueued();
    if (next === undefined) this.bits &= ~PROCESSING;
    else this.step(next);
    return this;
  }

  /** Sends an event; ignored once the actor is done or stopped. */
  send(event: { type: string }): void {
    if ((this.bits & STATUS) !== ACTIVE) return;
    if ((this.bits & PROCESSING) !== 0) {
      const mail = this.#mail;
      if (mail === null) this.#mail = event;
      else if (Array.isArray(mail)) mail.push(event);
      else this.#mail = [mail, event];
      return;
    }
    this.bits |= PROCESSING;
    this.step(event);
  }

  getSnapshot(): TableSnapshot<TContext> {
    this.bits &= ~OWNED;
    return (this.#snapshot ??= new TableActorSnapshot(this.#state.value, STATUS_NAMES[this.bits & STATUS]!, this.#context, this.#output));
  }

  /** Listens to every new snapshot; returns the unsubscribe function. */
  subscribe(listener: SnapshotListener<TContext>): { unsubscribe(): void } {
    return this.extra().listen(listener);
  }

  /**
   * For the puller: the steps since its last read, oldest first, as
   * `[state, time, event type]`. Reading clears them and re-arms the next `pull`
   * (also after the puller declined this actor).
   */
  takeTrail(): ReadonlyArray<readonly [string, number, string]> {
    const pull = this.#extras?.pull ?? null;
    return pull === null ? EMPTY_TRAIL : pull.take();
  }

  /**
   * Done, with nothing of it observed beyond its snapshot (no listener, puller trail or session
   * id read): what it leaves behind, a smaller object for a settled run to keep (see
   * `SettledTableActor`). Null otherwise: the caller keeps the actor.
   */
  settledForm(): SettledTableActor<TContext> | null {
    if ((this.bits & STATUS) !== DONE || this.#extras !== null) return null;
    return new SettledTableActor(this.id, this._parent, this.#state, this.#context, this.#output, this.#snapshot);
  }

  /** Stops the actor where it is: timers cleared, no further events processed. */
  stop(): void {
    if ((this.bits & STATUS) >= DONE) return;
    this.bits = (this.bits & ~STATUS) | STOPPED;
    clearDelays(this.#timers, this.#options.clock);
    this.#timers = null;
    this.stopInvocations(this.#options.onEffectError);
    this.#mail = null;
    this.#snapshot = null;
    const sink = this.#options.inspect;
    if (sink !== undefined && sink.pull !== null) this.trail().note(this as unknown as TableActor<never>, sink.pull, this.#state.key, this.#options.clock, 'xstate.stop');
    this.emit();
    this.#options.onSettled?.(this as unknown as TableActor<never>);
  }

  private step(event: { type: string }): void {
    for (let next: { type: string } | undefined = event; next !== undefined; next = this.takeQueued()) {
      if ((this.bits & STATUS) !== ACTIVE) break;
      if (this.#options.inspect?.enabled === true) this.inspect('@xstate.event', next);
      const transition = this.select(next);
      if (transition !== null) {
        this.take(transition, next);
        this.settle(next);
      }
      this.endStep(next);
    }
    this.bits &= ~PROCESSING;
  }

  private takeQueued(): { type: string } | undefined {
    const mail = this.#mail;
    if (mail === null) return undefined;
    if (!Array.isArray(mail)) {
      this.#mail = null;
      return mail;
    }
    const first = mail.shift();
    if (mail.length === 0) this.#mail = null;
    return first;
  }

  /** The first enabled transition for `event`: the atomic state's own, else its ancestors', else the root's. */
  private select(event: { type: string }): CompiledTransition<TContext> | null {
    const states = this.#table.states;
    for (let state = this.#state; ; state = states[state.parent]!) {
      const own = state.on.get(event.type);
      const chosen = own === undefined ? null : this.firstEnabled(own, event);
      if (chosen !== null) return chosen;
      if (state.parent < 0) break;
    }
    const onRoot = this.#table.root.on.get(event.type);
    return onRoot === undefined ? null : this.firstEnabled(onRoot, event);
  }

  /** The first enabled eventless transition, searched like `#select`. */
  private selectAlways(event: { type: string }): CompiledTransition<TContext> | null {
    const states = this.#table.states;
    for (let state = this.#state; ; state = states[state.parent]!) {
      if (state.always.length > 0) {
        const chosen = this.firstEnabled(state.always, event);
        if (chosen !== null) return chosen;
      }
      if (state.parent < 0) break;
    }
    const always = this.#table.root.always;
    return always.length === 0 ? null : this.firstEnabled(always, event);
  }

  private firstEnabled(candidates: readonly CompiledTransition<TContext>[], event: { type: string }): CompiledTransition<TContext> | null {
    for (const candidate of candidates) {
      if (candidate.guard === null || candidate.guard(this.#context, event)) return candidate;
    }
    return null;
  }

  /** One microstep: exit up to the transition's domain, its actions, then enter its states (XState's order). */
  private take(transition: CompiledTransition<TContext>, event: { type: string }): void {
    const domain = transition.domain;
    if (domain === NO_TARGET) {
      this.runActions(transition.actions, event);
      return;
    }
    const states = this.#table.states;
    for (let at = this.#state.index; at !== domain && at >= 0; at = states[at]!.parent) {
      const leaving = states[at]!;
      this.runActions(leaving.exit, event);
      disarmDelays(this.#timers, leaving.after, this.#options.clock);
      if (leaving.invoke.length > 0) this.leaveInvoking(leaving.index);
    }
    this.runActions(transition.actions, event);
    this.enterAll(transition.enter, event);
  }

  private enterAll(indexes: readonly number[], event: { type: string }): void {
    const states = this.#table.states;
    for (const index of indexes) {
      const state = states[index]!;
      this.#state = state;
      this.runActions(state.entry, event);
      if (!state.final) {
        this.#timers = armDelays(this.#timers, state.after, this.#context, event, this.#options.clock, this);
        if (state.invoke.length > 0) this.enterInvoking(state.invoke);
        continue;
      }
      if (state.doneEvent !== null) (this.extra().internal ??= []).push(state.doneEvent);
      else this.finish(event);
    }
  }

  /** After a microstep: eventless transitions first, then internal events (`xstate.done.state.*`), as XState's macrostep. */
  private settle(event: { type: string }): void {
    let current = event;
    for (let steps = 0; (this.bits & STATUS) === ACTIVE; steps++) {
      if (steps > 100) throw new Error(`Endless eventless transitions in state "${this.#state.key}"`);
      const always = this.selectAlways(current);
      if (always !== null) {
        this.take(always, current);
        continue;
      }
      const internal = this.#extras?.internal ?? null;
      if (internal === null || internal.length === 0) return;
      current = internal.shift()!;
      const transition = this.select(current);
      if (transition !== null) this.take(transition, current);
    }
    if (this.#extras !== null) this.#extras.internal = null;
  }

  /** A top-level final state: the output, then every active state's exit actions, innermost first (XState's order). */
  private finish(event: { type: string }): void {
    this.bits = (this.bits & ~STATUS) | DONE;
    this.#output = this.#table.output?.(this.#context);
    const states = this.#table.states;
    for (let at = this.#state.index; at >= 0; at = states[at]!.parent) this.runActions(states[at]!.exit, event);
    this.runActions(this.#table.root.exit, event);
    clearDelays(this.#timers, this.#options.clock);
    this.#timers = null;
    this.leaveInvoking(-1);
    if (this.#extras !== null) this.#extras.internal = null;
  }

  private runActions(actions: readonly CompiledAction<TContext>[], event: { type: string }): void {
    for (const action of actions) {
      if (action.kind === 'recipe') {
        if ((this.bits & OWNED) === 0) {
          this.#context = action.copy(this.#context);
          this.bits |= OWNED;
          this.#snapshot = null;
        }
        action.run(this.#context, event);
        continue;
      }
      if (action.kind === 'assign') {
        // XState's assign: a new object merged from the old one and the partial update.
        this.#context = action.run(this.#context, event, this);
        this.bits |= OWNED; // a new object: recipes replace its fields, never change what they share
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

  private endStep(event: { type: string }): void {
    if (this.invocationsPending) this.flushInvocations(this.#context, event, this.#options.onEffectError);
    // Done: its invocations stopped (a settled action keeps nothing of them).
    if ((this.bits & STATUS) === DONE) this.dropInvocations();
    this.#snapshot = null;
    const sink = this.#options.inspect;
    if (sink !== undefined) {
      if (sink.enabled) this.inspect('@xstate.snapshot', event);
      if (sink.pull !== null) this.trail().note(this as unknown as TableActor<never>, sink.pull, this.#state.key, this.#options.clock, event.type);
    }
    this.emit();
    if ((this.bits & STATUS) === DONE) {
      this.#mail = null;
      this.#options.onSettled?.(this as unknown as TableActor<never>);
    }
  }

  private extra(): TableActorExtras<SnapshotListener<TContext>> {
    return (this.#extras ??= new TableActorExtras());
  }

  private trail(): PullTrail {
    return (this.extra().pull ??= new PullTrail());
  }

  private emit(): void {
    const listeners = this.#extras?.listeners ?? null;
    if (listeners === null || listeners.length === 0) return;
    const snapshot = this.getSnapshot();
    for (const listener of listeners.slice()) listener(snapshot);
  }

  private inspect(type: TableInspectionEvent['type'], event?: { type: string }): void {
    const sink = this.#options.inspect;
    if (sink === undefined || !sink.enabled) return;
    const rootId = this.#options.rootId ?? this.sessionId;
    const actorRef = this as unknown as TableActor<unknown>;
    if (type === '@xstate.actor') sink.emitTable({ type, actorRef, rootId });
    else if (type === '@xstate.event') sink.emitTable({ type, actorRef, rootId, event: event!, sourceRef: undefined });
    else sink.emitTable({ type, actorRef, rootId, event: event!, snapshot: this.getSnapshot() as TableSnapshot<unknown> });
  }
}
