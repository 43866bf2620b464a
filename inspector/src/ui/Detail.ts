/**
 * The selected actor: its statechart with the current state, why it waits, its
 * attempts with every error and cause chain, its context, and its controls.
 */
import { h } from 'preact';
import { stateValueToString, type ControlCommand, type Json } from '../../../src/inspect/protocol.js';
import { formatDuration, waitingBecause } from '../state/derive.js';
import { machineKey, nameOf, type ActorView, type AppState } from '../state/model.js';
import { clockTime, JsonView, StateChip } from './format.js';
import { ErrorBoundary } from './ErrorBoundary.js';
import { Statechart } from './Statechart.js';

interface Attempt {
  number: number;
  startedAt: number;
  endedAt: number | null;
  outcome: string;
  error: Json | null;
  backoff: number | null;
}

/** An error and its causes, outermost first. */
export function causeChain(error: Json | null | undefined): Array<{ name: string; message: string }> {
  const out: Array<{ name: string; message: string }> = [];
  let current: Json | null | undefined = error;
  while (current !== null && current !== undefined && out.length < 16) {
    if (typeof current !== 'object' || Array.isArray(current)) {
      out.push({ name: 'Cause', message: String(current) });
      break;
    }
    out.push({ name: String(current.name ?? 'Error'), message: String(current.message ?? '') });
    current = current.cause;
  }
  return out;
}

function ErrorChain(props: { error: Json | null | undefined }) {
  const chain = causeChain(props.error);
  if (chain.length === 0) return null;
  return h(
    'ol',
    { class: 'cause-chain' },
    chain.map((link, i) => h('li', { key: i }, i > 0 ? h('span', { class: 'caused' }, 'caused by ') : null, h('b', null, link.name), ': ', link.message)),
  );
}

const ACTIVE_ACTION_STATES = new Set(['delayed', 'queued', 'hooks', 'running', 'retrying', 'afterHooks']);

export function Detail(props: {
  state: AppState;
  actor: ActorView | undefined;
  now: number;
  control: (source: string, command: ControlCommand) => void;
}) {
  const { state, actor, now } = props;
  if (!actor) return h('section', { class: 'detail empty-detail' }, h('p', null, 'Select an action to see its statechart, attempts and context.'));
  const value = stateValueToString(actor.value) || actor.status;
  const context = (actor.context ?? {}) as { id?: string; attempts?: Attempt[]; error?: Json; cancellation?: { reason: string; message: string } | null };
  const machine = actor.machineId !== null ? state.machines[machineKey(actor.source, actor.machineId)] : undefined;
  const source = state.sources.find((s) => s.id === actor.source);
  const canControl = state.canControl && (source?.controllable ?? false);
  const actionId = typeof context.id === 'string' ? context.id : actor.id;
  const waiting = waitingBecause(state, actor, now);
  const controls = actor.kind === 'action'
    ? [
        h('button', { class: 'btn danger', disabled: !canControl || !ACTIVE_ACTION_STATES.has(value), onClick: () => props.control(actor.source, { type: 'cancel', actionId }), 'data-testid': 'cancel' }, 'Cancel'),
        h('button', { class: 'btn', disabled: !canControl || !(value === 'retrying' || value === 'failed'), onClick: () => props.control(actor.source, { type: 'retry', actionId }), 'data-testid': 'retry' }, 'Retry now'),
      ]
    : actor.kind === 'sequence'
      ? [
          h('button', { class: 'btn', disabled: !canControl || value.startsWith('paused'), onClick: () => props.control(actor.source, { type: 'pause' }) }, 'Pause'),
          h('button', { class: 'btn', disabled: !canControl || !value.startsWith('paused'), onClick: () => props.control(actor.source, { type: 'resume' }) }, 'Resume'),
        ]
      : [];
  const attempts = Array.isArray(context.attempts) ? context.attempts : [];
  return h(
    'section',
    { class: 'detail', 'data-testid': 'detail' },
    h(
      'header',
      { class: 'detail-head' },
      h('div', null, h('h2', null, nameOf(actor)), h('div', { class: 'muted mono' }, `${actor.kind} · ${actionId} · ${source?.name ?? actor.source}`)),
      h(StateChip, { state: value }),
    ),
    controls.length > 0 ? h('div', { class: 'controls' }, controls, !state.canControl ? h('span', { class: 'muted small' }, state.connection === 'trace' ? 'replaying a trace' : 'read-only: open the URL with ?token=') : null) : null,
    waiting ? h('div', { class: 'waiting', 'data-testid': 'waiting' }, h('span', { class: 'muted' }, 'Waiting because '), waiting) : null,
    context.cancellation ? h('div', { class: 'waiting' }, h('span', { class: 'muted' }, 'Cancelled: '), `${context.cancellation.reason}: ${context.cancellation.message}`) : null,
    machine
      ? h('div', { class: 'chart-wrap' }, h(ErrorBoundary, { key: actor.key, what: 'statechart' }, h(Statechart, { machine, value: actor.value, history: actor.history, lastEvent: actor.lastEvent })))
      : h('p', { class: 'muted small' }, 'No machine definition for this actor.'),
    attempts.length > 0
      ? h(
          'div',
          { class: 'block' },
          h('h3', null, `Attempts (${attempts.length})`),
          h(
            'ol',
            { class: 'attempts' },
            attempts.map((attempt) =>
              h(
                'li',
                { key: attempt.number, class: `attempt outcome-${attempt.outcome}` },
                h(
                  'div',
                  { class: 'attempt-head' },
                  h('b', null, `#${attempt.number}`),
                  h(StateChip, { state: attempt.outcome }),
                  h('span', { class: 'mono muted' }, clockTime(attempt.startedAt)),
                  h('span', { class: 'mono' }, formatDuration((attempt.endedAt ?? now) - attempt.startedAt)),
                  attempt.backoff !== null ? h('span', { class: 'muted' }, `then backoff ${formatDuration(attempt.backoff)}`) : null,
                ),
                h(ErrorChain, { error: attempt.error }),
              ),
            ),
          ),
        )
      : null,
    actor.error !== undefined || context.error ? h('div', { class: 'block' }, h('h3', null, 'Error'), h(ErrorChain, { error: (actor.error ?? context.error) as Json })) : null,
    h('details', { class: 'block', open: true }, h('summary', null, 'Context'), h(JsonView, { value: actor.context })),
    actor.output !== undefined ? h('details', { class: 'block' }, h('summary', null, 'Output'), h(JsonView, { value: actor.output })) : null,
    h('div', { class: 'block muted small' }, 'History: ', actor.history.map(([s, t], i) => h('span', { key: i, class: 'hist' }, `${s} @ ${clockTime(t)}`))),
  );
}
