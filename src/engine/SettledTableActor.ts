/**
 * What a done table actor leaves behind for those who read it later (a handle's
 * `getSnapshot`): its final state, context and output, and its place in the
 * actor tree, in a third of the TableActor's bytes. It takes no events and never
 * changes; its snapshot is the one the actor gave (or would have given).
 *
 * Why: a settled run that waited in its queue long enough sits in the old
 * generation, and a young-generation GC keeps whatever an old object points to,
 * dead or not, until the next full GC: every settled run's actor was copied
 * (twice) by the scavenges in between, the largest share of the GC time when
 * 100k actions are queued at once. The run keeps this instead.
 * @internal
 */
import type { CompiledState } from './compileMachine.js';
import { TableActorSnapshot, type TableSnapshot } from './TableSnapshot.js';

const NO_SUBSCRIPTION = Object.freeze({ unsubscribe(): void {} });

export class SettledTableActor<TContext> {
  readonly id: string;
  _parent: { readonly sessionId: string } | undefined;
  readonly #state: CompiledState<TContext>;
  readonly #context: TContext;
  readonly #output: unknown;
  #snapshot: TableActorSnapshot<TContext> | null;

  constructor(
    id: string,
    parent: { readonly sessionId: string } | undefined,
    state: CompiledState<TContext>,
    context: TContext,
    output: unknown,
    snapshot: TableActorSnapshot<TContext> | null,
  ) {
    this.id = id;
    this._parent = parent;
    this.#state = state;
    this.#context = context;
    this.#output = output;
    this.#snapshot = snapshot;
  }

  /** Its id in the actor tree, as the actor's. */
  get sessionId(): string {
    return `echo:${this.id}`;
  }

  get context(): TContext {
    return this.#context;
  }

  peekContext(): TContext {
    return this.#context;
  }

  get output(): unknown {
    return this.#output;
  }

  get status(): 'done' {
    return 'done';
  }

  /** A done actor takes no events. */
  send(): void {}

  /** A done actor stops no further. */
  stop(): void {}

  getSnapshot(): TableSnapshot<TContext> {
    return (this.#snapshot ??= new TableActorSnapshot(this.#state.value, 'done', this.#context, this.#output));
  }

  /** A done actor has no next snapshot: the listener is never called (as a done TableActor's). */
  subscribe(): { unsubscribe(): void } {
    return NO_SUBSCRIPTION;
  }
}
