/** The event log: every event the actors received, newest at the bottom, with filters. */
import { h } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { nameOf, type AppState, type LogEntry } from '../state/model.js';
import { clockTime } from './format.js';
import { VirtualList } from './VirtualList.js';

export function filterLog(log: readonly LogEntry[], text: string, hideInternal: boolean, actorKey: string | null): LogEntry[] {
  const needle = text.trim().toLowerCase();
  return log.filter(
    (entry) =>
      (!hideInternal || !entry.type.startsWith('xstate.')) &&
      (actorKey === null || entry.actorKey === actorKey) &&
      (needle === '' || entry.type.toLowerCase().includes(needle) || entry.actorName.toLowerCase().includes(needle) || entry.actionId.toLowerCase().includes(needle)),
  );
}

function fromName(state: AppState, entry: LogEntry): string {
  const actor = entry.from === null ? undefined : state.actors.get(`${entry.source}|${entry.from}`);
  return actor ? nameOf(actor) : (entry.from ?? '');
}

export function EventLog(props: { state: AppState; select: (key: string) => void }) {
  const [text, setText] = useState('');
  const [hideInternal, setHideInternal] = useState(false);
  const [onlySelected, setOnlySelected] = useState(false);
  const { state } = props;
  const entries = useMemo(
    () => filterLog(state.log, text, hideInternal, onlySelected ? state.selected : null),
    [state.log, text, hideInternal, onlySelected, state.selected],
  );
  return h(
    'div',
    { class: 'eventlog' },
    h(
      'div',
      { class: 'toolbar' },
      h('input', { class: 'input', placeholder: 'Filter events by type, actor or action id…', value: text, onInput: (e: Event) => setText((e.currentTarget as HTMLInputElement).value) }),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', checked: hideInternal, onChange: () => setHideInternal(!hideInternal) }), 'hide xstate.*'),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', checked: onlySelected, onChange: () => setOnlySelected(!onlySelected) }), 'selected actor only'),
      h('span', { class: 'muted small' }, `${entries.length.toLocaleString()} of ${state.log.length.toLocaleString()}`),
    ),
    h(VirtualList<LogEntry>, {
      items: entries,
      rowHeight: 22,
      follow: true,
      empty: 'No events yet.',
      render: (entry) =>
        h(
          'div',
          { class: 'log-row', onClick: () => props.select(entry.actorKey), title: JSON.stringify(entry.event) },
          h('span', { class: 'mono muted' }, clockTime(entry.at)),
          h('span', { class: 'log-actor' }, entry.actorName),
          h('span', { class: 'mono muted log-id', 'data-testid': 'log-action-id' }, entry.actionId),
          h('span', { class: `log-type ${entry.type.startsWith('xstate.') ? 'internal' : ''}` }, entry.type),
          h('span', { class: 'muted ellipsis' }, entry.from ? `from ${fromName(props.state, entry)}` : ''),
        ),
    }),
  );
}
