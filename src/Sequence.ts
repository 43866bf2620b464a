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
import type { Subject, Observable } from 'rxjs';
import type { AnyStateMachine, EventFromLogic, InspectionEvent } from 'xstate';
import type { BuiltInActionMachine } from '../machines/action.machine.js';
import { DEFAULT_QUEUE, type Priority } from '../machines/actionConstants.js';
import { ActionHandle, runOfHandle } from './action/ActionHandle.js';
import { createActionLogic, type ActionLogic, type ActionLogicOptions } from './action/fromAction.js';
import type { ActionRecord } from './action/actionRecord.js';
import type { ActionRun, FollowUp } from './action/ActionRun.js';
import type { AssignOptions } from './action/assignment.js';
import type { Clock } from './clock.js';
import { ContainedObservable } from './eventStream.js';
import type { EchoEvent } from './events.js';
import type { FlowControl } from './flow/FlowControl.js';
import type { GuestSystems } from './inspect/GuestSystems.js';
import type { InspectionHub, InspectionSubscribeOptions } from './inspect/InspectionHub.js';
import type { ControlCommand, InspectableActorRef, InspectorTarget } from './inspect/target.js';
import type { Life } from './Life.js';
import type { ActionMap, ActionName, AnyActions, ContentIsOptional, ContentOf, ResultOf } from './planTypes.js';
import type { Scheduler } from './schedule/Scheduler.js';
import type { ScheduleSpec, ScheduleState } from './schedule/scheduleSpec.js';
import { Schedules } from './schedule/Schedules.js';
import type { ActionRuns } from './sequence/ActionRuns.js';
import type { DeadLetters } from './sequence/DeadLetters.js';
import { controlSequence, currentActors, machinesByRole } from './sequence/inspectorTarget.js';
import { inFlight, wireSequence } from './sequence/wiring.js';
import { resolveSequenceOptions, type ResolvedSequenceOptions, type SequenceOptions } from './sequenceOptions.js';
import type { SequenceRoot } from './sequenceRoot.js';
import type { ShutdownReport, ShutdownTracker } from './shutdown.js';
import { assertEncodable } from './store/encodable.js';
import type { Journal } from './store/journal.js';
import type { DeadLetter, DeadLetterPage, DeadLetterQuery } from './store/Store.js';
import type { ActionStats, ActionNameStats } from './telemetry/ActionStats.js';
import { checkNumber, invalid } from './validate.js';
import type { ExternalProduction } from './work/ExternalProduction.js';
import type { Production } from './work/Production.js';
import type { Queues } from './work/Queues.js';
import type { Site } from './work/Site.js';
import { SiteView, type SiteActorRef } from './work/SiteView.js';

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
  readonly #events: Subject<EchoEvent>;
  readonly #hub: InspectionHub;
  readonly #guests: GuestSystems;
  readonly #root: SequenceRoot;
  readonly #queues: Queues;
  readonly #sites: ReadonlyMap<string, Site>;
  readonly #runs: ActionRuns;
  readonly #shutdown: ShutdownTracker;
  readonly #flow: FlowControl;
  readonly #actionStats: ActionStats;
  readonly #scheduler: Scheduler;
  readonly #journal: Journal | null;
  readonly #deadLetters: DeadLetters;
  /** The production outside the process (BullMQ): null when the queues are in memory. */
  readonly #external: ExternalProduction | null;
  #started = false;

  constructor(options: SequenceOptions<Actions, Machine>) {
    const resolved = resolveSequenceOptions(options);
    this.#options = resolved;
    this.name = resolved.name;
    this.life = resolved.life;
    this.clock = resolved.clock;
    const parts = wireSequence(resolved, options.ids !== undefined);
    this.#events = parts.events;
    this.events$ = new ContainedObservable<EchoEvent>(parts.report, (subscriber) => parts.events.subscribe(subscriber));
    this.#hub = parts.hub;
    this.#guests = parts.guests;
    this.#root = parts.root;
    this.id = parts.root.sessionId;
    this.#queues = parts.queues;
    this.#sites = parts.sites;
    this.#runs = parts.runs;
    this.#shutdown = parts.shutdown;
    this.#flow = parts.flow;
    this.#actionStats = parts.actionStats;
    this.#scheduler = parts.scheduler;
    this.schedules = new Schedules(parts.scheduler, () => this.#external?.schedules);
    this.#journal = parts.journal;
    this.#deadLetters = parts.deadLetters;
    this.#external = resolved.external;
  }

  /** Starts the Sites: queued actions begin to run. */
  start(): this {
    if (this.#started) return this;
    this.#started = true;
    this.#root.send({ type: 'START' });
    if (this.#journal !== null) {
      // Restores what the store holds: queued, delayed, retrying and interrupted actions (see `Journal.restore`).
      this.#runs.restore(this.#journal);
      this.#deadLetters.changed(); // a stored action the Plan no longer has is dead-lettered by the restore
    }
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
    return this.#runs.assign(nameOrRecord, contentOrOptions, maybeOptions as AssignOptions | undefined, null);
  }

  /**
   * Re-runs an action with the same name, content, metadata and priority, as a new action.
   * Give its handle (settled or not), or the id of a live action (or, while an inspector is attached, a recently settled one).
   */
  again<Result = unknown>(action: ActionHandle<Result> | string): ActionHandle<Result> {
    const id = typeof action === 'string' ? action : action.id;
    const run = (typeof action === 'string' ? undefined : runOfHandle(action)) ?? this.#runs.find(id);
    if (run === undefined) throw invalid('action', 'a handle or the id of an action of this Sequence', id);
    const options: AssignOptions = { metadata: run.metadata, priority: run.priority, queue: run.queue };
    return this.#runs.assign(run.name, run.content, options, null, { againOf: run.id }) as ActionHandle<Result>;
  }

  /** The handle of a live action (or, while an inspector is attached, of a recently failed one). */
  get(id: string): ActionHandle<unknown, EventFromLogic<Machine>> | undefined {
    const run = this.#runs.find(id);
    return run === undefined ? undefined : new ActionHandle(run, this.#runs.control);
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
      return this.#runs.assign(name, content, options, null, undefined, host);
    });
  }

  /**
   * Assigns `name` with `content` on a trigger, `{ every: ms }` or `{ cron, timezone? }`, with
   * overlap (`skip` | `queue` | `cancel-previous`) and catch-up (`none` | `one` | `all`) policies.
   * Returns the schedule's state; `sequence.schedules` lists, pauses, resumes and removes.
   * On a `bullmqProduction` the schedule is a BullMQ job scheduler in Redis, shared by every process
   * (each due time runs once; it survives restarts), managed with `production.schedules`; catch-up
   * `all` adds the runs BullMQ skipped (refused with a `ScheduleNotSupportedError` for an id with a `:`).
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
    const run = this.#runs.find(id);
    if (run !== undefined) return run.result();
    if (this.#external !== null) return this.#external.result(id);
    const stored = this.#journal?.result(id);
    return stored ?? Promise.reject(new TypeError(`No action "${id}" in Sequence "${this.name}"${this.#journal === null ? '' : ' or its store'}`));
  }

  /** Resolves once everything assigned and settled so far is committed to the store (at once without one). */
  flush(): Promise<void> {
    return this.#journal?.store.flush() ?? Promise.resolve();
  }

  /**
   * One page of the dead letters in the store (failed actions set aside with their whole history),
   * oldest first: `limit` per page (default 100), the next page from the page's `next` cursor.
   * @example
   * for (let page = sequence.deadLetters(); ; page = sequence.deadLetters({ cursor: page.next })) {
   *   for (const letter of page.letters) console.log(letter.action.id, letter.result.error?.message);
   *   if (page.next === null) break;
   * }
   */
  deadLetters(query?: DeadLetterQuery): DeadLetterPage {
    return this.#deadLetters.page(query);
  }

  /**
   * Assigns dead letters again, as new actions whose `provenance.redriveOf` names the dead letter;
   * they leave the dead-letter list. Give their ids, or a filter.
   * @example
   * sequence.redrive((dead) => dead.result.error?.name === 'ExecutionError');
   */
  redrive(selection: readonly string[] | ((dead: DeadLetter) => boolean)): ActionHandle[] {
    return this.#deadLetters.redrive(selection, (action) =>
      this.#runs.assign(action.name, action.content, { metadata: action.metadata, priority: action.priority, queue: action.queue }, null, { redriveOf: action.id }),
    );
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
    return this.#runs.whenIdle();
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
      this.#runs.checkDrained();
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
      live: this.#runs.size,
      queues: this.#queues.stats(),
      flow: this.#flow.stats(),
      actions: this.#actionStats.snapshot(inFlight(this.#runs.values())),
    };
  }

  // ── InspectorTarget ────────────────────────────────────────────────────────
  subscribeInspection(observer: (event: InspectionEvent) => void, options?: InspectionSubscribeOptions): () => void {
    return this.#hub.subscribe(observer, options);
  }

  currentActors(): Iterable<InspectableActorRef> {
    return currentActors(this.#root, this.#sites, this.#runs, this.#hub, this.#guests);
  }

  /** Calls `listener` when the dead-letter list may have changed (for the inspector); null without a store. */
  subscribeDeadLetters(listener: () => void): (() => void) | null {
    return this.#deadLetters.subscribe(listener);
  }

  machines(): Record<string, AnyStateMachine> {
    return machinesByRole(this.#options.actionMachine as AnyStateMachine);
  }

  control(command: ControlCommand): Promise<void> {
    const parts = { name: this.name, clock: this.clock, root: this.#root, runs: this.#runs, shutdown: this.#shutdown };
    return controlSequence({ ...parts, pause: () => this.pause(), resume: () => this.resume(), redrive: (ids) => void this.redrive(ids), again: (id) => void this.again(id) }, command);
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
