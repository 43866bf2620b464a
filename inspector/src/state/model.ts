/**
 * The app's state and its one reducer. Live messages and trace replays both come
 * in as `receive` actions, so the views never know which source they show.
 * Pure: time (`receivedAt`) comes in the action; the actor map is copied once
 * per batch (changed in place for an `owned` batch: see `AppAction`), and finished
 * actors beyond a limit are evicted, oldest first.
 */
import {
  applyStateOp,
  stateValueToString,
  type ControlCommand,
  type DeadLettersMessage,
  type Json,
  type ServerMessage,
  type SourceInfo,
  type SourceStats,
  type TrailStep,
  type WireActor,
  type WireActionContext,
  type WireMachine,
} from '../../../src/inspect/protocol.js';
import { extendHistory, insertByTime, trailOf, type HistoryEntry } from './history.js';
import { ActorTable, type ActorTableDraft } from './table.js';

export interface ActorView extends WireActor {
  /** `source|sessionId`: unique across sources. */
  key: string;
  source: string;
  /** Arrival order: lists show newest first, queues go oldest first. */
  seq: number;
  /** States entered, as strings, with the source-clock time and, when known, the event that led there (bounded). */
  history: HistoryEntry[];
  lastEvent?: string;
  /**
   * Read by every view of every actor on every render, so computed once per change
   * (in `put`): the state as one line (else the status), the name shown, whether it is
   * a leaf of the tree (an action or a plain actor), the parent's key, and the
   * lower-cased text a search looks in (name, actor id, action id).
   */
  stateText: string;
  name: string;
  leaf: boolean;
  parentKey: string | null;
  searchText: string;
}

/** The fields of {@link ActorView} that are the app's, not the wire's (a recording strips them). */
export const VIEW_FIELDS = ['key', 'source', 'seq', 'history', 'lastEvent', 'stateText', 'name', 'leaf', 'parentKey', 'searchText'] as const;

export type { HistoryEntry } from './history.js';

export interface LogEntry {
  seq: number;
  source: string;
  actorKey: string;
  actorName: string;
  /** The Action's own id (`context.id`), else the actor id. */
  actionId: string;
  from: string | null;
  type: string;
  event: Json;
  at: number;
}

export interface Filters {
  source: string | null;
  /** Key of a site (or any parent actor): only its children. */
  parent: string | null;
  state: string | null;
  name: string | null;
  search: string;
}

export interface Limits {
  /** Finished actors kept; beyond it the oldest are evicted. */
  maxFinished: number;
  maxLog: number;
  maxHistory: number;
}

export interface PendingControl {
  ref: string;
  source: string;
  command: ControlCommand;
  status: 'sent' | 'ok' | 'failed';
  error?: string;
  /** Local ms when it was sent. */
  at: number;
}

/** `offline`: the page was opened from a file, with no server to connect to. */
export type ConnectionStatus = 'idle' | 'connecting' | 'open' | 'closed' | 'trace' | 'offline';

export interface AppState {
  connection: ConnectionStatus;
  serverName: string;
  canControl: boolean;
  sources: SourceInfo[];
  stats: Record<string, SourceStats>;
  /** By `source|machineId`. */
  machines: Record<string, WireMachine>;
  actors: ActorTable<ActorView>;
  /** Last `seq` given to an actor. */
  actorSeq: number;
  /** Keys of finished actors, oldest first (may hold keys already removed). */
  finished: readonly string[];
  finishedCount: number;
  evicted: number;
  log: readonly LogEntry[];
  logSeq: number;
  /** Per source: local ms minus source-clock ms, measured on the latest message. */
  offsets: Record<string, number>;
  errors: Array<{ at: number; code: string; message: string }>;
  controls: Record<string, PendingControl>;
  /** Per source: its latest dead letters (only durable runtimes send them). */
  deadLetters: Record<string, DeadLettersMessage>;
  selected: string | null;
  filters: Filters;
  limits: Limits;
}

