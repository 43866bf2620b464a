/**
 * The Sequence's own XState actor: the `sequence` statechart with its Site
 * actors as children, on the runtime's clock, its effect slots filled by the
 * runtime. It is the root of the actor tree the inspector draws.
 * @internal
 */
import { createActor, type Actor, type InspectionEvent } from 'xstate';
import { sequenceMachine } from '../machines/sequence.machine.js';
import { siteMachine } from '../machines/site.machine.js';
import type { Clock } from './clock.js';
import type { ResolvedSiteOptions } from './sequenceOptions.js';

export type SequenceRoot = Actor<typeof sequenceMachine>;

export interface SequenceRootOptions {
  readonly name: string;
  readonly sites: readonly ResolvedSiteOptions[];
  readonly clock: Clock;
  readonly inspect: (event: InspectionEvent) => void;
  readonly report: (error: unknown) => void;
  readonly effects: {
    pauseSites(): void;
    resumeSites(): void;
    abortRemaining(): void;
    stopSites(): void;
    restartSite(id: string): void;
  };
}

/** Creates and starts the root actor. */
export function createSequenceRoot(options: SequenceRootOptions): SequenceRoot {
  const { effects } = options;
  const logic = sequenceMachine.provide({
    actions: {
      pauseSites: () => effects.pauseSites(),
      resumeSites: () => effects.resumeSites(),
      abortRemaining: () => effects.abortRemaining(),
      stopSites: () => effects.stopSites(),
    },
    actors: {
      site: siteMachine.provide({
        actions: {
          // The restart runs after the Site actor's action returns: restarting pumps work, and an action that settles
          // at once may send to the root, which must not happen while XState is still inside a custom action.
          restart: ({ context }) => {
            const { id } = context;
            queueMicrotask(() => {
              try {
                effects.restartSite(id);
              } catch (error) {
                options.report(error);
              }
            });
          },
        },
      }),
    },
  });
  const sites = options.sites.map(({ id, concurrency, queues, restartDelay }) => ({ id, concurrency, queues, restartDelay }));
  const root = createActor(logic, { input: { name: options.name, sites }, clock: options.clock, id: options.name, inspect: options.inspect });
  root.subscribe({ error: options.report });
  root.start();
  return root;
}
