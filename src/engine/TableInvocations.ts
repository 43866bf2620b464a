/**
 * The invocations of a table actor (see `compileMachine.ts`, `CompiledInvocation`),
 * run without an actor each, in XState's order: a state's invocations start after
 * the macrostep that entered it (after every entry action), and stop after the
 * macrostep that left it (after its exit actions and the transition's actions); one
 * left in the same macrostep never starts. A stopped invocation's events are dropped.
 *
 * The actor is its invocations' scope (`InvocationScope`): a start answers through
 * the actor itself, and the common case costs no object at all. The one live
 * invocation of a flat chart (Echo's phases: one state at a time) is kept in the
 * actor's own fields, and a start that passes its handle to `hold(fence)` answers
 * through the actor directly, its handle dropping its own late answers once ended.
 * Anything more (a plain `hold()`, a second live invocation, several states entered
 * in one step) goes to a `TableInvocations` list made on first need.
 * @internal
 */
import type { InvocationHandle, InvocationReceiver, InvocationScope } from '../../machines/positional.js';
import type { CompiledInvocation } from './compileMachine.js';

const STARTED = 1;
const STOPPED = 2;

/** The bit of `InvokingActor.bits` it keeps: the live invocation's state was left in this macrostep (the bits below it are its subclass's). */
const LEFT = 16;

/** A held receiver (or a started invocation with a handle) kept in the list: what stops when its state is left. */
class TableInvocation<TContext> implements InvocationReceiver {
  status: typeof STARTED | typeof STOPPED = STARTED;
  handle: InvocationHandle | void = undefined;
  /** The next one in its list (live, or stopping). */
  next: TableInvocation<TContext> | null = null;

  constructor(
    readonly actor: { send(event: { type: string }): void },
    readonly definition: CompiledInvocation<TContext>,
  ) {}

  send(event: { type: string }): void {
    if (this.status !== STOPPED) this.actor.send(event);
  }
}

/** Called when an invocation's start or end throws (the runtime makes it a value, as a throwing effect); without one it is thrown. */
export type InvocationError = ((actor: never, error: unknown, src: string) => void) | undefined;

function report(onError: InvocationError, actor: unknown, error: unknown, src: string): void {
  if (onError === undefined) throw error;
  onError(actor as never, error, src);
}

/** Ends `invocation` once (its handle's `end()`, a throw reported). */
function end<TContext>(invocation: TableInvocation<TContext>, parent: unknown, onError: InvocationError): void {
  if (invocation.status === STOPPED) return;
  invocation.status = STOPPED;
  const handle = invocation.handle;
  invocation.handle = undefined;
  if (handle !== undefined) endHandle(handle, parent, onError, invocation.definition.src);
}

function endHandle(handle: InvocationHandle, parent: unknown, onError: InvocationError, src: string): void {
  try {
    handle.end();
  } catch (error) {
    report(onError, parent, error, src);
  }
}

type Definitions<TContext> = readonly CompiledInvocation<TContext>[];

/**
 * What an actor's invocations need beyond its own fields, oldest first: held receivers,
 * live invocations after the first, the ones left in this macrostep, and the states
 * entered in it after the first.
 */
class TableInvocations<TContext> {
  live: TableInvocation<TContext> | null = null;
  /** Left: they stop at the end of this macrostep, in the order they were left. */
  stopping: TableInvocation<TContext> | null = null;
  stoppingLast: TableInvocation<TContext> | null = null;
  morePending: Definitions<TContext>[] | null = null;

  link(invocation: TableInvocation<TContext>): TableInvocation<TContext> {
    if (this.live === null) this.live = invocation;
    else {
      let last = this.live;
      while (last.next !== null) last = last.next;
      last.next = invocation;
    }
    return invocation;
  }

  addStopping(invocation: TableInvocation<TContext>): void {
    invocation.next = null;
    if (this.stoppingLast === null) this.stopping = invocation;
    else this.stoppingLast.next = invocation;
    this.stoppingLast = invocation;
  }

