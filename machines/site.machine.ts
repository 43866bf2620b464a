/**
 * The Site statechart: a worker's lifecycle, as the inspector shows it.
 *
 * `open` (taking work), `paused`, `crashed` (a Site behaviour threw; the Site
 * restarts after `restartDelay`) and the final `stopped`: it changes state on
 * lifecycle changes only. The Site's hot loop (taking actions and running them)
 * lives in the runtime, and its load (actions running now) is data the inspector
 * reads, not a transition per action.
 */
import { produce } from 'immer';
import { assign, setup } from 'xstate';
import type { ErrorRecord } from './actionTypes.js';

/** The Site statechart's context. */
export interface SiteContext {
  readonly id: string;
  readonly concurrency: number;
  readonly queues: readonly string[];
  readonly crashes: number;
  readonly lastCrash: { readonly actionId: string; readonly error: ErrorRecord; readonly at: number } | null;
  readonly restartDelay: number;
}

/** What the runtime gives the Site statechart. */
export interface SiteInput {
  readonly id: string;
  readonly concurrency: number;
  readonly queues: readonly string[];
  readonly restartDelay?: number;
}

/** Events the Site statechart accepts. */
export type SiteEvent =
  | { readonly type: 'PAUSE' }
  | { readonly type: 'RESUME' }
  | { readonly type: 'CRASH'; readonly actionId: string; readonly error: ErrorRecord; readonly at: number }
  | { readonly type: 'STOP' };

/** How long a crashed Site waits before it takes actions again, ms, unless configured. */
export const DEFAULT_RESTART_DELAY = 100;

/** The Site statechart: open, paused, crashed (restarted after a delay), stopped. */
export const siteMachine = setup({
  types: {} as { context: SiteContext; events: SiteEvent; input: SiteInput },
  actions: {
    recordCrash: assign(({ context, event }) =>
      produce(context, (draft) => {
        if (event.type !== 'CRASH') return;
        draft.crashes += 1;
        draft.lastCrash = { actionId: event.actionId, error: event.error as never, at: event.at };
      }),
    ),
    /** The runtime starts taking work again (slot). */
    restart: () => {},
  },
  delays: {
    restartDelay: ({ context }) => context.restartDelay,
  },
}).createMachine({
  id: 'echo.site',
  context: ({ input }) => ({
    id: input.id,
    concurrency: input.concurrency,
    queues: input.queues,
    crashes: 0,
    lastCrash: null,
    restartDelay: input.restartDelay ?? DEFAULT_RESTART_DELAY,
  }),
  initial: 'open',
  on: {
    STOP: '.stopped',
    CRASH: { target: '.crashed', actions: 'recordCrash' },
  },
  states: {
    open: { on: { PAUSE: 'paused' } },
    paused: { on: { RESUME: 'open' } },
    crashed: {
      after: { restartDelay: { target: 'open', actions: 'restart' } },
      on: { PAUSE: 'paused' },
    },
    stopped: { type: 'final' },
  },
});
