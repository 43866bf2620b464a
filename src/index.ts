/**
 * Echo: an actor runtime for asynchronous actions, on XState v5.
 * The public surface; everything else is internal.
 */
export { Sequence, createSequence, type AnySequence, type AssignArguments, type AssignOptions } from './Sequence.js';
export type { SequenceOptions, SiteOptions } from './sequenceOptions.js';
export { ActionHandle, type ActionSnapshot, type ActionStateValue } from './action/ActionHandle.js';
export { fromAction, type ActionLogic, type ActionLogicOptions } from './action/fromAction.js';
export { echoImplementations, type EchoImplementations, type EchoRuntime, type EffectImplementation } from './action/echoImplementations.js';
export type { FollowUp, Provenance } from './action/ActionRun.js';
export {
  Plan,
  PlanBuilder,
  createPlan,
  type ActionDefinition,
  type ActionFunction,
  type ActionOptions,
  type ActionSignature,
  type PlanActionsOf,
  type PlanEntry,
  type RunContext,
} from './Plan.js';
export type {
  ActionMap,
  ActionName,
  ActionTypes,
  AnyActions,
  ContentIsOptional,
  ContentOf,
  FollowUpOf,
  ResultOf,
  RunEntry,
  SchemaEntry,
  SchemaInput,
  SchemaOutput,
  Simplify,
  TypesOfEntry,
} from './planTypes.js';
export { Life, Span, resolveFate, type Fate, type FateOptions, type LifeOptions } from './Life.js';
export { License, type LicenseListener, type LicenseOptions } from './License.js';
export type { Hook, HookInfo, NamedHook } from './action/hooks.js';
export type { ReceiveContext, ReceivedAction, SiteBehavior } from './work/Site.js';
export { Production, PRIORITIES, type Priority, type ProductionOptions, type ProductionStats } from './work/Production.js';
export type { ProductionSeat } from './work/SiteState.js';
export type { TicketSlot } from './work/ticketBook.js';
export {
  BackpressureError,
  CancellationError,
  EchoError,
  ExecutionError,
  HookError,
  LicenseError,
  RateLimitError,
  RoutingError,
  SerializationError,
  TimeoutError,
  ValidationError,
  isEchoError,
  reviveError,
  serializeError,
  toError,
  type CancellationReason,
  type EchoErrorOptions,
  type SerializedError,
  type ValidationIssue,
} from './errors.js';
export {
  NEVER_RETRIED,
  backoffDelay,
  decideRetry,
  defaultRetryPolicy,
  resolveRetryPolicy,
  retryAfterHint,
  type Jitter,
  type RetryDecision,
  type RetryPolicy,
} from './retryPolicy.js';
export { ManualClock, systemClock, flushMicrotasks, type Clock, type RandomSource } from './clock.js';
export { createSequentialIds, type IdGenerator } from './ids.js';
export { seededRandom } from './random.js';
export { parseActionRecord, toActionRecord, withMetadata, type ActionRecord } from './action/actionRecord.js';
export type { ActionEventBase, EchoEvent } from './events.js';
export { defaultActivityOptions, type ActivityContext, type ActivityOptions, type LogLine } from './action/ActionActivity.js';
export type { Json } from './store/encodable.js';
export type { ActionLimits, FlowLimits, QueueLimits, RateLimit } from './flow/limits.js';
export type { FlowKeyStats, FlowWait } from './flow/FlowControl.js';
export type { TelemetryOptions } from './telemetry/Telemetry.js';
export { Schedules } from './schedule/Schedules.js';
export type { ScheduleOptions, ScheduleSpec, ScheduleState } from './schedule/scheduleSpec.js';
export type { CronTrigger, EveryTrigger, ScheduleTrigger } from './schedule/trigger.js';
export type { ActionNameStats, DurationStats } from './telemetry/ActionStats.js';
export type { AbandonedWork, ShutdownReport, UnfinishedAction } from './shutdown.js';
export type { StandardResult, StandardSchemaV1 } from './schema.js';
