/**
 * The invocations of one table actor (see `compileMachine.ts`, `CompiledInvocation`),
 * run without an actor each, in XState's order: a state's invocations start after
 * the macrostep that entered it (after every entry action), and stop after the
 * macrostep that left it (after its exit actions and the transition's actions); one
 * left in the same macrostep never starts. A stopped invocation's events are dropped.
 * @internal
 */
import type { InvocationHandle, InvocationReceiver } from '../../machines/positional.js';
import type { CompiledInvocation } from './compileMachine.js';

/** One invocation: the receiver its start answers through. */
class TableInvocation<TContext> implements InvocationReceiver {
  started = false;
  stopped = false;
  handle: InvocationHandle | void = undefined;
  /** The next live invocation of the same actor. */
  next: TableInvocation<TContext> | null = null;

  constructor(
    readonly actor: { send(event: { type: string }): void },
    readonly state: number,
    readonly definition: CompiledInvocation<TContext>,
  ) {}

  send(event: { type: string }): void {
    if (!this.stopped) this.actor.send(event);
  }
}

/** Called when an invocation's start or end throws (the runtime makes it a value, as a throwing effect); without one it is thrown. */
export type InvocationError = ((actor: never, error: unknown, src: string) => void) | undefined;

function report(onError: InvocationError, actor: unknown, error: unknown, src: string): void {
  if (onError === undefined) throw error;
  onError(actor as never, error, src);
}

export class TableInvocations<TContext> {
  readonly #actor: { send(event: { type: string }): void };
  /** The live ones (started, or to start at the end of this macrostep), newest first. */
  #live: TableInvocation<TContext>[] = [];
  /** To start or to stop at the end of this macrostep, in the order XState defers them. */
  #deferred: TableInvocation<TContext>[] = [];

  constructor(actor: { send(event: { type: string }): void }) {
    this.#actor = actor;
  }

  /** Whether something waits for the end of the macrostep. */
  get pending(): boolean {
    return this.#deferred.length > 0;
  }

  /** `state` (an index) was entered: its invocations start at the end of the macrostep. */
  enter(state: number, definitions: readonly CompiledInvocation<TContext>[]): void {
    for (const definition of definitions) {
      const invocation = new TableInvocation(this.#actor, state, definition);
      this.#live.push(invocation);
      this.#deferred.push(invocation);
    }
  }

  /** `state` was left (-1: every state, the actor is done): its invocations stop at the end of the macrostep. */
  leave(state: number): void {
    const live = this.#live;
    for (let i = live.length - 1; i >= 0; i--) {
      const invocation = live[i]!;
      if (state >= 0 && invocation.state !== state) continue;
      live.splice(i, 1);
      if (invocation.started) this.#deferred.push(invocation);
      else invocation.stopped = true; // left before it started: it never does
    }
  }

  /** The end of a macrostep: starts and stops what it deferred, in order. `context` is read during the starts only. */
  flush(context: TContext, parent: unknown, onError: InvocationError): void {
    const deferred = this.#deferred;
    // Nothing is deferred while this runs (events its starts send wait in the actor's mailbox).
    for (let i = 0; i < deferred.length; i++) {
      const invocation = deferred[i]!;
      if (invocation.stopped) continue;
      if (invocation.started) {
        this.#end(invocation, parent, onError);
        continue;
      }
      invocation.started = true;
      try {
        invocation.handle = invocation.definition.start(context, parent, invocation);
      } catch (error) {
        report(onError, parent, error, invocation.definition.src);
      }
      // Stopped while it started (its actor was stopped): it ends at once.
      if (invocation.stopped && invocation.handle !== undefined) {
        invocation.stopped = false;
        this.#end(invocation, parent, onError);
      }
    }
    deferred.length = 0;
  }

  /** The actor stopped: every invocation stops now; none starts any more. */
  stopAll(parent: unknown, onError: InvocationError): void {
    const all = [...this.#live, ...this.#deferred];
    this.#live = [];
    this.#deferred = [];
    for (const invocation of all) {
      if (invocation.started) this.#end(invocation, parent, onError);
      else invocation.stopped = true;
    }
  }

  #end(invocation: TableInvocation<TContext>, parent: unknown, onError: InvocationError): void {
    if (invocation.stopped) return;
    invocation.stopped = true;
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
