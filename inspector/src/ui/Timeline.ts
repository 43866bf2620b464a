/**
 * One row per action: the wait before the first attempt, attempts as bars
 * coloured by outcome, backoff gaps between them, and a live countdown to the
 * next retry.
 */
import { h } from 'preact';
import { useState } from 'preact/hooks';
import { formatDuration } from '../state/derive.js';
import { actionContext, nameOf, type ActorView } from '../state/model.js';
import { clockTime } from './format.js';
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

const TICK_STEPS = [100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000];

/** Round times across a window `[from, from + span]` for its axis: about `count` of them. */
export function timeTicks(from: number, span: number, count = 6): number[] {
  const step = TICK_STEPS.find((candidate) => span / candidate <= count) ?? TICK_STEPS.at(-1)!;
  const out: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= from + span; t += step) out.push(t);
  return out;
}

/** A tick's label: the clock time, to the precision its step needs. */
export function tickLabel(t: number, step: number): string {
  const text = clockTime(t);
  return step >= 60_000 ? text.slice(0, 5) : step >= 1000 ? text.slice(0, 8) : text.slice(0, 12);
}

/** A zoomed window: its end (source clock) and span; `null` follows now. */
type Zoom = { end: number; span: number } | null;

function Axis(props: { from: number; span: number; onZoom: (from: number, to: number) => void }) {
  const { from, span } = props;
  const ticks = timeTicks(from, span);
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : span;
  const [brush, setBrush] = useState<{ x0: number; x1: number } | null>(null);
  const timeAt = (element: HTMLElement, clientX: number): number => {
    const box = element.getBoundingClientRect();
    return from + (Math.max(0, Math.min(box.width, clientX - box.left)) / Math.max(1, box.width)) * span;
  };
  return h(
    'div',
    {
      class: 'tl-axis',
      'data-testid': 'time-axis',
      title: 'Drag across the axis to zoom to that time window',
      onPointerDown: (event: PointerEvent) => {
        const element = event.currentTarget as HTMLElement;
        element.setPointerCapture?.(event.pointerId);
        const x = event.clientX - element.getBoundingClientRect().left;
        setBrush({ x0: x, x1: x });
      },
      onPointerMove: (event: PointerEvent) => {
        if (!brush) return;
        const element = event.currentTarget as HTMLElement;
        setBrush({ ...brush, x1: event.clientX - element.getBoundingClientRect().left });
      },
      onPointerUp: (event: PointerEvent) => {
        if (!brush) return;
        const element = event.currentTarget as HTMLElement;
        const box = element.getBoundingClientRect();
        setBrush(null);
        const a = timeAt(element, box.left + Math.min(brush.x0, brush.x1));
        const b = timeAt(element, event.clientX);
        const [t0, t1] = a < b ? [a, b] : [b, a];
        if (Math.abs(event.clientX - box.left - brush.x0) >= 4 && t1 - t0 >= 10) props.onZoom(t0, t1);
      },
    },
    h('span', { class: 'tl-axis-name muted small' }, formatDuration(span)),
    h(
      'span',
      { class: 'tl-axis-track' },
      ticks.map((t) => h('span', { key: t, class: 'tick', 'data-time': t, style: { left: `${((t - from) / span) * 100}%` } }, tickLabel(t, step))),
      brush ? h('i', { class: 'brush', style: { left: `${Math.min(brush.x0, brush.x1)}px`, width: `${Math.abs(brush.x1 - brush.x0)}px` } }) : null,
    ),
  );
}

export function Timeline(props: { actions: readonly ActorView[]; now: (source: string) => number; selected: string | null; select: (key: string) => void }) {
  const [choice, setWindow] = useState(FIT);
  const [zoom, setZoom] = useState<Zoom>(null);
  const windowMs = zoom ? zoom.span : choice === FIT ? fitWindow(props.actions, props.now) : choice;
  // The axis is on the clock of the first row's source (rows of other sources are aligned by their own offsets).
  const axisSource = props.actions[0]?.source;
  const axisNow = axisSource !== undefined ? props.now(axisSource) : Date.now();
  const axisEnd = zoom ? zoom.end : axisNow;
  return h(
    'div',
    { class: 'timeline' },
    h(
      'div',
      { class: 'toolbar' },
      h('span', { class: 'muted small' }, `${props.actions.length.toLocaleString()} rows · window`),
      h('button', { class: `btn small ${choice === FIT && !zoom ? 'on' : ''}`, onClick: () => { setZoom(null); setWindow(FIT); } }, `fit (${formatDuration(choice === FIT && !zoom ? windowMs : fitWindow(props.actions, props.now))})`),
      WINDOWS.map((ms) => h('button', { key: ms, class: `btn small ${ms === choice && !zoom ? 'on' : ''}`, onClick: () => { setZoom(null); setWindow(ms); } }, formatDuration(ms))),
      zoom ? h('button', { class: 'btn small on', 'data-testid': 'zoom-live', onClick: () => setZoom(null), title: 'Back to the window ending now' }, `zoomed ${formatDuration(zoom.span)} · back to now`) : null,
      h('span', { class: 'legend' }, h('i', { class: 'seg wait' }), 'waiting', h('i', { class: 'seg attempt outcome-succeeded' }), 'attempt', h('i', { class: 'seg attempt outcome-failed' }), 'failed', h('i', { class: 'seg backoff' }), 'backoff'),
    ),
    h(Axis, { from: axisEnd - windowMs, span: windowMs, onZoom: (t0, t1) => setZoom({ end: t1, span: t1 - t0 }) }),
    h(VirtualList<ActorView>, {
      items: props.actions,
      rowHeight: 24,
      empty: 'No actions match the filters.',
      render: (actor) => {
        const now = props.now(actor.source);
        // A zoomed window is fixed in time: shifted into this row's source clock.
        const end = zoom ? zoom.end + (now - axisNow) : now;
        const from = end - windowMs;
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
