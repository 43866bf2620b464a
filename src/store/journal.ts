/**
 * The seam between a Sequence and its Store: the Sequence tells the journal at a
 * few lifecycle points (assigned, the attempt events it emits, settled), and on
 * start asks it what to restore. Everything the store needs is encoded here.
 * @internal
 */
import type { ActionContext, ActionOutput, AttemptRecord } from '../../machines/actionTypes.js';
import { ActionRun, type ActionActor, type FollowUp, type RunInit, type RunServices } from '../action/ActionRun.js';
import { ActionHandle, type HandleControl } from '../action/ActionHandle.js';
import { prepareAssignment, type AssignmentDeps, type AssignOptions } from '../action/assignment.js';
import { CancellationError, SerializationError } from '../errors.js';
import type { EchoEvent } from '../events.js';
import { License } from '../License.js';
import type { RetryPolicy } from '../retryPolicy.js';
import { decodeError, decodeRetryPolicy, encodeAction, encodeError, encodeResult, type EncodedAction, type EncodedResult } from './codec.js';
import type { DeadLetter, DeadLetterPage, DeadLetterQuery, RetentionOptions, Store, StoredByKey } from './Store.js';

/** Which failures go to the dead-letter list: those that used up their attempts, every failure, or your choice. */
export type DeadLetterPolicy = 'exhausted' | 'failed' | 'none' | ((failure: { readonly name: string; readonly error: Error; readonly attempts: number; readonly exhausted: boolean }) => boolean);

/** Persistence options of a durable Sequence. */
export interface JournalOptions {
  readonly deadLetter: DeadLetterPolicy;
  readonly retention: RetentionOptions;
}

/** What restoring one stored action comes to. */
export interface Restored {
  readonly init: RunInit;
  readonly parentId: string | null;
  /** The action as stored (a restored run is not encoded again). */
  readonly encoded: EncodedAction;
}

/** The history of a stored action that made no attempt yet (most restored ones). */
const NO_HISTORY: readonly AttemptRecord[] = Object.freeze([]);

/** `T` with its fields writable (an object still being completed). */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Settled rows are pruned after this many settlements (and at start). */
const PRUNE_EVERY = 1000;

export class Journal {
  readonly store: Store;
  readonly #options: JournalOptions;
  readonly #report: (error: unknown) => void;
  /** Attempt histories of live actions, as the store has them. */
  readonly #histories = new Map<string, AttemptRecord[]>();
  #settledSincePrune = 0;
  readonly #policies = new WeakMap<EncodedAction['policy'], RetryPolicy>();

  constructor(store: Store, options: JournalOptions, report: (error: unknown) => void) {
    this.store = store;
    this.#options = options;
    this.#report = report;
  }

  /** Encodes an assignment before its run exists: content that cannot be stored is refused here, with its path. */
  encode(init: RunInit, parentId: string | null): EncodedAction {
    return encodeAction(init, parentId);
  }

  /** Records the assignment; returns the promise of its commit. */
  assigned(run: ActionRun, encoded: EncodedAction): Promise<void> {
    this.#histories.set(run.id, run.history === undefined ? [] : [...run.history]);
    // A restored run is in the store already; its interrupted attempt is written back as such.
    if (run.history === undefined) this.store.assigned(encoded);
    else if (run.history.length > 0) this.store.attemptEnded(run.id, run.history);
    return this.store.flush();
  }

  /** Follows the attempt events the Sequence emits. */
  event(event: EchoEvent): void {
    if (event.type !== 'started' && event.type !== 'attempt-failed' && event.type !== 'retrying') return;
    const history = this.#histories.get(event.actionId);
    if (history === undefined) return;
    if (event.type === 'started') {
      history[event.attempt - 1] = { number: event.attempt, startedAt: event.at, endedAt: null, outcome: 'running', error: null, backoff: null };
      if (history.length > event.attempt) history.length = event.attempt; // setting length costs, even to the same value
      this.store.attemptStarted(event.actionId, history.slice());
    } else if (event.type === 'attempt-failed') {
      const attempt = history[event.attempt - 1];
      if (attempt === undefined) return;
      history[event.attempt - 1] = { ...attempt, endedAt: event.at, outcome: event.error.name === 'TimeoutError' ? 'timed-out' : 'failed', error: event.error };
      this.store.attemptEnded(event.actionId, history.slice());
    } else {
      const attempt = history[event.attempt - 1];
      if (attempt === undefined) return;
      history[event.attempt - 1] = { ...attempt, backoff: event.delay };
      this.store.backoffChosen(event.actionId, history.slice(), event.retryAt);
    }
  }