  /** Moves the live ones of `state` (-1: all) to the stopping list, and forgets the states of it not started yet. */
  leave(state: number): void {
    if (this.morePending !== null) {
      this.morePending = state < 0 ? null : this.morePending.filter((definitions) => definitions[0]!.state !== state);
      if (this.morePending?.length === 0) this.morePending = null;
    }
    let previous: TableInvocation<TContext> | null = null;
    let invocation = this.live;
    while (invocation !== null) {
      const next: TableInvocation<TContext> | null = invocation.next;
      if (state >= 0 && invocation.definition.state !== state) {
        previous = invocation;
        invocation = next;
        continue;
      }
      if (previous === null) this.live = next;
      else previous.next = next;
      this.addStopping(invocation);
      invocation = next;
    }
  }

  stopLeft(parent: unknown, onError: InvocationError): void {
    let stopping = this.stopping;
    this.stopping = this.stoppingLast = null;
    while (stopping !== null) {
      const next: TableInvocation<TContext> | null = stopping.next;
      stopping.next = null;
      end(stopping, parent, onError);
      stopping = next;
    }
  }
}

/** The start under way (starts nest when one's code starts another actor): whose it is, and what it held. */
let startingActor: InvokingActor<never> | null = null;
let startingDefinition: CompiledInvocation<never> | null = null;
let heldFence: InvocationHandle | null = null;
let heldInvocation: TableInvocation<never> | null = null;

/**
 * An actor that runs invocations (the base of `TableActor`): it is the scope its
 * invocations' starts answer through. Stops run before starts at the end of a
 * macrostep, which is XState's order for charts without parallel states (a state
 * still active at its end cannot be left in it).
 */
export abstract class InvokingActor<TContext> implements InvocationScope {
  /** The invocations of the first state entered in this macrostep. */
  #pending: Definitions<TContext> | null = null;
  /** The oldest live invocation with a handle, while no list exists (`LEFT` in `bits`: its state was left in this macrostep). */
  #live: CompiledInvocation<TContext> | null = null;
  #handle: InvocationHandle | null = null;
  /** The rest, made on first need (a flat chart whose phases pass their fence never needs it). */
  #more: TableInvocations<TContext> | null = null;
  /** Flags in one number: the subclass's in the low four bits, `LEFT` this class's (one field less per actor than a boolean of its own). */
  protected bits = 0;

  /** Sends an event to this actor. */
  abstract send(event: { type: string }): void;

  /** `active`, `done` or `stopped`. */
  abstract get status(): 'active' | 'done' | 'stopped';

  /** During one of this actor's invocation starts: answers the actor (its mailbox keeps it until the step ends). Dropped after the start returned. */
  answer(event: { type: string }): void {
    if (startingActor === (this as unknown)) this.send(event);
  }

