/**
 * The Sequence statechart: the supervisor of Sites.
 *
 * `idle → running ⇄ paused → draining → (aborting) → stopped`. `SHUTDOWN` starts
 * draining: nothing new is accepted, work in flight finishes; at the deadline
 * (`after: shutdownDeadline`) what is left is aborted with reason `shutdown`.
 * The Site actors are its children, spawned on `START` from named logic, so a
 * persisted snapshot restores them.
 */
import { produce } from 'immer';
import { assign, enqueueActions, setup } from 'xstate';
import { siteMachine, type SiteInput } from './site.machine.js';

/** The Sequence statechart's context. */
export interface SequenceContext {
  readonly name: string;
  readonly sites: readonly SiteInput[];
  readonly shutdownDeadline: number;
  readonly shutdownAt: number | null;
  readonly unfinished: number | null;
}

/** What the runtime gives the Sequence statechart. */
export interface SequenceInput {
  readonly name: string;
  readonly sites: readonly SiteInput[];
}

/** Events the Sequence statechart accepts. */
export type SequenceEvent =
  | { readonly type: 'START' }
  | { readonly type: 'PAUSE' }
  | { readonly type: 'RESUME' }
  | { readonly type: 'SHUTDOWN'; readonly deadline: number; readonly at: number }
  | { readonly type: 'DRAINED'; readonly unfinished: number };

/** The Sequence statechart: running, paused, draining on shutdown, stopped; it spawns one Site actor per Site. */
export const sequenceMachine = setup({
  types: {} as { context: SequenceContext; events: SequenceEvent; input: SequenceInput },
  actors: { site: siteMachine },
  actions: {
    spawnSites: enqueueActions(({ context, enqueue }) => {
      for (const site of context.sites) enqueue.spawnChild('site', { id: site.id, systemId: `site:${site.id}`, input: site });
    }),
    pauseSiteActors: enqueueActions(({ context, enqueue }) => {
      for (const site of context.sites) enqueue.sendTo(site.id, { type: 'PAUSE' });
    }),
    resumeSiteActors: enqueueActions(({ context, enqueue }) => {
      for (const site of context.sites) enqueue.sendTo(site.id, { type: 'RESUME' });
    }),
    stopSiteActors: enqueueActions(({ context, enqueue, self }) => {
      // Sites exist only once the Sequence started.
      const children = self.getSnapshot().children as Record<string, unknown>;
      for (const site of context.sites) if (children[site.id] !== undefined) enqueue.sendTo(site.id, { type: 'STOP' });
    }),
    recordShutdown: assign(({ context, event }) =>
      produce(context, (draft) => {
        if (event.type !== 'SHUTDOWN') return;
        draft.shutdownDeadline = event.deadline;
        draft.shutdownAt = event.at;
      }),
    ),
    recordDrained: assign(({ context, event }) =>
      produce(context, (draft) => {
        if (event.type === 'DRAINED') draft.unfinished = event.unfinished;
      }),
    ),
    /** Sites stop taking work (slot). */
    pauseSites: () => {},
    /** Sites take work again (slot). */
    resumeSites: () => {},
    /** Cancel everything still unfinished with reason `shutdown` (slot). */
    abortRemaining: () => {},
    /** Stop every Site (slot). */
    stopSites: () => {},
  },
  delays: {
    shutdownDeadline: ({ context }) => context.shutdownDeadline,
  },
}).createMachine({
  id: 'echo.sequence',
  context: ({ input }) => ({ name: input.name, sites: input.sites, shutdownDeadline: 0, shutdownAt: null, unfinished: null }),
  initial: 'idle',
  states: {
    idle: {
      on: {
        START: { target: 'running', actions: 'spawnSites' },
        SHUTDOWN: { target: 'aborting', actions: 'recordShutdown', description: 'Never started: nothing can drain, so what was assigned is cancelled and reported' },
      },
    },
    running: {
      on: {
        PAUSE: { target: 'paused', actions: ['pauseSites', 'pauseSiteActors'] },
        SHUTDOWN: { target: 'draining', actions: 'recordShutdown' },
      },
    },
    paused: {
      on: {
        RESUME: { target: 'running', actions: ['resumeSites', 'resumeSiteActors'] },
        SHUTDOWN: { target: 'draining', actions: ['recordShutdown', 'resumeSites', 'resumeSiteActors'] },
      },
    },
    draining: {
      after: { shutdownDeadline: 'aborting' },
      on: { DRAINED: { target: 'stopped', actions: 'recordDrained' } },
    },
    aborting: {
      entry: 'abortRemaining',
      on: { DRAINED: { target: 'stopped', actions: 'recordDrained' } },
    },
    stopped: { type: 'final', entry: ['stopSiteActors', 'stopSites'] },
  },
});
