/**
 * The types around an ActionRun: the actor both engines give, what a run needs
 * from its Sequence, what an assignment resolves to, follow-ups and provenance.
 * @internal
 */
import type { ActionContext, ActionEvent, ActionSpec, AttemptRecord, Priority } from '../../machines/actionTypes.js';
import type { NamedHook } from './hooks.js';
import type { Clock } from '../clock.js';
import type { License } from '../License.js';
import type { Life } from '../Life.js';
import type { ActionDefinition } from '../Plan.js';
import type { RetryPolicy } from '../retryPolicy.js';
import type { ActivityContext, ActivityServices } from './ActionActivity.js';
import type { ActionRun } from './ActionRun.js';
import type { AttemptFailure } from './AttemptFailure.js';

/** The actor interface both engines give (table engine and XState's createActor). */
export interface ActionActor {
  readonly sessionId: string;
  _parent?: { readonly sessionId: string } | undefined;
  send(event: ActionEvent): void;
  getSnapshot(): { readonly value: unknown; readonly status: string; readonly context: ActionContext; readonly output?: unknown };
  subscribe(listener: (snapshot: never) => void): { unsubscribe(): void };
  stop(): void;
  /** The table engine's read of its context without a snapshot (see `TableActor.peekContext`); XState's actors have none. */
  peekContext?(): ActionContext;
  /** The table engine's: once done and unobserved, the smaller actor it leaves behind (see `TableActor.settledForm`), else null. */
  settledForm?(): ActionActor | null;
}

/** A follow-up action (the seed's `NextAction`), assigned after success with the output. */
export interface FollowUp {
  readonly name: string;
  /** The follow-up's content. @default the parent's output (see `contentFrom`) */
  readonly content?: unknown;
  /** Makes the follow-up's content from the parent's output. */
  readonly contentFrom?: (output: unknown) => unknown;
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly priority?: Priority;
}

/** What an ActionRun needs from its Sequence. */
export interface RunServices {
  readonly clock: Clock;
  readonly random: () => number;
  readonly life: Life;
  enqueue(run: ActionRun): void;
  releaseSite(run: ActionRun): void;
  emit(event: import('../events.js').EchoEvent): void;
  /** True while someone listens to events (build event objects only then). */
  readonly listening: boolean;
  /** An attempt failed (a RateLimitError pauses its name or queue; telemetry records it): `error` may be a wrapper not made yet. */
  attemptFailed(run: ActionRun, attempt: number, error: Error | AttemptFailure, retryDelay: number | null): void;
  /** Traces attempts and hooks; null when tracing is off. */
  readonly tracer: import('../telemetry/RunTracer.js').RunTracer | null;
  /** Bounds of `ctx.progress`/`ctx.log`, and who to tell when they change. */
  readonly activity: ActivityServices;
  /**
   * Whether the runs' chart may pass its `hooks` (`before`) and `afterHooks` (`after`) states over
   * for a run with no hook there: where the state is Echo's own, run by Echo's phase, leaving it is
   * what passing it over does. A user's chart may hang more on one (an approval gate after
   * HOOKS_PASSED): its runs always enter that one. See `hookPassOver`.
   */
  readonly passOverHooks: HookPassOver;
}

/** See `RunServices.passOverHooks`. */
export interface HookPassOver {
  readonly before: boolean;
  readonly after: boolean;
}

/**
 * Where an action came from, apart from the user's metadata: `recordOf` is the id
 * of the ActionRecord it was assigned from, `againOf` the id of the action that
 * `sequence.again()` re-ran.
 */
export interface Provenance {
  readonly recordOf?: string;
  readonly againOf?: string;
  /** The dead letter that `sequence.redrive()` assigned again. */
  readonly redriveOf?: string;
}

/** A piece of user code running for an action (named in shutdown's report when abandoned). */
export interface WorkPiece {
  readonly piece: 'site-behaviour' | 'before-hook' | 'function' | 'after-hook';
  /** The Site's id, the hook's name, or `attempt <n>` for the function. */
  readonly name: string;
}

/** What an assignment resolves to before the run exists. */
export interface RunInit extends ActionSpec {
  readonly license: License | null;
  readonly definition: ActionDefinition;
  readonly policy: RetryPolicy;
  readonly before: readonly NamedHook[];
  readonly after: readonly NamedHook[];
  readonly followUps: readonly FollowUp[];
  readonly idempotencyKey: string | undefined;
  readonly provenance: Provenance | null;
  readonly createdAt: number;
  readonly startDelay: number;
  readonly attemptTimeout: number | null;
  readonly totalTimeout: number | null;
  readonly cancelGrace: number;
  /** Attempts made before, when a durable Sequence restores the action. */
  readonly history?: readonly AttemptRecord[];
  /** What its function reported before (`ctx.progress`/`ctx.log`), when a durable Sequence restores the action. */
  readonly activity?: ActivityContext | null;
  /** The user's actor that invoked or spawned the action (`sequence.actor(name)`): its parent in the actor tree. */
  readonly host?: { readonly sessionId: string } | null;
}
