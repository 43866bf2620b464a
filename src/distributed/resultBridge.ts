/**
 * Brings outcomes back to the handles of the assigning process, and answers `result(id)` in any
 * process: BullMQ's QueueEvents report completed, failed and removed jobs; the Echo result each
 * carries (return value, or failed reason) is decoded with the codec and the typed error revived.
 * A job settles its handle once, however many events or lookups report it.
 * @internal
 */
import { QueueEvents, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ActionRun } from '../action/ActionRun.js';
import { CancellationError, ExecutionError } from '../errors.js';
import { encodeError, encodeResult, type EncodedResult } from '../store/codec.js';
import type { ControlRelay } from './controlRelay.js';
import { decodeSettled } from './jobData.js';
import { moveRemote, settleRemote } from './remoteRun.js';
import { settledPromise } from '../store/journal.js';

export class ResultBridge {
  readonly #queue: Queue;
  #events: QueueEvents | null = null;
  readonly #relay: ControlRelay;
  readonly #report: (error: unknown) => void;
  /** Remote runs of this process not settled yet, by id (several when assigned with the same idempotency key). */
  readonly #pending = new Map<string, Set<ActionRun>>();
  /** `result(id)` calls waiting for an outcome, by id. */
  readonly #waiting = new Map<string, ((result: EncodedResult) => void)[]>();
  /** Resolves once QueueEvents reads from the last event before it: nothing after that is missed. */
  readonly ready: Promise<void>;

  /** `connection` is for QueueEvents (blocking reads); `client` reads where the event stream ends now. */
  constructor(queue: Queue, connection: Redis, client: Redis, relay: ControlRelay, report: (error: unknown) => void) {
    this.#queue = queue;
    this.#relay = relay;
    this.#report = report;
    this.ready = (async () => {
      const [last] = await client.xrevrange(`${queue.opts.prefix}:${queue.name}:events`, '+', '-', 'COUNT', 1);
      const events = new QueueEvents(queue.name, { connection, prefix: queue.opts.prefix!, autorun: false, lastEventId: last?.[0] ?? '0-0' });
      this.#events = events;
      this.#listen(events);
      events.run().catch(report);
      await events.waitUntilReady();
    })();
  }

  #listen(events: QueueEvents): void {
    const report = this.#report;
    events.on('completed', ({ jobId, returnvalue }) => this.#decoded(jobId, returnvalue));
    events.on('failed', ({ jobId, failedReason }) => this.#decoded(jobId, failedReason));
    events.on('removed', ({ jobId }) => void this.#removed(jobId));
    events.on('active', ({ jobId }) => this.#move(jobId, 'running'));
    events.on('delayed', ({ jobId }) => this.#move(jobId, 'retrying'));
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
      if (runs.size === 0 && this.#pending.get(run.id) === runs) this.#pending.delete(run.id);
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

  /** Reads the job's state: a settled job's result is delivered now. False when neither the job nor a cancel of it exists. */
  async #lookUp(id: string): Promise<boolean> {
    const job = (await this.#queue.getJob(id)) as Job | undefined;
    if (job === undefined || job === null) {
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
    } catch {
      // Not an Echo result: BullMQ itself failed the job (it stalled more often than allowed, say).
      // A job fails in BullMQ only once a worker claimed it: attempt 1 at least (attempts count from 1).
      const error = new ExecutionError(`Job ${id} failed in BullMQ: ${String(value)}`, { actionId: id, attempt: 1 });
      result = encodeResult({ id, status: 'failed', output: undefined, error: encodeError(error), settledAt: Date.now(), attempts: [] });
    }
    this.#deliver(id, result);
  }

  async #removed(id: string): Promise<void> {
    if (!this.#pending.has(id) && !this.#waiting.has(id)) return;
    const cancel = await this.#relay.cancelRequested(id);
    this.#deliver(id, cancelledResult(id, cancel?.reason ?? 'user', cancel?.message ?? `Action ${id} was removed from its queue`, Date.now()));
  }

  #move(id: string, value: 'running' | 'retrying'): void {
    for (const run of this.#pending.get(id) ?? []) moveRemote(run, value);
  }

  /** Settles this process's handle of `id` and answers its `result(id)` calls. */
  #deliver(id: string, result: EncodedResult): void {
    for (const run of [...(this.#pending.get(id) ?? [])]) settleRemote(run, result);
    const waiting = this.#waiting.get(id);
    this.#waiting.delete(id);
    if (waiting !== undefined) for (const resolve of waiting) resolve(result);
  }
}

/** The result of an action cancelled before any process claimed it. */
export function cancelledResult(id: string, reason: CancellationError['reason'], message: string, at: number): EncodedResult {
  const error = new CancellationError(message, { reason, actionId: id });
  return encodeResult({ id, status: 'cancelled', output: undefined, error: encodeError(error), settledAt: at, attempts: [] });
}
