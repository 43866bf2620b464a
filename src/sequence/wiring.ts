/**
 * How a Sequence is put together from its parts, once, in its constructor: the
 * inspection hub, the queues, flow control, telemetry, the Sites under the root
 * actor, the store's journal, the live runs and the engine that runs them, and
 * what the root actor's effects do (pause, resume, abort what remains, stop).
 * @internal
 */
import { Subject } from 'rxjs';
import type { ActionRun, RunServices } from '../action/ActionRun.js';
import { chooseActionEngine } from '../engine/actionEngine.js';
import type { EchoEvent } from '../events.js';
import { FlowControl } from '../flow/FlowControl.js';
import { showFlowWait } from '../flow/showFlowWait.js';
import { GuestSystems } from '../inspect/GuestSystems.js';
import { InspectionHub } from '../inspect/InspectionHub.js';
import { Scheduler } from '../schedule/Scheduler.js';
import type { ResolvedSequenceOptions } from '../sequenceOptions.js';
import { createSequenceRoot, type SequenceRoot } from '../sequenceRoot.js';
import { ShutdownTracker } from '../shutdown.js';
import { Journal } from '../store/journal.js';
import { ActionStats } from '../telemetry/ActionStats.js';
import { Telemetry } from '../telemetry/Telemetry.js';
import type { Production } from '../work/Production.js';
import { Queues } from '../work/Queues.js';
import { Site } from '../work/Site.js';
import { createSiteHost } from '../work/siteSupervision.js';
import { StepTime } from '../work/StepTime.js';
import { abandonAfterGrace } from './abandon.js';
import { ActionRuns } from './ActionRuns.js';
import { DeadLetters } from './DeadLetters.js';
import { createReporter } from './report.js';
import { createRunServices } from './runServices.js';

/** The parts of one Sequence. */
export interface SequenceParts {
  readonly events: Subject<EchoEvent>;
  readonly hub: InspectionHub;
  /** Users' actor systems that invoked the Sequence's actions (`actor(name)`), shown in its inspection. */
  readonly guests: GuestSystems;
  readonly root: SequenceRoot;
  readonly queues: Queues;
  readonly sites: ReadonlyMap<string, Site>;
  /** The live actions, from their assignment to their end. */
  readonly runs: ActionRuns;
  readonly services: RunServices;
  readonly shutdown: ShutdownTracker;
  readonly flow: FlowControl;
  readonly telemetry: Telemetry;
  readonly actionStats: ActionStats;
  readonly scheduler: Scheduler;
  /** The durable seam: null without a store. */
  readonly journal: Journal | null;
  readonly deadLetters: DeadLetters;
  /** The Sequence's one reporting function (to `onError`, later). */
  readonly report: (error: unknown) => void;
}

