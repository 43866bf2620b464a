/** The filterable, virtualized list of actions, with search and state/name filters. */
import { h } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { stateValueToString, type ControlCommand, type Json } from '../../../src/inspect/protocol.js';
import { BulkControls } from './BulkControls.js';
import { formatDuration, progressFraction, type Summary } from '../state/derive.js';
import { actionContext, emptyFilters, nameOf, type ActorView, type AppState, type Filters } from '../state/model.js';
import { StateChip } from './format.js';
import { VirtualList } from './VirtualList.js';

/** One short line about where an action stands. */
export function statusNote(actor: ActorView, value: string, position: { position: number; of: number; queue: string } | undefined, now: number): string {
  const context = actionContext(actor);
  const attempts = Array.isArray(context.attempts) ? context.attempts : [];
  const last = attempts.at(-1);
  switch (value) {
    case 'delayed':
      return context.notBefore != null ? `starts in ${formatDuration(context.notBefore - now)}` : 'start delay';
    case 'queued':
      return position ? `#${position.position} of ${position.of} in ${position.queue}` : 'queued';
    case 'running':
      return last ? `attempt ${attempts.length} · ${formatDuration(now - last.startedAt)}` : 'running';
    case 'retrying':
      return context.retryAt != null ? `retry in ${formatDuration(context.retryAt - now)}` : 'retry pending';
    case 'done':
      return context.settledAt != null && context.createdAt != null ? `took ${formatDuration(context.settledAt - context.createdAt)}` : 'done';
    case 'failed':
      return context.error?.message ?? last?.error?.message ?? 'failed';
    case 'cancelled':
      return context.cancellation ? `cancelled (${context.cancellation.reason})` : 'cancelled';
    default:
      return actor.lastEvent ?? '';
  }
}

/** A thin bar in the row for a reported progress that reads as a fraction. */
function progressBar(value: Json | undefined) {
  const fraction = progressFraction(value);
  if (fraction === null) return null;
  return h('span', { class: 'progress', 'data-testid': 'row-progress', title: `${Math.round(fraction * 100)} %` }, h('i', { style: { width: `${fraction * 100}%` } }));
}

export function ActionList(props: {
  state: AppState;
  actions: readonly ActorView[];
  facets: { names: string[]; states: string[] };
  positions: Summary['positions'];
  now: (source: string) => number;
  setFilter: (patch: Partial<Filters>) => void;
  select: (key: string) => void;
  control: (source: string, command: ControlCommand) => void;
}) {
  const { state, actions } = props;
  // The keyboard cursor: arrow keys move it, Enter selects the row under it.
  const [cursor, setCursor] = useState<string | null>(null);
  const cursorIndex = useMemo(() => {
    const key = cursor ?? state.selected;
    if (key === null) return -1;
    return actions.findIndex((actor) => actor.key === key);
  }, [cursor, state.selected, actions]);
  const onKeyDown = (event: KeyboardEvent): void => {
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10, Home: -Infinity, End: Infinity };
    if (event.key in moves) {
      event.preventDefault();
      if (actions.length === 0) return;
      const from = cursorIndex < 0 ? (moves[event.key]! > 0 ? -1 : actions.length) : cursorIndex;
      const to = Math.max(0, Math.min(actions.length - 1, from + moves[event.key]!));
      setCursor(actions[Number.isFinite(to) ? to : 0]!.key);
    } else if (event.key === 'Enter' && cursorIndex >= 0) {
      event.preventDefault();
      props.select(actions[cursorIndex]!.key);
    }
  };
  const f = state.filters;
  const filtered = JSON.stringify(f) !== JSON.stringify(emptyFilters);
  const parent = f.parent !== null ? state.actors.get(f.parent) : undefined;
  return h(
    'section',
    { class: 'list' },
    h(
      'div',
      { class: 'toolbar' },
      h('input', { class: 'input grow', type: 'search', placeholder: 'Search name or id…', value: f.search, 'data-testid': 'search', onInput: (e: Event) => props.setFilter({ search: (e.currentTarget as HTMLInputElement).value }) }),
      h(
        'select',
        { class: 'input', value: f.state ?? '', 'aria-label': 'State', onChange: (e: Event) => props.setFilter({ state: (e.currentTarget as HTMLSelectElement).value || null }) },
        h('option', { value: '' }, 'All states'),
        props.facets.states.map((s) => h('option', { key: s, value: s }, s)),
      ),
      h(
        'select',
        { class: 'input', value: f.name ?? '', 'aria-label': 'Action name', onChange: (e: Event) => props.setFilter({ name: (e.currentTarget as HTMLSelectElement).value || null }) },
        h('option', { value: '' }, 'All actions'),
        props.facets.names.slice(0, 500).map((s) => h('option', { key: s, value: s }, s)),
      ),
    ),
    h(
      'div',
      { class: 'list-meta muted small' },
      `${actions.length.toLocaleString()} actions`,
      parent ? ` in ${parent.kind} ${nameOf(parent)}` : '',
      filtered ? h('button', { class: 'link', onClick: () => props.setFilter(emptyFilters) }, 'clear filters') : null,
      h('span', { class: 'grow' }),
      h(BulkControls, { state, actions, control: props.control }),
    ),
    h('div', { class: 'row head' }, h('span', null, 'State'), h('span', null, 'Action'), h('span', null, 'Id'), h('span', null, 'Tries'), h('span', null, 'Status')),
    h(VirtualList<ActorView>, {
      items: actions,
      rowHeight: 30,
      class: 'rows',
      label: 'Actions: arrow keys move, Enter selects',
      focusIndex: cursorIndex >= 0 ? cursorIndex : null,
      onKeyDown,
      empty: state.connection === 'connecting' ? 'Connecting…' : 'No actions match.',
      render: (actor, index) => {
        const context = actionContext(actor);
        const value = stateValueToString(actor.value) || actor.status;
        const note = statusNote(actor, value, props.positions.get(actor.key), props.now(actor.source));
        return h(
          'div',
          {
            class: `row ${actor.key === state.selected ? 'selected' : ''} ${index === cursorIndex ? 'cursor' : ''}`,
            role: 'option',
            'aria-selected': actor.key === state.selected,
            onClick: () => {
              setCursor(actor.key);
              props.select(actor.key);
            },
            'data-action': context.id ?? actor.id,
            'data-state': value,
          },
          h(StateChip, { state: value }),
          h('span', { class: 'name' }, nameOf(actor)),
          h('span', { class: 'mono muted ellipsis' }, context.id ?? actor.id),
          h('span', { class: 'mono' }, Array.isArray(context.attempts) ? String(context.attempts.length) : ''),
          h('span', { class: 'muted ellipsis small status-cell' }, note, progressBar(context.progress)),
        );
      },
    }),
  );
}
