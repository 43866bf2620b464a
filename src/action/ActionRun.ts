/**
 * The runtime side of one assigned action: its value, resolved definition, the
 * actor running its statechart, the AbortController of whatever runs now, and
 * how its result settles. Effects (`actionEffects.ts`) act on it.
 *
 * The action's state is its statechart's snapshot; what the runtime keeps beside
 * it (the Site holding it, the live errors behind the chart's error records, ...)
 * is private here, changed only through the methods below, and read through
 * getters. The outcome is the chart's: `settle` takes the final output and maps
 * the error record the chart chose back to its live error (see `recordError` and
 * `runOutcome.ts`). Its phases (tokens and abort signal) are `PhaseSignal`'s.
 * The public slots `livePrev`/`liveNext`, `productionTicket`, `flowMark` and
 * `traced` are each written by one module only (named beside each).
 * @internal
 */
import type { ActionContext, ActionOutput, ErrorRecord, Priority } from '../../machines/actionTypes.js';
import { serializeError } from '../errors.js';
import type { NamedHook } from './hooks.js';
import type { License } from '../License.js';
import type { RunningAttempt } from './RunningAttempt.js';
import type { ActionDefinition } from '../Plan.js';
import type { RetryPolicy } from '../retryPolicy.js';
import { ActionActivity } from './ActionActivity.js';
import { PhaseSignal } from './PhaseSignal.js';
import { outcomeOf, type Settlement } from './runOutcome.js';
import type { ActionActor, FollowUp, Provenance, RunInit, RunServices, WorkPiece } from './runTypes.js';

export type { ActionActor, FollowUp, Provenance, RunInit, RunServices, WorkPiece } from './runTypes.js';

const ACCEPTED: Promise<void> = Promise.resolve();

export type { Settlement } from './runOutcome.js';

export class ActionRun extends PhaseSignal {
  readonly id: string;
  readonly name: string;
  readonly content: unknown;
  readonly priority: Priority;
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
  readonly createdAt: number;
  readonly startDelay: number;
  readonly attemptTimeout: number | null;
  readonly totalTimeout: number | null;
  readonly cancelGrace: number;
  readonly history: RunInit['history'];
  /** The user's actor that invoked it (see `RunInit.host`), null for an action assigned directly. */
  readonly host: { readonly sessionId: string } | null;
  /** Slot of `LiveRuns` (only it writes them): neighbours in its Sequence's list of live runs. */
  livePrev: ActionRun | null = null;
  liveNext: ActionRun | null = null;
  /** Slot of `Queues`/`Production` (only they write it): its ticket in the Production that holds it (0 = in none); see `TicketSlot`. */
  productionTicket = 0;
  /** Slot of `FlowControl` (only it writes it): flow-control marks (0 = none). */
  flowMark = 0;
  /** Slot of `Telemetry` (only it writes it): its spans while traced. */
  traced: unknown = null;
  /** What its function reported with `ctx.progress`/`ctx.log` (null until it does; made by `activityOf`). */
  activity: ActionActivity | null = null;

  #metadata: Readonly<Record<string, unknown>>;
  #queue: string;
  #children: Set<ActionRun> | null = null;
  #accepted: Promise<void> = ACCEPTED;
  /** Put in its Production at assignment, before its actor exists: the actor's `enqueue` skips once. */
  #preQueued = false;
  #actor: ActionActor | null = null;
  #materialize: ((run: ActionRun) => ActionActor) | null = null;
  #site: { readonly id: string } | null = null;
  #attempt: RunningAttempt | null = null;
  #working: WorkPiece | null = null;
  #crashes = 0;
  /** A Site took it and its hooks phase began (so its after-hooks owe it a run). */
  #hooksBegan = false;
  /** Its after-hooks ran (in `afterHooks`, or as owed ones on the way to a final state). */
  #afterHooksRan = false;
  /**
   * The live errors behind the error records the chart holds (an error record, or
   * its `cancellation`), so the outcome keeps its real class and cause chain. Made
   * on the first failure: a run that succeeds never makes it.
   */
  #liveErrors: Map<object, Error> | null = null;
  /** What the next cancellation's error names as its cause (an aborted signal's reason). */
  #cancelCause: { readonly cause: unknown } | null = null;
  #licenseRelease: (() => void) | null = null;
  #lastError: Error | null = null;

