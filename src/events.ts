/**
 * Lifecycle events of a Sequence, streamed on `sequence.events$` (an rxjs
 * Observable). A discriminated union on `type`; times are the Sequence clock's ms.
 */
import type { SerializedError } from './errors.js';
import type { Json } from './store/encodable.js';

/** What every action event carries: the action's id and name, and when. */
export interface ActionEventBase {
  readonly actionId: string;
  readonly name: string;
  readonly at: number;
}

/** One lifecycle event. */
export type EchoEvent =
  | (ActionEventBase & { readonly type: 'assigned'; readonly priority: string; readonly queue: string; readonly parentId: string | null })
  | (ActionEventBase & { readonly type: 'started'; readonly attempt: number; readonly site: string | null })
  | (ActionEventBase & { readonly type: 'attempt-failed'; readonly attempt: number; readonly error: SerializedError })
  | (ActionEventBase & { readonly type: 'retrying'; readonly attempt: number; readonly delay: number; readonly retryAt: number })
  | (ActionEventBase & { readonly type: 'done'; readonly output: unknown; readonly attempts: number })
  | (ActionEventBase & { readonly type: 'failed'; readonly error: SerializedError; readonly attempts: number })
  | (ActionEventBase & { readonly type: 'cancelled'; readonly reason: string; readonly attempts: number })
  | (ActionEventBase & { readonly type: 'after-hook-failed'; readonly hook: string; readonly error: SerializedError })
  /** `ctx.progress(value)`, as published by the throttle (see `RunContext.progress`). */
  | (ActionEventBase & { readonly type: 'progress'; readonly attempt: number; readonly value: Json })
  /** `ctx.log(message, data?)`; `dropped` counts the lines of this action not kept so far. */
  | (ActionEventBase & { readonly type: 'log'; readonly attempt: number; readonly message: string; readonly data?: Json; readonly dropped: number })
  | { readonly type: 'site-crashed'; readonly site: string; readonly actionId: string; readonly error: SerializedError; readonly at: number }
  | { readonly type: 'paused' | 'resumed'; readonly at: number }
  | { readonly type: 'shutdown'; readonly at: number; readonly unfinished: number };

/** The terminal event types: each action gets exactly one. */
export const terminalEventTypes = ['done', 'failed', 'cancelled'] as const;
