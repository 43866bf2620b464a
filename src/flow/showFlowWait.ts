/**
 * Shows the inspector why a queued action waits for a flow limit: its context, as the
 * inspector sees it, gains `waitingFor` (a `WaitingForFlow` of src/inspect/protocol.ts) until
 * the action's next real step. The action's own statechart context is not changed: the hold
 * is the runtime's, not the machine's.
 *
 * Observers that get XState events receive one `@xstate.snapshot` with the annotated context;
 * an observer that pulls table-engine actors is handed a view of the actor whose snapshot is
 * annotated (its trail is the actor's own), read at its next flush.
 * @internal
 */
import type { ActionActor } from '../action/ActionRun.js';
import { annotatedView, type InspectionHub } from '../inspect/InspectionHub.js';
import type { PullableRef } from '../inspect/target.js';
import type { FlowWait } from './FlowControl.js';

export function showFlowWait(hub: InspectionHub, actor: ActionActor, rootId: string, wait: FlowWait | null): void {
  if (!hub.active) return;
  const snapshot = hub.snapshotOf(actor) as ReturnType<ActionActor['getSnapshot']>;
  const annotated = wait === null ? snapshot : { ...snapshot, context: { ...snapshot.context, waitingFor: wait } };
  hub.emit({ type: '@xstate.snapshot', actorRef: actor, rootId, snapshot: annotated, event: { type: 'echo.flow.wait' } });
  const pull = hub.pull;
  if (pull === null || !('takeTrail' in actor)) return;
  const real = actor as unknown as PullableRef;
  if (real.pullSlot === undefined) return; // not known to the puller yet: the snapshot above introduces it
  pull(annotatedView(real, () => annotated));
}