export type AppAction =
  /**
   * `owned`: the sender keeps no earlier state (the live feed: the app holds only the latest),
   * so the actor table is changed in place instead of copying the parts a batch touches
   * (a join's frames add to every part). A trace's states are kept (checkpoints): never owned.
   */
  | { type: 'receive'; messages: readonly ServerMessage[]; receivedAt: number; owned?: boolean }
  | { type: 'connection'; status: ConnectionStatus }
  | { type: 'select'; key: string | null }
  | { type: 'filter'; patch: Partial<Filters> }
  | { type: 'control-sent'; ref: string; source: string; command: ControlCommand; at: number }
  | { type: 'dismiss-errors' }
  /** The whole state from elsewhere (a trace position), keeping the viewer's selection and filters. */
  | { type: 'replace'; state: AppState }
  | { type: 'reset' };

export const defaultLimits: Limits = { maxFinished: 20_000, maxLog: 5000, maxHistory: 32 };
export const emptyFilters: Filters = { source: null, parent: null, state: null, name: null, search: '' };

export function initialState(limits: Partial<Limits> = {}): AppState {
  return {
    connection: 'idle',
    serverName: 'Echo inspector',
    canControl: false,
    sources: [],
    stats: {},
    machines: {},
    actors: ActorTable.empty<ActorView>(),
    actorSeq: 0,
    finished: [],
    finishedCount: 0,
    evicted: 0,
    log: [],
    logSeq: 0,
    offsets: {},
    errors: [],
    controls: {},
    deadLetters: {},
    selected: null,
    filters: emptyFilters,
    limits: { ...defaultLimits, ...limits },
  };
}

export const actorKey = (source: string, sessionId: string): string => `${source}|${sessionId}`;
export const machineKey = (source: string, machineId: string): string => `${source}|${machineId}`;

export function reduce(state: AppState, action: AppAction): AppState {
  switch (action.type) {
    case 'receive':
      return receive(state, action.messages, action.receivedAt, action.owned === true && state.connection !== 'trace');
    case 'connection':
      return { ...state, connection: action.status };
    case 'select':
      return { ...state, selected: action.key };
    case 'filter':
      return { ...state, filters: { ...state.filters, ...action.patch } };
    case 'control-sent':
      return { ...state, controls: { ...state.controls, [action.ref]: { ref: action.ref, source: action.source, command: action.command, status: 'sent', at: action.at } } };
    case 'dismiss-errors':
      return { ...state, errors: [], controls: {} };
    case 'replace':
      // Selection and filters belong to the viewer, not to the replayed state.
      return { ...action.state, selected: state.selected, filters: state.filters };
    case 'reset':
      return { ...initialState(state.limits), connection: state.connection, filters: state.filters, selected: state.selected };
  }
}

/** Mutable working copy of one batch; the previous state is never touched. */
interface Draft {
  actors: ActorTableDraft<ActorView> | null;
  finished: string[] | null;
  finishedCount: number;
  log: LogEntry[] | null;
}

