/**
 * One action's life across actors, as the steps of a sequence diagram:
 * Sequence → Site → Action (assign, take, hooks, attempts, backoff, settle),
 * read from its context (attempts, site, cancellation, settle time), its state
 * history, and the events the log saw it receive. Pure.
 */
import { formatDuration } from './derive.js';
import { actionContext, nameOf, type ActorView, type AppState } from './model.js';

export type Lane = 'sequence' | 'site' | 'action';

export interface LifeStep {
  at: number;
  from: Lane;
  to: Lane;
  label: string;
  kind: 'assign' | 'take' | 'hooks' | 'attempt' | 'outcome' | 'backoff' | 'release' | 'cancel' | 'settle' | 'event';
}


/** Events of the Action statechart that the steps read from its context already draw. */
const SHOWN_AS_STEPS = new Set(['START', 'HOOKS_PASSED', 'HOOK_FAILED', 'ATTEMPT_SUCCEEDED', 'ATTEMPT_FAILED', 'AFTER_HOOKS_PASSED', 'REJECT', 'CANCEL']);
const MAX_LABEL = 52;

/** The steps of `actor`'s life, in time order. */
export function lifeSteps(state: AppState, actor: ActorView): LifeStep[] {
  const context = actionContext(actor);
  const steps: LifeStep[] = [];
  const created = context.createdAt ?? actor.createdAt;
  steps.push({ at: created, from: 'sequence', to: 'action', label: `assign ${nameOf(actor)}${context.priority && context.priority !== 'normal' ? ` (${context.priority})` : ''}`, kind: 'assign' });
  const entered = (value: string): number[] => actor.history.filter(([state]) => state === value).map(([, at]) => at);
  for (const at of entered('delayed')) steps.push({ at, from: 'action', to: 'action', label: `start delay ${formatDuration(context.startDelay ?? 0)}`, kind: 'backoff' });
  const site = context.site ?? null;
  // A Site took it where it left `queued`: into `hooks` to run its before-hooks, or (none to run) straight into `running`.
  actor.history.forEach(([state, at, event], i) => {
    const fromQueued = event === 'START' || actor.history[i - 1]?.[0] === 'queued';
    if (state !== 'hooks' && !(state === 'running' && fromQueued)) return;
    steps.push({ at, from: 'site', to: 'action', label: `take${site !== null ? ` (${site})` : ''}`, kind: 'take' });
    if (state === 'hooks') steps.push({ at, from: 'action', to: 'action', label: 'before-hooks', kind: 'hooks' });
  });
  const attempts = context.attempts ?? [];
  attempts.forEach((attempt, i) => {
    steps.push({ at: attempt.startedAt, from: 'site', to: 'action', label: `attempt #${attempt.number}`, kind: 'attempt' });
    if (attempt.endedAt !== null) {
      const error = attempt.error ? `: ${attempt.error.name}: ${attempt.error.message}` : '';
      steps.push({ at: attempt.endedAt, from: 'action', to: 'site', label: clip(`${attempt.outcome}${error}`), kind: 'outcome' });
      if (attempt.backoff !== null) {
        steps.push({ at: attempt.endedAt, from: 'action', to: 'site', label: 'release the slot', kind: 'release' });
        const next = attempts[i + 1];
        steps.push({ at: attempt.endedAt, from: 'action', to: 'action', label: `backoff ${formatDuration(attempt.backoff)}${next ? '' : ' (waiting)'}`, kind: 'backoff' });
      }
    }
  });
  for (const at of entered('afterHooks')) steps.push({ at, from: 'action', to: 'action', label: 'after-hooks', kind: 'hooks' });
  if (context.cancellation) steps.push({ at: context.cancellation.at, from: 'sequence', to: 'action', label: `cancel (${context.cancellation.reason})`, kind: 'cancel' });
  // Events the log saw this action receive, except the runtime's own bookkeeping, which the steps above already show.
  for (const entry of state.log) {
    if (entry.actorKey !== actor.key || entry.type.startsWith('xstate.') || (entry.from === null && SHOWN_AS_STEPS.has(entry.type))) continue;
    const sender = entry.from === null ? undefined : state.actors.get(`${entry.source}|${entry.from}`);
    const from: Lane = sender?.kind === 'site' ? 'site' : sender?.kind === 'sequence' ? 'sequence' : sender?.key === actor.key ? 'action' : 'sequence';
    steps.push({ at: entry.at, from, to: 'action', label: entry.type, kind: 'event' });
  }
  const settledAt = context.settledAt ?? null;
  const final = typeof actor.value === 'string' && (actor.value === 'done' || actor.value === 'failed' || actor.value === 'cancelled') ? actor.value : null;
  if (final !== null) steps.push({ at: settledAt ?? actor.updatedAt, from: 'action', to: 'sequence', label: `settle: ${final}`, kind: 'settle' });
  // Stable by time: steps at the same moment keep the order they were added in (take before hooks, outcome before backoff).
  return steps.map((step, index) => ({ step, index })).sort((a, b) => a.step.at - b.step.at || a.index - b.index).map(({ step }) => step);
}

function clip(text: string): string {
  return text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text;
}
