/**
 * The inspector app: header (connection, record, open trace), actor tree,
 * action list, selected actor, and the timeline / event log. It shows whatever
 * feed it has: live over WebSocket, or a trace being replayed.
 */
import { h } from 'preact';
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'preact/hooks';
import { parseTrace, type ControlCommand } from '../../../src/inspect/protocol.js';
import { canGoLive, createOfflineFeed, type Feed } from '../feeds/feed.js';
import { createLiveFeed } from '../feeds/live.js';
import { createRecording, download, type Recording } from '../feeds/recorder.js';
import { createTracePlayer, type TracePlayer } from '../feeds/trace.js';
import { filterActions, sourceNow, summarize } from '../state/derive.js';
import { initialState, reduce, type ActorView, type AppState, type Filters } from '../state/model.js';
import { readUrlState, writeUrlState } from '../state/urlState.js';
import { ActionList } from './ActionList.js';
import { DeadLetters, deadLetterTotal } from './DeadLetters.js';
import { Detail } from './Detail.js';
import { ErrorBoundary } from './ErrorBoundary.js';
import { EventLog } from './EventLog.js';
import { Scrubber } from './Scrubber.js';
import { Timeline } from './Timeline.js';
import { Tree } from './Tree.js';

/** Re-renders every `ms` for live countdowns (a chained timeout, stopped on unmount). */
function useNow(ms: number, enabled: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!enabled) return;
    let timer: ReturnType<typeof setTimeout>;
    const loop = (): void => {
      setNow(Date.now());
      timer = setTimeout(loop, ms);
    };
    timer = setTimeout(loop, ms);
    return () => clearTimeout(timer);
  }, [ms, enabled]);
  return now;
}

