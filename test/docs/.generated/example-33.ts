import { Sequence, createSequence, AnySequence, AssignArguments, AssignOptions, SequenceOptions, SiteOptions, ActionHandle, ActionSnapshot, ActionStateValue, FollowUp, Provenance, Plan, PlanBuilder, createPlan, ActionDefinition, ActionFunction, ActionOptions, ActionSignature, PlanActionsOf, PlanEntry, RunContext, ActionMap, ActionName, ActionTypes, AnyActions, ContentIsOptional, ContentOf, FollowUpOf, ResultOf, RunEntry, SchemaEntry, SchemaInput, SchemaOutput, Simplify, TypesOfEntry, Life, Span, resolveFate, Fate, FateOptions, LifeOptions, License, LicenseListener, LicenseOptions, Hook, HookInfo, NamedHook, ReceiveContext, ReceivedAction, SiteBehavior, Production, PRIORITIES, Priority, ProductionOptions, ProductionStats, TicketSlot, BackpressureError, CancellationError, EchoError, ExecutionError, HookError, LicenseError, RateLimitError, RoutingError, SerializationError, TimeoutError, ValidationError, isEchoError, reviveError, serializeError, toError, CancellationReason, EchoErrorOptions, SerializedError, ValidationIssue, NEVER_RETRIED, backoffDelay, decideRetry, defaultRetryPolicy, resolveRetryPolicy, retryAfterHint, Jitter, RetryDecision, RetryPolicy, ManualClock, systemClock, flushMicrotasks, Clock, RandomSource, createSequentialIds, IdGenerator, seededRandom, parseActionRecord, toActionRecord, withMetadata, ActionRecord, ActionEventBase, EchoEvent, ActionLimits, FlowLimits, QueueLimits, RateLimit, FlowKeyStats, FlowWait, TelemetryOptions, Schedules, ScheduleOptions, ScheduleSpec, ScheduleState, CronTrigger, EveryTrigger, ScheduleTrigger, ActionNameStats, DurationStats, AbandonedWork, ShutdownReport, UnfinishedAction, StandardResult, StandardSchemaV1 } from 'echo-actions';
import { actionMachine, actionEffectNames, actionFinalStates, ActionEffectName, actionDelays, actionGuards, ActionDelay, ActionGuard, actionUpdates, createActionContext, ActionUpdate, AnyActionEvent, ActionContext, ActionEvent, ActionInput, ActionOutput, ActionSpec, AttemptRecord, ErrorRecord, siteMachine, SiteContext, SiteEvent, SiteInput, sequenceMachine, SequenceContext, SequenceEvent, SequenceInput } from 'echo-actions/machines';
import { inspect, defaultInspectOptions, InspectOptions, InspectorServer, connectInspector, ConnectOptions, InspectorConnection, recordTrace, loadTrace, TraceRecorder, RecordOptions, MessageStream, createInspectionAdapter, defaultAdapterOptions, AdapterOptions, InspectionAdapter, defaultSanitizeOptions, SanitizeOptions, PROTOCOL_VERSION, formatTraceEntry, formatTraceHeader, parseTrace, TraceFormatError, ServerMessage, WireActor, WireMachine, Trace, AckMessage, ActorKind, DeltaMessage, ContextPatch, DeltaOp, ErrorCode, ActorStatus, ErrorFrame, FullState, Json, MachineMessage, SourceInfo, SourceKind, SourceMessage, SourceStats, TraceEntry, TraceHeader, WaitingForFlow, WireStateNode, WireTransition, ControlCommand, InspectorTarget, InspectableActorRef } from 'echo-actions/inspect';
import { createActor, type AnyStateMachine } from 'xstate';
declare const plan: Plan;
declare const sequence: Sequence;
declare const server: InspectorServer;
declare const machine: AnyStateMachine;
declare const record: ActionRecord;
declare const text: string;
export {};
export async function example(): Promise<void> {
const clock = new ManualClock();
let fired = false;
clock.setTimeout(() => { fired = true; }, 50);
await clock.advance(50); // fired === true
}
