/**
 * The Action statechart's context changes, written once as recipes on a draft
 * (`actionRecipes`) and offered as pure functions `(context, event) => context`
 * (`actionUpdates`: each recipe applied to a copy).
 *
 * XState wraps the pure updates in `assign(...)`. The table engine applies the
 * recipes: to a fresh copy when its current context has been seen (a snapshot,
 * the inspector), in place when only it has held that context since making it,
 * so an unobserved action makes no copies at all. Copies use `copyContext`,
 * which names every field, instead of immer's `produce` or object spread:
 * measured here on node 20, a `produce` costs ~4 µs, a spread of this 19-field
 * context ~0.35 µs, and the explicit copy ~0.02 µs.
 */
import { DEFAULT_CANCEL_GRACE, DEFAULT_PRIORITY, DEFAULT_QUEUE } from './actionConstants.js';
import type { ActionContext, ActionEvent, ActionInput, AttemptRecord, CancellationReason, ErrorRecord } from './actionTypes.js';

/** Any event the machine sees: its own, or a delayed `xstate.after.*` one. */
export type AnyActionEvent = ActionEvent | { readonly type: string };

/** A pure context update. */
export type ActionUpdate = (context: ActionContext, event: AnyActionEvent) => ActionContext;

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** A context the caller may change in place. */
export type ActionDraft = Writable<ActionContext>;

/** A change applied in place to a draft (see `actionRecipes`). */
export type ActionRecipe = (draft: ActionDraft, event: AnyActionEvent) => void;

/** Builds the initial context from the runtime's input. */
export function createActionContext(input: ActionInput): ActionContext {
  const startDelay = input.startDelay ?? 0;
  return {
    id: input.id,
    name: input.name,
    content: input.content,
    metadata: input.metadata ?? EMPTY_METADATA,
    priority: input.priority ?? DEFAULT_PRIORITY,
    queue: input.queue ?? DEFAULT_QUEUE,
    site: null,
    createdAt: input.createdAt,
    startDelay,
    notBefore: startDelay > 0 ? input.createdAt + startDelay : null,
    attemptTimeout: input.attemptTimeout ?? null,
    totalTimeout: input.totalTimeout ?? null,
    cancelGrace: input.cancelGrace ?? DEFAULT_CANCEL_GRACE,
    attempts: input.history ?? NO_ATTEMPTS,
    retryAt: null,
    output: undefined,
    error: null,
    cancellation: null,
    settledAt: null,
  };
}

/** The number of fields of Echo's own context (a user's machine may add more). */
const ACTION_CONTEXT_FIELDS = 19;

/**
 * A field-by-field copy (the same shape every time: fast to make, fast to read).
 * A context with fields a user's machine added is copied whole, keeping them.
 */
export function copyContext<TContext extends ActionContext>(c: TContext): Writable<TContext> {
  if (Object.keys(c).length !== ACTION_CONTEXT_FIELDS) return { ...c };
  return {
    id: c.id,
    name: c.name,
    content: c.content,
    metadata: c.metadata,
    priority: c.priority,
    queue: c.queue,
    site: c.site,
    createdAt: c.createdAt,
    startDelay: c.startDelay,
    notBefore: c.notBefore,
    attemptTimeout: c.attemptTimeout,
    totalTimeout: c.totalTimeout,
    cancelGrace: c.cancelGrace,
    attempts: c.attempts,
    retryAt: c.retryAt,
    output: c.output,
    error: c.error,
    cancellation: c.cancellation,
    settledAt: c.settledAt,
  } as Writable<TContext>;
}

function copyAttempt(a: AttemptRecord): Writable<AttemptRecord> {
  return { number: a.number, startedAt: a.startedAt, endedAt: a.endedAt, outcome: a.outcome, error: a.error, backoff: a.backoff };
}

const EMPTY_METADATA: Readonly<Record<string, unknown>> = Object.freeze({});
const NO_ATTEMPTS: readonly AttemptRecord[] = Object.freeze([]);

/** The attempts with the last one ended (a copy; the context's array is never mutated). */
function endAttempt(
  context: ActionContext,
  endedAt: number,
  outcome: AttemptRecord['outcome'] | undefined,
  error?: ErrorRecord | null,
  backoff?: number | null,
): readonly AttemptRecord[] {
  const attempts = context.attempts;
  const last = attempts[attempts.length - 1];
  if (last === undefined) return attempts;
  const copy = attempts.slice();
  const changed = copyAttempt(last);
  changed.endedAt = endedAt;
  if (outcome !== undefined) changed.outcome = outcome;
  if (error !== undefined) changed.error = error;
  if (backoff !== undefined) changed.backoff = backoff;
  copy[copy.length - 1] = changed;
  return copy;
}

function lastAttemptRunning(context: ActionContext): boolean {
  return context.attempts[context.attempts.length - 1]?.outcome === 'running';
}

