/**
 * What every run of a Sequence uses of it (`RunServices`): its clock, Life and
 * random source, its queues, its event stream (and store journal), flow control
 * and telemetry on a failed attempt, and the inspector on an activity change.
 * @internal
 */
import type { Subject } from 'rxjs';
import { hookPassOver } from '../engine/actionEngine.js';
import type { RunServices } from '../action/ActionRun.js';
import { liveErrorOf } from '../action/AttemptFailure.js';
import type { EchoEvent } from '../events.js';
import { rateLimitErrorIn, type FlowControl } from '../flow/FlowControl.js';
import type { InspectionHub } from '../inspect/InspectionHub.js';
import type { ResolvedSequenceOptions } from '../sequenceOptions.js';
import type { Journal } from '../store/journal.js';
import type { Telemetry } from '../telemetry/Telemetry.js';
import type { Queues } from '../work/Queues.js';
import type { Site } from '../work/Site.js';

export interface RunServicesDeps {
  readonly options: Pick<ResolvedSequenceOptions, 'clock' | 'random' | 'life' | 'activity' | 'actionMachine'>;
  readonly queues: Queues;
  readonly events: Subject<EchoEvent>;
  readonly journal: Journal | null;
  readonly flow: FlowControl;
  readonly telemetry: Telemetry;
  readonly hub: InspectionHub;
  readonly rootId: () => string;
}

export function createRunServices(deps: RunServicesDeps): RunServices {
  const { options, queues, events, journal, flow, telemetry, hub } = deps;
  return {
    clock: options.clock,
    random: options.random,
    life: options.life,
    enqueue: (run) => queues.enqueue(run),
    releaseSite: (run) => (run.site as Site | null)?.release(run),
    emit: (event) => {
      journal?.event(event);
      if (events.observed) events.next(event);
    },
    get listening() {
      return events.observed || journal !== null;
    },
    attemptFailed: (run, attempt, error, retryDelay) => {
      // A cause-chain walk: an attempt's wrapper not made yet has its `cause` all the same.
      const limited = rateLimitErrorIn(error);
      if (limited !== null) flow.rateLimited(run, limited);
      // Only a tracer reads the live error: the wrapper is made for it alone.
      if (telemetry.tracing) telemetry.attemptFailed(run, attempt, liveErrorOf(error), retryDelay);
    },
    tracer: telemetry.tracing ? telemetry : null,
    passOverHooks: hookPassOver(options.actionMachine),
    activity: {
      options: options.activity,
      changed: (run, eventType) => {
        if (!run.hasActor) return;
        journal?.activityChanged(run);
        // Registered even while nobody inspects, so a viewer that joins later sees it.
        hub.annotate(run.actor, run.activity!);
        hub.touched(run.actor as never, deps.rootId(), eventType);
      },
    },
  };
}
