/**
 * The inspector's public surface: serve (`inspect`), stream from another process
 * (`connectInspector`), record and load traces, and the adapter for custom sinks.
 * Named exports only; the wire types come from `protocol.ts`.
 */
export { inspect, type InspectorServer } from './server.js';
export { defaultInspectOptions, type InspectOptions } from './inspectOptions.js';
export { connectInspector, InspectorConnectionError, type ConnectOptions, type InspectorConnection } from './producer.js';
export { BulkControlError } from './controlMany.js';
export { recordTrace, loadTrace, type TraceRecorder, type RecordOptions, type MessageStream } from './trace.js';
export { createInspectionAdapter, defaultAdapterOptions, type AdapterOptions, type InspectionAdapter } from './adapter.js';
export { defaultSanitizeOptions, type SanitizeOptions } from './sanitize.js';
export { MAX_BULK_IDS, PROTOCOL_VERSION, formatTraceEntry, formatTraceHeader, parseTrace, TraceFormatError, type ServerMessage, type WireActor, type WireMachine, type Trace } from './protocol.js';
export type {
  AckMessage,
  ActorKind,
  DeltaMessage,
  ContextPatch,
  DeadLettersMessage,
  DeltaOp,
  ErrorCode,
  ActorStatus,
  ErrorFrame,
  FullState,
  Json,
  MachineMessage,
  SourceInfo,
  SourceKind,
  SourceMessage,
  SourceStats,
  TraceEntry,
  TraceHeader,
  TrailStep,
  WaitingForFlow,
  WireAttempt,
  WireDeadLetter,
  WireError,
  WireStateNode,
  WireTransition,
} from './protocol.js';
export type { ControlCommand, InspectorTarget, InspectableActorRef } from './target.js';
