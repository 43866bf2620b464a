/**
 * Echo's inspector wire format, version 3 (a `full` frame and a `delta` of plain `add` ops reach a
 * viewer with their actors packed, see `packedActors.ts`; since version 2 an actor's own steps ride
 * in its `add` or `state` op as its `trail`; version 1 sent an `event` op per step): the one module shared by the Node side
 * (`src/inspect/*`) and the web app (`inspector/`). The message types here; the pure
 * helpers that give the format its meaning are re-exported from `wireState.ts` (ops
 * applied to an actor, framing, state values) and `traceFile.ts` (trace lines). No Node imports.
 *
 * Server → viewer: `hello`, `sources`, then per source a `full` state (current actors
 * only, never a replay), `machine` definitions (once per source and machine id),
 * batched `delta`s, `ack`s for control commands, and `error` frames.
 * Viewer → server: `subscribe`, `control` (with the token).
 * Producer (another runtime process) → server: `produce`, then `full` / `machine` /
 * `delta` for its one source, and `ack`s for the `control`s it is sent.
 */

import type { ActionContext, AttemptRecord, ErrorRecord } from '../../machines/actionTypes.js';

export { PROTOCOL_VERSION } from './protocolVersion.js';

/** A JSON value: everything on the wire is already sanitized to this. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A command the inspector sends back to a runtime. `actionId` is the Action's own id (`context.id`). */
export type ControlCommand =
  | { type: 'cancel'; actionId: string }
  /** "Retry now": skip the remaining backoff of a retrying action, or re-run a failed one. */
  | { type: 'retry'; actionId: string }
  | { type: 'pause' }
  | { type: 'resume' }
  /** Bulk: cancel each of `actionIds` (at most {@link MAX_BULK_IDS}); the ack says which failed. */
  | { type: 'cancel-many'; actionIds: string[] }
  /** Bulk: "retry now" each of `actionIds`. */
  | { type: 'retry-many'; actionIds: string[] }
  /** Assign the dead letters `actionIds` again (`sequence.redrive`); the ack fails when one is no dead letter. */
  | { type: 'redrive'; actionIds: string[] };

/** The most action ids one bulk command may carry. */
export const MAX_BULK_IDS = 10_000;

/** Which Echo layer an actor belongs to, from its machine id; `actor` for anything else. */
export type ActorKind = 'sequence' | 'site' | 'action' | 'actor';
/** An actor's status, as XState reports it. */
export type ActorStatus = 'active' | 'done' | 'error' | 'stopped';

/**
 * Why a queued action is held back by a flow limit: carried in its context as `waitingFor`
 * (see `src/flow/FlowControl.ts`). `until` is on the source clock; `null` when a running
 * action's end, not a time, frees the slot.
 */
export interface WaitingForFlow {
  reason: 'rate limit' | 'concurrency limit' | 'RateLimitError pause';
  /** `name:Charge` or `queue:email`. */
  key: string;
  until: number | null;
}

/** One actor as the inspector sees it. Never carries the actor's `children`. */
export interface WireActor {
  sessionId: string;
  /** The actor's id inside its parent. */
  id: string;
  /** The parent's `sessionId`, or `null` for a root. */
  parentId: string | null;
  /** The machine id (`logic.id`), when the logic has one. */
  machineId: string | null;
  kind: ActorKind;
  /** The state value (`'running'`, `{ a: 'b' }`), `null` for non-machine logic. */
  value: Json;
  status: ActorStatus;
  /** Sanitized context (depth, string and array lengths bounded). */
  context: Json;
  output?: Json;
  error?: Json;
  /** Source clock ms. */
  createdAt: number;
  updatedAt: number;
}

/** An error as the wire carries it: Echo's error record (name, message, data, cause chain, stack), sanitized. */
export type WireError = ErrorRecord;

/** One attempt of an Echo Action, as in its context. */
export type WireAttempt = Omit<AttemptRecord, 'error'> & { readonly error: WireError | null };