  /** Records how `run` settled: a result, or a dead letter. */
  settled(run: ActionRun, output: ActionOutput, context: ActionContext, error: Error | null, now: number): void {
    this.#histories.delete(run.id);
    if (output.status === 'cancelled' && context.cancellation?.reason === 'shutdown') {
      // Cut off by shutdown, not by anyone's choice: it stays in the store and runs again after the restart.
      const attempts = context.attempts.map((attempt) => (attempt.endedAt === null || attempt.outcome === 'cancelled' ? { ...attempt, outcome: 'interrupted' as const } : attempt));
      this.store.attemptEnded(run.id, attempts);
      return;
    }
    const fields = {
      id: run.id,
      status: output.status,
      output: output.status === 'done' ? output.output : undefined,
      error: error === null ? null : encodeError(error),
      settledAt: context.settledAt ?? now,
      attempts: context.attempts,
    };
    let result: EncodedResult;
    try {
      result = encodeResult(fields);
    } catch (refused) {
      // The output has no JSON form: the result is stored with the SerializationError, and reported.
      this.#report(refused);
      result = encodeResult({ ...fields, output: undefined, error: encodeError(refused) });
    }
    if (output.status === 'failed' && error !== null && this.#deadLetters(run, error, context.attempts.length)) this.store.deadLettered(result, now);
    else this.store.settled(result);
    if (++this.#settledSincePrune >= PRUNE_EVERY) this.prune(now);
  }

  prune(now: number): void {
    this.#settledSincePrune = 0;
    const { maxAge, maxCount } = this.#options.retention;
    if ((maxAge ?? Infinity) === Infinity && (maxCount ?? Infinity) === Infinity) return;
    this.store.prune(this.#options.retention, now);
  }

  /**
   * The stored live actions as run inits: queued ones queue again, delayed and
   * retrying ones wait out what is left until `notBefore`/`retryAt`, and an attempt
   * that was running is recorded as `interrupted` and runs again as a new attempt.
   */
  restore(deps: AssignmentDeps, now: number): Restored[] {
    const restored: Restored[] = [];
    // One set of deps for the whole restore (it runs for every stored action): each answers the action at hand.
    let action!: EncodedAction;
    const restoreDeps: AssignmentDeps = { ...deps, ids: () => action.id, now: () => action.createdAt, overflow: 'wait' };
    for (const stored of this.store.live()) {
      action = stored.action;
      const history = stored.attempts.length === 0 ? NO_HISTORY : stored.attempts.map((attempt) => (attempt.outcome === 'running' ? { ...attempt, outcome: 'interrupted' as const } : attempt));
      const wakeAt = stored.retryAt ?? (history.length === 0 ? action.notBefore : null);
      const wait = wakeAt === null ? 0 : Math.max(0, wakeAt - now);
      try {
        // A fresh object of prepareAssignment's: completed in place rather than copied (100k restored actions, 100k copies less).
        const init = prepareAssignment(action.name, action.content, this.#assignOptions(action, wait), restoreDeps) as Mutable<RunInit>;
        init.provenance = action.provenance ?? null;
        init.attemptTimeout = action.attemptTimeout;
        init.totalTimeout = action.totalTimeout;
        init.cancelGrace = action.cancelGrace;
        init.history = history;
        init.activity = stored.activity;
        restored.push({ init, parentId: action.parentId, encoded: action });
      } catch (error) {
        // The Plan no longer has it (or its content no longer passes): it fails in the store, and is reported.
        this.#report(error);
        this.store.deadLettered(
          encodeResult({ id: action.id, status: 'failed', output: undefined, error: encodeError(error), settledAt: now, attempts: history }),
          now,
        );
      }
    }
    return restored;
  }

  #assignOptions(action: EncodedAction, wait: number): AssignOptions {
    let license: License | undefined;
    if (action.license !== null) {
      // The live License object is gone with the process: a revoked one stays revoked; a valid one is held by nobody now.
      license = new License(action.license.name);
      if (action.license.revoked !== null) license.revoke(decodeError(action.license.revoked).message);
    }
    // Built without spreads: it runs for every restored action.
    const options: Mutable<AssignOptions> = { metadata: action.metadata, priority: action.priority, queue: action.queue, delay: wait, retry: this.#policy(action.policy) };
    if (action.idempotencyKey !== null) options.idempotencyKey = action.idempotencyKey;
    if (action.followUps.length > 0) options.then = action.followUps.map((next): FollowUp => ({ ...next }));
    if (license !== undefined) options.license = license;
    return options;
  }

  /** The RetryPolicy of a stored one: the store hands out one object per distinct policy, decoded once here. */
  #policy(encoded: EncodedAction['policy']): RetryPolicy {
    let policy = this.#policies.get(encoded);
    if (policy === undefined) this.#policies.set(encoded, (policy = decodeRetryPolicy(encoded)));
    return policy;
  }

  /** The stored result of a settled action: the output, or a rejection with its revived error; undefined when unknown. */
  result(id: string): Promise<unknown> | undefined {
    const result = this.store.result(id);
    if (result === undefined) return undefined;
    return settledPromise(result);
  }

  deadLetters(query?: DeadLetterQuery): DeadLetterPage {
    return this.store.deadLetters(query);
  }

  /** Every dead letter, oldest first, read page by page. */
  allDeadLetters(): DeadLetter[] {
    const all: DeadLetter[] = [];
    let cursor: string | null = null;
    do {
      const page = this.store.deadLetters({ cursor, limit: 1000 });
      all.push(...page.letters);
      cursor = page.next;
    } while (cursor !== null);
    return all;
  }

  /** What `run`'s function reported changed: stored whole (bounded as in memory), committed with the turn's writes. */
  activityChanged(run: ActionRun): void {
    const view = run.activity?.view;
    if (view !== undefined && this.#histories.has(run.id)) this.store.activityChanged(run.id, view);
  }

  /** Commits what is pending and closes the store. */
  close(): void {
    try {
      this.store.close();
    } catch (error) {
      this.#report(error);
    }
  }

  /**
   * The handle of an action found by its idempotency key in the store: a live one
   * cannot be there (it would be in the Sequence), so it settled; its result answers from the store.
   */
  settledHandle(stored: StoredByKey, services: RunServices, control: HandleControl, deps: AssignmentDeps): ActionHandle {
    const result = stored.result;
    if (result === undefined) throw new TypeError(`Action ${stored.id} is live in the store but not in this Sequence: start the Sequence to restore it`);
    const { action } = stored;
    const init = prepareAssignment(action.name, action.content, { metadata: action.metadata, priority: action.priority, queue: action.queue }, { ...deps, ids: () => stored.id, now: () => action.createdAt, overflow: 'wait' });
    const run = new ActionRun(init, services, null);
    const promise = settledPromise(result);
    promise.catch(() => undefined);
    run.attach(storedActor(run.id, result));
    if (result.status === 'done' && result.error === null) run.settle({ status: 'done', output: result.output, error: null }, run.actor.getSnapshot().context);
    else {
      const error = result.error === null ? undefined : decodeError(result.error);
      run.settle({ status: result.status, output: undefined, error: result.error }, run.actor.getSnapshot().context, error);
    }
    return new ActionHandle(run, control);
  }

  #deadLetters(run: ActionRun, error: Error, attempts: number): boolean {
    const policy = this.#options.deadLetter;
    const exhausted = attempts >= run.policy.attempts;
    if (policy === 'none') return false;
    if (policy === 'failed') return true;
    if (policy === 'exhausted') return exhausted;
    try {
      return policy({ name: run.name, error, attempts, exhausted }) === true;
    } catch (thrown) {
      this.#report(thrown);
      return true; // a throwing policy must not lose the failure: it is kept as a dead letter
    }
  }
}

/** A promise of a stored result (rejections are handled once someone reads them). */
export function settledPromise(result: EncodedResult): Promise<unknown> {
  if (result.status === 'done' && result.error === null) return Promise.resolve(result.output);
  const error =
    result.error !== null
      ? decodeError(result.error)
      : result.status === 'cancelled'
        ? new CancellationError(`Action ${result.id} was cancelled`, { reason: 'user', actionId: result.id })
        : new SerializationError(`Action ${result.id} failed without a stored error`, { path: 'error' });
  return Promise.reject(error);
}

/** A settled action's actor, made from its stored result (it takes no events). */
function storedActor(id: string, result: EncodedResult): ActionActor {
  const context = { id, attempts: result.attempts, settledAt: result.settledAt, output: result.output, error: result.error } as unknown as ActionContext;
  const value = result.status;
  return {
    sessionId: `stored:${id}`,
    send: () => undefined,
    getSnapshot: () => ({ value, status: 'done', context }),
    subscribe: () => ({ unsubscribe: () => undefined }),
    stop: () => undefined,
  };
}