  #settlement: Settlement | null = null;
  #waiters: { resolve(value: unknown): void; reject(error: Error): void } | null = null;
  #result: Promise<unknown> | null = null;
  #onSettled: (() => void)[] | null = null;

  constructor(init: RunInit, services: RunServices, parent: ActionRun | null) {
    super();
    this.id = init.id;
    this.name = init.name;
    this.content = init.content;
    this.#metadata = init.metadata;
    this.priority = init.priority;
    this.#queue = init.queue;
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
    if (init.activity != null) this.activity = new ActionActivity(this, init.activity);
  }

  // ── what it is now (read-only views) ───────────────────────────────────────
  get metadata(): Readonly<Record<string, unknown>> {
    return this.#metadata;
  }

  /** The named Production it is routed to. */
  get queue(): string {
    return this.#queue;
  }

  /** Its live follow-ups (null before the first). */
  get children(): ReadonlySet<ActionRun> | null {
    return this.#children;
  }

  /** Resolves once the assignment is committed to the Sequence's store (at once without a durable store). */
  get accepted(): Promise<void> {
    return this.#accepted;
  }

  /** The Site running it now (between START and release/settle). */
  get site(): { readonly id: string } | null {
    return this.#site;
  }

  /** Its latest call of the function (null before the first): a slot or a retry waits for it to stop. */
  get attempt(): RunningAttempt | null {
    return this.#attempt;
  }

  /** The user code running for it now (null when none). */
  get working(): WorkPiece | null {
    return this.#working;
  }