/** One `log(message, data?)` line of a running Action (bounded per action by the runtime: see `ActivityOptions`). */
export interface WireLogEntry {
  /** Source clock ms. */
  readonly at: number;
  /** The attempt that logged it. */
  readonly attempt?: number;
  readonly message: string;
  readonly data?: Json;
}

/**
 * The context of an Echo Action (`kind: 'action'`) on the wire: the machine's
 * {@link ActionContext} with its user values (content, output, metadata)
 * sanitized to JSON. Any field may be missing when the sanitizer cut it, so the
 * app reads it as a `Partial`.
 */
export type WireActionContext = Omit<ActionContext, 'content' | 'output' | 'metadata' | 'attempts' | 'error'> & {
  readonly content: Json;
  readonly output: Json;
  readonly metadata: Readonly<Record<string, Json>>;
  readonly attempts: readonly WireAttempt[];
  readonly error: WireError | null;
  /** The last `progress(value)` the function reported, when it did. */
  readonly progress?: Json;
  /** The function's newest `log(...)` lines, oldest first, when it logged. */
  readonly logs?: readonly WireLogEntry[];
  /** Log lines the runtime did not keep (beyond its bound, or logged after the action settled). */
  readonly logsDropped?: number;
  /** Why a queued action is held back (a flow limit), or a runtime's own note. */
  readonly waitingFor?: WaitingForFlow | string;
};

/** One dead letter of a durable runtime: an action that failed for good, with its whole attempt history. */
export interface WireDeadLetter {
  /** The action's id (what `redrive` names). */
  id: string;
  name: string;
  queue: string;
  /** When it was set aside, source clock ms. */
  deadAt: number;
  content: Json;
  error: WireError | null;
  attempts: WireAttempt[];
  /** The dead letter it was itself redriven from, when it was. */
  redriveOf?: string;
}

/**
 * A source's dead letters, sent whole when they change (throttled) and to a joining
 * viewer: at most the newest `letters` (see the server's `maxDeadLetters`), and their `total`.
 */
export interface DeadLettersMessage {
  type: 'dead-letters';
  source: string;
  at: number;
  letters: WireDeadLetter[];
  total: number;
}

/** A change of a context's top-level keys: the values in `set` are sanitized. */
export interface ContextPatch {
  set?: Record<string, Json>;
  unset?: string[];
}

/**
 * One step an actor took since the last op about it: it entered `state` at `at` (source clock ms)
 * on an event of type `event` that it received from no other actor. An `add` or `state` op
 * carries its actor's steps as `trail` instead of one `event` op per step (version 2; a
 * version 1 stream, as old trace files hold, sends those as `event` ops).
 */
export type TrailStep = readonly [state: string, at: number, event: string];

/** One change in a {@link DeltaMessage}: an actor added, changed (its state, status and context patch) or removed. */
export type DeltaOp =
  | {
      op: 'add';
      actor: WireActor;
      /** The steps that led to the actor's state, oldest first: each also an event `{ type: event }` it received (see {@link TrailStep}). */
      trail?: TrailStep[];
    }
  | {
      op: 'state';
      sessionId: string;
      value: Json;
      status: ActorStatus;
      /** The whole sanitized context, when it was not an object (or is sent whole). */
      context?: Json;
      patch?: ContextPatch;
      output?: Json;
      error?: Json;
      /** Type of the event that caused the last step. */
      event?: string;
      at: number;
      /** Earlier state values folded into this op by batching, with their times (bounded). */
      steps?: Array<[Json, number]>;
      /** The steps since the last op about the actor, oldest first, each also an event it received (after `steps`; see {@link TrailStep}). */
      trail?: TrailStep[];
      /** The actor's new parent, when it moved (an Echo action moves from its Sequence to the Site that takes it). */
      parentId?: string | null;
    }
  | { op: 'remove'; sessionId: string; reason: 'evicted' | 'limit' }
  | { op: 'event'; sessionId: string; from: string | null; event: Json; at: number };

