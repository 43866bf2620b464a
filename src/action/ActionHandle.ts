/**
 * What `sequence.assign(...)` returns: the action's id, its result, and control.
 */
import type { StateValueFrom } from 'xstate';
import type { actionMachine } from '../../machines/action.machine.js';
import type { ActionContext } from '../../machines/actionTypes.js';
import type { ActivityContext } from './ActionActivity.js';
import type { ActionRun, Provenance } from './ActionRun.js';
import { messageOf, type CancellationReason } from '../errors.js';

/** The states of the Action statechart (`machines/action.machine.ts`). */
export type ActionStateValue = StateValueFrom<typeof actionMachine>;

/** A snapshot of an Action's statechart. */
export interface ActionSnapshot {
  /** `scheduled`, `delayed`, `queued`, `hooks`, `running`, `retrying`, `afterHooks`, `cancelling`, `done`, `failed` or `cancelled`. */
  readonly value: ActionStateValue;
  readonly status: 'active' | 'done' | 'stopped';
  /** The statechart's context, with what the function reported (`progress`, `logs`, `logsDropped`) when it did. */
  readonly context: ActionContext & ActivityContext;
}

/** Control over one assigned action. */
export interface HandleControl {
  cancel(run: ActionRun, reason: CancellationReason, message: string): void;
  retryNow(run: ActionRun): void;
  /** Reports an error that belongs to no action's outcome (a listener that threw) to the Sequence's `onError`. */
  report(error: unknown): void;
}

const RUN = Symbol('echo.run');

/** Runs someone subscribed to through a handle: their listeners (user code) run within the run's steps. */
const subscribed = new WeakSet<ActionRun>();
/** Whether any handle was ever subscribed to (until then no run has subscribers: no lookup per settled action). */
let anySubscribed = false;

/** @internal Whether a listener was ever subscribed to `run` through a handle. */
export function hasSubscribers(run: ActionRun): boolean {
  return anySubscribed && subscribed.has(run);
}

/** @internal The run behind a handle. */
export function runOfHandle(handle: ActionHandle<unknown>): ActionRun | undefined {
  return handle[RUN];
}

/**
 * The handle of one assigned action: its id, its typed `result`, its state and controls.
 * `Events` are the events its machine takes (the Sequence's `actionMachine`), what `send` accepts.
 */
export class ActionHandle<Result = unknown, Events extends { readonly type: string } = { readonly type: string }> {
  readonly #run: ActionRun;
  readonly #control: HandleControl;

  /** @internal */
  constructor(run: ActionRun, control: HandleControl) {
    this.#run = run;
    this.#control = control;
  }

  /** @internal */
  get [RUN](): ActionRun {
    return this.#run;
  }

  get id(): string {
    return this.#run.id;
  }

  get name(): string {
    return this.#run.name;
  }

  /** The output, or a rejection with the typed error (ExecutionError, TimeoutError, CancellationError, LicenseError, HookError). */
  /**
   * Resolves when the assignment is committed to the Sequence's store: the acknowledgement a
   * durable Sequence's crash guarantee is about. Without a durable store it resolves at once.
   */
  get accepted(): Promise<void> {
    return this.#run.accepted;
  }

  get result(): Promise<Result> {
    return this.#run.result() as Promise<Result>;
  }

  /**
   * Where the action came from: `{ recordOf }` when assigned from an ActionRecord,
   * `{ againOf }` when made by `sequence.again()`, null otherwise. Never part of the
   * metadata, which stays exactly what the user gave.
   */
  get provenance(): Provenance | null {
    return this.#run.provenance;
  }

  /** True once the action reached `done`, `failed` or `cancelled`. */
  get settled(): boolean {
    return this.#run.settled;
  }

  /**
   * Cancels the action: a queued or waiting one settles at once; a running one
   * has its signal aborted and settles when its function stops (or is abandoned
   * after the cancel grace). Its follow-ups are cancelled with reason `parent`.
   */
  cancel(reason: CancellationReason = 'user', message?: string): void {
    this.#control.cancel(this.#run, reason, message ?? `Action "${this.#run.name}" was cancelled (${reason})`);
  }

  /**
   * Sends an event of the action's own machine (a user machine's `APPROVE`, say) to its
   * actor, typed by that machine; ignored once the action settled, like any event to a finished actor.
   */
  send(event: Events): void {
    if (this.#run.settled) return;
    this.#run.actor.send(event as never);
  }

  /** Skips the rest of a retry backoff or start delay. */
  retryNow(): void {
    this.#control.retryNow(this.#run);
  }

  /** The action's current state, status and context. */
  getSnapshot(): ActionSnapshot {
    const snapshot = this.#run.actor.getSnapshot();
    const activity = this.#run.activity;
    const context = activity === null ? snapshot.context : { ...snapshot.context, ...activity.view };
    return { value: String(snapshot.value) as ActionStateValue, status: snapshot.status as ActionSnapshot['status'], context };
  }

  /**
   * Calls `listener` with each new snapshot; returns the unsubscribe function.
   * A listener that throws is reported to the Sequence's `onError`; the action and
   * the other listeners go on as if it had not.
   */
  subscribe(listener: (snapshot: ActionSnapshot) => void): () => void {
    const run = this.#run;
    const control = this.#control;
    subscribed.add(run);
    anySubscribed = true;
    const subscription = run.actor.subscribe(((snapshot: ActionSnapshot) => {
      try {
        listener({ value: String(snapshot.value) as ActionStateValue, status: snapshot.status, context: snapshot.context });
      } catch (thrown) {
        control.report(new Error(`A listener of action ${run.id} ("${run.name}") threw: ${messageOf(thrown)}`, { cause: thrown }));
      }
    }) as never);
    return () => subscription.unsubscribe();
  }
}
