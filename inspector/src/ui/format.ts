/** Small view helpers: state colours, times, JSON. */
import { h } from 'preact';
import type { Json } from '../../../src/inspect/protocol.js';

const KNOWN = new Set(['delayed', 'queued', 'hooks', 'running', 'retrying', 'afterHooks', 'cancelling', 'done', 'failed', 'cancelled', 'paused', 'stopped', 'error', 'active', 'succeeded', 'timed-out', 'abandoned', 'interrupted']);

/** CSS class of a state chip: known Echo states get their own colour. */
export function stateClass(state: string): string {
  const top = state.split('.')[0] ?? state;
  return `state state-${KNOWN.has(top) ? top : 'other'}`;
}

export function StateChip(props: { state: string; count?: number; onClick?: () => void; active?: boolean }) {
  return h(
    props.onClick ? 'button' : 'span',
    { class: `${stateClass(props.state)}${props.active ? ' active' : ''}`, onClick: props.onClick, title: props.state, type: props.onClick ? 'button' : undefined },
    props.state || '—',
    props.count !== undefined ? h('b', null, props.count.toLocaleString()) : null,
  );
}

/** Source-clock ms as a wall time `12:03:04.120` (sources use the wall clock unless simulated). */
export function clockTime(ms: number): string {
  const date = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export function JsonView(props: { value: Json | undefined; class?: string }) {
  return h('pre', { class: `json ${props.class ?? ''}` }, props.value === undefined ? '—' : JSON.stringify(props.value, null, 2));
}
