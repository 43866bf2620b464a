/**
 * The runtime side of one assigned action: its value, resolved definition, the
 * actor running its statechart, the AbortController of whatever runs now, and
 * how its result settles. Effects (`actionEffects.ts`) act on it.
 * @internal
 */
import type { ActionContext, ActionEvent, ActionOutput, ActionSpec, Priority } from '../../machines/actionTypes.js';
import { CancellationError, reviveError } from '../errors.js';
import type { NamedHook } from './hooks.js';
import type { Clock } from '../clock.js';
import type { License } from '../License.js';
import type { RunningAttempt } from './RunningAttempt.js';
import type { Life } from '../Life.js';
import type { ActionDefinition, RunContext } from '../Plan.js';
import type { RetryPolicy } from '../retryPolicy.js';
import { activityOf, type ActionActivity, type ActivityServices } from './ActionActivity.js';

/** The actor interface both engines give (table engine and XState's createActor). */
export interface ActionActor {
  readonly sessionId: string;
  _parent?: { readonly sessionId: string } | undefined;
  send(event: ActionEvent): void;
  getSnapshot(): { readonly value: unknown; readonly status: string; readonly context: ActionContext; readonly output?: unknown };
  subscribe(listener: (snapshot: never) => void): { unsubscribe(): void };
  stop(): void;
}

/** A follow-up action (the seed's `NextAction`), assigned after success with the output. */
export interface FollowUp {
  readonly name: string;
  /** The follow-up's content. @default the parent's output (see `contentFrom`) */
  readonly content?: unknown;
  /** Makes the follow-up's content from the parent's output. */
  readonly contentFrom?: (output: unknown) => unknown;
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly priority?: Priority;
}

/** What an ActionRun needs from its Sequence. */
export interface RunServices {
  readonly clock: Clock;
  readonly random: () => number;
  readonly life: Life;
  enqueue(run: ActionRun): void;
  releaseSite(run: ActionRun): void;
  emit(event: import('../events.js').EchoEvent): void;
  /** True while someone listens to events (build event objects only then). */
  readonly listening: boolean;
  /** An attempt failed (a RateLimitError pauses its name or queue; telemetry records it). */
  attemptFailed(run: ActionRun, attempt: number, error: Error, retryDelay: number | null): void;
  /** Traces attempts and hooks; null when tracing is off. */
  readonly tracer: import('../telemetry/RunTracer.js').RunTracer | null;
  /** Bounds of `ctx.progress`/`ctx.log`, and who to tell when they change. */
  readonly activity: ActivityServices;
}

/**
 * Where an action came from, apart from the user's metadata: `recordOf` is the id
 * of the ActionRecord it was assigned from, `againOf` the id of the action that
 * `sequence.again()` re-ran.
 */
export interface Provenance {
  readonly recordOf?: string;
  readonly againOf?: string;
  /** The dead letter that `sequence.redrive()` assigned again. */
  readonly redriveOf?: string;
}

/** A piece of user code running for an action (named in shutdown's report when abandoned). */
export interface WorkPiece {
  readonly piece: 'site-behaviour' | 'before-hook' | 'function' | 'after-hook';
  /** The Site's id, the hook's name, or `attempt <n>` for the function. */
  readonly name: string;
}

/** What an assignment resolves to before the run exists. */
export interface RunInit extends ActionSpec {
  readonly license: License | null;
  readonly definition: ActionDefinition;
  readonly policy: RetryPolicy;
  readonly before: readonly NamedHook[];
  readonly after: readonly NamedHook[];
  readonly followUps: readonly FollowUp[];
  readonly idempotencyKey: string | undefined;
  readonly provenance: Provenance | null;
  readonly createdAt: number;
  readonly startDelay: number;
  readonly attemptTimeout: number | null;
  readonly totalTimeout: number | null;
  readonly cancelGrace: number;
  /** Attempts made before, when a durable Sequence restores the action. */
  readonly history?: readonly import('../../machines/actionTypes.js').AttemptRecord[];
  /** The user's actor that invoked or spawned the action (`sequence.actor(name)`): its parent in the actor tree. */
  readonly host?: { readonly sessionId: string } | null;
}

const ACCEPTED: Promise<void> = Promise.resolve();

/** Settled result, kept until someone asks for `result`. */
type Settlement = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: Error };

