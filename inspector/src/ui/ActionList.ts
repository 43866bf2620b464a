/** The filterable, virtualized list of actions, with search and state/name filters. */
import { h } from 'preact';
import { stateValueToString } from '../../../src/inspect/protocol.js';
import { formatDuration, queuePositions } from '../state/derive.js';
import { emptyFilters, nameOf, type ActorView, type AppState, type Filters } from '../state/model.js';
import { StateChip } from './format.js';
import { VirtualList } from './VirtualList.js';

interface NoteContext {
  attempts?: Array<{ startedAt: number; endedAt: number | null; error?: { message?: string } | null }>;
  retryAt?: number | null;
  notBefore?: number | null;
  createdAt?: number;
  settledAt?: number | null;
  error?: { message?: string } | null;
  cancellation?: { reason: string } | null;
}

/** One short line about where an action stands. */
export function statusNote(actor: ActorView, value: string, position: { position: number; of: number; queue: string } | undefined, now: number): string {
  const context = (actor.context ?? {}) as NoteContext;
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

export function ActionList(props: {
  state: AppState;
  actions: readonly ActorView[];
  facets: { names: string[]; states: string[] };
  positions: ReturnType<typeof queuePositions>;
  now: (source: string) => number;
  setFilter: (patch: Partial<Filters>) => void;
  select: (key: string) => void;
}) {
  const { state, actions } = props;
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
    ),
    h('div', { class: 'row head' }, h('span', null, 'State'), h('span', null, 'Action'), h('span', null, 'Id'), h('span', null, 'Tries'), h('span', null, 'Status')),
    h(VirtualList<ActorView>, {
      items: actions,
      rowHeight: 30,
      class: 'rows',
      empty: state.connection === 'connecting' ? 'Connecting…' : 'No actions match.',
      render: (actor) => {
        const context = (actor.context ?? {}) as { id?: string; attempts?: unknown[] };
        const value = stateValueToString(actor.value) || actor.status;
        const note = statusNote(actor, value, props.positions.get(actor.key), props.now(actor.source));
        return h(
          'div',
          { class: `row ${actor.key === state.selected ? 'selected' : ''}`, onClick: () => props.select(actor.key), 'data-action': context.id ?? actor.id, 'data-state': value },
          h(StateChip, { state: value }),
          h('span', { class: 'name' }, nameOf(actor)),
          h('span', { class: 'mono muted ellipsis' }, context.id ?? actor.id),
          h('span', { class: 'mono' }, Array.isArray(context.attempts) ? String(context.attempts.length) : ''),
          h('span', { class: 'muted ellipsis small' }, note),
        );
      },
    }),
  );
}