export function App() {
  const [state, dispatch] = useReducer(reduce, undefined as never, () => ({ ...initialState(), ...readUrlState(window.location.search) }));
  const live = canGoLive(window.location);
  const [feed, setFeed] = useState<Feed>(() => (live ? createLiveFeed() : createOfflineFeed()));
  /** The live server's URL, kept to say which server is gone. */
  const [liveUrl, setLiveUrl] = useState<string | undefined>(feed.url);
  const [player, setPlayer] = useState<{ player: TracePlayer; name: string } | null>(null);
  const [recording, setRecording] = useState<Recording | null>(null);
  const [recordCount, setRecordCount] = useState(0);
  const [tab, setTab] = useState<'timeline' | 'events' | 'dead'>('timeline');
  const [loadError, setLoadError] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const tick = useNow(250, player === null);

  // The URL holds the view (deep links); replaced, not pushed, so Back leaves the page as usual.
  useEffect(() => {
    const next = writeUrlState(window.location.href, { filters: state.filters, selected: state.selected });
    if (next === window.location.href) return;
    try {
      window.history.replaceState(null, '', next);
    } catch (error) {
      // Some file:// pages refuse history changes; the view still works, it just is not in the URL.
      console.info('Echo inspector: the view cannot be kept in this URL', error);
    }
  }, [state.filters, state.selected]);
  // `/` focuses the search, Esc clears the selection (in the search box: the search).
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      const target = event.target as HTMLElement | null;
      const typing = target !== null && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable);
      if (event.key === '/' && !typing) {
        event.preventDefault();
        document.querySelector<HTMLInputElement>('[data-testid="search"]')?.focus();
      } else if (event.key === 'Escape') {
        if (typing && target.getAttribute('data-testid') === 'search') {
          dispatch({ type: 'filter', patch: { search: '' } });
          target.blur();
        } else if (!typing) {
          dispatch({ type: 'select', key: null });
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  useEffect(() => {
    feed.start(dispatch);
    return () => feed.stop();
  }, [feed]);
  useEffect(() => {
    if (!recording) return;
    return feed.onMessage((message) => {
      recording.add(message, Date.now());
      setRecordCount(recording.count);
    });
  }, [recording, feed]);

  const localNow = player ? player.player.timeAt(player.player.position) : tick;
  const now = useCallback((source: string) => sourceNow(state, source, localNow), [state.offsets, localNow]);
  const summary = useMemo(() => summarize(state), [state.actors, state.sources]);
  // The last filtered list: a search that only grew filters it instead of every actor (see filterActions).
  const lastFiltered = useRef<{ actors: AppState['actors']; filters: Filters; actions: ActorView[] } | null>(null);
  const actions = useMemo(() => {
    const last = lastFiltered.current;
    const next = filterActions(state, state.filters, last !== null && last.actors === state.actors ? last : undefined);
    lastFiltered.current = { actors: state.actors, filters: state.filters, actions: next };
    return next;
  }, [state.actors, state.filters]);
  const setFilter = useCallback((patch: Partial<Filters>) => dispatch({ type: 'filter', patch }), []);
  const select = useCallback((key: string) => dispatch({ type: 'select', key }), []);
  const control = useCallback((source: string, command: ControlCommand) => feed.control(source, command), [feed]);
  const selected = state.selected !== null ? state.actors.get(state.selected) : undefined;

  const openTrace = async (file: File): Promise<void> => {
    try {
      const trace = parseTrace(await file.text());
      const next = createTracePlayer(trace);
      setRecording(null);
      setPlayer({ player: next, name: file.name });
      setFeed(next);
      setLoadError(null);
    } catch (error) {
      setLoadError(`Could not open ${file.name}: ${(error as Error).message}`);
    }
  };
  const toggleRecording = (): void => {
    if (recording) {
      download(recording.text(), `echo-trace-${new Date().toISOString().replace(/[:.]/g, '-')}.ndjson`);
      setRecording(null);
      return;
    }
    const next = createRecording(state, Date.now());
    setRecordCount(next.count);
    setRecording(next);
  };
  const backToLive = (): void => {
    setPlayer(null);
    const next = live ? createLiveFeed() : createOfflineFeed();
    setLiveUrl(next.url);
    setFeed(next);
  };

  let active = 0;
  for (const actor of actions) if (actor.status === 'active') active++;
  const toasts = [
    ...state.errors.filter((e) => tick - e.at < 8000).slice(-3).map((e) => ({ kind: 'error', text: `${e.code}: ${e.message}` })),
    ...Object.values(state.controls).filter((c) => c.status === 'sent' || tick - c.at < 5000).slice(-3).map((c) => ({
      kind: c.status === 'failed' ? 'error' : c.status === 'ok' ? 'ok' : 'info',
      text: `${c.command.type}${'actionId' in c.command ? ` ${c.command.actionId}` : 'actionIds' in c.command ? ` ${c.command.actionIds.length} action${c.command.actionIds.length === 1 ? '' : 's'}` : ''}: ${c.status === 'sent' ? 'sent…' : c.status === 'ok' ? 'done' : (c.error ?? 'failed')}`,
    })),
  ];
  if (loadError) toasts.push({ kind: 'error', text: loadError });

  return h(
    'div',
    { class: `app ${player ? 'replaying' : ''}` },
    h(
      'header',
      { class: 'top' },
      h('div', { class: 'brand' }, h('span', { class: 'logo' }, '◉'), h('b', null, 'Echo'), h('span', { class: 'muted' }, 'inspector')),
      h('span', { class: `pill conn-${state.connection}`, 'data-testid': 'connection' }, player ? 'trace' : state.connection),
      h('span', { class: 'muted small', 'data-testid': 'summary' }, `${state.sources.length} source${state.sources.length === 1 ? '' : 's'} · ${state.actors.size.toLocaleString()} actors · ${active.toLocaleString()} active`),
      h('span', { class: 'grow' }),
      !player && !state.canControl && state.connection === 'open' ? h('span', { class: 'pill warn', title: 'Open the URL printed by the server (with ?token=) to control actions' }, 'read-only') : null,
      player
        ? h('button', { class: 'btn', onClick: backToLive, 'data-testid': 'back-to-live' }, live ? '⟵ Back to live' : '⟵ Close trace')
        : !live
          ? null
          : h('button', { class: `btn ${recording ? 'rec' : ''}`, onClick: toggleRecording, 'data-testid': 'record' }, recording ? `■ Stop & save (${recordCount.toLocaleString()})` : '● Record'),
      h('button', { class: 'btn', onClick: () => fileInput.current?.click() }, 'Open trace…'),
      h('input', {
        ref: fileInput,
        type: 'file',
        accept: '.ndjson,.jsonl,.json,.trace',
        class: 'hidden',
        'data-testid': 'open-trace',
        onChange: (e: Event) => {
          const input = e.currentTarget as HTMLInputElement;
          const file = input.files?.[0];
          if (file) void openTrace(file);
          input.value = '';
        },
      }),
    ),
    h(
      'main',
      { class: 'panes' },
      h(Tree, { state, trees: summary.trees, setFilter, control }),
      h(ActionList, { state, actions, facets: summary.facets, positions: summary.positions, now, setFilter, select, control }),
      h(ErrorBoundary, { key: selected?.key ?? 'none', what: 'selected actor' }, h(Detail, { key: selected?.key ?? 'none', state, actor: selected, now: selected ? now(selected.source) : localNow, control })),
    ),
    h(
      'section',
      { class: 'bottom' },
      h(
        'div',
        { class: 'tabs' },
        h('button', { class: `tab ${tab === 'timeline' ? 'on' : ''}`, onClick: () => setTab('timeline') }, 'Timeline'),
        h('button', { class: `tab ${tab === 'events' ? 'on' : ''}`, onClick: () => setTab('events'), 'data-testid': 'events-tab' }, `Events (${state.log.length.toLocaleString()})`),
        h('button', { class: `tab ${tab === 'dead' ? 'on' : ''}`, onClick: () => setTab('dead'), 'data-testid': 'dead-tab' }, `Dead letters (${deadLetterTotal(state).toLocaleString()})`),
      ),
      tab === 'timeline' ? h(Timeline, { actions, now, selected: state.selected, select }) : tab === 'events' ? h(EventLog, { state, select }) : h(DeadLetters, { state, control }),
    ),
    player ? h(Scrubber, { player: player.player, name: player.name }) : null,
    !player && state.connection === 'closed'
      ? h('div', { class: 'banner error', 'data-testid': 'server-gone', role: 'alert' }, `The inspector server at ${liveUrl ?? 'this address'} is not reachable: it may have stopped. Retrying… (open a trace to look at a recording meanwhile)`)
      : null,
    !player && state.connection === 'offline'
      ? h('div', { class: 'banner', 'data-testid': 'offline' }, 'Offline trace viewer: this page was opened from a file, so there is no live server. ', h('button', { class: 'link', onClick: () => fileInput.current?.click() }, 'Open a trace file'), ' (.ndjson) to replay it.')
      : null,
    toasts.length > 0
      ? h(
          'div',
          { class: 'toasts', onClick: () => dispatch({ type: 'dismiss-errors' }) },
          toasts.map((t, i) => h('div', { key: i, class: `toast ${t.kind}` }, t.text)),
        )
      : null,
  );
}