export class ActionRun {
  readonly id: string;
  readonly name: string;
  readonly content: unknown;
  metadata: Readonly<Record<string, unknown>>;
  readonly priority: Priority;
  queue: string;
  readonly license: License | null;
  readonly definition: ActionDefinition;
  readonly policy: RetryPolicy;
  readonly before: readonly NamedHook[];
  readonly after: readonly NamedHook[];
  readonly services: RunServices;
  readonly followUps: readonly FollowUp[];
  readonly parent: ActionRun | null;
  readonly idempotencyKey: string | undefined;
  readonly provenance: Provenance | null;
  children: Set<ActionRun> | null = null;
  readonly createdAt: number;
  readonly startDelay: number;
  readonly attemptTimeout: number | null;
  readonly totalTimeout: number | null;
  readonly cancelGrace: number;
  readonly history: RunInit['history'];
  /** The user's actor that invoked it (see `RunInit.host`), null for an action assigned directly. */
  readonly host: { readonly sessionId: string } | null;
  /** Resolves once the assignment is committed to the Sequence's store (at once without a durable store). */
  accepted: Promise<void> = ACCEPTED;
  /** Put in its Production at assignment, before its actor exists: the actor's `enqueue` skips once. */
  preQueued = false;
  /** Neighbours in its Sequence's list of live runs (see `LiveRuns`). */
  livePrev: ActionRun | null = null;
  liveNext: ActionRun | null = null;
  /** Its ticket in the Production that holds it (0 = in none); see `TicketSlot`. */
  productionTicket = 0;
  /** Flow-control marks (see `src/flow/FlowControl.ts`; 0 = none). */
  flowMark = 0;
  /** Its spans while traced (see `src/telemetry/Telemetry.ts`). */
  traced: unknown = null;
  #actor: ActionActor | null = null;
  #materialize: ((run: ActionRun) => ActionActor) | null = null;
  /** The Site running it now (between START and release/settle). */
  site: { readonly id: string } | null = null;
  /** Its latest call of the function (null before the first): a slot or a retry waits for it to stop. */
  attempt: RunningAttempt | null = null;
  /** The user code running for it now (null when none): set when a piece starts, cleared when it settles. */
  working: WorkPiece | null = null;
  /** How many times a Site behaviour crashed on it. */
  crashes = 0;
  /** A Site took it and its hooks phase began (so its after-hooks owe it a run). */
  hooksBegan = false;
  /** Its after-hooks ran (inside the statechart or after an abrupt end). */
  afterHooksRan = false;
  /** The live error of the last failure (attempt or hook), with its real cause chain. */
  lastError: Error | null = null;
  /** The error of an abrupt end (license revoked, total timeout). */
  terminalError: Error | null = null;
  cancelError: CancellationError | null = null;
  licenseRelease: (() => void) | null = null;
  /** What its function reported with `ctx.progress`/`ctx.log` (null until it does). */
  activity: ActionActivity | null = null;

  #phase = 0;
  #controller: AbortController | null = null;
  #abortReason: unknown = undefined;
  /** The last phase that was aborted, and why: a function that reads its signal late still learns the real reason. */
  #aborted: { readonly phase: number; readonly reason: unknown } | null = null;
  #settlement: Settlement | null = null;
  #waiters: { resolve(value: unknown): void; reject(error: Error): void } | null = null;
  #result: Promise<unknown> | null = null;
  #onSettled: (() => void)[] | null = null;

  constructor(init: RunInit, services: RunServices, parent: ActionRun | null) {
    this.id = init.id;
    this.name = init.name;
    this.content = init.content;
    this.metadata = init.metadata;
    this.priority = init.priority;
    this.queue = init.queue;
    this.license = init.license;
    this.definition = init.definition;
    this.policy = init.policy;
    this.before = init.before;
    this.after = init.after;
    this.services = services;
    this.followUps = init.followUps;
    this.parent = parent;
    this.idempotencyKey = init.idempotencyKey;
    this.provenance = init.provenance;
    this.createdAt = init.createdAt;
    this.startDelay = init.startDelay;
    this.attemptTimeout = init.attemptTimeout;
    this.totalTimeout = init.totalTimeout;
    this.cancelGrace = init.cancelGrace;
    this.history = init.history;
    this.host = init.host ?? null;
  }

  /**
   * The actor running this action's statechart. A plain queued action gets its
   * actor only when first needed (a Site takes it, someone looks or cancels):
   * queued actions stay small records.
   */
  get actor(): ActionActor {
    if (this.#actor === null) {
      const materialize = this.#materialize;
      if (materialize === null) throw new Error(`Action ${this.id} has no actor`);
      this.#materialize = null;
      this.#actor = materialize(this);
    }
    return this.#actor;
  }

  set actor(actor: ActionActor) {
    this.#actor = actor;
  }

  /** True once the actor exists. */
  get hasActor(): boolean {
    return this.#actor !== null;
  }

