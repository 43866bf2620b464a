/**
 * The selected actor: its statechart with the current state, why it waits, its
 * attempts with every error and cause chain, its context, and its controls.
 */
import { h } from 'preact';
import { useState } from 'preact/hooks';
import { stateValueToString, type ControlCommand, type Json, type WireLogEntry } from '../../../src/inspect/protocol.js';
import { formatDuration, progressFraction, waitingBecause } from '../state/derive.js';
import { actionContext, machineKey, nameOf, type ActorView, type AppState } from '../state/model.js';
import { clockTime, JsonView, StateChip } from './format.js';
import { ErrorBoundary } from './ErrorBoundary.js';
import { SequenceDiagram } from './SequenceDiagram.js';
import { Statechart } from './Statechart.js';

/** Lines of a stack shown at most; the rest is summarized. */
export const MAX_STACK_LINES = 12;

/** An error and its causes, outermost first, each with its stack (already sanitized and bounded by the server). */
export function causeChain(error: Json | null | undefined): Array<{ name: string; message: string; stack: string | null }> {
  const out: Array<{ name: string; message: string; stack: string | null }> = [];
  let current: Json | null | undefined = error;
  while (current !== null && current !== undefined && out.length < 16) {
    if (typeof current !== 'object' || Array.isArray(current)) {
      out.push({ name: 'Cause', message: String(current), stack: null });
      break;
    }
    out.push({ name: String(current.name ?? 'Error'), message: String(current.message ?? ''), stack: typeof current.stack === 'string' ? current.stack : null });
    current = current.cause;
  }
  return out;
}

/**
 * The frames of a stack, without its first line when that only repeats the
 * error's name and message, cut to {@link MAX_STACK_LINES}.
 */
export function stackLines(stack: string, name: string, message: string): { lines: string[]; more: number } {
  let lines = stack.split('\n').map((line) => line.trimEnd()).filter((line) => line !== '');
  if (lines[0] !== undefined && lines[0].startsWith(`${name}: ${message}`.slice(0, 80))) lines = lines.slice(1);
  else if (lines[0] === name) lines = lines.slice(1);
  return { lines: lines.slice(0, MAX_STACK_LINES), more: Math.max(0, lines.length - MAX_STACK_LINES) };
}

function ErrorChain(props: { error: Json | null | undefined }) {
  const chain = causeChain(props.error);
  if (chain.length === 0) return null;
  return h(
    'ol',
    { class: 'cause-chain' },
    chain.map((link, i) => {
      const stack = link.stack !== null ? stackLines(link.stack, link.name, link.message) : null;
      return h(
        'li',
        { key: i },
        i > 0 ? h('span', { class: 'caused' }, 'caused by ') : null,
        h('b', null, link.name),
        ': ',
        link.message,
        stack && stack.lines.length > 0
          ? h(
              'details',
              { class: 'stack', 'data-testid': 'stack' },
              h('summary', null, 'stack'),
              h('pre', null, stack.lines.join('\n'), stack.more > 0 ? `\n… ${stack.more} more line${stack.more === 1 ? '' : 's'}` : ''),
            )
          : null,
      );
    }),
  );
}

/** The last progress the function reported: a bar when it reads as a fraction, and the value. */
function ProgressBlock(props: { value: Json }) {
  const fraction = progressFraction(props.value);
  return h(
    'div',
    { class: 'block progress-block', 'data-testid': 'progress' },
    h('h3', null, 'Progress'),
    fraction !== null ? h('div', { class: 'progress big', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(fraction * 100) }, h('i', { style: { width: `${fraction * 100}%` } })) : null,
    h('span', { class: 'mono small' }, fraction !== null ? `${Math.round(fraction * 100)} %` : '', ' ', typeof props.value === 'number' ? '' : JSON.stringify(props.value)),
  );
}

/** The function's newest `log(...)` lines, oldest first, with their attempt and data, and how many the runtime dropped. */
function LogPane(props: { logs: readonly (WireLogEntry | Json)[]; dropped: number }) {
  const { logs, dropped } = props;
  return h(
    'div',
    { class: 'block' },
    h('h3', null, `Log (${logs.length}${dropped > 0 ? ` of ${logs.length + dropped}` : ''})`),
    dropped > 0 ? h('p', { class: 'muted small', 'data-testid': 'log-dropped' }, `${dropped} earlier line${dropped === 1 ? '' : 's'} not kept`) : null,
    h(
      'ol',
      { class: 'log-pane', 'data-testid': 'log-pane' },
      logs.map((entry, i) => {
        // The sanitizer may cut a long list to head and tail with a string marker between.
        if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return h('li', { key: i, class: 'muted' }, String(entry));
        const line = entry as unknown as WireLogEntry;
        return h(
          'li',
          { key: i },
          h('span', { class: 'mono muted' }, clockTime(line.at)),
          typeof line.attempt === 'number' ? h('span', { class: 'mono muted' }, ` #${line.attempt}`) : null,
          ' ',
          h('span', null, line.message),
          line.data !== undefined ? h('code', { class: 'muted' }, ` ${JSON.stringify(line.data)}`) : null,
        );
      }),
    ),
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
  const [view, setView] = useState<'chart' | 'sequence'>('chart');
  if (!actor) return h('section', { class: 'detail empty-detail' }, h('p', null, 'Select an action to see its statechart, attempts and context.'));
  const value = stateValueToString(actor.value) || actor.status;
  const context = actionContext(actor);
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
    context.progress !== undefined ? h(ProgressBlock, { value: context.progress }) : null,
    context.cancellation ? h('div', { class: 'waiting' }, h('span', { class: 'muted' }, 'Cancelled: '), `${context.cancellation.reason}: ${context.cancellation.message}`) : null,
    actor.kind === 'action'
      ? h(
          'div',
          { class: 'tabs detail-tabs' },
          h('button', { class: `tab ${view === 'chart' ? 'on' : ''}`, onClick: () => setView('chart'), 'data-testid': 'view-chart' }, 'Statechart'),
          h('button', { class: `tab ${view === 'sequence' ? 'on' : ''}`, onClick: () => setView('sequence'), 'data-testid': 'view-sequence' }, 'Sequence diagram'),
        )
      : null,
    view === 'sequence' && actor.kind === 'action'
      ? h('div', { class: 'chart-wrap' }, h(ErrorBoundary, { key: actor.key, what: 'sequence diagram' }, h(SequenceDiagram, { state, actor })))
      : machine
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
    Array.isArray(context.logs) && context.logs.length > 0 ? h(LogPane, { logs: context.logs, dropped: typeof context.logsDropped === 'number' ? context.logsDropped : 0 }) : null,
    h('details', { class: 'block', open: true }, h('summary', null, 'Context'), h(JsonView, { value: actor.context })),
    actor.output !== undefined ? h('details', { class: 'block' }, h('summary', null, 'Output'), h(JsonView, { value: actor.output })) : null,
    h('div', { class: 'block muted small' }, 'History: ', actor.history.map(([s, t], i) => h('span', { key: i, class: 'hist' }, `${s} @ ${clockTime(t)}`))),
  );
}
