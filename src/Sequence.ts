/**
 * The Sequence: assigns actions, supervises Sites that pull them from the
 * Productions, and streams what happens (`events$`, inspection).
 * @example
 * const sequence = new Sequence({ plan, sites: 4 });
 * sequence.start();
 * const handle = sequence.assign('Read', 'notes.txt');
 * await handle.result;
 * await sequence.shutdown();
 */
import { Subject, type Observable } from 'rxjs';
import type { AnyActorRef, AnyStateMachine, EventFromLogic, InspectionEvent } from 'xstate';
import type { BuiltInActionMachine } from '../machines/action.machine.js';
import { CANCELLATION_REASONS, DEFAULT_QUEUE, isOutcomeDecided, type CancellationReason, type Priority } from '../machines/actionConstants.js';
import type { ActionContext, ActionOutput } from '../machines/actionTypes.js';
import { sequenceMachine } from '../machines/sequence.machine.js';
import { siteMachine } from '../machines/site.machine.js';
import { runOwedAfterHooks } from './action/actionEffects.js';
import { createTableEngine, createXStateEngine, type ActionEngine, type EngineServices } from './engine/actionEngine.js';
import { UnsupportedMachineError } from './engine/compileMachine.js';
import { ActionHandle, runOfHandle, type HandleControl } from './action/ActionHandle.js';
import { createActionLogic, type ActionLogic, type ActionLogicOptions } from './action/fromAction.js';
import type { ActionRecord } from './action/actionRecord.js';
import { ActionRun, type FollowUp, type Provenance, type RunServices, type Settlement } from './action/ActionRun.js';
import { prepareAssignment, type AssignmentDeps, type AssignOptions } from './action/assignment.js';
import type { Clock } from './clock.js';
import { CancellationError, messageOf, serializeError } from './errors.js';
import { ContainedObservable } from './eventStream.js';
import type { EchoEvent } from './events.js';
import type { ActionMap, ActionName, AnyActions, ContentIsOptional, ContentOf, ResultOf } from './planTypes.js';
import { InspectionHub, type InspectionSubscribeOptions } from './inspect/InspectionHub.js';
import { GuestSystems } from './inspect/GuestSystems.js';
import type { Life } from './Life.js';
import { Production } from './work/Production.js';
import { Queues } from './work/Queues.js';
import { resolveSequenceOptions, type ResolvedSequenceOptions, type SequenceOptions } from './sequenceOptions.js';
import { LiveRuns } from './action/LiveRuns.js';
import { createSequenceRoot, type SequenceRoot } from './sequenceRoot.js';
import { ShutdownTracker, type ShutdownReport } from './shutdown.js';
import { checkNumber, invalid, oneOf } from './validate.js';
import { Site } from './work/Site.js';
import { createSiteHost } from './work/siteSupervision.js';
import { SiteView, type SiteActorRef } from './work/SiteView.js';
import type { ControlCommand, InspectableActorRef, InspectorTarget } from './inspect/target.js';
import { controlMany } from './inspect/controlMany.js';
import { FlowControl, rateLimitErrorIn } from './flow/FlowControl.js';
import { showFlowWait } from './flow/showFlowWait.js';
import { Telemetry } from './telemetry/Telemetry.js';
import { Scheduler, type ScheduleSpec, type ScheduleState } from './schedule/Scheduler.js';
import { Schedules } from './schedule/Schedules.js';
import { ActionStats, type ActionNameStats } from './telemetry/ActionStats.js';
import { Journal } from './store/journal.js';
import { assertEncodable } from './store/encodable.js';
import type { EncodedAction } from './store/codec.js';
import type { DeadLetter } from './store/Store.js';
import type { ExternalProduction, ExternalProductionHost } from './work/ExternalProduction.js';

export type { AssignOptions } from './action/assignment.js';

/** What `assign(name, ...)` takes after the name: the content (optional when it may be undefined) and options. */
export type AssignArguments<Actions extends ActionMap, Name extends ActionName<Actions>> =
  ContentIsOptional<ContentOf<Actions, Name>> extends true
    ? [content?: ContentOf<Actions, Name>, options?: AssignOptions<Actions, ResultOf<Actions, Name>>]
    : [content: ContentOf<Actions, Name>, options?: AssignOptions<Actions, ResultOf<Actions, Name>>];

/**
 * A Sequence of any Plan, for code that accepts every typed Sequence (a typed
 * `Sequence<Actions>` is not assignable to the plain `Sequence`, whose `assign` takes any name).
 */
export type AnySequence = Sequence<any, any>;

/**
 * Runs the actions of a Plan on Sites. `Actions` are the Plan's types, inferred from
 * `plan`: `assign` takes only its names, each with its content type, and the handle's
 * `result` has the action's result type.
 */
export class Sequence<Actions extends ActionMap = AnyActions, Machine extends AnyStateMachine = BuiltInActionMachine> implements InspectorTarget {
  readonly id: string;
  readonly name: string;
  readonly life: Life;
  readonly clock: Clock;
  /** Lifecycle events of every action and Site. */
  readonly events$: Observable<EchoEvent>;
  /** Recurring actions: list, pause, resume, remove, restore (see {@link Sequence.schedule}). */
  readonly schedules: Schedules;