function receive(state: AppState, messages: readonly ServerMessage[], receivedAt: number, inPlace: boolean): AppState {
  let next = state;
  const draft: Draft = { actors: null, finished: null, finishedCount: state.finishedCount, log: null };
  const actors = (): ActorTableDraft<ActorView> => (draft.actors ??= inPlace ? state.actors.editInPlace() : state.actors.edit());
  const finished = (): string[] => (draft.finished ??= [...state.finished]);
  const log = (): LogEntry[] => (draft.log ??= [...state.log]);
  let logSeq = state.logSeq;
  let actorSeq = state.actorSeq;
  const limits = state.limits;

  const put = (actor: ActorView, before: ActorView | undefined): void => {
    actor.seq = before?.seq ?? ++actorSeq;
    describeView(actor);
    actors().set(actor);
    const wasFinished = before !== undefined && before.status !== 'active';
    if (actor.status !== 'active' && !wasFinished) {
      finished().push(actor.key);
      draft.finishedCount++;
    }
  };
  // An op's trail steps are events the actor received (version 1 sent them as `event` ops).
  const logTrail = (actor: ActorView, trail: readonly TrailStep[]): void => {
    if (trail.length === 0) return;
    const entries = log();
    const actorName = nameOf(actor);
    const actionId = actionIdOf(actor);
    for (const [, at, type] of trail) insertByTime(entries, { seq: ++logSeq, source: actor.source, actorKey: actor.key, actorName, actionId, from: null, type, event: { type }, at });
  };
  const remove = (key: string): void => {
    const before = actors().get(key);
    if (!before) return;
    actors().delete(key);
    if (before.status !== 'active') draft.finishedCount--;
  };

  for (const message of messages) {
    switch (message.type) {
      case 'hello':
        next = { ...next, serverName: message.server, canControl: message.canControl };
        break;
      case 'sources':
        next = { ...next, sources: message.sources };
        break;
      case 'machine':
        next = { ...next, machines: { ...next.machines, [machineKey(message.source, message.machine.id)]: message.machine } };
        break;
      case 'full': {
        const stale: string[] = [];
        for (const actor of actors().values()) if (actor.source === message.source) stale.push(actor.key);
        for (const key of stale) remove(key);
        for (const actor of message.actors) put(view(message.source, actor, undefined, limits), undefined);
        next = withSourceMeta(next, message.source, message.stats, receivedAt - message.at);
        break;
      }
      case 'delta': {
        for (const op of message.ops) {
          if (op.op === 'add') {
            const key = actorKey(message.source, op.actor.sessionId);
            const before = actors().get(key);
            const trail = trailOf(op.trail);
            const added = view(message.source, op.actor, before, limits, trail);
            put(added, before);
            logTrail(added, trail);
          } else if (op.op === 'state') {
            const key = actorKey(message.source, op.sessionId);
            const before = actors().get(key);
            if (!before) continue;
            const trail = trailOf(op.trail);
            const updated = applyStateOp(before, op) as ActorView;
            updated.history = extendHistory(before.history, op.steps, trail, stateValueToString(op.value), op.at, limits.maxHistory, op.event);
            const lastEvent = op.event ?? trail.at(-1)?.[2];
            if (lastEvent !== undefined) updated.lastEvent = lastEvent;
            put(updated, before);
            logTrail(updated, trail);
          } else if (op.op === 'remove') {
            remove(actorKey(message.source, op.sessionId));
          } else {
            const actorKeyValue = actorKey(message.source, op.sessionId);
            const target = actors().get(actorKeyValue);
            const type = typeof (op.event as { type?: unknown } | null)?.type === 'string' ? ((op.event as { type: string }).type) : '?';
            insertByTime(log(), { seq: ++logSeq, source: message.source, actorKey: actorKeyValue, actorName: target ? nameOf(target) : op.sessionId, actionId: target ? actionIdOf(target) : op.sessionId, from: op.from, type, event: op.event, at: op.at });
          }
        }
        next = withSourceMeta(next, message.source, message.stats, receivedAt - message.at);
        break;
      }
      case 'dead-letters':
        next = { ...next, deadLetters: { ...next.deadLetters, [message.source]: message } };
        break;
      case 'ack': {
        const pending = next.controls[message.ref];
        if (pending) {
          const settled: PendingControl = { ...pending, status: message.ok ? 'ok' : 'failed' };
          if (message.error !== undefined) settled.error = message.error;
          next = { ...next, controls: { ...next.controls, [message.ref]: settled } };
        }
        break;
      }
      case 'error':
        next = { ...next, errors: [...next.errors.slice(-19), { at: receivedAt, code: message.code, message: message.message }] };
        if (message.ref !== undefined && next.controls[message.ref]) {
          next = { ...next, controls: { ...next.controls, [message.ref]: { ...next.controls[message.ref]!, status: 'failed', error: message.message } } };
        }
        break;
    }
  }

  let evicted = next.evicted;
  if (draft.finishedCount > limits.maxFinished) {
    const order = finished();
    let cut = 0;
    while (draft.finishedCount > limits.maxFinished && cut < order.length) {
      const key = order[cut++]!;
      const actor = actors().get(key);
      if (actor && actor.status !== 'active' && actor.key !== next.selected) {
        remove(key);
        evicted++;
      }
    }
    order.splice(0, cut);
  } else if (draft.finished && draft.finished.length > 2 * limits.maxFinished + 1024) {
    // Drop keys of actors removed by other means, so the order list stays bounded.
    draft.finished = draft.finished.filter((key) => actors().get(key)?.status !== undefined);
  }
  if (draft.log && draft.log.length > limits.maxLog) draft.log = draft.log.slice(draft.log.length - limits.maxLog);

  if (draft.actors === null && draft.log === null && draft.finished === null) return next;
  return {
    ...next,
    actors: draft.actors?.finish() ?? next.actors,
    actorSeq,
    finished: draft.finished ?? next.finished,
    finishedCount: draft.finishedCount,
    evicted,
    log: draft.log ?? next.log,
    logSeq,
  };
}

