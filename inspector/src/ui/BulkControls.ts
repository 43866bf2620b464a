/**
 * Bulk controls over the current filter: cancel every cancellable action, or
 * "retry now" every one waiting (in backoff or a start delay). They need the
 * token (a read-only page shows them disabled) and ask for a confirmation that
 * says how many actions they will reach.
 */
import { h } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { type ControlCommand } from '../../../src/inspect/protocol.js';
import { actionIdOf, type ActorView, type AppState } from '../state/model.js';

/** States a cancel reaches (not yet settled, not already cancelling). */
export const CANCELLABLE = new Set(['scheduled', 'delayed', 'queued', 'hooks', 'running', 'retrying', 'afterHooks']);
/** States "retry now" skips the wait of. */
export const WAITING = new Set(['retrying', 'delayed']);

/** The actions each bulk command reaches among `actions`, on sources that can be controlled (one pass: at 100k it shows). */
export function bulkTargets(state: AppState, actions: readonly ActorView[]): { cancel: ActorView[]; retry: ActorView[] } {
  const controllable = new Set(state.sources.filter((source) => source.controllable).map((source) => source.id));
  const cancel: ActorView[] = [];
  const retry: ActorView[] = [];
  if (controllable.size === 0) return { cancel, retry };
  for (let i = 0; i < actions.length; i++) {
    const actor = actions[i]!;
    if (actor.kind !== 'action' || !controllable.has(actor.source)) continue;
    if (CANCELLABLE.has(actor.stateText)) cancel.push(actor);
    if (WAITING.has(actor.stateText)) retry.push(actor);
  }
  return { cancel, retry };
}

export function BulkControls(props: { state: AppState; actions: readonly ActorView[]; control: (source: string, command: ControlCommand) => void }) {
  const { state } = props;
  const [asking, setAsking] = useState<'cancel' | 'retry' | null>(null);
  const { cancel, retry } = useMemo(() => bulkTargets(state, props.actions), [props.actions, state.sources]);
  const why = state.canControl ? undefined : 'Needs the token: open the URL the inspector printed (with ?token=)';
  if (asking !== null) {
    const targets = asking === 'cancel' ? cancel : retry;
    return h(
      'span',
      { class: 'bulk confirm', 'data-testid': 'bulk-confirm', role: 'alertdialog' },
      `${asking === 'cancel' ? 'Cancel' : 'Retry now'} ${targets.length.toLocaleString()} action${targets.length === 1 ? '' : 's'} of this filter?`,
      h(
        'button',
        {
          class: `btn small ${asking === 'cancel' ? 'danger' : ''}`,
          'data-testid': 'bulk-yes',
          onClick: () => {
            for (const actor of targets) props.control(actor.source, { type: asking, actionId: actionIdOf(actor) });
            setAsking(null);
          },
        },
        'Yes',
      ),
      h('button', { class: 'btn small', 'data-testid': 'bulk-no', onClick: () => setAsking(null) }, 'No'),
    );
  }
  return h(
    'span',
    { class: 'bulk' },
    h('button', { class: 'btn small danger', disabled: !state.canControl || cancel.length === 0, title: why ?? 'Cancel every cancellable action of this filter', 'data-testid': 'bulk-cancel', onClick: () => setAsking('cancel') }, `Cancel all (${cancel.length.toLocaleString()})`),
    h('button', { class: 'btn small', disabled: !state.canControl || retry.length === 0, title: why ?? 'Skip the wait of every action in backoff or a start delay', 'data-testid': 'bulk-retry', onClick: () => setAsking('retry') }, `Retry now all waiting (${retry.length.toLocaleString()})`),
  );
}
