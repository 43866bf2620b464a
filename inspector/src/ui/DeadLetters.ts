/**
 * A durable runtime's dead letters: actions that failed for good, with their last
 * error and attempt history, each with a "Redrive" control, and "Redrive all" for
 * the list shown. Redriving needs the token (a read-only page shows the controls
 * disabled) and asks for a confirmation that says how many it reaches.
 */
import { h } from 'preact';
import { useState } from 'preact/hooks';
import type { ControlCommand, WireDeadLetter } from '../../../src/inspect/protocol.js';
import { MAX_BULK_IDS } from '../../../src/inspect/protocol.js';
import type { AppState } from '../state/model.js';
import { clockTime, StateChip } from './format.js';

/** Every dead letter a viewer holds, with its source, newest first. */
export function deadLetterRows(state: AppState): Array<{ source: string; letter: WireDeadLetter }> {
  const rows: Array<{ source: string; letter: WireDeadLetter }> = [];
  for (const [source, message] of Object.entries(state.deadLetters)) for (const letter of message.letters) rows.push({ source, letter });
  return rows.sort((a, b) => b.letter.deadAt - a.letter.deadAt);
}

/** How many dead letters the sources have in all (some may not be shown: see `maxDeadLetters`). */
export function deadLetterTotal(state: AppState): number {
  let total = 0;
  for (const message of Object.values(state.deadLetters)) total += message.total;
  return total;
}

export function DeadLetters(props: { state: AppState; control: (source: string, command: ControlCommand) => void }) {
  const { state, control } = props;
  const [asking, setAsking] = useState(false);
  const rows = deadLetterRows(state);
  const total = deadLetterTotal(state);
  const controllable = new Set(state.sources.filter((source) => source.controllable).map((source) => source.id));
  const allowed = state.canControl;
  const why = allowed ? undefined : 'Needs the token: open the URL the inspector printed (with ?token=)';
  const redrive = (source: string, ids: string[]): void => {
    for (let i = 0; i < ids.length; i += MAX_BULK_IDS) control(source, { type: 'redrive', actionIds: ids.slice(i, i + MAX_BULK_IDS) });
  };
  const redriveAll = (): void => {
    const bySource = new Map<string, string[]>();
    for (const { source, letter } of rows) if (controllable.has(source)) (bySource.get(source) ?? bySource.set(source, []).get(source)!).push(letter.id);
    for (const [source, ids] of bySource) redrive(source, ids);
    setAsking(false);
  };
  if (Object.keys(state.deadLetters).length === 0) return h('p', { class: 'muted small pad', 'data-testid': 'dead-letters' }, 'No dead letters: only a durable Sequence (with a store) keeps them.');
  return h(
    'div',
    { class: 'dead-letters', 'data-testid': 'dead-letters' },
    h(
      'div',
      { class: 'dead-head' },
      h('span', { class: 'muted small' }, rows.length === total ? `${total.toLocaleString()} dead letter${total === 1 ? '' : 's'}` : `the newest ${rows.length.toLocaleString()} of ${total.toLocaleString()} dead letters`),
      asking
        ? h(
            'span',
            { class: 'bulk confirm', role: 'alertdialog', 'data-testid': 'redrive-confirm' },
            `Redrive ${rows.length.toLocaleString()} dead letter${rows.length === 1 ? '' : 's'}?`,
            h('button', { class: 'btn small', 'data-testid': 'redrive-yes', onClick: redriveAll }, 'Yes'),
            h('button', { class: 'btn small', 'data-testid': 'redrive-no', onClick: () => setAsking(false) }, 'No'),
          )
        : h('button', { class: 'btn small', disabled: !allowed || rows.length === 0, title: why ?? 'Assign every dead letter shown again', 'data-testid': 'redrive-all', onClick: () => setAsking(true) }, `Redrive all (${rows.length.toLocaleString()})`),
    ),
    h(
      'ol',
      { class: 'dead-list' },
      rows.map(({ source, letter }) => {
        const last = letter.attempts[letter.attempts.length - 1];
        return h(
          'li',
          { key: `${source}|${letter.id}`, class: 'dead-row', 'data-dead': letter.id },
          h('b', null, letter.name),
          h('span', { class: 'mono muted' }, letter.id),
          h('span', { class: 'mono muted' }, clockTime(letter.deadAt)),
          h('span', { class: 'muted small' }, `${letter.attempts.length} attempt${letter.attempts.length === 1 ? '' : 's'}`),
          last !== undefined ? h(StateChip, { state: last.outcome }) : null,
          h('span', { class: 'ellipsis grow', title: letter.error?.message ?? '' }, letter.error !== null ? `${letter.error.name}: ${letter.error.message}` : ''),
          letter.redriveOf !== undefined ? h('span', { class: 'muted small' }, `redrive of ${letter.redriveOf}`) : null,
          h('button', { class: 'btn small', disabled: !allowed || !controllable.has(source), title: why ?? 'Assign it again', 'data-testid': 'redrive', onClick: () => redrive(source, [letter.id]) }, 'Redrive'),
        );
      }),
    ),
  );
}
