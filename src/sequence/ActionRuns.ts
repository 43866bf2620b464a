/**
 * The Sequence's live actions and the path of each from its assignment to its
 * end: assigned (validated, journaled, queued or started on the engine),
 * cancelled, settled once (the journal, the Site, flow, stats, telemetry, the
 * shutdown count and follow-ups told), or handed back to an external production.
 * @internal
 */
import type { AnyActorRef } from 'xstate';
import { CANCELLATION_REASONS, isOutcomeDecided, type CancellationReason } from '../../machines/actionConstants.js';
import type { ActionContext, ActionOutput } from '../../machines/actionTypes.js';
import { runOwedAfterHooks } from '../action/actionEffects.js';
import { ActionHandle, hasSubscribers, type HandleControl } from '../action/ActionHandle.js';
import type { ActionRecord } from '../action/actionRecord.js';
import { ActionRun, type Provenance, type RunServices, type Settlement } from '../action/ActionRun.js';
import { prepareAssignment, type AssignmentDeps, type AssignOptions } from '../action/assignment.js';
import { LiveRuns } from '../action/LiveRuns.js';
import type { Clock } from '../clock.js';
import type { ActionEngine, EngineServices } from '../engine/actionEngine.js';
import { CancellationError, messageOf, serializeError } from '../errors.js';
import type { FlowControl } from '../flow/FlowControl.js';
import type { InspectionHub } from '../inspect/InspectionHub.js';
import type { SequenceRoot } from '../sequenceRoot.js';
import type { ShutdownTracker } from '../shutdown.js';
import type { Journal } from '../store/journal.js';
import type { EncodedAction } from '../store/codec.js';
import type { ActionStats } from '../telemetry/ActionStats.js';
import type { Telemetry } from '../telemetry/Telemetry.js';
import { invalid, oneOf } from '../validate.js';
import type { ExternalProduction, ExternalProductionHost } from '../work/ExternalProduction.js';
import type { Queues } from '../work/Queues.js';
import type { Site } from '../work/Site.js';
import type { StepTime } from '../work/StepTime.js';

/** What the live runs use of their Sequence. */
export interface ActionRunsDeps {
  readonly name: string;
  readonly clock: Clock;
  /** Lends the time of an assignment or a settling step to the START a Site sends next in it. */
  readonly stepTime: StepTime;
  readonly services: RunServices;
  /** Validation of assignments; `isLive` is added here when ids come from an injected generator. */
  readonly assignment: AssignmentDeps;
  readonly injectedIds: boolean;
  readonly root: SequenceRoot;
  readonly hub: InspectionHub;
  readonly queues: Queues;
  readonly flow: FlowControl;
  readonly telemetry: Telemetry;
  readonly actionStats: ActionStats;
  readonly shutdown: ShutdownTracker;
  readonly journal: Journal | null;
  readonly external: ExternalProduction | null;
  /** Whether anyone listens to `events$` (events are made only then). */
  readonly listening: () => boolean;
  /** The engine for these runs, given the way back to them; `table` when it runs on the table engine. */
  readonly engine: (services: EngineServices) => { readonly engine: ActionEngine; readonly table: boolean };
  /** A failed action may be dead-lettered: the dead-letter list may have changed. */
  readonly failed: () => void;
  readonly report: (error: unknown) => void;
}

export class ActionRuns {
  readonly #deps: ActionRunsDeps;
  readonly #live = new LiveRuns<ActionRun>();
  readonly #byKey = new Map<string, ActionRun>();
  /** Recently failed runs while inspected, for `get`, `again` and the inspector's "retry now" (bounded). */
  readonly #settledRuns = new Map<string, ActionRun>();
  /** Runs that left this process unsettled, handed back to the external production. */
  readonly #handedBack = new WeakSet<ActionRun>();
  readonly #engine: ActionEngine;
  /** Actions run on the table engine (not `engine: 'xstate'`, nor a machine it cannot compile). */
  readonly #tableEngine: boolean;
  readonly assignment: AssignmentDeps;
  readonly control: HandleControl;
  #idleWaiters: (() => void)[] = [];