  /** Defers creating the actor until it is first needed. */
  deferActor(materialize: (run: ActionRun) => ActionActor): void {
    this.#materialize = materialize;
  }

  get settled(): boolean {
    return this.#settlement !== null;
  }

  /** Starts a new phase (hooks or an attempt): earlier phases' late answers are ignored from now on. */
  beginPhase(): number {
    this.#controller = null;
    this.#abortReason = undefined;
    return ++this.#phase;
  }

  /** True while `token` is the current phase. */
  isPhase(token: number): boolean {
    return token === this.#phase;
  }

  /** Abandons the current phase: its late answer will be ignored. */
  endPhase(): void {
    this.#phase++;
  }

  /** The current phase's signal, made on first use (a function that never reads it costs no AbortController). */
  signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#abortReason !== undefined) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  /** Aborts whatever runs now with `reason`. */
  abort(reason: unknown): void {
    if (this.attempt !== null && !this.attempt.stopped) this.attempt.abortedAt ??= this.services.clock.now();
    if (this.#abortReason !== undefined) return;
    this.#abortReason = reason;
    this.#aborted = { phase: this.#phase, reason };
    this.#controller?.abort(reason);
  }

  /** Why phase `token` was aborted, or undefined when it was not (or is too old to tell). */
  abortReasonOf(token: number): unknown {
    return this.#aborted?.phase === token ? this.#aborted.reason : undefined;
  }

  /** The promise of the action's output; rejects with its typed error. Made on first use, so an unobserved failure is no unhandled rejection. */
  result(): Promise<unknown> {
    if (this.#result !== null) return this.#result;
    const settlement = this.#settlement;
    if (settlement !== null) {
      this.#result = settlement.ok ? Promise.resolve(settlement.value) : Promise.reject(settlement.error);
    } else {
      this.#result = new Promise((resolve, reject) => {
        this.#waiters = { resolve, reject };
      });
    }
    return this.#result;
  }

  /** Calls `listener` once settled (at once when already). */
  onSettled(listener: () => void): void {
    if (this.#settlement !== null) listener();
    else (this.#onSettled ??= []).push(listener);
  }

  /** Settles from the machine's final output. Returns the settlement. */
  settle(output: ActionOutput, context: ActionContext): Settlement {
    if (this.#settlement !== null) return this.#settlement;
    this.endPhase();
    if (output.status === 'done') {
      this.#settlement = { ok: true, value: output.output };
    } else if (output.status === 'cancelled') {
      const cancellation = context.cancellation;
      this.#settlement = {
        ok: false,
        error:
          this.cancelError ??
          new CancellationError(cancellation?.message ?? `Action "${this.name}" was cancelled`, {
            reason: cancellation?.reason ?? 'user',
            actionId: this.id,
          }),
      };
    } else {
      const error = this.terminalError ?? this.lastError ?? (output.error === null ? new Error('failed') : reviveError(output.error));
      this.#settlement = { ok: false, error };
    }
    this.licenseRelease?.();
    this.licenseRelease = null;
    const waiters = this.#waiters;
    this.#waiters = null;
    if (waiters !== null) {
      if (this.#settlement.ok) waiters.resolve(this.#settlement.value);
      else waiters.reject(this.#settlement.error);
    }
    const listeners = this.#onSettled;
    this.#onSettled = null;
    if (listeners !== null) for (const listener of listeners) listener();
    return this.#settlement;
  }
}

/** The context an attempt's function receives. */
export class AttemptContext implements RunContext {
  readonly #run: ActionRun;
  readonly #phase: number;
  readonly attempt: number;

  constructor(run: ActionRun, attempt: number, phase: number) {
    this.#run = run;
    this.#phase = phase;
    this.attempt = attempt;
  }

  get signal(): AbortSignal {
    if (this.#run.isPhase(this.#phase)) return this.#run.signal();
    // This attempt is over (timed out, cancelled, or settled) before the function asked:
    // the signal is aborted, with the reason the attempt was stopped for when there was one.
    const reason =
      this.#run.abortReasonOf(this.#phase) ??
      new CancellationError(`Attempt ${this.attempt} of "${this.#run.name}" is over`, { reason: 'timeout', actionId: this.#run.id });
    return AbortSignal.abort(reason);
  }

  get metadata(): Readonly<Record<string, unknown>> {
    return this.#run.metadata;
  }

  get action(): string {
    return this.#run.id;
  }

  get name(): string {
    return this.#run.name;
  }

  get life(): Life {
    return this.#run.services.life;
  }

  progress(value: unknown): void {
    activityOf(this.#run).progress(value, this.attempt);
  }

  log(message: string, data?: unknown): void {
    activityOf(this.#run).log(message, data, this.attempt);
  }
}
