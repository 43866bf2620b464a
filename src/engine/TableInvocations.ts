/**
 * The invocations of one table actor (see `compileMachine.ts`, `CompiledInvocation`),
 * run without an actor each, in XState's order: a state's invocations start after
 * the macrostep that entered it (after every entry action), and stop after the
 * macrostep that left it (after its exit actions and the transition's actions); one
 * left in the same macrostep never starts. A stopped invocation's events are dropped.
 * One that answers only during its start (it neither holds a receiver nor returns a
 * handle) is kept by nothing: stopping it would do nothing.
 * @internal
 */
import type { InvocationHandle, InvocationReceiver, InvocationScope } from '../../machines/positional.js';
import type { CompiledInvocation } from './compileMachine.js';

const STARTED = 1;
const STOPPED = 2;

/** A held receiver (or a started invocation with a handle): what stops when its state is left. */
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

type Definitions<TContext> = readonly CompiledInvocation<TContext>[];

/**
 * One actor's invocations, and the scope its starts answer through (one object per
 * actor, reused by every start). Stops run before starts at the end of a macrostep,
 * which is XState's order for charts without parallel states (a state still active at
 * its end cannot be left in it).
 */
export class TableInvocations<TContext> implements InvocationScope {
  readonly #actor: { send(event: { type: string }): void };
  /** Held or handled ones, oldest first. */
  #live: TableInvocation<TContext> | null = null;
  /** Left: they stop at the end of this macrostep, in the order they were left. */
  #stopping: TableInvocation<TContext> | null = null;
  #stoppingLast: TableInvocation<TContext> | null = null;
  /** The invocations of the state entered in this macrostep (more: `#morePending`). */
  #pending: Definitions<TContext> | null = null;
  #morePending: Definitions<TContext>[] | null = null;
  /** The one starting now (its `hold()` links it), and what it held. */
  #starting: CompiledInvocation<TContext> | null = null;
  #held: TableInvocation<TContext> | null = null;
  #stopped = false;

  constructor(actor: { send(event: { type: string }): void }) {
    this.#actor = actor;
  }

  /** Whether something waits for the end of the macrostep. */
  get pending(): boolean {
    return this.#pending !== null || this.#stopping !== null || this.#morePending !== null;
  }

  /** A state was entered: its invocations start at the end of the macrostep. */
  enter(definitions: Definitions<TContext>): void {
    if (this.#pending === null) this.#pending = definitions;
    else (this.#morePending ??= []).push(definitions);
  }

  /** `state` (an index) was left (-1: every state, the actor is done): its invocations stop at the end of the macrostep. */
  leave(state: number): void {
    // Left before they started: they never do.
    if (this.#pending !== null && (state < 0 || this.#pending[0]!.state === state)) this.#pending = null;
    if (this.#morePending !== null) {
      this.#morePending = state < 0 ? null : this.#morePending.filter((definitions) => definitions[0]!.state !== state);
      if (this.#morePending?.length === 0) this.#morePending = null;
    }
    let previous: TableInvocation<TContext> | null = null;
    let invocation = this.#live;
    while (invocation !== null) {
      const next: TableInvocation<TContext> | null = invocation.next;
      if (state >= 0 && invocation.definition.state !== state) {
        previous = invocation;
        invocation = next;
        continue;
      }
      if (previous === null) this.#live = next;
      else previous.next = next;
      invocation.next = null;
      if (this.#stoppingLast === null) this.#stopping = invocation;
      else this.#stoppingLast.next = invocation;
      this.#stoppingLast = invocation;
      invocation = next;
    }
  }

  /** The end of a macrostep: stops, then starts, what it deferred. `context` is read during the starts only. */
  flush(context: TContext, event: { type: string }, parent: unknown, onError: InvocationError): void {
    let stopping = this.#stopping;
    this.#stopping = this.#stoppingLast = null;
    while (stopping !== null) {
      const next: TableInvocation<TContext> | null = stopping.next;
      stopping.next = null;
      this.#end(stopping, parent, onError);
      stopping = next;
    }
    // Events the starts send wait in the actor's mailbox: nothing enters or leaves a state meanwhile.
    const pending = this.#pending;
    const more = this.#morePending;
    this.#pending = null;
    this.#morePending = null;
    if (pending !== null) for (const definition of pending) this.#start(definition, context, event, parent, onError);
    if (more !== null) for (const definitions of more) for (const definition of definitions) this.#start(definition, context, event, parent, onError);
  }

  /** During a start: answers the actor (its mailbox keeps it until the step ends). */
  send(event: { type: string }): void {
    if (this.#starting !== null) this.#actor.send(event);
    // After its start returned, an invocation answers only through what it held: this answer is dropped.
  }

  /** During a start: a receiver that stays open until the invocation stops. */
  hold(): InvocationReceiver {
    const definition = this.#starting;
    if (definition === null) throw new TypeError('hold() is called during an invocation\'s start, before it returns');
    return (this.#held ??= this.#link(new TableInvocation(this.#actor, definition)));
  }

  #link(invocation: TableInvocation<TContext>): TableInvocation<TContext> {
    if (this.#live === null) this.#live = invocation;
    else {
      let last = this.#live;
      while (last.next !== null) last = last.next;
      last.next = invocation;
    }
    return invocation;
  }

  #start(definition: CompiledInvocation<TContext>, context: TContext, event: { type: string }, parent: unknown, onError: InvocationError): void {
    if (this.#stopped) return;
    this.#starting = definition;
    this.#held = null;
    let handle: InvocationHandle | void = undefined;
    try {
      handle = definition.start(context, parent, this, event);
    } catch (error) {
      report(onError, parent, error, definition.src);
    } finally {
      this.#starting = null;
    }
    // What the start did to this object meanwhile (TypeScript keeps the values set above).
    let invocation = this.#held as TableInvocation<TContext> | null;
    const stopped = this.#stopped as boolean;
    this.#held = null;
    if (handle === undefined) return; // nothing to end (a held receiver closes when its state is left)
    if (invocation === null) invocation = stopped ? new TableInvocation(this.#actor, definition) : this.#link(new TableInvocation(this.#actor, definition));
    invocation.handle = handle;
    // Stopped while it started (its actor was stopped): it ends at once.
    if (stopped || invocation.status === STOPPED) {
      invocation.status = STARTED;
      this.#end(invocation, parent, onError);
    }
  }

  /** The actor stopped: every invocation stops now; none starts any more. */
  stopAll(parent: unknown, onError: InvocationError): void {
    this.#stopped = true;
    let stopping = this.#stopping;
    let live = this.#live;
    this.#live = this.#stopping = this.#stoppingLast = null;
    this.#pending = this.#morePending = null;
    for (; stopping !== null; stopping = stopping.next) this.#end(stopping, parent, onError);
    for (; live !== null; live = live.next) this.#end(live, parent, onError);
  }

  #end(invocation: TableInvocation<TContext>, parent: unknown, onError: InvocationError): void {
    if (invocation.status === STOPPED) return;
    invocation.status = STOPPED;
    const handle = invocation.handle;
    invocation.handle = undefined;
    if (handle === undefined) return;
    try {
      handle.end();
    } catch (error) {
      report(onError, parent, error, invocation.definition.src);
    }
  }
}