function eventAt(event: AnyActionEvent, fallback: number): number {
  return 'at' in event && typeof event.at === 'number' ? event.at : fallback;
}

function eventError(event: AnyActionEvent): ErrorRecord | null {
  return 'error' in event ? (event.error as ErrorRecord) : null;
}

/**
 * The context changes, by the action names the machine uses, as recipes on a
 * draft: a context the caller owns (a fresh copy, or one nobody has seen since
 * the caller made it). Recipes never mutate what the draft shares: arrays and
 * attempt records are replaced, not changed.
 */
export const actionRecipes = {
  recordSite: (draft, event) => {
    if (event.type === 'START') draft.site = (event as { site: string }).site;
  },

  recordReceived: (draft, event) => {
    if (event.type !== 'RECEIVED') return;
    const { metadata, queue } = event as { metadata: ActionContext['metadata']; queue: string };
    draft.metadata = metadata;
    draft.queue = queue;
  },

  recordAttemptStart: (draft, event) => {
    const attempt: AttemptRecord = {
      number: draft.attempts.length + 1,
      startedAt: eventAt(event, draft.retryAt ?? draft.createdAt),
      endedAt: null,
      outcome: 'running',
      error: null,
      backoff: null,
    };
    draft.retryAt = null;
    // An exact-size array (`slice` + `push` would grow a spare backing store).
    draft.attempts = draft.attempts.length === 0 ? [attempt] : [...draft.attempts, attempt];
  },

  recordAttemptSuccess: (draft, event) => {
    draft.output = (event as { output?: unknown }).output;
    draft.attempts = endAttempt(draft, eventAt(event, 0), 'succeeded');
  },

  recordAttemptFailure: (draft, event) => {
    const at = eventAt(event, 0);
    const error = eventError(event);
    const retryDelay = (event as { retryDelay?: number | null }).retryDelay ?? null;
    draft.error = retryDelay === null ? error : null;
    draft.retryAt = retryDelay === null ? null : at + retryDelay;
    draft.attempts = endAttempt(draft, at, error?.name === 'TimeoutError' ? 'timed-out' : 'failed', error, retryDelay);
  },

  recordHookFailure: (draft, event) => {
    draft.error = eventError(event);
  },

  recordCancellation: (draft, event) => {
    const at = eventAt(event, 0);
    const cancel = event as { reason?: CancellationReason; message?: string };
    const running = lastAttemptRunning(draft);
    draft.retryAt = null;
    draft.cancellation = { reason: cancel.reason ?? 'user', message: cancel.message ?? 'Cancelled', at };
    if (running) draft.attempts = endAttempt(draft, at, 'cancelled');
  },

  recordAttemptStopped: (draft, event) => {
    draft.attempts = endAttempt(draft, eventAt(event, draft.cancellation?.at ?? 0), undefined);
  },

  recordAbandoned: (draft) => {
    const at = (draft.cancellation?.at ?? draft.createdAt) + draft.cancelGrace;
    draft.settledAt = at;
    draft.attempts = endAttempt(draft, at, 'abandoned');
  },

  recordLicenseRevoked: (draft, event) => {
    const at = eventAt(event, 0);
    const running = lastAttemptRunning(draft);
    draft.retryAt = null;
    draft.error = eventError(event);
    if (running) draft.attempts = endAttempt(draft, at, 'cancelled');
  },

  recordTotalTimeout: (draft) => {
    const at = draft.createdAt + (draft.totalTimeout ?? 0);
    const error: ErrorRecord = {
      version: 1,
      name: 'TimeoutError',
      message: `Action "${draft.name}" exceeded its total timeout of ${draft.totalTimeout} ms`,
      data: { timeout: 'total', ms: draft.totalTimeout, actionId: draft.id },
    };
    const running = lastAttemptRunning(draft);
    draft.retryAt = null;
    draft.error = error;
    draft.settledAt = at;
    if (running) draft.attempts = endAttempt(draft, at, 'timed-out', error);
  },

  recordSettled: (draft, event) => {
    if (draft.settledAt === null) draft.settledAt = eventAt(event, settleTime(draft));
  },
} satisfies Record<string, ActionRecipe>;

/** Names of the context changes (the same for recipes and pure updates). */
export type ActionUpdateName = keyof typeof actionRecipes;

/** The pure updates, by the action names the machine uses: each recipe applied to a copy. */
export const actionUpdates = Object.fromEntries(
  Object.entries(actionRecipes).map(([name, recipe]) => [
    name,
    (context: ActionContext, event: AnyActionEvent): ActionContext => {
      const next = copyContext(context);
      (recipe as ActionRecipe)(next, event);
      return next;
    },
  ]),
) as Record<ActionUpdateName, ActionUpdate>;


function settleTime(context: ActionContext): number {
  const last = context.attempts[context.attempts.length - 1];
  return Math.max(last?.endedAt ?? 0, context.cancellation?.at ?? 0, context.createdAt);
}