  readonly #options: ResolvedSequenceOptions;
  readonly #events = new Subject<EchoEvent>();
  readonly #hub: InspectionHub;
  /** Users' actor systems that invoked this Sequence's actions (`actor(name)`), shown in its inspection. */
  readonly #guests: GuestSystems;
  readonly #root: SequenceRoot;
  readonly #queues: Queues;
  readonly #sites = new Map<string, Site>();
  readonly #live = new LiveRuns<ActionRun>();
  readonly #byKey = new Map<string, ActionRun>();
  readonly #engine: ActionEngine;
  /** Actions run on the table engine (not `engine: 'xstate'`, nor a machine it cannot compile). */
  #tableEngine = true;
  readonly #services: RunServices;
  readonly #control: HandleControl;
  readonly #shutdown: ShutdownTracker;
  readonly #assignmentDeps: AssignmentDeps;
  readonly #flow: FlowControl;
  readonly #telemetry: Telemetry;
  readonly #actionStats = new ActionStats();
  readonly #scheduler: Scheduler;
  /** The durable seam: null without a store. */
  readonly #journal: Journal | null;
  /** The production outside the process (BullMQ): null when the queues are in memory. */
  readonly #external: ExternalProduction | null;
  /** Runs that left this process unsettled, handed back to the external production. */
  readonly #handedBack = new WeakSet<ActionRun>();
  #started = false;
  #idleWaiters: (() => void)[] = [];

