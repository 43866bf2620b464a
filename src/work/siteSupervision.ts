/**
 * How a Sequence supervises its Sites: lifecycle edges go to each Site's actor;
 * a Site behaviour that throws is a crash, contained here: reported (event and
 * Site actor), the action queued again, and after `maxSiteCrashes` crashes on the
 * same action, the action fails with a HookError naming the Site. A redirect to
 * a queue no Site serves is a crash too.
 * @internal
 */
import type { ActionRun } from '../action/ActionRun.js';
import type { Clock } from '../clock.js';
import { HookError, messageOf, serializeError } from '../errors.js';
import type { EchoEvent } from '../events.js';
import type { Life } from '../Life.js';
import type { Queues } from './Queues.js';
import type { Site, SiteGate, SiteHost } from './Site.js';
import type { LoadPuller } from './SiteView.js';
import type { StepTime } from './StepTime.js';

export interface SupervisionDeps {
  readonly life: Life;
  readonly clock: Clock;
  /** The reading a step lends to the START sent next in it. */
  readonly stepTime: StepTime;
  readonly queues: Queues;
  readonly maxSiteCrashes: number;
  /** The XState actor of Site `id`, once spawned. */
  siteActor(id: string): { send(event: unknown): void } | undefined;
  emit(event: EchoEvent): void;
  /** Flow limits every Site honours. */
  readonly gate?: SiteGate | undefined;
  /** Who reads a Site's load when it changes (the inspection hub). */
  readonly puller: LoadPuller;
  /** Moves an action's actor under its Site, as the engine does it. */
  adopt(run: ActionRun, site: { readonly sessionId: string } | undefined): void;
}

/** The host a Sequence gives its Sites. */
export function createSiteHost(deps: SupervisionDeps): SiteHost {
  const crashed = (site: Site, run: ActionRun, error: unknown): void => {
    const at = deps.clock.now();
    const serialized = serializeError(error);
    const crashes = run.noteCrash();
    deps.emit({ type: 'site-crashed', site: site.id, actionId: run.id, error: serialized, at });
    const actor = deps.siteActor(site.id);
    actor?.send({ type: 'CRASH', actionId: run.id, error: serialized, at });
    if (actor === undefined) site.restart(); // no actor to time the restart
    if (run.settled) return;
    if (crashes >= deps.maxSiteCrashes) {
      const hookError = new HookError(`Site "${site.id}" behaviour crashed ${crashes} times on action ${run.id}: ${messageOf(error)}`, {
        cause: error,
        hook: `site:${site.id}`,
        phase: 'before',
        actionId: run.id,
      });
      run.actor.send({ type: 'REJECT', error: run.recordError(hookError), at });
      return;
    }
    deps.queues.enqueue(run);
  };
  return {
    gate: deps.gate,
    life: deps.life,
    clock: deps.clock,
    now: () => deps.clock.now(),
    startTime: () => deps.stepTime.take(),
    userCode: () => deps.stepTime.clear(),
    report: (site, event) => deps.siteActor(site.id)?.send(event),
    adopt: (site, run) => deps.adopt(run, site.ref),
    loadChanged: (site) => {
      if (deps.puller.pull !== null) site.view?.changed(deps.puller);
    },
    crashed,
    redirect: (site, run, queue) => {
      const at = deps.clock.now();
      if (!deps.queues.routable(queue)) {
        run.actor.send({ type: 'RECEIVED', metadata: run.metadata, queue: run.queue, at }); // keeps the behaviour's metadata
        crashed(site, run, new TypeError(`Site behaviour redirected action ${run.id} to queue "${queue}", which no Site serves`));
        return;
      }
      run.route(queue);
      // Before it is queued again: a Site may take it at once, and START leaves `queued`.
      run.actor.send({ type: 'RECEIVED', metadata: run.metadata, queue, at });
      deps.queues.enqueue(run);
    },
  };
}
