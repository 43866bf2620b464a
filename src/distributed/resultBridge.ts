/**
 * Brings outcomes back to the handles of the assigning process, and answers `result(id)` in any
 * process: BullMQ's QueueEvents report completed, failed and removed jobs; the Echo result each
 * carries (return value, or failed reason) is decoded with the codec and the typed error revived.
 * A job settles its handle once, however many events or lookups report it. A result that cannot be
 * read settles the handle as failed with a SerializationError carrying the raw payload.
 * Meanwhile the handle's snapshot follows what the events tell: `running` once a process claimed
 * the job, `retrying` (with `retryAt` and the history) while it waits for a retry, `delayed` while
 * it waits to start, `queued` when it waits for a process again.
 * @internal
 */
import { QueueEvents, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ActionContext, AttemptRecord } from '../../machines/actionTypes.js';
import type { ActionRun } from '../action/ActionRun.js';
import { CancellationError, ExecutionError, SerializationError, messageOf } from '../errors.js';
import { encodeError, encodeResult, type EncodedResult } from '../store/codec.js';
import type { ControlRelay } from './controlRelay.js';
import type { FencedWrites } from './fencedWrites.js';
import { decodeSettled } from './jobData.js';
import { moveRemote, settleRemote } from './remoteRun.js';
import { settledPromise } from '../store/journal.js';

export class ResultBridge {
  readonly #queue: Queue;
  #events: QueueEvents | null = null;
  readonly #relay: ControlRelay;
  readonly #fenced: FencedWrites;
  readonly #report: (error: unknown) => void;
  /** Remote runs of this process not settled yet, by id (several when assigned with the same idempotency key). */
  readonly #pending = new Map<string, Set<ActionRun>>();
  /** `result(id)` calls waiting for an outcome, by id. */
  readonly #waiting = new Map<string, ((result: EncodedResult) => void)[]>();
  /** How many state events came for each pending id: a job read for an older event is not applied after a newer one. */
  readonly #moves = new Map<string, number>();
  /** Resolves once QueueEvents reads from the last event before it: nothing after that is missed. */
  readonly ready: Promise<void>;
  #isReady = false;

  /** `connection` is for QueueEvents (blocking reads); `client` reads where the event stream ends now. */
  constructor(queue: Queue, connection: Redis, client: Redis, relay: ControlRelay, fenced: FencedWrites, report: (error: unknown) => void) {
    this.#queue = queue;
    this.#relay = relay;
    this.#fenced = fenced;
    this.#report = report;
    this.ready = (async () => {
      const [last] = await client.xrevrange(`${queue.opts.prefix}:${queue.name}:events`, '+', '-', 'COUNT', 1);
      const events = new QueueEvents(queue.name, { connection, prefix: queue.opts.prefix!, autorun: false, lastEventId: last?.[0] ?? '0-0' });
      this.#events = events;
      this.#listen(events);
      events.run().catch(report);
      await events.waitUntilReady();
      this.#isReady = true;
    })();
  }

  /** Whether {@link ready} resolved already (an add need not wait for it). */
  get isReady(): boolean {
    return this.#isReady;
  }

