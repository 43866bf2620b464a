/**
 * The assigning process's side of an action that runs wherever BullMQ hands it: an ActionRun that
 * never runs here, with a small actor that follows what the queue reports (`queued`, `running`,
 * then `done`, `failed` or `cancelled`), settled once from the decoded result.
 * @internal
 */
import type { ActionContext, ActionEvent } from '../../machines/actionTypes.js';
import { ActionRun, type ActionActor, type RunInit, type RunServices } from '../action/ActionRun.js';
import { CancellationError, ExecutionError } from '../errors.js';
import { decodeError, type EncodedResult } from '../store/codec.js';

type RemoteState = 'queued' | 'delayed' | 'running' | 'retrying' | 'done' | 'failed' | 'cancelled';

/**
 * An actor mirroring a job's state; it takes no events (control goes through the queue). Its context is
 * built when first read (a snapshot, a listener, the settlement): until then a move only notes its fields.
 */
class RemoteActor implements ActionActor {
  readonly sessionId: string;
  readonly #run: ActionRun;
  #value: RemoteState;
  #context: ActionContext | null = null;
  /** The fields moves gave before the context was built. */
  #moved: Partial<ActionContext> | null = null;
  readonly #listeners = new Set<(snapshot: never) => void>();

  constructor(run: ActionRun) {
    this.sessionId = `remote:${run.id}`;
    this.#run = run;
    this.#value = run.startDelay > 0 ? 'delayed' : 'queued';
  }

  send(_event: ActionEvent): void {
    // Events of the statechart go to the process that runs it; this mirror only follows the queue.
  }

  getSnapshot() {
    const done = this.#done();
    return { value: this.#value, status: done ? 'done' : 'active', context: this.#context ?? this.#build() };
  }

  subscribe(listener: (snapshot: never) => void): { unsubscribe(): void } {
    this.#listeners.add(listener);
    return { unsubscribe: () => this.#listeners.delete(listener) };
  }

  stop(): void {}

  /** The queue reported a change; the context is copied only when a field of it changes. */
  move(value: RemoteState, context: Partial<ActionContext> = {}): void {
    if (this.#done()) return;
    this.#value = value;
    const current = this.#context;
    if (current === null) this.#moved = this.#moved === null ? context : { ...this.#moved, ...context };
    else {
      for (const key in context) {
        if ((current as unknown as Record<string, unknown>)[key] !== (context as Record<string, unknown>)[key]) {
          this.#context = { ...current, ...context };
          break;
        }
      }
    }
    if (this.#listeners.size === 0) return;
    const snapshot = this.getSnapshot();
    for (const listener of [...this.#listeners]) listener(snapshot as never);
  }

  #done(): boolean {
    return this.#value === 'done' || this.#value === 'failed' || this.#value === 'cancelled';
  }

  #build(): ActionContext {
    const run = this.#run;
    const context = {
      id: run.id,
      name: run.name,
      content: run.content,
      metadata: run.metadata,
      priority: run.priority,
      queue: run.queue,
      site: null,
      createdAt: run.createdAt,
      startDelay: run.startDelay,
      notBefore: run.startDelay > 0 ? run.createdAt + run.startDelay : null,
      attemptTimeout: run.attemptTimeout,
      totalTimeout: run.totalTimeout,
      cancelGrace: run.cancelGrace,
      attempts: [],
      retryAt: null,
      output: undefined,
      error: null,
      cancellation: null,
      settledAt: null,
      ...this.#moved,
    } as ActionContext;
    this.#moved = null;
    this.#context = context;
    return context;
  }
}

/** A run standing for an action assigned to the queue; settle it with {@link settleRemote}. */
export function createRemoteRun(init: RunInit, services: RunServices): ActionRun {
  const run = new ActionRun(init, services, null);
  run.attach(new RemoteActor(run));
  return run;
}

/**
 * Mirrors a state the queue reported: `running` when a process claimed it, `retrying` (with `retryAt` and
 * the history so far) when it waits for its retry, `delayed` (with `notBefore`) when it waits to start,
 * `queued` when it waits for a process again (handed back, or its process died).
 */
export function moveRemote(run: ActionRun, value: 'queued' | 'delayed' | 'running' | 'retrying', context: Partial<ActionContext> = {}): void {
  (run.actor as RemoteActor).move(value, context);
}

/** Settles a remote run once, from its decoded result: the output, or the revived typed error. */
export function settleRemote(run: ActionRun, result: EncodedResult): void {
  if (run.settled) return;
  const context = {
    attempts: result.attempts,
    output: result.output,
    error: result.error,
    settledAt: result.settledAt,
    ...(result.status === 'cancelled' && { cancellation: cancellationOf(result) }),
  } as Partial<ActionContext>;
  const actor = run.actor as RemoteActor;
  if (result.status === 'done') {
    actor.move('done', context);
    run.settle({ status: 'done', output: result.output, error: null }, actor.getSnapshot().context);
    return;
  }
  const error = result.error === null ? new ExecutionError(`Action ${run.id} ${result.status} without an error`, { actionId: run.id, attempt: result.attempts.length }) : decodeError(result.error);
  actor.move(result.status, context);
  run.settle({ status: result.status, output: undefined, error: result.error }, actor.getSnapshot().context, error);
}

function cancellationOf(result: EncodedResult): ActionContext['cancellation'] {
  const error = result.error === null ? null : decodeError(result.error);
  const reason = error instanceof CancellationError ? error.reason : 'user';
  return { reason, message: error?.message ?? 'Cancelled', at: result.settledAt };
}
