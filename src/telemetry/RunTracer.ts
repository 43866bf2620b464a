/**
 * The seam through which an action's attempts and hooks are traced: the effects call it
 * around the user's function and hooks when tracing is on (`RunServices.tracer`), and not
 * at all when it is off. Implemented by `Telemetry`.
 * @internal
 */
import type { ActionRun } from '../action/ActionRun.js';
import type { RunContext } from '../Plan.js';

export interface RunTracer {
  /** Runs attempt `attempt`'s function (`run.definition.run`) with `context`, inside the attempt's span context. */
  attempt(run: ActionRun, attempt: number, context: RunContext): unknown;
  /** The attempt's function returned (its output is the action's, unless an after-hook fails). */
  attemptSucceeded(run: ActionRun, attempt: number): void;
  /** Runs a phase's hooks inside a hook span. */
  hooks(run: ActionRun, phase: 'before' | 'after', call: () => Promise<void>): Promise<void>;
}
