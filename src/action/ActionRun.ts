/**
 * The runtime side of one assigned action: what its assignment made
 * (`AssignedRun`: its value, kind, metadata, extras), the actor running its
 * statechart, the Site holding it, the phase of its user code running now, and how
 * its result settles. Effects (`actionEffects.ts`) and phases (`actionPhases.ts`)
 * act on it.
 *
 * The action's state is its statechart's snapshot; what the runtime keeps beside
 * it (the Site holding it, the live errors behind the chart's error records, ...)
 * is private here, changed only through the methods below, and read through
 * getters. The outcome is the chart's: `settle` takes the final output and maps
 * the error record the chart chose back to its live error (see `recordError` and
 * `runOutcome.ts`). Each phase of its user code is a `Phase` its statechart's
 * invocation owns; the run keeps the latest one, which `abort` aborts.
 * @internal
 */
import type { ActionContext, ActionOutput, ErrorRecord } from '../../machines/actionTypes.js';
import { serializeError } from '../errors.js';
import { ActionActivity } from './ActionActivity.js';
import { AssignedRun } from './AssignedRun.js';
import { AttemptFailure, liveErrorOf } from './AttemptFailure.js';
import type { Phase } from './Phase.js';
import type { RunningAttempt } from './RunningAttempt.js';
import { outcomeOf, type Settlement } from './runOutcome.js';
import { settledEnd, settlementOf, withResult, type RunEnd } from './runResult.js';
import type { ActionActor, RunInit, RunServices, WorkPiece } from './runTypes.js';

export type { ActionActor, FollowUp, Provenance, RunInit, RunServices, WorkPiece } from './runTypes.js';
export type { Settlement } from './runOutcome.js';

/** Bits of `ActionRun.#flags`. */
const PRE_QUEUED = 1;
const HOOKS_BEGAN = 2;
const AFTER_HOOKS_RAN = 4;
/** Its latest phase is a call of its function (a `RunningAttempt`), not a phase of hooks. */
const CALLING = 8;

export class ActionRun extends AssignedRun {
  /** Its actor, or until it exists the function that makes it (see `deferActor`), or null. */
  #actor: ActionActor | ((run: ActionRun) => ActionActor) | null = null;
  #site: { readonly id: string } | null = null;
  #working: WorkPiece | null = null;
  /**
   * The latest phase of its user code (what `abort` aborts), null before the first: a call
   * of its function (CALLING in `#flags`) or a phase of hooks (then a call that had not
   * stopped when the hooks began is kept in its extras: see `attempt`).
   */
  #phase: Phase | null = null;
  /** PRE_QUEUED: put in its Production before its actor existed (the actor's `enqueue` skips once); HOOKS_BEGAN: a Site took it and its hooks phase began (its after-hooks are owed); AFTER_HOOKS_RAN; CALLING. */
  #flags = 0;
  /** How it settled, or its `result()` promise once asked for (which keeps the settlement then). */
  #end: RunEnd = null;

  constructor(init: RunInit, services: RunServices, parent: ActionRun | null) {
    super(init, services, parent);
    // A restored action's reported progress and logs (a durable store kept them).
    if (init.activity != null) this.activity = new ActionActivity(this, init.activity);
  }

  // ── what it is now (read-only views) ───────────────────────────────────────
  /** The Site running it now (between START and release/settle). */
  get site(): { readonly id: string } | null {
    return this.#site;
  }