function withSourceMeta(state: AppState, source: string, stats: SourceStats, offset: number): AppState {
  return { ...state, stats: { ...state.stats, [source]: stats }, offsets: { ...state.offsets, [source]: offset } };
}

/**
 * The view of a wire actor. A fresh actor is adopted, not copied: the objects of a
 * parsed message are not used after it is reduced (a trace keeps its entries, but
 * an adopted actor is never changed afterwards: later ops make new objects).
 */
function view(source: string, actor: WireActor, before: ActorView | undefined, limits: Limits, trail: readonly TrailStep[] = []): ActorView {
  const state = stateValueToString(actor.value);
  const lastEvent = trail.at(-1)?.[2];
  if (before) {
    // The derived fields are filled by `put`.
    const again = { ...actor, key: before.key, source, seq: before.seq, history: extendHistory(before.history, undefined, trail, state, actor.updatedAt, limits.maxHistory) } as ActorView;
    if (lastEvent !== undefined) again.lastEvent = lastEvent;
    return again;
  }
  const adopted = actor as ActorView;
  adopted.key = actorKey(source, actor.sessionId);
  adopted.source = source;
  adopted.seq = 0; // set by `put`
  adopted.history = trail.length === 0 ? (state === '' ? [] : [[state, actor.updatedAt]]) : extendHistory([], undefined, trail, state, actor.updatedAt, limits.maxHistory);
  if (lastEvent !== undefined) adopted.lastEvent = lastEvent;
  return adopted;
}

/** Fills the fields every view reads (see {@link ActorView}); the actor is a fresh object, never one in a table. */
function describeView(actor: ActorView): void {
  actor.stateText = stateValueToString(actor.value) || actor.status;
  actor.name = nameOf(actor);
  actor.leaf = actor.kind === 'action' || actor.kind === 'actor';
  actor.parentKey = actor.parentId === null ? null : `${actor.source}|${actor.parentId}`;
  const id = actionContext(actor).id;
  actor.searchText = `${actor.name}\u0000${actor.id}\u0000${typeof id === 'string' ? id : ''}`.toLowerCase();
}

/**
 * An actor's context read as an Echo Action's (the wire type from the protocol).
 * Every field may be missing: other actors have other contexts, and the
 * sanitizer may cut fields.
 */
export function actionContext(actor: WireActor): Partial<WireActionContext> {
  const context = actor.context;
  return context !== null && typeof context === 'object' && !Array.isArray(context) ? (context as unknown as Partial<WireActionContext>) : {};
}

/** The Action id to show: `context.id`, else the actor id. */
export function actionIdOf(actor: WireActor): string {
  const id = actionContext(actor).id;
  return typeof id === 'string' ? id : actor.id;
}

/** The name to show: an Action's `context.name`, else the actor id. */
export function nameOf(actor: WireActor): string {
  const name = (actor.context as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name !== '' ? name : actor.id;
}
