/**
 * Shutdown's bound: what is still live `cancelGrace` after the deadline (an
 * after-hook, a function or a Site behaviour that never settles) is abandoned:
 * settled without waiting for its user code any longer.
 * @internal
 */
import { runOwedAfterHooks } from '../action/actionEffects.js';
import type { ActionRun } from '../action/ActionRun.js';
import type { Clock } from '../clock.js';
import type { ActionRuns } from './ActionRuns.js';

export interface AbandonDeps {
  readonly name: string;
  readonly clock: Clock;
  readonly runs: ActionRuns;
  readonly report: (error: unknown) => void;
}

/** Abandons whatever of the Sequence is still live the longest `cancelGrace` of `live` from now. */
export function abandonAfterGrace(live: readonly ActionRun[], deps: AbandonDeps): void {
  let grace = -1;
  for (const run of live) if (!run.settled && run.cancelGrace > grace) grace = run.cancelGrace;
  if (grace < 0) return;
  deps.clock.setTimeout(() => {
    for (const run of [...deps.runs.values()]) abandon(run, deps);
  }, grace);
}

/**
 * Settles `run` without waiting for its user code any longer. An action in
 * `afterHooks` keeps the outcome it had; any other is cancelled (reason `shutdown`).
 * Its actor is stopped, so a late answer changes nothing.
 */
function abandon(run: ActionRun, deps: AbandonDeps): void {
  if (run.settled) return;
  const snapshot = run.actor.getSnapshot();
  const context = snapshot.context;
  const now = deps.clock.now();
  run.endPhase();
  if (String(snapshot.value) === 'afterHooks') {
    deps.runs.settled(run, { status: context.error === null ? 'done' : 'failed', output: context.output, error: context.error }, { ...context, settledAt: now });
  } else {
    const message = `Sequence "${deps.name}" shut down; action ${run.id} was abandoned after its cancel grace`;
    const cancellation = context.cancellation ?? { reason: 'shutdown' as const, message, at: now };
    const settlement = deps.runs.settled(run, { status: 'cancelled', output: undefined, error: null }, { ...context, cancellation, settledAt: now });
    // The chart did not end it (its user code never answered): the after-hooks it owes run here.
    if (settlement !== null) runOwedAfterHooks(run, settlement, context.attempts.length);
  }
  if (run.actor.getSnapshot().status === 'active') {
    try {
      run.actor.stop();
    } catch (stopError) {
      deps.report(stopError); // the run is settled regardless
    }
  }
}
