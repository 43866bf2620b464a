/**
 * What a Sequence shows the inspector (see `InspectorTarget`): its actors for a
 * viewer that joins late, its machines by role, and the commands a viewer sends.
 * The Sequence's own methods hand their parts to these functions.
 * @internal
 */
import type { AnyStateMachine } from 'xstate';
import { sequenceMachine } from '../../machines/sequence.machine.js';
import { siteMachine } from '../../machines/site.machine.js';
import type { Clock } from '../clock.js';
import { controlMany } from '../inspect/controlMany.js';
import type { GuestSystems } from '../inspect/GuestSystems.js';
import type { InspectionHub } from '../inspect/InspectionHub.js';
import type { ControlCommand, InspectableActorRef } from '../inspect/target.js';
import type { SequenceRoot } from '../sequenceRoot.js';
import type { ShutdownTracker } from '../shutdown.js';
import type { Site } from '../work/Site.js';
import type { ActionRuns } from './ActionRuns.js';

/** The current actors: the root, each Site through its view (its actor's state with its load), the live actions, the guests. */
export function* currentActors(root: SequenceRoot, sites: ReadonlyMap<string, Site>, runs: ActionRuns, hub: InspectionHub, guests: GuestSystems): Iterable<InspectableActorRef> {
  yield root as never;
  const children = root.getSnapshot().children as Record<string, unknown>;
  for (const child of Object.values(children)) if (child !== undefined) yield (sites.get((child as { id: string }).id)?.view ?? child) as never;
  for (const run of runs.values()) yield hub.viewOf(run.actor) as never; // materializes queued records
  yield* guests.actors() as Iterable<never>;
}

/** The machines a Sequence runs, by role (a user's Action machine is given under `echo.action`). */
export function machinesByRole(actionMachine: AnyStateMachine): Record<string, AnyStateMachine> {
  return { 'echo.action': actionMachine, 'echo.site': siteMachine, 'echo.sequence': sequenceMachine } as Record<string, AnyStateMachine>;
}

/** What `controlSequence` acts through. */
export interface ControlledSequence {
  readonly name: string;
  readonly clock: Clock;
  readonly root: SequenceRoot;
  readonly runs: ActionRuns;
  readonly shutdown: ShutdownTracker;
  pause(): void;
  resume(): void;
  redrive(actionIds: readonly string[]): void;
  again(actionId: string): void;
}

/** Carries out an inspector's command; rejects when it cannot apply (stopped, unknown action). */
export async function controlSequence(sequence: ControlledSequence, command: ControlCommand): Promise<void> {
  switch (command.type) {
    case 'pause':
    case 'resume':
      if (sequence.shutdown.started || sequence.root.getSnapshot().status !== 'active') {
        throw new Error(`Sequence "${sequence.name}" is ${sequence.shutdown.started ? 'shutting down or stopped' : 'stopped'}: it cannot ${command.type}`);
      }
      return command.type === 'pause' ? sequence.pause() : sequence.resume();
    case 'redrive':
      sequence.redrive(command.actionIds);
      return;
    case 'cancel-many':
    case 'retry-many':
      return controlMany(command, (actionId) => controlSequence(sequence, { type: command.type === 'cancel-many' ? 'cancel' : 'retry', actionId }));
    case 'cancel':
    case 'retry': {
      const run = sequence.runs.find(command.actionId);
      if (run === undefined) throw new TypeError(`No action "${command.actionId}" in Sequence "${sequence.name}"`);
      if (command.type === 'cancel') return sequence.runs.cancel(run, 'user', 'Cancelled from the inspector');
      if (run.settled) {
        sequence.again(run.id);
        return;
      }
      run.actor.send({ type: 'RETRY_NOW', at: sequence.clock.now() });
      return;
    }
  }
}