/** Puts a Sequence together; `injectedIds`: the ids come from the user's generator (checked on every assign). */
export function wireSequence(resolved: ResolvedSequenceOptions, injectedIds: boolean): SequenceParts {
  const { name, clock, life } = resolved;
  const report = createReporter(name, resolved);
  const events = new Subject<EchoEvent>();
  const hub = new InspectionHub(report);
  if (resolved.inspect !== undefined) hub.subscribe(resolved.inspect);
  const guests = new GuestSystems((event) => hub.emit(event));
  const queues = new Queues(resolved.queues, resolved.sites.flatMap((site) => site.queues), resolved.random, report);
  for (const [queue, production] of queues.productions) life.karma.set(queue, production as Production<unknown>);
  // `runs`, `root` and `services` are made below: the closures that use them run only once the Sequence is built.
  let runs: ActionRuns;
  let root: SequenceRoot;
  let services: RunServices | undefined;
  const scheduler = new Scheduler({
    clock,
    assign: (action, content, options) => runs.assign(action, content, options, null),
    report,
    ...(resolved.store !== null && { store: { saved: (state) => resolved.store!.scheduleSaved(state), removed: (id) => resolved.store!.scheduleRemoved(id) } }),
    running: (key) => runs.liveByKey(key),
  });
  const telemetry = new Telemetry(resolved.telemetry, clock, () => inFlight(runs.values()));
  const flow = new FlowControl(resolved.limits, {
    clock,
    enqueue: (run) => queues.enqueue(run),
    annotate: (run, wait) => {
      // After the step that held it: an inspector that pulls the actor reads it after that step.
      if (hub.active) queueMicrotask(() => !run.settled && showFlowWait(hub, run.actor, root.sessionId, wait));
    },
  });
  const stepTime = new StepTime(clock);
  const host = createSiteHost({
    gate: flow,
    life,
    clock,
    stepTime,
    queues,
    maxSiteCrashes: resolved.maxSiteCrashes,
    siteActor: (id) => (root.getSnapshot().children as Record<string, { send(event: unknown): void } | undefined>)[id],
    emit: (event) => services!.emit(event),
    puller: hub,
    adopt: (run, site) => runs.engine.adopt(run, site),
  });
  const sites = new Map<string, Site>();
  for (const site of resolved.sites) {
    const productions = site.queues.map((queue) => queues.productions.get(queue)!);
    sites.set(site.id, new Site({ id: site.id, concurrency: site.concurrency, productions, behavior: site.behavior, host }));
  }
  const shutdown = new ShutdownTracker(resolved.external !== null);
  let journal: Journal | null = null;
  const external = resolved.external;
  root = createSequenceRoot({
    name,
    sites: resolved.sites,
    clock,
    inspect: (event) => hub.emit(event),
    report,
    effects: {
      pauseSites: () => {
        for (const site of sites.values()) site.pause();
        services?.emit({ type: 'paused', at: clock.now() });
      },
      resumeSites: () => {
        for (const site of sites.values()) site.resume();
        services?.emit({ type: 'resumed', at: clock.now() });
      },
      abortRemaining: () => {
        // Work claimed from an external production goes back to it, for another process: not to the report.
        external?.handBackClaimed();
        const live = [...runs.values()];
        shutdown.beginAbort(live);
        for (const run of live) runs.cancel(run, 'shutdown', `Sequence "${name}" shut down before action ${run.id} finished`);
        abandonAfterGrace(live, { name, clock, runs, report });
      },
      stopSites: () => {
        for (const site of sites.values()) site.stop();
        flow.stop();
        services?.emit({ type: 'shutdown', at: clock.now(), unfinished: shutdown.unfinishedCount });
        shutdown.finish();
        journal?.close();
      },
      restartSite: (id) => sites.get(id)?.restart(),
    },
  });
  journal = resolved.store === null ? null : new Journal(resolved.store, resolved, report);
  const deadLetters = new DeadLetters(journal, clock);
  if (journal !== null) scheduler.adopt(journal.store.schedules());
  services = createRunServices({ options: resolved, queues, events, journal, flow, telemetry, hub, rootId: () => root.sessionId });
  const actionStats = new ActionStats();
  runs = new ActionRuns({
    name,
    clock,
    stepTime,
    services,
    assignment: {
      plan: resolved.plan,
      life,
      ids: resolved.ids,
      productions: queues.productions,
      served: queues.served,
      overflow: resolved.overflow,
      now: () => clock.now(),
      waiting: (queue) => queues.waiting(queue),
    },
    injectedIds,
    root,
    hub,
    queues,
    flow,
    telemetry,
    actionStats,
    shutdown,
    journal,
    external,
    listening: () => events.observed,
    engine: (engineServices) =>
      chooseActionEngine(resolved.engine, resolved.actionMachine, engineServices, (error) => {
        const notice = new Error(`Sequence "${name}": ${error.message}; machine "${String(resolved.actionMachine.id)}" runs with createActor (engine 'xstate')`, { cause: error });
        notice.name = 'EchoNotice';
        report(notice);
      }),
    failed: () => deadLetters.changed(),
    report,
  });
  const concurrency = resolved.sites.reduce((sum, site) => sum + site.concurrency, 0);
  external?.bind(runs.externalHost({ concurrency, limits: resolved.limits }));
  return { events, hub, guests, root, queues, sites, runs, services, shutdown, flow, telemetry, actionStats, scheduler, journal, deadLetters, report };
}

/** Live actions on a Site now, by name (O(live actions): for snapshots and metric collection). */
export function inFlight(runs: Iterable<ActionRun>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const run of runs) if (run.site !== null) counts.set(run.name, (counts.get(run.name) ?? 0) + 1);
  return counts;
}