  /** How many times a Site behaviour crashed on it. */
  get crashes(): number {
    return this.#crashes;
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

  /** True once the actor exists. */
  get hasActor(): boolean {
    return this.#actor !== null;
  }

  get settled(): boolean {
    return this.#settlement !== null;
  }

  // ── changes, each by the module that owns the fact ─────────────────────────
  /** The engine made its actor (or a store or a remote production stands one in). */
  attach(actor: ActionActor): void {
    this.#actor = actor;
  }

  /** Defers creating the actor until it is first needed. */
  deferActor(materialize: (run: ActionRun) => ActionActor): void {
    this.#materialize = materialize;
  }

  /** Its assignment is committed when `commit` resolves (a durable store, an external production). */
  acceptedWhen(commit: Promise<void>): void {
    this.#accepted = commit;
  }

  /** It is put in its Production before its actor exists: the actor's first `enqueue` skips. */
  queueBeforeActor(): void {
    this.#preQueued = true;
  }

  /** Whether it was queued before its actor existed (once: the next enqueue is a real one). */
  takePreQueued(): boolean {
    const was = this.#preQueued;
    this.#preQueued = false;
    return was;
  }

  addChild(child: ActionRun): void {
    (this.#children ??= new Set()).add(child);
  }

  removeChild(child: ActionRun): void {
    this.#children?.delete(child);
  }

  /** A Site behaviour changed its metadata (`updateMetadata`). */
  receiveMetadata(metadata: Readonly<Record<string, unknown>>): void {
    this.#metadata = metadata;
  }

  /** A Site behaviour routed it to another queue. */
  route(queue: string): void {
    this.#queue = queue;
  }

  /** `site` took it. */
  takenBy(site: { readonly id: string }): void {
    this.#site = site;
  }

  /** `site` gives it back; false when `site` did not hold it. */
  releasedBy(site: { readonly id: string }): boolean {
    if (this.#site !== site) return false;
    this.#site = null;
    return true;
  }

  /** A Site behaviour crashed on it; returns how many times one has. */
  noteCrash(): number {
    return ++this.#crashes;
  }

  /** Its function was called (again). */
  attemptStarted(attempt: RunningAttempt): void {
    this.#attempt = attempt;
  }

  /** User code starts running for it; pass the same piece to `workEnded`. */
  workStarted(piece: WorkPiece): void {
    this.#working = piece;
  }

  /** `piece` settled (a later piece that started meanwhile stays named). */
  workEnded(piece: WorkPiece | null): void {
    if (piece === null || this.#working === piece) this.#working = null;
  }

  /** Its before-hooks phase began: after-hooks are owed from now on. */
  hooksBegan(): void {
    this.#hooksBegan = true;
  }

  /** Its after-hooks run (in `afterHooks`). */
  afterHooksRun(): void {
    this.#afterHooksRan = true;
  }

  /** Whether its hooks began and its after-hooks have not run (read-only; see `takeOwedAfterHooks`). */
  get owesAfterHooks(): boolean {
    return this.#hooksBegan && !this.#afterHooksRan && this.after.length > 0;
  }

  /** True once, when its hooks began and its after-hooks have not run: the caller runs them now. */
  takeOwedAfterHooks(): boolean {
    if (!this.#hooksBegan || this.#afterHooksRan || this.after.length === 0) return false;
    this.#afterHooksRan = true;
    return true;
  }

  /** Holds its License until it settles: `release` lets go of the revocation listener. */
  holdLicense(release: () => void): void {
    this.#licenseRelease = release;
  }

  /** Lets go of its License (settled, or handed back). */
  releaseLicense(): void {
    const release = this.#licenseRelease;
    this.#licenseRelease = null;
    release?.();
  }

  /**
   * The error record an event gives the chart for `error`, remembered with it, so
   * the outcome the chart decides on is this live error. Returns the record.
   */
  recordError(error: Error, record: ErrorRecord = serializeError(error)): ErrorRecord {
    this.keepLive(record, error);
    this.#lastError = error;
    return record;
  }

  /** The live error it last sent the chart (an attempt's, a hook's, a License's), or null. */
  get lastError(): Error | null {
    return this.#lastError;
  }

  /** Remembers `error` as the live form of `record` (an error record, or the chart's `cancellation`); the first stays. */
  keepLive(record: object, error: Error): Error {
    const live = (this.#liveErrors ??= new Map());
    const kept = live.get(record);
    if (kept !== undefined) return kept;
    live.set(record, error);
    return error;
  }

  /** The live error behind `record`, or undefined when none was recorded. */
  liveError(record: object | null): Error | undefined {
    return record === null ? undefined : this.#liveErrors?.get(record);
  }

  /** The next cancellation's error names `cause` (a signal's abort reason). */
  noteCancelCause(cause: unknown): void {
    this.#cancelCause ??= { cause };
  }

  /** The cause noted for the cancellation under way, as error options (`{}` when none). */
  takeCancelCause(): { readonly cause?: unknown } {
    const noted = this.#cancelCause;
    this.#cancelCause = null;
    return noted ?? {};
  }

  /** Aborts whatever runs now with `reason` (its running attempt notes when). */
  override abort(reason: unknown): void {
    const attempt = this.#attempt;
    if (attempt !== null && !attempt.stopped) attempt.abortedAt ??= this.services.clock.now();
    super.abort(reason);
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

  /**
   * Settles from the machine's final output (`error`: the live error of an outcome
   * decided outside this process, a store's or a remote worker's). Returns the settlement.
   */
  settle(output: ActionOutput, context: ActionContext, error?: Error): Settlement {
    if (this.#settlement !== null) return this.#settlement;
    this.endPhase();
    const settlement: Settlement = error === undefined || output.status === 'done' ? outcomeOf(this, output, context) : { ok: false, error };
    this.#settlement = settlement;
    this.releaseLicense();
    const waiters = this.#waiters;
    this.#waiters = null;
    if (waiters !== null) {
      if (settlement.ok) waiters.resolve(settlement.value);
      else waiters.reject(settlement.error);
    }
    const listeners = this.#onSettled;
    this.#onSettled = null;
    if (listeners !== null) for (const listener of listeners) listener();
    return settlement;
  }
}
