/**
 * The seam for a Production that lives outside the process (BullMQ on Redis, `echo-actions/bullmq`):
 * `new Sequence({ plan, production: bullmqProduction(...) })`. The Sequence hands every assignment to
 * it instead of its in-memory queues, and the external production hands each action it claims back
 * to the Sequence to run here, on this process's Sites, as the same Action statechart.
 * Nothing here knows BullMQ: the Sequence imports only this file.
 * @internal
 */
import type { ActionHandle, HandleControl } from '../action/ActionHandle.js';
import type { ActionRun, RunInit, RunServices } from '../action/ActionRun.js';
import type { AssignmentDeps, AssignOptions } from '../action/assignment.js';
import type { CancellationReason } from '../errors.js';
import type { Clock } from '../clock.js';
import type { ResolvedLimits } from '../flow/limits.js';
import type { ScheduleKeeper } from '../schedule/ScheduleKeeper.js';

/** Marks an object as an external production (the `production` option takes either kind). */
export const EXTERNAL_PRODUCTION: unique symbol = Symbol.for('echo.externalProduction');

/** What a Sequence lends its external production. */
export interface ExternalProductionHost {
  /** The Sequence's name. */
  readonly name: string;
  readonly clock: Clock;
  /** Validates assignments (plan, schema, policy, hooks) as the Sequence does. */
  readonly deps: AssignmentDeps;
  /** The services a run needs (a remote run's handle is an ActionRun that never runs here). */
  readonly services: RunServices;
  /** The Sequence's own control of local runs (cancel, retry now). */
  readonly control: HandleControl;
  /** How many actions this process's Sites run at once, all together. */
  readonly concurrency: number;
  /** The Sequence's flow limits (the external production holds them across processes). */
  readonly limits: ResolvedLimits;
  /** Runs a claimed action here, on this process's Sites (never through the external production again). */
  runHere(init: RunInit): ActionRun;
  /** A live local run by id. */
  local(id: string): ActionRun | undefined;
  /** Cancels a local run (as `handle.cancel` does). */
  cancel(run: ActionRun, reason: CancellationReason, message: string): void;
  /** Ends a local run without settling it: its external production holds it again (a retry, a shutdown). */
  handBack(run: ActionRun): void;
  /** Reports an error that belongs to no action to the Sequence's `onError`. */
  report(error: unknown): void;
}

/** A Production outside the process, shared by many Sequences (one per process). */
export interface ExternalProduction {
  readonly [EXTERNAL_PRODUCTION]: true;
  /** Called once, by the Sequence constructed with it. */
  bind(host: ExternalProductionHost): void;
  /** Takes a validated assignment; returns its handle at once (its `accepted` resolves when the engine has it). */
  assign(init: RunInit, parentId: string | null, options: AssignOptions | undefined): ActionHandle;
  /** The result of action `id`, from whichever process ran it. */
  result(id: string): Promise<unknown>;
  /** The Sequence started: claim work (when this process runs a worker). */
  start(): void;
  /** Shutdown's deadline came: hand every run claimed from this production back to it (not to the report). */
  handBackClaimed(): void;
  /** The Sequence shuts down: stop claiming now. */
  stopClaiming(): void;
  /** Releases connections once the Sequence's own shutdown is done. */
  close(): Promise<void>;
  /** Keeps the Sequence's schedules, shared by every process (read after `bind`); absent: the Sequence's own Scheduler does. */
  readonly schedules?: ScheduleKeeper;
}

/** Whether `value` is an external production (not the options of an in-memory one). */
export function isExternalProduction(value: unknown): value is ExternalProduction {
  return typeof value === 'object' && value !== null && (value as Partial<ExternalProduction>)[EXTERNAL_PRODUCTION] === true;
}