  constructor(options: SequenceOptions<Actions, Machine>) {
    const resolved = resolveSequenceOptions(options);
    this.#options = resolved;
    this.name = resolved.name;
    this.life = resolved.life;
    this.clock = resolved.clock;
    const events$ = new ContainedObservable<EchoEvent>((error) => this.#report(error), (subscriber) => this.#events.subscribe(subscriber));
    this.events$ = events$;
    this.#hub = new InspectionHub((error) => this.#report(error));
    if (resolved.inspect !== undefined) this.#hub.subscribe(resolved.inspect);
    this.#guests = new GuestSystems((event) => this.#hub.emit(event));
    this.#queues = new Queues(resolved.queues, resolved.sites.flatMap((site) => site.queues), resolved.random, (error) => this.#report(error));
    for (const [name, production] of this.#queues.productions) this.life.karma.set(name, production as Production<unknown>);
    this.#scheduler = new Scheduler({
      clock: this.clock,
      assign: (name, content, options) => this.assign(name, content, options),
      report: (error) => this.#report(error),
      ...(resolved.store !== null && { store: { saved: (state) => resolved.store!.scheduleSaved(state), removed: (id) => resolved.store!.scheduleRemoved(id) } }),
    });
    this.schedules = new Schedules(this.#scheduler, () => this.#external?.schedules);
    this.#telemetry = new Telemetry(resolved.telemetry, this.clock, () => this.#inFlight());
    this.#flow = new FlowControl(resolved.limits, {
      clock: this.clock,
      enqueue: (run) => this.#queues.enqueue(run),
      annotate: (run, wait) => {
        // After the step that held it: an inspector that pulls the actor reads it after that step.
        if (this.#hub.active) queueMicrotask(() => !run.settled && showFlowWait(this.#hub, run.actor, this.#root.sessionId, wait));
      },
    });
    const host = createSiteHost({
      gate: this.#flow,
      life: this.life,
      clock: this.clock,
      queues: this.#queues,
      maxSiteCrashes: resolved.maxSiteCrashes,
      siteActor: (id) => (this.#root.getSnapshot().children as Record<string, { send(event: unknown): void } | undefined>)[id],
      emit: (event) => this.#services.emit(event),
      puller: this.#hub,
      adopt: (run, site) => this.#engine.adopt(run, site),
    });
    for (const site of resolved.sites) {
      const productions = site.queues.map((queue) => this.#queues.productions.get(queue)!);
      this.#sites.set(site.id, new Site({ id: site.id, concurrency: site.concurrency, productions, behavior: site.behavior, host }));
    }
    this.#root = this.#createRoot();
    this.id = this.#root.sessionId;
    this.#shutdown = new ShutdownTracker(resolved.external !== null);
    const journal = resolved.store === null ? null : new Journal(resolved.store, resolved, (error) => this.#report(error));
    this.#journal = journal;
    if (journal !== null) this.#scheduler.adopt(journal.store.schedules());
    const emit = (event: EchoEvent): void => {
      journal?.event(event);
      if (this.#events.observed) this.#events.next(event);
    };
    const events = this.#events;
    this.#services = {
      clock: this.clock,
      random: resolved.random,
      life: this.life,
      enqueue: (run) => this.#queues.enqueue(run),
      releaseSite: (run) => (run.site as Site | null)?.release(run),
      emit,
      get listening() {
        return events.observed || journal !== null;
      },
      attemptFailed: (run, attempt, error, retryDelay) => {
        const limited = rateLimitErrorIn(error);
        if (limited !== null) this.#flow.rateLimited(run, limited);
        this.#telemetry.attemptFailed(run, attempt, error, retryDelay);
      },
      tracer: this.#telemetry.tracing ? this.#telemetry : null,
      activity: {
        options: resolved.activity,
        changed: (run, eventType) => {
          if (!run.hasActor) return;
          // Registered even while nobody inspects, so a viewer that joins later sees it.
          this.#hub.annotate(run.actor, run.activity!);
          this.#hub.touched(run.actor as never, this.#root.sessionId, eventType);
        },
      },
    };
    this.#assignmentDeps = {
      plan: resolved.plan,
      life: this.life,
      ids: resolved.ids,
      productions: this.#queues.productions,
      served: this.#queues.served,
      overflow: resolved.overflow,
      now: () => this.clock.now(),
      waiting: (queue) => this.#queues.waiting(queue),
      // The built-in generator never repeats itself; an injected one is checked on every assign.
      ...(options.ids !== undefined && { isLive: (id: string) => this.#live.get(id) !== undefined }),
    };
    const engineServices = {
      clock: this.clock,
      hub: this.#hub,
      rootId: () => this.#root.sessionId,
      settled: (run: ActionRun, output: ActionOutput, context: ActionContext) => this.#settled(run, output, context),
      failed: (run: ActionRun, error: Error) => this.#forceFail(run, error),
    };
    this.#tableEngine = resolved.engine === 'table';
    this.#engine = this.#chooseEngine(resolved.engine, resolved.actionMachine, engineServices);
    this.#control = {
      cancel: (run, reason, message) => this.#cancel(run, reason, message),
      retryNow: (run) => {
        if (!run.settled) run.actor.send({ type: 'RETRY_NOW', at: this.clock.now() }); // a settled actor takes no events
      },
      report: (error) => this.#report(error),
    };
    this.#external = resolved.external;
    this.#external?.bind(this.#externalHost());
  }

  /** Starts the Sites: queued actions begin to run. */
  start(): this {
    if (this.#started) return this;
    this.#started = true;
    this.#root.send({ type: 'START' });
    if (this.#journal !== null) this.#restore(this.#journal);
    this.#scheduler.wake();
    this.#external?.start();
    const children = this.#root.getSnapshot().children as Record<string, SiteActorRef | undefined>;
    for (const site of this.#sites.values()) {
      const ref = children[site.id];
      site.ref = ref;
      site.view = ref === undefined ? undefined : new SiteView(ref, site, this.#hub);
      site.pump();
    }
    return this;
  }

  /**
   * Assigns an action by name (or an ActionRecord) and returns its handle.
   * Throws RoutingError (unknown name or queue), ValidationError (content fails its schema),
   * BackpressureError (queue full with `overflow: 'throw'`) or CancellationError (shutting down).
   *
   * Persistable content and metadata (what a shutdown report's record carries, and what
   * survives `JSON.stringify` → `parseActionRecord` → `assign`): `null`, booleans, strings,
   * finite numbers, arrays and plain objects of those; `undefined` properties are left out
   * and no content at all is recorded as `null`; objects with a `toJSON` (a `Date`) are
   * recorded as what it gives. Anything else runs fine here but cannot be persisted
   * (`BigInt`, functions, symbols, `NaN`/`Infinity`, circular references): such an action's
   * record is `null` and a `SerializationError` names the first path that cannot be encoded.
   */
  assign<Name extends ActionName<Actions>>(name: Name, ...rest: AssignArguments<Actions, Name>): ActionHandle<ResultOf<Actions, Name>, EventFromLogic<Machine>>;
  assign(record: ActionRecord, options?: AssignOptions): ActionHandle<unknown, EventFromLogic<Machine>>;
  assign(nameOrRecord: string | ActionRecord, contentOrOptions?: unknown, maybeOptions?: unknown): ActionHandle<unknown> {
    return this.#assign(nameOrRecord, contentOrOptions, maybeOptions as AssignOptions | undefined, null);
  }

  /**
   * Re-runs an action with the same name, content, metadata and priority, as a new action.
   * Give its handle (settled or not), or the id of a live action (or, while an inspector is attached, a recently settled one).
   */
  again<Result = unknown>(action: ActionHandle<Result> | string): ActionHandle<Result> {
    const id = typeof action === 'string' ? action : action.id;
    const run = (typeof action === 'string' ? undefined : runOfHandle(action)) ?? this.#live.get(id) ?? this.#settledRuns.get(id);
    if (run === undefined) throw invalid('action', 'a handle or the id of an action of this Sequence', id);
    const options: AssignOptions = { metadata: run.metadata, priority: run.priority, queue: run.queue };
    return this.#assign(run.name, run.content, options, null, { againOf: run.id }) as ActionHandle<Result>;
  }

  /** The handle of a live action (or, while an inspector is attached, of a recently failed one). */
  get(id: string): ActionHandle<unknown, EventFromLogic<Machine>> | undefined {
    const run = this.#live.get(id) ?? this.#settledRuns.get(id);
    return run === undefined ? undefined : new ActionHandle(run, this.#control);
  }

  /**
   * XState actor logic that runs action `name` each time a user's machine invokes or spawns
   * it (see `fromAction`): the input is the content, the output the result, an error the
   * typed Echo error; stopping the invoking state cancels the action (reason `parent`).
   * In the inspector the action shows under the actor that invoked it, beside that actor's system.
   * Throws a RoutingError at once for a name the Plan lacks.
   * @example
   * const machine = setup({ actors: { read: sequence.actor('Read') } }).createMachine({
   *   invoke: { src: 'read', input: 'notes.txt', onDone: { actions: ({ event }) => console.log(event.output) } },
   * });
   */
  actor<Name extends ActionName<Actions>>(name: Name, options?: ActionLogicOptions): ActionLogic<ContentOf<Actions, Name>, ResultOf<Actions, Name>> {
    this.#options.plan.require(name);
    if (options !== undefined && (typeof options !== 'object' || options === null || 'signal' in options || 'then' in options)) {
      throw invalid('options', 'assign options without `signal` or `then` (the invoking actor decides when the action is cancelled)', options);
    }
    return createActionLogic(name, (content, host) => {
      if (host !== null) this.#guests.adopt(host);
      return this.#assign(name, content, options, null, undefined, host);
    });
  }

  /**
   * Assigns `name` with `content` on a trigger, `{ every: ms }` or `{ cron, timezone? }`, with
   * overlap (`skip` | `queue` | `cancel-previous`) and catch-up (`none` | `one` | `all`) policies.
   * Returns the schedule's state; `sequence.schedules` lists, pauses, resumes and removes.
   * @example
   * sequence.schedule('Sync', null, { every: 60_000, overlap: 'skip' });
   * sequence.schedule('Report', { kind: 'daily' }, { cron: '0 9 * * *', timezone: 'Europe/Berlin', catchUp: 'one' });
   */
  schedule(name: string, content: unknown, spec: ScheduleSpec): ScheduleState {
    // An external production that keeps schedules (BullMQ job schedulers) shares them with every process.
    if (this.#external?.schedules !== undefined) return this.#external.schedules.schedule(name, content, spec);
    this.#options.plan.require(name);
    if (this.#journal !== null) assertEncodable(content, 'content'); // it is stored with the schedule
    return this.#scheduler.add(name, content, spec);
  }

  /**
   * The result of action `id`: a live one's, or (with a store) a settled one's from the store,
   * also after a restart. Rejects with its typed error; a TypeError when the id is unknown.
   * @example
   * const output = await sequence.result('a-17');
   */
  result(id: string): Promise<unknown> {
    const run = this.#live.get(id) ?? this.#settledRuns.get(id);
    if (run !== undefined) return run.result();
    if (this.#external !== null) return this.#external.result(id);
    const stored = this.#journal?.result(id);
    return stored ?? Promise.reject(new TypeError(`No action "${id}" in Sequence "${this.name}"${this.#journal === null ? '' : ' or its store'}`));
  }

  /** Resolves once everything assigned and settled so far is committed to the store (at once without one). */
  flush(): Promise<void> {
    return this.#journal?.store.flush() ?? Promise.resolve();
  }

  /** The dead letters in the store: failed actions set aside with their whole history. */
  deadLetters(): DeadLetter[] {
    return this.#requireJournal('deadLetters').deadLetters();
  }

  /**
   * Assigns dead letters again, as new actions whose `provenance.redriveOf` names the dead letter;
   * they leave the dead-letter list. Give their ids, or a filter.
   * @example
   * sequence.redrive((dead) => dead.result.error?.name === 'ExecutionError');
   */
  redrive(selection: readonly string[] | ((dead: DeadLetter) => boolean)): ActionHandle[] {
    const journal = this.#requireJournal('redrive');
    const dead = journal.deadLetters();
    let chosen: DeadLetter[];
    if (typeof selection === 'function') chosen = dead.filter(selection);
    else if (Array.isArray(selection)) {
      const byId = new Map(dead.map((letter) => [letter.action.id, letter]));
      const unknown = selection.filter((id) => !byId.has(id));
      if (unknown.length > 0) throw new TypeError(`Expected ids of dead letters, got ${unknown.map((id) => JSON.stringify(id)).join(', ')}`);
      chosen = selection.map((id) => byId.get(id)!);
    } else throw new TypeError(`Expected \`redrive\` to take an array of ids or a filter function, got ${String(selection)} (${typeof selection})`);
    const handles = chosen.map(({ action }) =>
      this.#assign(action.name, action.content, { metadata: action.metadata, priority: action.priority, queue: action.queue }, null, { redriveOf: action.id }),
    );
    journal.store.redriven(chosen.map((letter) => letter.action.id), this.clock.now());
    this.#deadLettersChanged();
    return handles;
  }

  /** Listeners of the dead-letter list (the inspector's), told when it may have changed. */
  readonly #deadLetterListeners = new Set<() => void>();

  #deadLettersChanged(): void {
    for (const listener of this.#deadLetterListeners) listener();
  }

  #requireJournal(method: string): Journal {
    if (this.#journal === null) throw new TypeError(`\`${method}\` needs a store: new Sequence({ plan, store: sqliteStore('echo.db') })`);
    return this.#journal;
  }

  /** Restores what the store holds: queued, delayed, retrying and interrupted actions (see `Journal.restore`). */
  #restore(journal: Journal): void {
    const now = this.clock.now();
    for (const { init, encoded } of journal.restore(this.#assignmentDeps, now)) {
      const run = new ActionRun(init, this.#services, null);
      this.#launch(run, null, undefined, encoded);
    }
    journal.prune(now);
    this.#deadLettersChanged(); // a stored action the Plan no longer has is dead-lettered by the restore
  }

  /** Sites stop taking new actions; running ones go on. */
  pause(): void {
    this.#root.send({ type: 'PAUSE' });
  }

  /** Sites take new actions again after `pause()`. */
  resume(): void {
    this.#root.send({ type: 'RESUME' });
  }

  /** Resolves when no action is live (all assigned actions settled). */
  whenIdle(): Promise<void> {
    if (this.#live.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Resolves when `queue` has room (for pacing producers under backpressure). */
  whenWritable(queue: string = DEFAULT_QUEUE, signal?: AbortSignal): Promise<void> {
    const production = this.#queues.productions.get(queue);
    if (production === undefined) return Promise.reject(new TypeError(`Unknown queue "${queue}"`));
    return production.whenSpace(signal);
  }

  /**
   * Stops accepting actions, lets work in flight finish until `deadline` ms,
   * then cancels what is left with reason `shutdown`. Resolves with the count of
   * finished actions and a record of every unfinished one, by `deadline` plus the
   * longest `cancelGrace` of what was live then, whatever user code does: a hook,
   * function or Site behaviour still running then is abandoned (its late answer is
   * ignored) and named in `report.abandoned`. An action already in `afterHooks` or
   * `cancelling` at the deadline keeps its outcome and counts as finished. The
   * report is always JSON-safe.
   */
  shutdown(options: { deadline?: number } = {}): Promise<ShutdownReport> {
    const deadline = options.deadline ?? this.life.fate.shutdownDeadline;
    checkNumber(deadline, { field: 'deadline' }, { min: 0, infinite: true });
    if (!this.#shutdown.started) {
      this.#shutdown.begin();
      this.#external?.stopClaiming();
      this.#scheduler.stop();
      this.#root.send({ type: 'SHUTDOWN', deadline, at: this.clock.now() });
      this.#checkDrained();
    }
    const external = this.#external;
    if (external === null) return this.#shutdown.report;
    return this.#shutdown.report.then(async (report) => {
      await external.close();
      return report;
    });
  }

  /** Counts of what this Sequence did so far, its queues, and its flow limits (held actions, next slots). */
  stats(): {
    assigned: number;
    live: number;
    done: number;
    failed: number;
    cancelled: number;
    queues: Record<string, ReturnType<Production<ActionRun>['stats']>>;
    flow: ReturnType<FlowControl['stats']>;
    actions: Record<string, ActionNameStats>;
  } {
    return {
      ...this.#shutdown.counts,
      live: this.#live.size,
      queues: this.#queues.stats(),
      flow: this.#flow.stats(),
      actions: this.#actionStats.snapshot(this.#inFlight()),
    };
  }

  /** Live actions on a Site now, by name (O(live actions): for snapshots and metric collection). */
  #inFlight(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const run of this.#live.values()) if (run.site !== null) counts.set(run.name, (counts.get(run.name) ?? 0) + 1);
    return counts;
  }

  // ── InspectorTarget ────────────────────────────────────────────────────────
  subscribeInspection(observer: (event: InspectionEvent) => void, options?: InspectionSubscribeOptions): () => void {
    return this.#hub.subscribe(observer, options);
  }

  *currentActors(): Iterable<InspectableActorRef> {
    yield this.#root as never;
    const children = this.#root.getSnapshot().children as Record<string, unknown>;
    // A Site shows through its view: its actor's state with its load.
    for (const child of Object.values(children)) if (child !== undefined) yield (this.#sites.get((child as { id: string }).id)?.view ?? child) as never;
    for (const run of this.#live.values()) yield this.#hub.viewOf(run.actor) as never; // materializes queued records
    yield* this.#guests.actors() as Iterable<never>;
  }

  /** Calls `listener` when the dead-letter list may have changed (for the inspector); null without a store. */
  subscribeDeadLetters(listener: () => void): (() => void) | null {
    if (this.#journal === null) return null;
    this.#deadLetterListeners.add(listener);
    return () => this.#deadLetterListeners.delete(listener);
  }

  machines(): Record<string, AnyStateMachine> {
    return { 'echo.action': this.#options.actionMachine, 'echo.site': siteMachine, 'echo.sequence': sequenceMachine } as Record<string, AnyStateMachine>;
  }

  async control(command: ControlCommand): Promise<void> {
    switch (command.type) {
      case 'pause':
      case 'resume':
        if (this.#shutdown.started || this.#root.getSnapshot().status !== 'active') {
          throw new Error(`Sequence "${this.name}" is ${this.#shutdown.started ? 'shutting down or stopped' : 'stopped'}: it cannot ${command.type}`);
        }
        return command.type === 'pause' ? this.pause() : this.resume();
      case 'redrive':
        this.redrive(command.actionIds);
        return;
      case 'cancel-many':
      case 'retry-many':
        return controlMany(command, (actionId) => this.control({ type: command.type === 'cancel-many' ? 'cancel' : 'retry', actionId }));
      case 'cancel':
      case 'retry': {
        const run = this.#live.get(command.actionId) ?? this.#settledRuns.get(command.actionId);
        if (run === undefined) throw new TypeError(`No action "${command.actionId}" in Sequence "${this.name}"`);
        if (command.type === 'cancel') return this.#cancel(run, 'user', 'Cancelled from the inspector');
        if (run.settled) {
          this.again(run.id);
          return;
        }
        run.actor.send({ type: 'RETRY_NOW', at: this.clock.now() });
        return;
      }
    }
  }

  // ── internals ──────────────────────────────────────────────────────────────
  /** Recently failed runs while inspected, for `get`, `again` and the inspector's "retry now" (bounded). */
  readonly #settledRuns = new Map<string, ActionRun>();

  #assign(
    nameOrRecord: string | ActionRecord,
    contentOrOptions: unknown,
    maybeOptions: AssignOptions | undefined,
    parent: ActionRun | null,
    provenance?: Provenance,
    host: AnyActorRef | null = null,
  ): ActionHandle {
    if (this.#shutdown.started && (parent === null || this.#shutdown.aborting)) {
      throw new CancellationError(`Sequence "${this.name}" is shutting down and accepts no new actions`, { reason: 'shutdown' });
    }
    const options = typeof nameOrRecord === 'string' ? maybeOptions : (contentOrOptions as AssignOptions | undefined);
    const key = options?.idempotencyKey;
    if (this.#external !== null) {
      // The engine deduplicates across processes: an idempotency key is the action's id there.
      const deps = key === undefined ? this.#assignmentDeps : { ...this.#assignmentDeps, ids: () => key, isLive: undefined };
      const prepared = prepareAssignment(nameOrRecord, contentOrOptions, maybeOptions, deps);
      return this.#external.assign(provenance === undefined ? prepared : { ...prepared, provenance }, parent?.id ?? null, options);
    }
    if (key !== undefined) {
      const existing = this.#byKey.get(key);
      if (existing !== undefined) return new ActionHandle(existing, this.#control);
      const stored = this.#journal?.store.byIdempotencyKey(key);
      if (stored !== undefined) return this.#journal!.settledHandle(stored, this.#services, this.#control, this.#assignmentDeps);
    }
    const prepared = prepareAssignment(nameOrRecord, contentOrOptions, maybeOptions, this.#assignmentDeps);
    const init = provenance === undefined && host === null ? prepared : { ...prepared, ...(provenance !== undefined && { provenance }), host };
    // A durable Sequence refuses content it cannot store here, before anything is queued.
    const encoded = this.#journal?.encode(init, parent?.id ?? null);
    return this.#launch(new ActionRun(init, this.#services, parent), parent, options, encoded);
  }

  #launch(run: ActionRun, parent: ActionRun | null, options: AssignOptions | undefined, encoded: EncodedAction | undefined): ActionHandle {
    if (encoded !== undefined) run.acceptedWhen(this.#journal!.assigned(run, encoded));
    this.#live.add(run);
    this.#shutdown.assigned();
    this.#actionStats.assigned(run.name);
    this.#telemetry.assigned(run);
    if (run.idempotencyKey !== undefined) this.#byKey.set(run.idempotencyKey, run);
    if (parent !== null) parent.addChild(run);
    if (this.#events.observed) this.#services.emit({ type: 'assigned', actionId: run.id, name: run.name, at: run.createdAt, priority: run.priority, queue: run.queue, parentId: parent?.id ?? null });
    if (options?.signal?.aborted === true) {
      // Aborted before it was assigned: the actor skips its enqueue once and takes the CANCEL below, so no Site runs it.
      run.queueBeforeActor();
      this.#engine.start(run, run.host ?? this.#root);
    } else if (this.#tableEngine && run.startDelay === 0 && run.totalTimeout === null && !this.#hub.active) {
      // A plain queued action stays a small record until a Site takes it (or someone looks at it).
      run.queueBeforeActor();
      run.deferActor(this.#materialize);
      this.#queues.enqueue(run);
    } else {
      this.#engine.start(run, run.host ?? this.#root);
    }
    if (run.license !== null && !run.settled) {
      const release = run.license.onRevoke((error) => {
        if (run.settled) return; // it failed on its own check while an earlier holder was told
        try {
          run.actor.send({ type: 'LICENSE_REVOKED', error: run.recordError(error), at: this.clock.now() });
        } catch (thrown) {
          // The revoker must go on telling the other holders; this one is failed through the engine's own path.
          this.#report(thrown);
        }
      });
      if (run.settled) release();
      else run.holdLicense(release);
    }
    if (options?.signal !== undefined && !run.settled) this.#follow(run, options.signal);
    return new ActionHandle(run, this.#control);
  }

  /** Cancels `run` when `signal` aborts (at once when it already has), as `fetch` does; the listener goes when the run settles. */
  #follow(run: ActionRun, signal: AbortSignal): void {
    const abort = (): void => {
      if (run.settled) return;
      const message = `Action "${run.name}" was cancelled: its signal was aborted`;
      const state = run.actor.getSnapshot().value;
      // The signal's reason becomes the cause, unless the outcome is already decided or a cancel is under way.
      if (!isOutcomeDecided(state)) run.noteCancelCause(signal.reason);
      this.#cancel(run, 'user', message);
    };
    if (signal.aborted) {
      abort();
      return;
    }
    signal.addEventListener('abort', abort, { once: true });
    run.onSettled(() => signal.removeEventListener('abort', abort));
  }

  readonly #materialize = (run: ActionRun) => this.#engine.start(run, run.host ?? this.#root);

  #cancel(run: ActionRun, reason: CancellationReason, message: string): void {
    if (!(CANCELLATION_REASONS as readonly string[]).includes(reason)) {
      throw invalid('reason', oneOf(CANCELLATION_REASONS), reason);
    }
    if (!run.settled) run.actor.send({ type: 'CANCEL', reason, message, at: this.clock.now() });
    if (run.children !== null) {
      for (const child of run.children) this.#cancel(child, 'parent', `Parent action ${run.id} was cancelled`);
    }
  }

  /** Everything that follows an action's end, once: `output` is the chart's (or, with `error`, the runtime's when it ended the action itself). */
  #settled(run: ActionRun, output: ActionOutput, context: ActionContext, error?: Error): Settlement | null {
    if (run.settled) return null; // abandoned at shutdown already; a late end of its actor changes nothing
    if (this.#handedBack.has(run)) return null; // another process runs it now
    const settlement = run.settle(output, context, error);
    this.#journal?.settled(run, output, context, settlement.ok ? null : settlement.error, this.clock.now());
    if (output.status === 'failed' && this.#deadLetterListeners.size > 0) this.#deadLettersChanged();
    this.#live.delete(run);
    if (output.status === 'failed') this.#remember(run);
    if (run.idempotencyKey !== undefined && this.#byKey.get(run.idempotencyKey) === run) this.#byKey.delete(run.idempotencyKey);
    run.parent?.removeChild(run);
    const site = run.site as Site | null;
    if (site !== null) site.release(run);
    else this.#queues.discard(run);
    this.#flow.settled(run);
    this.#actionStats.settled(run.name, output, context, context.settledAt ?? this.clock.now());
    this.#telemetry.settled(run, output, context, settlement.ok ? null : settlement.error);
    const at = context.settledAt ?? this.clock.now();
    const attempts = context.attempts.length;
    this.#shutdown.settled(run, output.status, context);
    const listening = this.#events.observed;
    if (output.status === 'done') {
      if (listening) this.#services.emit({ type: 'done', actionId: run.id, name: run.name, at, output: output.output, attempts });
      if (settlement.ok) this.#followUp(run, settlement.value);
    } else if (output.status === 'failed') {
      if (listening) this.#services.emit({ type: 'failed', actionId: run.id, name: run.name, at, error: serializeError(settlement.ok ? null : settlement.error), attempts });
    } else if (listening) {
      this.#services.emit({ type: 'cancelled', actionId: run.id, name: run.name, at, reason: context.cancellation?.reason ?? 'user', attempts });
    }
    this.#left();
    return settlement;
  }

  /** A run left the live set: shutdown may be drained, idle waiters may resolve. */
  #left(): void {
    this.#checkDrained();
    if (this.#live.size === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /**
   * Ends a local run claimed from the external production without settling it: its function is
   * aborted, its slot and queue place freed, its actor stopped; the production holds it again.
   */
  #handBack(run: ActionRun): void {
    if (run.settled || this.#handedBack.has(run)) return;
    this.#handedBack.add(run);
    run.abort(new CancellationError(`Action ${run.id} was handed back to its production`, { reason: 'shutdown', actionId: run.id }));
    run.endPhase();
    this.#live.delete(run);
    if (run.idempotencyKey !== undefined && this.#byKey.get(run.idempotencyKey) === run) this.#byKey.delete(run.idempotencyKey);
    const site = run.site as Site | null;
    if (site !== null) site.release(run);
    else this.#queues.discard(run);
    this.#flow.settled(run);
    this.#telemetry.handedBack(run);
    run.releaseLicense();
    this.#shutdown.handedBack();
    if (run.hasActor && run.actor.getSnapshot().status === 'active') {
      try {
        run.actor.stop();
      } catch (stopError) {
        this.#report(stopError); // it is handed back regardless
      }
    }
    this.#left();
  }

  /** What the external production may use of this Sequence. */
  #externalHost(): ExternalProductionHost {
    const concurrency = this.#options.sites.reduce((sum, site) => sum + site.concurrency, 0);
    return {
      name: this.name,
      clock: this.clock,
      deps: this.#assignmentDeps,
      services: this.#services,
      control: this.#control,
      concurrency,
      limits: this.#options.limits,
      runHere: (init) => {
        const run = new ActionRun(init, this.#services, null);
        this.#launch(run, null, undefined, undefined);
        return run;
      },
      local: (id) => this.#live.get(id),
      cancel: (run, reason, message) => this.#cancel(run, reason, message),
      handBack: (run) => this.#handBack(run),
      report: (error) => this.#report(error),
    };
  }

  #remember(run: ActionRun): void {
    // Only failed runs, only while inspected: the inspector's "retry now" may name one.
    if (!this.#hub.active) return;
    this.#settledRuns.set(run.id, run);
    if (this.#settledRuns.size > 1000) this.#settledRuns.delete(this.#settledRuns.keys().next().value!);
  }

  #followUp(run: ActionRun, output: unknown): void {
    if (run.followUps.length === 0) return;
    for (const next of run.followUps) {
      try {
        const content = next.contentFrom !== undefined ? next.contentFrom(output) : next.content === undefined ? output : next.content;
        this.#assign(next.name, content, { ...(next.metadata !== undefined && { metadata: next.metadata }), priority: next.priority ?? run.priority }, run);
      } catch (error) {
        this.#report(new Error(`Follow-up "${next.name}" of action ${run.id} could not be assigned: ${messageOf(error)}`, { cause: error }));
      }
    }
  }

  #forceFail(run: ActionRun, error: Error): void {
    this.#report(error);
    if (run.settled) return;
    if (run.actor.getSnapshot().status === 'active') {
      try {
        run.actor.stop();
      } catch (stopError) {
        this.#report(stopError); // XState refuses to stop an actor that has a parent; the run settles regardless
      }
    }
    const context = run.actor.getSnapshot().context;
    const record = run.recordError(error);
    this.#settled(run, { status: 'failed', output: undefined, error: record }, { ...context, error: record });
    // The chart did not end it (an effect threw): the after-hooks it owes run here.
    runOwedAfterHooks(run, { ok: false, error }, context.attempts.length);
  }

  /**
   * Shutdown's deadline is a bound: what is still live `cancelGrace` after the deadline
   * (an after-hook, a function or a Site behaviour that never settles) is abandoned then.
   */
  #abandonAfterGrace(live: readonly ActionRun[]): void {
    let grace = -1;
    for (const run of live) if (!run.settled && run.cancelGrace > grace) grace = run.cancelGrace;
    if (grace < 0) return;
    this.clock.setTimeout(() => {
      for (const run of [...this.#live.values()]) this.#abandon(run);
    }, grace);
  }

  /**
   * Settles `run` without waiting for its user code any longer. An action in
   * `afterHooks` keeps the outcome it had; any other is cancelled (reason `shutdown`).
   * Its actor is stopped, so a late answer changes nothing.
   */
  #abandon(run: ActionRun): void {
    if (run.settled) return;
    const snapshot = run.actor.getSnapshot();
    const context = snapshot.context;
    const now = this.clock.now();
    run.endPhase();
    if (String(snapshot.value) === 'afterHooks') {
      this.#settled(run, { status: context.error === null ? 'done' : 'failed', output: context.output, error: context.error }, { ...context, settledAt: now });
    } else {
      const message = `Sequence "${this.name}" shut down; action ${run.id} was abandoned after its cancel grace`;
      const cancellation = context.cancellation ?? { reason: 'shutdown' as const, message, at: now };
      const settlement = this.#settled(run, { status: 'cancelled', output: undefined, error: null }, { ...context, cancellation, settledAt: now });
      // The chart did not end it (its user code never answered): the after-hooks it owes run here.
      if (settlement !== null) runOwedAfterHooks(run, settlement, context.attempts.length);
    }
    if (run.actor.getSnapshot().status === 'active') {
      try {
        run.actor.stop();
      } catch (stopError) {
        this.#report(stopError); // the run is settled regardless
      }
    }
  }

  #checkDrained(): void {
    if (this.#shutdown.started && this.#live.size === 0 && !this.#shutdown.drained) {
      this.#shutdown.markDrained();
      this.#root.send({ type: 'DRAINED', unfinished: this.#shutdown.unfinishedCount });
    }
  }

  /** The table engine when it can run the machine; else `createActor`, with a one-line notice through `onError`. */
  #chooseEngine(engine: 'table' | 'xstate', machine: AnyStateMachine, services: EngineServices): ActionEngine {
    if (engine === 'xstate') return createXStateEngine(services, machine);
    try {
      return createTableEngine(services, machine);
    } catch (error) {
      if (!(error instanceof UnsupportedMachineError)) throw error;
      this.#tableEngine = false;
      const notice = new Error(`Sequence "${this.name}": ${error.message}; machine "${String(machine.id)}" runs with createActor (engine 'xstate')`, { cause: error });
      notice.name = 'EchoNotice';
      this.#report(notice);
      return createXStateEngine(services, machine);
    }
  }

  #report(error: unknown): void {
    // Errors of observers and follow-ups must never break the runtime; they are reported here, later.
    const { onError, lastResort } = this.#options;
    queueMicrotask(() => {
      try {
        onError(error);
      } catch (thrown) {
        const warning = new Error(`onError of Sequence "${this.name}" threw while reporting "${messageOf(error)}": ${messageOf(thrown)}`, { cause: thrown });
        warning.name = 'EchoWarning';
        try {
          lastResort(warning);
        } catch {
          // The last resort itself threw: there is nobody left to tell, and the runtime must go on.
        }
      }
    });
  }

  #createRoot(): SequenceRoot {
    const sites = () => this.#sites.values();
    return createSequenceRoot({
      name: this.#options.name,
      sites: this.#options.sites,
      clock: this.#options.clock,
      inspect: (event) => this.#hub.emit(event),
      report: (error) => this.#report(error),
      effects: {
        pauseSites: () => {
          for (const site of sites()) site.pause();
          this.#services?.emit({ type: 'paused', at: this.clock.now() });
        },
        resumeSites: () => {
          for (const site of sites()) site.resume();
          this.#services?.emit({ type: 'resumed', at: this.clock.now() });
        },
        abortRemaining: () => {
          // Work claimed from an external production goes back to it, for another process: not to the report.
          this.#external?.handBackClaimed();
          const live = [...this.#live.values()];
          this.#shutdown.beginAbort(live);
          for (const run of live) this.#cancel(run, 'shutdown', `Sequence "${this.name}" shut down before action ${run.id} finished`);
          this.#abandonAfterGrace(live);
        },
        stopSites: () => {
          for (const site of sites()) site.stop();
          this.#flow.stop();
          this.#services?.emit({ type: 'shutdown', at: this.clock.now(), unfinished: this.#shutdown.unfinishedCount });
          this.#shutdown.finish();
          this.#journal?.close();
        },
        restartSite: (id) => this.#sites.get(id)?.restart(),
      },
    });
  }
}

/**
 * Creates a Sequence (the same as `new Sequence(options)`).
 * @example
 * const sequence = createSequence({ plan, sites: 4 }).start();
 */
export function createSequence<Actions extends ActionMap = AnyActions, Machine extends AnyStateMachine = BuiltInActionMachine>(options: SequenceOptions<Actions, Machine>): Sequence<Actions, Machine> {
  return new Sequence(options);
}

export type { FollowUp, Priority };
