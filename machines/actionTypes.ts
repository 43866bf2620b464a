/**
 * Types of the Action statechart: its context, events and input. They live
 * beside the machine (no imports from `src/`), and the runtime builds on them.
 */

import type { AttemptOutcome, CancellationReason, Priority } from './actionConstants.js';

export type { CancellationReason, Priority } from './actionConstants.js';

/** An error as it is kept in context and on the wire (structurally Echo's `SerializedError`). */
export interface ErrorRecord {
  readonly version: 1;
  readonly name: string;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
  readonly cause?: ErrorRecord;
  readonly stack?: string;
}

/** One attempt at running the action's function. */
export interface AttemptRecord {
  /** 1-based. */
  readonly number: number;
  readonly startedAt: number;
  readonly endedAt: number | null;
  /** `interrupted`: the process ended while it ran (a durable Sequence runs it again as a new attempt). */
  readonly outcome: AttemptOutcome;
  readonly error: ErrorRecord | null;
  /** The delay chosen before the next attempt, when one was planned. */
  readonly backoff: number | null;
}

/** What an assigned action is: the fields its context, its run and its JSON record share. */
export interface ActionSpec {
  readonly id: string;
  readonly name: string;
  readonly content: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly priority: Priority;
  /** The named Production the action is routed to. */
  readonly queue: string;
}

/** The Action statechart's context: JSON-serializable, so it can be persisted and streamed. */
export interface ActionContext extends ActionSpec {
  /** The Site that took it, once one did. */
  readonly site: string | null;
  readonly createdAt: number;
  /** Delay before the action becomes available to Sites, ms. */
  readonly startDelay: number;
  /** When a delayed action becomes available. */
  readonly notBefore: number | null;
  /** Per-attempt timeout (start-to-close), ms; null = none. */
  readonly attemptTimeout: number | null;
  /** Total timeout from assignment (schedule-to-close), ms; null = none. */
  readonly totalTimeout: number | null;
  /** How long a cancelled running function may take to stop before it is abandoned, ms. */
  readonly cancelGrace: number;
  readonly attempts: readonly AttemptRecord[];
  /** When the planned retry starts. */
  readonly retryAt: number | null;
  readonly output: unknown;
  readonly error: ErrorRecord | null;
  readonly cancellation: { readonly reason: CancellationReason; readonly message: string; readonly at: number } | null;
  readonly settledAt: number | null;
}

/** What the runtime gives the machine to build its context. */
export interface ActionInput {
  readonly id: string;
  readonly name: string;
  readonly content: unknown;
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly priority?: Priority;
  readonly queue?: string;
  readonly createdAt: number;
  readonly startDelay?: number;
  readonly attemptTimeout?: number | null;
  readonly totalTimeout?: number | null;
  readonly cancelGrace?: number;
  /** Attempts made before (a durable Sequence restoring an action): numbering goes on from them. */
  readonly history?: readonly AttemptRecord[];
}

/** Events the Action statechart accepts. Times (`at`) come from the runtime's clock. */
export type ActionEvent =
  | {
      readonly type: 'START';
      readonly site: string;
      readonly at: number;
      /** True when nothing runs before the attempt (no before-hook, no License to check): the chart passes `hooks` over. */
      readonly noHooks?: boolean;
    }
  /** A Site behaviour changed the queued action's metadata or routed it to another queue. */
  | { readonly type: 'RECEIVED'; readonly metadata: Readonly<Record<string, unknown>>; readonly queue: string; readonly at: number }
  | { readonly type: 'CANCEL'; readonly reason: CancellationReason; readonly message: string; readonly at: number }
  | { readonly type: 'LICENSE_REVOKED'; readonly error: ErrorRecord; readonly at: number }
  | { readonly type: 'RETRY_NOW'; readonly at: number }
  | { readonly type: 'REJECT'; readonly error: ErrorRecord; readonly at: number }
  | { readonly type: 'HOOKS_PASSED'; readonly at: number }
  | { readonly type: 'HOOK_FAILED'; readonly error: ErrorRecord; readonly at: number }
  | {
      readonly type: 'ATTEMPT_SUCCEEDED';
      readonly output: unknown;
      readonly at: number;
      /** True when no after-hook runs: the chart passes `afterHooks` over. */
      readonly noHooks?: boolean;
    }
  | {
      readonly type: 'ATTEMPT_FAILED';
      readonly error: ErrorRecord;
      /** The backoff the runtime's retry policy chose, or null when it will not retry. */
      readonly retryDelay: number | null;
      readonly at: number;
    }
  | { readonly type: 'AFTER_HOOKS_PASSED'; readonly at: number };

/** The machine's output when it reaches a final state. */
export interface ActionOutput {
  readonly status: 'done' | 'failed' | 'cancelled';
  readonly output: unknown;
  readonly error: ErrorRecord | null;
}
