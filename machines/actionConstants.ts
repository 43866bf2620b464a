/**
 * The Action statechart's vocabulary, each defined once as a const array or a
 * default: priorities, cancellation reasons, attempt outcomes, state names and
 * the default of its cancel grace. `machines/` and `src/` import these; nothing
 * redeclares them.
 */

/** Every priority, highest first (the order a Production serves its lanes). */
export const PRIORITIES = ['high', 'normal', 'low'] as const;

/** Priority lane of a queued action. */
export type Priority = (typeof PRIORITIES)[number];

/** Whether `value` is one of {@link PRIORITIES}. */
export function isPriority(value: unknown): value is Priority {
  return (PRIORITIES as readonly unknown[]).includes(value);
}

/** The priority of an action that names none. */
export const DEFAULT_PRIORITY: Priority = 'normal';

/** The queue an action goes to when it names none (and the queue every Sequence has). */
export const DEFAULT_QUEUE = 'default';

/** Every reason an action can be cancelled for. */
export const CANCELLATION_REASONS = ['user', 'timeout', 'shutdown', 'license', 'parent'] as const;

/** Why an action was cancelled. */
export type CancellationReason = (typeof CANCELLATION_REASONS)[number];

/** How one attempt ended (`running` while it runs; `interrupted`: the process ended while it ran). */
export const ATTEMPT_OUTCOMES = ['running', 'succeeded', 'failed', 'timed-out', 'cancelled', 'abandoned', 'interrupted'] as const;

/** One of {@link ATTEMPT_OUTCOMES}. */
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** The top-level states of Echo's Action statechart, in the order an action meets them. */
export const ACTION_STATES = [
  'scheduled',
  'delayed',
  'queued',
  'hooks',
  'running',
  'retrying',
  'afterHooks',
  'cancelling',
  'finalizing',
  'done',
  'failed',
  'cancelled',
] as const;

/** A top-level state of Echo's Action statechart. */
export type ActionState = (typeof ACTION_STATES)[number];

/** The final states: every action ends in exactly one. */
export const ACTION_FINAL_STATES = ['done', 'failed', 'cancelled'] as const satisfies readonly ActionState[];

/** A final state of the Action statechart (also the status of its output). */
export type ActionFinalState = (typeof ACTION_FINAL_STATES)[number];

/**
 * States whose outcome is decided: an action there keeps it (a cancel, a License
 * revocation or a shutdown changes nothing but how long it waits).
 */
export const ACTION_OUTCOME_DECIDED_STATES = ['afterHooks', 'cancelling', 'finalizing'] as const satisfies readonly ActionState[];

/** Whether an action in state `value` keeps the outcome it has (see {@link ACTION_OUTCOME_DECIDED_STATES}). */
export function isOutcomeDecided(value: unknown): boolean {
  return (ACTION_OUTCOME_DECIDED_STATES as readonly unknown[]).includes(value);
}

/** How long a cancelled running function may take to stop before it is abandoned, ms, unless configured. */
export const DEFAULT_CANCEL_GRACE = 1000;
