/**
 * One row per action: the wait before the first attempt, attempts as bars
 * coloured by outcome, backoff gaps between them, and a live countdown to the
 * next retry.
 */
import { h } from 'preact';
import { useState } from 'preact/hooks';
import { formatDuration } from '../state/derive.js';
import { actionContext, nameOf, type ActorView } from '../state/model.js';
import { VirtualList } from './VirtualList.js';


export interface Segment {
  kind: 'wait' | 'attempt' | 'backoff';
  from: number;
  to: number;
  outcome?: string;
}

/** The bars of one action's row, in source-clock ms. */
export function segmentsOf(actor: ActorView, now: number): Segment[] {
  const context = actionContext(actor);
  const attempts = Array.isArray(context.attempts) ? context.attempts : [];
  const out: Segment[] = [];
  const end = context.settledAt ?? now;
  const created = context.createdAt ?? actor.createdAt;
  out.push({ kind: 'wait', from: created, to: attempts[0]?.startedAt ?? end });
  attempts.forEach((attempt, i) => {
    const stop = attempt.endedAt ?? end;
    out.push({ kind: 'attempt', from: attempt.startedAt, to: stop, outcome: attempt.outcome });
    const next = attempts[i + 1];
    if (next) out.push({ kind: 'backoff', from: stop, to: next.startedAt });
    else if (context.retryAt != null && attempt.endedAt !== null) out.push({ kind: 'backoff', from: stop, to: Math.max(context.retryAt, stop) });
  });
  return out;
}

const WINDOWS = [10_000, 60_000, 600_000];
const FIT = 0;

/** A window that shows the oldest of the first rows (at most 10 min, at least 5 s). */
export function fitWindow(actions: readonly ActorView[], now: (source: string) => number): number {
  let span = 5000;
  for (const actor of actions.slice(0, 200)) {
    const created = actionContext(actor).createdAt ?? actor.createdAt;
    span = Math.max(span, now(actor.source) - created);
  }
  return Math.min(600_000, span * 1.05);
}

export function Timeline(props: { actions: readonly ActorView[]; now: (source: string) => number; selected: string | null; select: (key: string) => void }) {
  const [choice, setWindow] = useState(FIT);
  const windowMs = choice === FIT ? fitWindow(props.actions, props.now) : choice;
  return h(
    'div',
    { class: 'timeline' },
    h(
      'div',
      { class: 'toolbar' },
      h('span', { class: 'muted small' }, `${props.actions.length.toLocaleString()} rows · window`),
      h('button', { class: `btn small ${choice === FIT ? 'on' : ''}`, onClick: () => setWindow(FIT) }, `fit (${formatDuration(windowMs)})`),
      WINDOWS.map((ms) => h('button', { key: ms, class: `btn small ${ms === choice ? 'on' : ''}`, onClick: () => setWindow(ms) }, formatDuration(ms))),
      h('span', { class: 'legend' }, h('i', { class: 'seg wait' }), 'waiting', h('i', { class: 'seg attempt outcome-succeeded' }), 'attempt', h('i', { class: 'seg attempt outcome-failed' }), 'failed', h('i', { class: 'seg backoff' }), 'backoff'),
    ),
    h(VirtualList<ActorView>, {
      items: props.actions,
      rowHeight: 24,
      empty: 'No actions match the filters.',
      render: (actor) => {
        const now = props.now(actor.source);
        const from = now - windowMs;
        const pct = (t: number) => `${(Math.max(0, Math.min(1, (t - from) / windowMs)) * 100).toFixed(3)}%`;
        const context = actionContext(actor);
        const countdown = actor.value === 'retrying' && context.retryAt != null ? `retry in ${formatDuration(context.retryAt - now)}` : null;
        return h(
          'div',
          { class: `tl-row ${actor.key === props.selected ? 'selected' : ''}`, onClick: () => props.select(actor.key) },
          h('span', { class: 'tl-name', title: nameOf(actor) }, nameOf(actor)),
          h(
            'span',
            { class: 'tl-track' },
            segmentsOf(actor, now)
              .filter((s) => s.to >= from)
              .map((s, i) =>
                h('i', { key: i, class: `seg ${s.kind} ${s.outcome ? `outcome-${s.outcome}` : ''}`, style: { left: pct(s.from), width: `calc(${pct(s.to)} - ${pct(s.from)} + 2px)` }, title: `${s.kind}${s.outcome ? ` (${s.outcome})` : ''}: ${formatDuration(s.to - s.from)}` }),
              ),
            countdown ? h('b', { class: 'countdown', 'data-testid': 'countdown' }, countdown) : null,
          ),
        );
      },
    }),
  );
}