  #listen(events: QueueEvents): void {
    const report = this.#report;
    events.on('completed', ({ jobId, returnvalue }) => this.#decoded(jobId, returnvalue));
    events.on('failed', ({ jobId, failedReason }) => this.#decoded(jobId, failedReason));
    events.on('removed', ({ jobId }) => void this.#removed(jobId).catch(report));
    events.on('active', ({ jobId }) => this.#move(jobId, () => RUNNING));
    events.on('delayed', ({ jobId, delay }) => (this.#move(jobId, () => this.#delayed(jobId, Number(delay)))));
    events.on('waiting', ({ jobId, prev }) => void (prev !== undefined && this.#move(jobId, () => QUEUED)));
    events.on('error', (error) => report(error));
  }

  /** Stops following the queue's events. */
  async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    await this.#events?.close();
  }

  /** Follows a remote run until it settles (its job is added once {@link ready} resolved, so no event is missed). */
  track(run: ActionRun): void {
    let runs = this.#pending.get(run.id);
    if (runs === undefined) this.#pending.set(run.id, (runs = new Set()));
    runs.add(run);
    run.onSettled(() => {
      runs.delete(run);
      if (runs.size === 0 && this.#pending.get(run.id) === runs) {
        this.#pending.delete(run.id);
        this.#moves.delete(run.id);
      }
    });
  }

  /** Reads the job's state once QueueEvents listens (a job that settled before, or a duplicate of a settled one). */
  refresh(id: string): void {
    void this.ready.then(() => this.#lookUp(id)).catch((error) => this.#report(error));
  }

  /** The result of action `id` from whichever process ran it; a TypeError when the queue has no such action. */
  async result(id: string): Promise<unknown> {
    await this.ready;
    const outcome = new Promise<EncodedResult>((resolve) => {
      const list = this.#waiting.get(id);
      if (list === undefined) this.#waiting.set(id, [resolve]);
      else list.push(resolve);
    });
    const known = await this.#lookUp(id);
    if (!known) {
      this.#waiting.delete(id);
      throw new TypeError(`No action "${id}" in queue "${this.#queue.name}"`);
    }
    return settledPromise(await outcome);
  }

  /**
   * Reads the job's state: a settled job's result is delivered now. Once BullMQ dropped the job, the result
   * kept beside it answers, or the cancel that removed it. False when none of them exists.
   */
  async #lookUp(id: string): Promise<boolean> {
    const job = (await this.#queue.getJob(id)) as Job | undefined;
    if (job === undefined || job === null) {
      const kept = await this.#fenced.keptResult(id);
      if (kept !== null) {
        this.#decoded(id, kept);
        return true;
      }
      const cancel = await this.#relay.cancelRequested(id);
      if (cancel === null) return false;
      this.#deliver(id, cancelledResult(id, cancel.reason, cancel.message, Date.now()));
      return true;
    }
    if (job.finishedOn !== undefined) {
      if (job.returnvalue !== null && job.returnvalue !== undefined) this.#decoded(id, job.returnvalue);
      else if (job.failedReason !== undefined) this.#decoded(id, job.failedReason);
    }
    return true;
  }

  #decoded(id: string, value: unknown): void {
    if (!this.#pending.has(id) && !this.#waiting.has(id)) return;
    let result: EncodedResult;
    try {
      result = decodeSettled(value);
    } catch (error) {
      result = isEchoPayload(value) ? unreadable(id, value, error) : foreignFailure(id, value);
    }
    this.#deliver(id, result);
  }

  async #removed(id: string): Promise<void> {
    if (!this.#pending.has(id) && !this.#waiting.has(id)) return;
    const cancel = await this.#relay.cancelRequested(id);
    this.#deliver(id, cancelledResult(id, cancel?.reason ?? 'user', cancel?.message ?? `Action ${id} was removed from its queue`, Date.now()));
  }

  /** A state event for `id`: `next` (maybe reading the job) says what to mirror, unless a newer event came meanwhile. */
  #move(id: string, next: () => RemoteMove | Promise<RemoteMove | null>): void {
    if (!this.#pending.has(id)) return;
    const count = (this.#moves.get(id) ?? 0) + 1;
    this.#moves.set(id, count);
    const apply = (move: RemoteMove | null): void => {
      if (move === null || this.#moves.get(id) !== count) return;
      for (const run of this.#pending.get(id) ?? []) moveRemote(run, move.value, move.context);
    };
    const move = next();
    if (move instanceof Promise) move.then(apply).catch(this.#report);
    else apply(move);
  }

  /** A delayed job waits for its retry when its history ends with a failed attempt and a delay; else it waits to start (a delay, a flow limit). */
  async #delayed(id: string, at: number): Promise<RemoteMove | null> {
    const job = (await this.#queue.getJob(id)) as Job | undefined;
    if (job === undefined || job === null) return null;
    const attempts = ((job.data as { attempts?: AttemptRecord[] } | undefined)?.attempts ?? []).slice();
    const last = attempts.at(-1);
    if (last !== undefined && last.outcome === 'failed' && last.backoff !== null) return { value: 'retrying', context: { attempts, retryAt: at } };
    return { value: 'delayed', context: { notBefore: at, retryAt: null } };
  }

  /** Settles this process's handle of `id` and answers its `result(id)` calls. */
  #deliver(id: string, result: EncodedResult): void {
    for (const run of [...(this.#pending.get(id) ?? [])]) {
      try {
        settleRemote(run, result);
      } catch (error) {
        // Its error could not be revived here: the handle still settles, with the payload kept.
        settleRemote(run, unreadable(id, result, error));
      }
    }
    const waiting = this.#waiting.get(id);
    this.#waiting.delete(id);
    if (waiting !== undefined) for (const resolve of waiting) resolve(result);
  }
}

/** A state the handle's snapshot moves to, with the fields the queue told. */
interface RemoteMove {
  readonly value: 'queued' | 'delayed' | 'running' | 'retrying';
  readonly context: Partial<ActionContext>;
}

/** A process claimed the job; it waits for a process again (handed back, or its process died). */
const RUNNING: RemoteMove = { value: 'running', context: { retryAt: null } };
const QUEUED: RemoteMove = { value: 'queued', context: { retryAt: null } };

/** Whether `value` is Echo's JSON (a codec version in it), not a plain failed reason BullMQ wrote. */
function isEchoPayload(value: unknown): boolean {
  if (typeof value === 'object' && value !== null) return 'codec' in value;
  if (typeof value !== 'string' || !value.startsWith('{')) return false;
  try {
    const parsed = JSON.parse(value) as unknown;
    return typeof parsed === 'object' && parsed !== null && 'codec' in parsed;
  } catch {
    return false; // not JSON at all: BullMQ's own text
  }
}

/** An Echo result this process cannot read: the action failed, with the reason and the raw payload. */
function unreadable(id: string, value: unknown, error: unknown): EncodedResult {
  const payload = typeof value === 'string' ? value : JSON.stringify(value);
  const path = error instanceof SerializationError ? error.path : '';
  const failure = new SerializationError(`The result of action ${id} could not be read here: ${messageOf(error)}`, { path, payload, actionId: id });
  return encodeResult({ id, status: 'failed', output: undefined, error: encodeError(failure), settledAt: Date.now(), attempts: [] });
}

/**
 * Not an Echo result: BullMQ itself failed the job (it stalled more often than allowed, say).
 * A job fails in BullMQ only once a worker claimed it: attempt 1 at least (attempts count from 1).
 */
function foreignFailure(id: string, value: unknown): EncodedResult {
  const error = new ExecutionError(`Job ${id} failed in BullMQ: ${String(value)}`, { actionId: id, attempt: 1 });
  return encodeResult({ id, status: 'failed', output: undefined, error: encodeError(error), settledAt: Date.now(), attempts: [] });
}

/** The result of an action cancelled before any process claimed it. */
export function cancelledResult(id: string, reason: CancellationError['reason'], message: string, at: number): EncodedResult {
  const error = new CancellationError(message, { reason, actionId: id });
  return encodeResult({ id, status: 'cancelled', output: undefined, error: encodeError(error), settledAt: at, attempts: [] });
}