  /** During one of this actor's invocation starts: a receiver that stays open until the invocation stops (see `InvocationScope.hold`). */
  hold(fence?: InvocationHandle): InvocationReceiver {
    const definition = startingDefinition;
    if (startingActor !== (this as unknown) || definition === null) throw new TypeError("hold() is called during an invocation's start, before it returns");
    if (fence !== undefined) {
      heldFence = fence;
      return this;
    }
    if (heldInvocation === null) {
      const invocation = new TableInvocation<TContext>(this, definition as CompiledInvocation<TContext>);
      heldInvocation = (this.#more ??= new TableInvocations()).link(invocation) as TableInvocation<never>;
    }
    return heldInvocation;
  }

  /** Whether something waits for the end of the macrostep. */
  protected get invocationsPending(): boolean {
    const more = this.#more;
    return this.#pending !== null || (this.bits & LEFT) !== 0 || (more !== null && (more.stopping !== null || more.morePending !== null));
  }

  /** A state was entered: its invocations start at the end of the macrostep. */
  protected enterInvoking(definitions: Definitions<TContext>): void {
    if (this.#pending === null) this.#pending = definitions;
    else ((this.#more ??= new TableInvocations()).morePending ??= []).push(definitions);
  }

  /** `state` (an index) was left (-1: every state, the actor is done): its invocations stop at the end of the macrostep. */
  protected leaveInvoking(state: number): void {
    // Left before they started: they never do.
    if (this.#pending !== null && (state < 0 || this.#pending[0]!.state === state)) this.#pending = null;
    const more = this.#more;
    const live = this.#live;
    if (live !== null && (this.bits & LEFT) === 0 && (state < 0 || live.state === state)) {
      if (more === null) this.bits |= LEFT;
      else {
        // The list keeps the order they were left in (an inner state's before its parent's).
        const invocation = new TableInvocation<TContext>(this, live);
        invocation.handle = this.#handle!;
        this.#live = this.#handle = null;
        more.addStopping(invocation);
      }
    }
    more?.leave(state);
  }

  /** The end of a macrostep: stops, then starts, what it deferred. `context` is read during the starts only. */
  protected flushInvocations(context: TContext, event: { type: string }, onError: InvocationError): void {
    if ((this.bits & LEFT) !== 0) this.endLive(onError);
    const more = this.#more;
    if (more !== null) more.stopLeft(this, onError);
    // Events the starts send wait in the actor's mailbox: nothing enters or leaves a state meanwhile.
    const pending = this.#pending;
    this.#pending = null;
    const morePending = more === null ? null : more.morePending;
    if (more !== null) more.morePending = null;
    if (pending !== null) for (const definition of pending) this.startInvocation(definition, context, event, onError);
    if (morePending !== null) for (const definitions of morePending) for (const definition of definitions) this.startInvocation(definition, context, event, onError);
  }

  /** The actor stopped (its status says so): every invocation stops now, the left ones first; none starts any more. */
  protected stopInvocations(onError: InvocationError): void {
    const more = this.#more;
    this.#pending = null;
    this.#more = null;
    if ((this.bits & LEFT) !== 0) this.endLive(onError);
    if (more !== null) more.stopLeft(this, onError);
    if (this.#live !== null) this.endLive(onError);
    if (more !== null) for (let live = more.live; live !== null; live = live.next) end(live, this, onError);
  }

  /** Done: what its invocations kept goes (they stopped in its last flush). */
  protected dropInvocations(): void {
    this.#pending = this.#live = this.#handle = this.#more = null;
    this.bits &= ~LEFT;
  }

  private endLive(onError: InvocationError): void {
    const handle = this.#handle!;
    const src = this.#live!.src;
    this.#live = this.#handle = null;
    this.bits &= ~LEFT;
    endHandle(handle, this, onError, src);
  }

  private startInvocation(definition: CompiledInvocation<TContext>, context: TContext, event: { type: string }, onError: InvocationError): void {
    if (this.status === 'stopped') return;
    const outerActor = startingActor;
    const outerDefinition = startingDefinition;
    const outerFence = heldFence;
    const outerInvocation = heldInvocation;
    startingActor = this as unknown as InvokingActor<never>;
    startingDefinition = definition as CompiledInvocation<never>;
    heldFence = heldInvocation = null;
    let handle: InvocationHandle | void = undefined;
    let fence: InvocationHandle | null;
    let invocation: TableInvocation<TContext> | null;
    try {
      handle = definition.start(context, this, this, event);
    } catch (error) {
      report(onError, this, error, definition.src);
    } finally {
      fence = heldFence;
      invocation = heldInvocation as TableInvocation<TContext> | null;
      startingActor = outerActor;
      startingDefinition = outerDefinition;
      heldFence = outerFence;
      heldInvocation = outerInvocation;
    }
    // What the start did meanwhile (TypeScript keeps the status read above).
    const stopped = (this.status as string) === 'stopped';
    if (fence !== null && fence !== handle) {
      // It answers through the actor itself, trusting `fence` to drop late answers: end it now, so it does.
      endHandle(fence, this, onError, definition.src);
      report(onError, this, new TypeError(`The start of \`${definition.src}\` held a receiver with a fence it did not return as its handle`), definition.src);
    }
    if (handle === undefined) return; // nothing to end (a held receiver closes when its state is left)
    if (invocation === null && !stopped && this.#live === null && this.#more === null) {
      this.#live = definition;
      this.#handle = handle;
      return;
    }
    if (invocation === null) {
      invocation = new TableInvocation(this, definition);
      if (!stopped) (this.#more ??= new TableInvocations()).link(invocation);
    }
    invocation.handle = handle;
    // Stopped while it started (its actor was stopped): it ends at once.
    if (stopped || invocation.status === STOPPED) {
      invocation.status = STARTED;
      end(invocation, this, onError);
    }
  }
}