  /**
   * Its latest call of the function (null before the first): a slot or a retry waits for it
   * to stop. Once a phase of hooks began after a call that had stopped, null (nothing waits for it).
   */
  get attempt(): RunningAttempt | null {
    return (this.#flags & CALLING) !== 0 ? (this.#phase as RunningAttempt) : (this.extras?.unstoppedAttempt ?? null);
  }

  /** The user code running for it now (null when none). */
  get working(): WorkPiece | null {
    return this.#working;
  }

  /**
   * The actor running this action's statechart. A plain queued action gets its
   * actor only when first needed (a Site takes it, someone looks or cancels):
   * queued actions stay small records.
   */
  get actor(): ActionActor {
    const actor = this.#actor;
    if (typeof actor !== 'function') {
      if (actor === null) throw new Error(`Action ${this.id} has no actor`);
      return actor;
    }
    this.#actor = null;
    const made = actor(this);
    this.#actor = made;
    return made;
  }

  /** True once the actor exists. */
  get hasActor(): boolean {
    return this.#actor !== null && typeof this.#actor !== 'function';
  }

  get settled(): boolean {
    return settlementOf(this.#end) !== null;
  }

  // ── changes, each by the module that owns the fact ─────────────────────────
  /** The engine made its actor (or a store or a remote production stands one in). */
  attach(actor: ActionActor): void {
    this.#actor = actor;
  }

  /**
   * Settled, with nothing but the runtime having watched its actor: the run keeps the smaller
   * actor its engine leaves behind (`settledForm`), the same final snapshot, instead of the actor.
   */
  compactActor(): void {
    const actor = this.#actor;
    if (actor === null || typeof actor === 'function' || !this.settled) return;
    const form = actor.settledForm?.() ?? null;
    if (form !== null) this.#actor = form;
  }

  /** Defers creating the actor until it is first needed. */
  deferActor(materialize: (run: ActionRun) => ActionActor): void {
    if (this.#actor === null || typeof this.#actor === 'function') this.#actor = materialize;
  }

  /** It is put in its Production before its actor exists: the actor's first `enqueue` skips. */
  queueBeforeActor(): void {
    this.#flags |= PRE_QUEUED;
  }

  /** Whether it was queued before its actor existed (once: the next enqueue is a real one). */
  takePreQueued(): boolean {
    const was = (this.#flags & PRE_QUEUED) !== 0;
    this.#flags &= ~PRE_QUEUED;
    return was;
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

  /** Its function was called (again): the call is its phase now. */
  attemptStarted(attempt: RunningAttempt): void {
    this.#phase = attempt;
    this.#flags |= CALLING;
    const extras = this.extras;
    if (extras !== null) extras.unstoppedAttempt = null;
  }

  /** A phase of hooks began (the invocation of `hooks` or `afterHooks` owns it). */
  phaseStarted(phase: Phase): void {
    if ((this.#flags & CALLING) !== 0) {
      // A call still running (abandoned after a timeout or cancel) is still waited for: kept aside.
      const attempt = this.#phase as RunningAttempt;
      if (!attempt.stopped) this.extra().unstoppedAttempt = attempt;
      this.#flags &= ~CALLING;
    }
    this.#phase = phase;
  }

  /** Its latest phase is abandoned: its late answer is dropped (the runtime ends the action without the chart). */
  endPhase(): void {
    this.#phase?.end();
  }

  /** User code starts running for it; pass the same piece to `workEnded`. */
  workStarted(piece: WorkPiece): void {
    this.#working = piece;
  }

  /** `piece` settled (a later piece that started meanwhile stays named). */
  workEnded(piece: WorkPiece | null): void {
    if (piece === null || this.#working === piece) this.#working = null;
  }

  /** Nothing runs before its attempts (no before-hook, no License) and its chart may pass `hooks` over: its START says so. */
  get nothingBefore(): boolean {
    return this.before.length === 0 && this.license === null && this.services.passOverHooks.before;
  }

  /** No after-hook runs for it and its chart may pass `afterHooks` over: its attempts' successes say so. */
  get nothingAfter(): boolean {
    return this.after.length === 0 && this.services.passOverHooks.after;
  }

  /** Its before-hooks phase began (with nothing before: its first attempt): after-hooks are owed from now on. */
  hooksBegan(): void {
    this.#flags |= HOOKS_BEGAN;
  }

  /** Its after-hooks run (in `afterHooks`). */
  afterHooksRun(): void {
    this.#flags |= AFTER_HOOKS_RAN;
  }

  /** Whether its hooks began and its after-hooks have not run (read-only; see `takeOwedAfterHooks`). */
  get owesAfterHooks(): boolean {
    return (this.#flags & (HOOKS_BEGAN | AFTER_HOOKS_RAN)) === HOOKS_BEGAN && this.after.length > 0;
  }

  /** True once, when its hooks began and its after-hooks have not run: the caller runs them now. */
  takeOwedAfterHooks(): boolean {
    if (!this.owesAfterHooks) return false;
    this.#flags |= AFTER_HOOKS_RAN;
    return true;
  }

  /** Aborts whatever runs now with `reason` (its running attempt notes when). */
  abort(reason: unknown): void {
    const attempt = this.attempt;
    if (attempt !== null && !attempt.stopped) attempt.noteAborted(this.services.clock.now());
    this.#phase?.abort(reason);
  }

  /**
   * Settled with its last call stopped: nothing waits for that call any more (`attempt` answers
   * null, as for a call that stopped), so the run lets go of it. A settled run may sit in the old
   * generation until the next full GC, and whatever it still points to is kept and copied by every
   * young-generation GC until then, even when nothing holds the run any more.
   */
  #forgetStoppedAttempt(): void {
    if ((this.#flags & CALLING) === 0 || !(this.#phase as RunningAttempt).stopped) return;
    this.#phase = null;
    this.#flags &= ~CALLING;
  }

  // ── its errors, as the chart records them and as they are thrown ───────────
  /**
   * The error record an event gives the chart for `error`, remembered with it, so
   * the outcome the chart decides on is this live error (an attempt's wrapper, made when first
   * read: see `AttemptFailure`). Returns the record.
   */
  recordError(error: Error | AttemptFailure, record: ErrorRecord = error instanceof AttemptFailure ? error.record() : serializeError(error)): ErrorRecord {
    const extras = this.extra();
    const live = (extras.liveErrors ??= new Map());
    if (!live.has(record)) live.set(record, error);
    extras.lastError = error;
    return record;
  }

  /** The live error it last sent the chart (an attempt's, a hook's, a License's), or null. */
  get lastError(): Error | null {
    const last = this.extras?.lastError ?? null;
    return last === null ? null : liveErrorOf(last);
  }

  /** Remembers `error` as the live form of `record` (an error record, or the chart's `cancellation`); the first stays. */
  keepLive(record: object, error: Error): Error {
    const live = (this.extra().liveErrors ??= new Map());
    const kept = live.get(record);
    if (kept !== undefined) return liveErrorOf(kept);
    live.set(record, error);
    return error;
  }

  /** The live error behind `record`, or undefined when none was recorded (an attempt's wrapper is made now). */
  liveError(record: object | null): Error | undefined {
    const kept = record === null ? undefined : this.extras?.liveErrors?.get(record);
    return kept === undefined ? undefined : liveErrorOf(kept);
  }

  /** The next cancellation's error names `cause` (a signal's abort reason). */
  noteCancelCause(cause: unknown): void {
    this.extra().cancelCause ??= { cause };
  }

  /** The cause noted for the cancellation under way, as error options (`{}` when none). */
  takeCancelCause(): { readonly cause?: unknown } {
    const extras = this.extras;
    const noted = extras?.cancelCause ?? null;
    if (extras !== null) extras.cancelCause = null;
    return noted ?? {};
  }

  // ── its outcome ────────────────────────────────────────────────────────────
  /** The promise of the action's output; rejects with its typed error. Made on first use, so an unobserved failure is no unhandled rejection. */
  result(): Promise<unknown> {
    const end = withResult(this.#end);
    this.#end = end;
    return end.promise;
  }

  /** Calls `listener` once settled (at once when already). */
  onSettled(listener: () => void): void {
    if (this.settled) listener();
    else (this.extra().onSettled ??= []).push(listener);
  }

  /**
   * Settles from the machine's final output (`error`: the live error of an outcome
   * decided outside this process, a store's or a remote worker's). Returns the settlement.
   */
  settle(output: ActionOutput, context: ActionContext, error?: Error): Settlement {
    const settled = settlementOf(this.#end);
    if (settled !== null) return settled;
    this.endPhase();
    const settlement: Settlement = error === undefined || output.status === 'done' ? outcomeOf(this, output, context) : { ok: false, error };
    this.#end = settledEnd(this.#end, settlement);
    this.#forgetStoppedAttempt();
    this.releaseLicense();
    const extras = this.extras;
    const listeners = extras?.onSettled ?? null;
    if (extras !== null) extras.onSettled = null;
    if (listeners !== null) for (const listener of listeners) listener();
    return settlement;
  }
}