/** One transition of a machine definition on the wire. */
export interface WireTransition {
  /** Event type, or `''` for an eventless (`always`) transition. */
  event: string;
  /** Target state node ids; empty for a targetless transition. */
  targets: string[];
  guard?: string;
  /** Delay of an `after` transition: ms or the name of a delay. */
  delay?: number | string;
}

/** One state of a machine definition on the wire, with its children and transitions. */
export interface WireStateNode {
  /** Full id, e.g. `echo.action.running`. */
  id: string;
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** Ids of the initial child states. */
  initial: string[];
  states: WireStateNode[];
  transitions: WireTransition[];
  invoke: string[];
  tags: string[];
  description?: string;
}

/** A statechart definition, for drawing. */
export interface WireMachine {
  id: string;
  root: WireStateNode;
}

/** Where a source streams from: this process, another Echo process, or an XState app. */
export type SourceKind = 'echo' | 'remote' | 'stately';

/** One source streaming into the inspector (this process, another one, or an XState app). */
export interface SourceInfo {
  id: string;
  name: string;
  kind: SourceKind;
  /** Whether control commands can reach this source. */
  controllable: boolean;
  connected: boolean;
}

/** Counters a source keeps so a viewer can say what it is not showing. */
export interface SourceStats {
  actors: number;
  finished: number;
  droppedActors: number;
  droppedEvents: number;
  /** Actors declined under a flood since the last flush: it takes in the live ones and counts the finished ones as dropped. */
  waiting?: number;
}

/** Why the server refused a message. */
export type ErrorCode =
  | 'bad-json'
  | 'bad-message'
  | 'too-large'
  | 'unauthorized'
  | 'unknown-source'
  | 'version'
  | 'control-failed'
  /** A producer asked for a source id another connection (or a local source) holds. */
  | 'source-in-use'
  /** The client did not read: its send buffer passed the limit and it is closed. */
  | 'slow-client'
  | 'internal';

/** Everything a joining viewer needs: every live actor of a source. */
export interface FullState {
  type: 'full';
  source: string;
  at: number;
  actors: WireActor[];
  stats: SourceStats;
}
/** A machine definition, sent once per machine before actors that run it. */
export interface MachineMessage {
  type: 'machine';
  source: string;
  machine: WireMachine;
}
/** What changed since the last flush: actors added, changed and removed. */
export interface DeltaMessage {
  type: 'delta';
  source: string;
  at: number;
  ops: DeltaOp[];
  stats: SourceStats;
}
/** The server refused something a client sent, with a code and a message. */
export interface ErrorFrame {
  type: 'error';
  code: ErrorCode;
  message: string;
  ref?: string;
}
/** The server accepted a control command. */
export interface AckMessage {
  type: 'ack';
  ref: string;
  ok: boolean;
  error?: string;
}

/** Messages a source produces (locally through the adapter, or remotely through a producer). */
export type SourceMessage = FullState | MachineMessage | DeltaMessage | DeadLettersMessage;

/** Every message the inspector server sends to a viewer. */
export type ServerMessage =
  | { type: 'hello'; version: number; server: string; canControl: boolean; maxMessageBytes: number }
  | { type: 'sources'; sources: SourceInfo[] }
  | SourceMessage
  | AckMessage
  | ErrorFrame;

export type ViewerMessage =
  | { type: 'subscribe'; version: number; token?: string }
  | { type: 'control'; ref: string; source: string; command: ControlCommand; token?: string };

export type ProducerMessage =
  | { type: 'produce'; version: number; source: { id: string; name: string }; token?: string }
  | SourceMessage
  | AckMessage;

/** What the server sends a producer once its `produce` is accepted, with the source id it streams as. */
export interface ProducerAccepted {
  type: 'produced';
  source: string;
}

/** What the server sends a producer: a command for its runtime. */
export interface ProducerControl {
  type: 'control';
  ref: string;
  command: ControlCommand;
}

export { applyContextPatch, applyStateOp, splitFullState, stateValueToString } from './wireState.js';
export { formatTraceEntry, formatTraceHeader, parseTrace, TRACE_MAGIC, TraceFormatError, type Trace, type TraceEntry, type TraceHeader } from './traceFile.js';
