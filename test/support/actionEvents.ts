/** Every event the Action statechart can meet, for the `xstate/graph` traversals of its tests. */
import type { ActionContext, ActionEvent } from '../../machines/actionTypes.js';

const error = (name: string) => ({ version: 1 as const, name, message: `${name} happened` });

/** The delayed events, as XState names them (`xstate.after.<delay>.<state id>`). */
export const DELAYED_EVENTS = [
  'xstate.after.startDelay.echo.action.delayed',
  'xstate.after.backoff.echo.action.retrying',
  'xstate.after.attemptTimeout.echo.action.running',
  'xstate.after.cancelGrace.echo.action.cancelling',
  'xstate.after.totalTimeout.echo.action',
] as const;

/**
 * The events to try from a snapshot. A retryable failure (backoff `retryDelay`) is offered
 * only before the second attempt, so the graph stays finite.
 */
export function actionEventsFor(options: { retryDelay: number; at?: (context: ActionContext) => number }) {
  return (snapshot: { context: ActionContext }): ActionEvent[] => {
    const at = options.at?.(snapshot.context) ?? 0;
    const events: (ActionEvent | { type: string })[] = [
      { type: 'START', site: 'site-1', at },
      { type: 'RECEIVED', metadata: { routed: true }, queue: 'default', at },
      { type: 'CANCEL', reason: 'user', message: 'stop', at },
      { type: 'LICENSE_REVOKED', error: error('LicenseError'), at },
      { type: 'RETRY_NOW', at },
      { type: 'REJECT', error: error('HookError'), at },
      { type: 'HOOKS_PASSED', at },
      { type: 'HOOK_FAILED', error: error('HookError'), at },
      { type: 'ATTEMPT_SUCCEEDED', output: { ok: at }, at },
      { type: 'ATTEMPT_FAILED', error: error('TimeoutError'), retryDelay: null, at },
      { type: 'AFTER_HOOKS_PASSED', at },
      ...DELAYED_EVENTS.map((type) => ({ type })),
    ];
    if (snapshot.context.attempts.length < 2) events.push({ type: 'ATTEMPT_FAILED', error: error('Error'), retryDelay: options.retryDelay, at });
    return events as ActionEvent[];
  };
}