  constructor(deps: ActionRunsDeps) {
    this.#deps = deps;
    // The built-in generator never repeats itself; an injected one is checked on every assign.
    this.assignment = deps.injectedIds ? { ...deps.assignment, isLive: (id: string) => this.#live.get(id) !== undefined } : deps.assignment;
    const chosen = deps.engine({
      clock: deps.clock,
      hub: deps.hub,
      rootId: () => deps.root.sessionId,
      settled: (run: ActionRun, output: ActionOutput, context: ActionContext) => this.settled(run, output, context, undefined, true),
      failed: (run: ActionRun, error: Error) => this.#forceFail(run, error),
    });
    this.#engine = chosen.engine;
    this.#tableEngine = chosen.table;
    this.control = {
      cancel: (run, reason, message) => this.cancel(run, reason, message),
      retryNow: (run) => {
        if (!run.settled) run.actor.send({ type: 'RETRY_NOW', at: deps.clock.now() }); // a settled actor takes no events
      },
      report: deps.report,
    };
  }

  get engine(): ActionEngine {
    return this.#engine;
  }

  /** How many actions are live. */
  get size(): number {
    return this.#live.size;
  }

  /** The live runs, in assignment order. */
  values(): IterableIterator<ActionRun> {
    return this.#live.values();
  }

  /** A live run, or (while inspected) a recently failed one. */
  find(id: string): ActionRun | undefined {
    return this.#live.get(id) ?? this.#settledRuns.get(id);
  }

  /** The handle of the live action assigned with idempotency key `key`. */
  liveByKey(key: string): ActionHandle | undefined {
    const run = this.#byKey.get(key);
    return run === undefined ? undefined : new ActionHandle(run, this.control);
  }

  /** Resolves when no action is live. */
  whenIdle(): Promise<void> {
    if (this.#live.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  assign(
    nameOrRecord: string | ActionRecord,
    contentOrOptions: unknown,
    maybeOptions: AssignOptions | undefined,
    parent: ActionRun | null,
    provenance?: Provenance,
    host: AnyActorRef | null = null,
  ): ActionHandle {
    const { shutdown, external, journal } = this.#deps;
    if (shutdown.started && (parent === null || shutdown.aborting)) {
      throw new CancellationError(`Sequence "${this.#deps.name}" is shutting down and accepts no new actions`, { reason: 'shutdown' });
    }
    const options = typeof nameOrRecord === 'string' ? maybeOptions : (contentOrOptions as AssignOptions | undefined);
    const key = options?.idempotencyKey;
    if (external !== null) {
      // The engine deduplicates across processes: an idempotency key is the action's id there.
      const deps = key === undefined ? this.assignment : { ...this.assignment, ids: () => key, isLive: undefined };
      const prepared = prepareAssignment(nameOrRecord, contentOrOptions, maybeOptions, deps);
      return external.assign(provenance === undefined ? prepared : { ...prepared, provenance }, parent?.id ?? null, options);
    }
    if (key !== undefined) {
      const existing = this.#byKey.get(key);
      if (existing !== undefined) return new ActionHandle(existing, this.control);
      const stored = journal?.store.byIdempotencyKey(key);
      if (stored !== undefined) return journal!.settledHandle(stored, this.#deps.services, this.control, this.assignment);
    }
    const prepared = prepareAssignment(nameOrRecord, contentOrOptions, maybeOptions, this.assignment);
    const init = provenance === undefined && host === null ? prepared : { ...prepared, ...(provenance !== undefined && { provenance }), host };
    // A durable Sequence refuses content it cannot store here, before anything is queued.
    const encoded = journal?.encode(init, parent?.id ?? null);
    return this.launch(new ActionRun(init, this.#deps.services, parent), parent, options, encoded, true);
  }

  /** `assignedNow`: `run` was assigned in this call (its `createdAt` was read just now; not a restored or claimed one). */
  launch(run: ActionRun, parent: ActionRun | null, options: AssignOptions | undefined, encoded: EncodedAction | undefined, assignedNow = false): ActionHandle {
    const deps = this.#deps;
    if (encoded !== undefined) run.acceptedWhen(deps.journal!.assigned(run, encoded));
    this.#live.add(run);
    deps.shutdown.assigned();
    deps.actionStats.assigned(run.name);
    deps.telemetry.assigned(run);
    if (run.idempotencyKey !== undefined) this.#byKey.set(run.idempotencyKey, run);
    if (parent !== null) parent.addChild(run);
    const listening = deps.listening();
    if (listening) deps.services.emit({ type: 'assigned', actionId: run.id, name: run.name, at: run.createdAt, priority: run.priority, queue: run.queue, parentId: parent?.id ?? null });
    if (options?.signal?.aborted === true) {
      // Aborted before it was assigned: the actor skips its enqueue once and takes the CANCEL below, so no Site runs it.
      run.queueBeforeActor();
      this.#engine.start(run, run.host ?? deps.root);
    } else if (this.#tableEngine && run.startDelay === 0 && run.totalTimeout === null && !deps.hub.active) {
      // A plain queued action stays a small record until a Site takes it (or someone looks at it).
      run.queueBeforeActor();
      run.deferActor(this.#materialize);
      // An idle Site starts it inside this call: at the time it was assigned at, unless it was not
      // assigned just now, or a store, a tracer or an events$ subscriber had their turn since that reading.
      if (!assignedNow || encoded !== undefined || listening || deps.telemetry.tracing) deps.queues.enqueue(run);
      else {
        deps.stepTime.lend(run.createdAt);
        try {
          deps.queues.enqueue(run);
        } finally {
          deps.stepTime.clear();
        }
      }
    } else {
      this.#engine.start(run, run.host ?? deps.root);
    }
    if (run.license !== null && !run.settled) {
      const release = run.license.onRevoke((error) => {
        if (run.settled) return; // it failed on its own check while an earlier holder was told
        try {
          run.actor.send({ type: 'LICENSE_REVOKED', error: run.recordError(error), at: deps.clock.now() });
        } catch (thrown) {
          // The revoker must go on telling the other holders; this one is failed through the engine's own path.
          deps.report(thrown);
        }
      });
      if (run.settled) release();
      else run.holdLicense(release);
    }
    if (options?.signal !== undefined && !run.settled) this.#follow(run, options.signal);
    return new ActionHandle(run, this.control);
  }

  /** Cancels `run` when `signal` aborts (at once when it already has), as `fetch` does; the listener goes when the run settles. */
  #follow(run: ActionRun, signal: AbortSignal): void {
    const abort = (): void => {
      if (run.settled) return;
      const message = `Action "${run.name}" was cancelled: its signal was aborted`;
      const state = run.actor.getSnapshot().value;
      // The signal's reason becomes the cause, unless the outcome is already decided or a cancel is under way.
      if (!isOutcomeDecided(state)) run.noteCancelCause(signal.reason);
      this.cancel(run, 'user', message);
    };
    if (signal.aborted) {
      abort();
      return;
    }
    signal.addEventListener('abort', abort, { once: true });
    run.onSettled(() => signal.removeEventListener('abort', abort));
  }

  readonly #materialize = (run: ActionRun) => this.#engine.start(run, run.host ?? this.#deps.root);

  cancel(run: ActionRun, reason: CancellationReason, message: string): void {
    if (!(CANCELLATION_REASONS as readonly string[]).includes(reason)) {
      throw invalid('reason', oneOf(CANCELLATION_REASONS), reason);
    }
    if (!run.settled) run.actor.send({ type: 'CANCEL', reason, message, at: this.#deps.clock.now() });
    if (run.children !== null) {
      for (const child of run.children) this.cancel(child, 'parent', `Parent action ${run.id} was cancelled`);
    }
  }

  /**
   * Everything that follows an action's end, once: `output` is the chart's (or, with `error`, the runtime's when it ended the action itself).
   * `byChart`: its chart's settling step calls, now: its Site takes its next action at the time that step noted.
   */
  settled(run: ActionRun, output: ActionOutput, context: ActionContext, error?: Error, byChart = false): Settlement | null {
    if (run.settled) return null; // abandoned at shutdown already; a late end of its actor changes nothing
    if (this.#deps.external !== null && this.#handedBack.has(run)) return null; // another process runs it now (only an external production hands runs back)
    const deps = this.#deps;
    const settlement = run.settle(output, context, error);
    const failed = output.status === 'failed';
    // The chart's settling step noted the time (one clock read when it did not: the runtime ended the action itself).
    const at = context.settledAt ?? deps.clock.now();
    deps.journal?.settled(run, output, context, settlement.ok ? null : settlement.error, deps.clock.now());
    if (failed) deps.failed();
    this.#live.delete(run);
    if (failed) this.#remember(run);
    if (run.idempotencyKey !== undefined && this.#byKey.get(run.idempotencyKey) === run) this.#byKey.delete(run.idempotencyKey);
    run.parent?.removeChild(run);
    const site = run.site as Site | null;
    if (site === null) deps.queues.discard(run);
    else if (!byChart || context.settledAt === null || !this.#nothingRanSince(run)) site.release(run);
    else {
      deps.stepTime.lend(context.settledAt);
      try {
        site.release(run);
      } finally {
        deps.stepTime.clear();
      }
    }
    deps.flow.settled(run);
    deps.actionStats.settled(run.name, output, context, at);
    deps.telemetry.settled(run, output, context, settlement.ok ? null : settlement.error);
    const attempts = context.attempts.length;
    deps.shutdown.settled(run, output.status, context);
    const listening = deps.listening();
    if (output.status === 'done') {
      if (listening) deps.services.emit({ type: 'done', actionId: run.id, name: run.name, at, output: output.output, attempts });
      if (settlement.ok) this.#followUp(run, settlement.value);
    } else if (output.status === 'failed') {
      if (listening) deps.services.emit({ type: 'failed', actionId: run.id, name: run.name, at, error: serializeError(settlement.ok ? null : settlement.error), attempts });
    } else if (listening) {
      deps.services.emit({ type: 'cancelled', actionId: run.id, name: run.name, at, reason: context.cancellation?.reason ?? 'user', attempts });
    }
    this.#left();
    // Nobody but its handle can read its actor from now on (no inspector, store, production, invoking
    // actor or activity registered it): the run keeps the smaller one the engine leaves behind.
    if (this.#tableEngine && deps.journal === null && deps.external === null && !deps.hub.active && run.host === null && run.activity === null) run.compactActor();
    return settlement;
  }

  /**
   * Whether nothing but the runtime ran since `run`'s settling step read the clock, so its Site
   * may take the next action at that time: no store, `events$` subscriber, tracer, inspection
   * observer, invoking actor, or listener of its handle (user code runs within its steps) had a
   * turn. The inspector's puller may have: it only notes which actors changed (`hub.enabled` is
   * false while it is the only observer).
   */
  #nothingRanSince(run: ActionRun): boolean {
    const deps = this.#deps;
    return this.#tableEngine && deps.journal === null && deps.external === null && !deps.listening() && !deps.telemetry.tracing && !deps.hub.enabled && run.host === null && !hasSubscribers(run);
  }

  /** A run left the live set: shutdown may be drained, idle waiters may resolve. */
  #left(): void {
    this.checkDrained();
    if (this.#live.size === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Once shutting down with nothing live: the root learns it is drained. */
  checkDrained(): void {
    const { shutdown } = this.#deps;
    if (shutdown.started && this.#live.size === 0 && !shutdown.drained) {
      shutdown.markDrained();
      this.#deps.root.send({ type: 'DRAINED', unfinished: shutdown.unfinishedCount });
    }
  }

  /**
   * Ends a local run claimed from the external production without settling it: its function is
   * aborted, its slot and queue place freed, its actor stopped; the production holds it again.
   */
  #handBack(run: ActionRun): void {
    if (run.settled || this.#handedBack.has(run)) return;
    const deps = this.#deps;
    this.#handedBack.add(run);
    run.abort(new CancellationError(`Action ${run.id} was handed back to its production`, { reason: 'shutdown', actionId: run.id }));
    run.endPhase();
    this.#live.delete(run);
    if (run.idempotencyKey !== undefined && this.#byKey.get(run.idempotencyKey) === run) this.#byKey.delete(run.idempotencyKey);
    const site = run.site as Site | null;
    if (site !== null) site.release(run);
    else deps.queues.discard(run);
    deps.flow.settled(run);
    deps.telemetry.handedBack(run);
    run.releaseLicense();
    deps.shutdown.handedBack();
    if (run.hasActor && run.actor.getSnapshot().status === 'active') {
      try {
        run.actor.stop();
      } catch (stopError) {
        deps.report(stopError); // it is handed back regardless
      }
    }
    this.#left();
  }

  /** What the external production may use of this Sequence. */
  externalHost(host: Pick<ExternalProductionHost, 'concurrency' | 'limits'>): ExternalProductionHost {
    return {
      ...host,
      name: this.#deps.name,
      clock: this.#deps.clock,
      deps: this.assignment,
      services: this.#deps.services,
      control: this.control,
      runHere: (init) => {
        const run = new ActionRun(init, this.#deps.services, null);
        this.launch(run, null, undefined, undefined);
        return run;
      },
      local: (id) => this.#live.get(id),
      cancel: (run, reason, message) => this.cancel(run, reason, message),
      handBack: (run) => this.#handBack(run),
      report: this.#deps.report,
    };
  }

  /** Restores what the store holds: queued, delayed, retrying and interrupted actions (see `Journal.restore`). */
  restore(journal: Journal): void {
    const now = this.#deps.clock.now();
    for (const { init, encoded } of journal.restore(this.assignment, now)) {
      const run = new ActionRun(init, this.#deps.services, null);
      this.launch(run, null, undefined, encoded);
    }
    journal.prune(now);
  }

  #remember(run: ActionRun): void {
    // Only failed runs, only while inspected: the inspector's "retry now" may name one.
    if (!this.#deps.hub.active) return;
    this.#settledRuns.set(run.id, run);
    if (this.#settledRuns.size > 1000) this.#settledRuns.delete(this.#settledRuns.keys().next().value!);
  }

  #followUp(run: ActionRun, output: unknown): void {
    if (run.followUps.length === 0) return;
    for (const next of run.followUps) {
      try {
        const content = next.contentFrom !== undefined ? next.contentFrom(output) : next.content === undefined ? output : next.content;
        this.assign(next.name, content, { ...(next.metadata !== undefined && { metadata: next.metadata }), priority: next.priority ?? run.priority }, run);
      } catch (error) {
        this.#deps.report(new Error(`Follow-up "${next.name}" of action ${run.id} could not be assigned: ${messageOf(error)}`, { cause: error }));
      }
    }
  }

  #forceFail(run: ActionRun, error: Error): void {
    this.#deps.report(error);
    if (run.settled) return;
    if (run.actor.getSnapshot().status === 'active') {
      try {
        run.actor.stop();
      } catch (stopError) {
        this.#deps.report(stopError); // XState refuses to stop an actor that has a parent; the run settles regardless
      }
    }
    const context = run.actor.getSnapshot().context;
    const record = run.recordError(error);
    this.settled(run, { status: 'failed', output: undefined, error: record }, { ...context, error: record });
    // The chart did not end it (an effect threw): the after-hooks it owes run here.
    runOwedAfterHooks(run, { ok: false, error }, context.attempts.length);
  }
}
