/**
 * A Production on BullMQ 6 (Redis, through ioredis), shared by the Sequences of many processes:
 * `new Sequence({ plan, production: bullmqProduction({ connection, queue }) })`.
 * `assign` adds a job carrying the encoded action (priority, delay, idempotency key as job id);
 * every process that runs a worker claims jobs and runs them on its Sites; outcomes come back to
 * the assigning handle; cancels and License revokes reach every process.
 * @example
 * const production = bullmqProduction({ connection: { host: '127.0.0.1', port: 6379 }, queue: 'mail' });
 * const sequence = new Sequence({ plan, production }).start();
 * const sent = await sequence.assign('Send', { to: 'ada@example.com' }).result;
 */
import { Queue, type KeepJobs } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { ActionHandle, type HandleControl } from '../action/ActionHandle.js';
import type { ActionRun, RunInit } from '../action/ActionRun.js';
import { prepareAssignment, type AssignOptions } from '../action/assignment.js';
import { CancellationError } from '../errors.js';
import type { License } from '../License.js';
import { encodeAction, encodeError, encodeResult, type EncodedAction, type EncodedResult } from '../store/codec.js';
import type { DeadLetter } from '../store/Store.js';
import { checkKnownKeys, checkNumber, checkString, describeValue } from '../validate.js';
import { EXTERNAL_PRODUCTION, type ExternalProduction, type ExternalProductionHost } from '../work/ExternalProduction.js';
import { ECHO_BACKOFF } from './backoff.js';
import { BullMQSchedules } from './bullmqSchedules.js';
import { FencedWrites } from './fencedWrites.js';
import { ControlRelay, type ControlMessage } from './controlRelay.js';
import { DistributedLimits } from './distributedLimits.js';
import { compactJobData } from './compactJobData.js';
import { decodeJobData, decodeSettled, newJobData } from './jobData.js';
import { createRemoteRun, settleRemote } from './remoteRun.js';
import { ResultBridge } from './resultBridge.js';
import { ScheduledRuns } from './scheduledRuns.js';
import { SiteRunner } from './siteRunner.js';
import { activeTraceCarrier, type TraceCarrier } from './tracePropagation.js';

/** Options of {@link bullmqProduction}. */
export interface BullMQProductionOptions {
  /** Where Redis is: ioredis options, or an ioredis client (duplicated for each connection Echo needs). */
  readonly connection: RedisOptions | Redis;
  /** The BullMQ queue's name. @default 'echo' */
  readonly queue?: string;
  /** BullMQ's key prefix. @default 'bull' */
  readonly prefix?: string;
  /** Whether this process claims jobs and runs them on its Sites (false: it only assigns). @default true */
  readonly worker?: boolean;
  /** How long a claimed job's lock lasts without renewal, ms (BullMQ's `lockDuration`). @default 30000 */
  readonly lockDuration?: number;
  /** How often stalled jobs (their process died) are looked for, ms (BullMQ's `stalledInterval`). @default 30000 */
  readonly stalledInterval?: number;
  /** How many times a job may stall before it fails (BullMQ's `maxStalledCount`). @default 1 */
  readonly maxStalledCount?: number;
  /**
   * Which completed jobs Redis drops (BullMQ's `removeOnComplete`); `result(id)` answers from the kept result after (a job
   * BullMQ keeps answers itself: no result is written beside it). @default false (keeps all)
   */
  readonly removeOnComplete?: boolean | number | KeepJobs;
  /**
   * How long the settled result of an action whose job BullMQ drops (`removeOnComplete`, a redrive) is kept in Redis,
   * ms (`<prefix>:<queue>:echo:result:<id>`), so `sequence.result(id)` answers in any process after. @default 604800000 (7 days)
   */
  readonly resultRetention?: number;
}

const defaultOptions = {
  queue: 'echo',
  prefix: 'bull',
  worker: true,
  lockDuration: 30_000,
  stalledInterval: 30_000,
  maxStalledCount: 1,
  removeOnComplete: false as boolean | number | KeepJobs,
  resultRetention: 7 * 24 * 3600 * 1000,
} satisfies Required<Omit<BullMQProductionOptions, 'connection'>>;

const KEYS: ReadonlySet<string> = new Set(['connection', 'queue', 'prefix', 'worker', 'lockDuration', 'stalledInterval', 'maxStalledCount', 'removeOnComplete', 'resultRetention']);

/** What an added job's promise resolves to: nothing (not the Job). */
const ADDED = (): void => undefined;

/** BullMQ priorities (1 is served first); every Echo job has one, so lanes are kept in order. */
const PRIORITY = { high: 1, normal: 2, low: 3 } as const;

/**
 * A Production shared by many processes, on BullMQ 6 and Redis. Each process builds its own with the
 * same `connection`, `queue` and `prefix`. Delivery is at-least-once: a process killed mid-action has
 * its job recovered by BullMQ's stalled-job check and run again elsewhere as a new attempt.
 * @example
 * const production = bullmqProduction({ connection: { host: '127.0.0.1', port: 6379 }, queue: 'mail', worker: false });
 */
export function bullmqProduction(options: BullMQProductionOptions): BullMQProduction {
  return new BullMQProduction(options);
}

/** The Production {@link bullmqProduction} makes; beyond the Sequence's use, it lists dead letters and redrives them. */
export class BullMQProduction implements ExternalProduction {
  /** @internal */
  readonly [EXTERNAL_PRODUCTION] = true as const;
  /** The BullMQ queue's name. */
  readonly queue: string;
  /** BullMQ's key prefix. */
  readonly prefix: string;
  readonly #options: Required<Omit<BullMQProductionOptions, 'connection'>>;
  readonly #connection: RedisOptions | Redis;
  readonly #connections: Redis[] = [];
  #host: ExternalProductionHost | null = null;
  #queue: Queue | null = null;
  #relay: ControlRelay | null = null;
  #bridge: ResultBridge | null = null;
  #fenced: FencedWrites | null = null;
  #runner: SiteRunner | null = null;
  #limits: DistributedLimits | null = null;
  #schedules: BullMQSchedules | null = null;
  #listening: Promise<void> = Promise.resolve();
  #closed: Promise<void> | null = null;
  /** Licenses of this process whose revoke is relayed already. */
  readonly #relayedLicenses = new WeakSet<License>();
  readonly #control: HandleControl = {
    cancel: (run, reason, message) => this.#cancel(run.id, reason, message),
    retryNow: (run) => void this.#retryNow(run.id).catch((error: unknown) => this.#host?.report(error)),
    report: (error) => this.#host?.report(error),
  };

  constructor(options: BullMQProductionOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError(`Expected bullmqProduction options { connection, queue?, prefix? }, got ${describeValue(options)}`);
    checkKnownKeys(options, KEYS, 'bullmqProduction options');
    const { connection } = options;
    if (typeof connection !== 'object' || connection === null) throw new TypeError(`Expected \`connection\` to be ioredis options or an ioredis client, got ${describeValue(connection)}`);
    const merged = { ...defaultOptions, ...Object.fromEntries(Object.entries(options).filter(([key, value]) => key !== 'connection' && value !== undefined)) };
    checkString(merged.queue, { field: 'queue' });
    checkString(merged.prefix, { field: 'prefix' });
    if (typeof merged.worker !== 'boolean') throw new TypeError(`Expected \`worker\` to be a boolean, got ${describeValue(merged.worker)}`);
    for (const field of ['lockDuration', 'stalledInterval', 'resultRetention'] as const) checkNumber(merged[field], { field }, { min: 1, integer: true });
    checkNumber(merged.maxStalledCount, { field: 'maxStalledCount' }, { min: 0, integer: true });
    this.#options = merged as Required<Omit<BullMQProductionOptions, 'connection'>>;
    this.#connection = connection;
    this.queue = merged.queue;
    this.prefix = merged.prefix;
  }

  /** @internal */
  bind(host: ExternalProductionHost): void {
    if (this.#host !== null) throw new TypeError(`Expected a bullmqProduction used by one Sequence, got one already used by Sequence "${this.#host.name}"`);
    this.#host = host;
    const report = (error: unknown): void => host.report(error);
    this.#queue = new Queue(this.queue, { connection: this.#redis(true), prefix: this.prefix });
    this.#queue.on('error', report);
    const base = `${this.prefix}:${this.queue}`;
    this.#relay = new ControlRelay(this.#redis(), this.#redis(), base, (message) => this.#onControl(message), report);
    this.#listening = this.#relay.listen();
    const relay = this.#relay;
    this.#fenced = new FencedWrites(this.#redis(true), base, this.#options.resultRetention, (id) => relay.cancelKey(id));
    this.#bridge = new ResultBridge(this.#queue, this.#redis(), this.#redis(), this.#relay, this.#fenced, report);
    this.#schedules = new BullMQSchedules({ queue: this.#queue, redis: this.#redis(), base, host, jobOptions: (init) => this.#jobOptions(init) });
  }

  /** The schedules of this queue, in Redis: shared by every process, they survive restarts (see {@link BullMQSchedules}). */
  get schedules(): BullMQSchedules {
    this.#requireHost();
    return this.#schedules!;
  }

  /** @internal */
  start(): void {
    const host = this.#requireHost();
    if (!this.#options.worker || this.#runner !== null) return;
    const report = (error: unknown): void => host.report(error);
    const base = `${this.prefix}:${this.queue}`;
    this.#limits = new DistributedLimits(this.#redis(), this.#redis(), { base, limits: host.limits, leaseDuration: this.#options.lockDuration, queue: this.#queue!, report });
    const limitsKnown = this.#limits.listen();
    // The worker's commands and the claimer's fenced writes share one pipelined connection: what the jobs
    // finishing in one turn send (kept results, BullMQ's commits) goes to Redis in one write.
    const claiming = this.#redis(true);
    const relay = this.#relay!;
    this.#runner = new SiteRunner(host, relay, {
      queue: this.queue,
      prefix: this.prefix,
      connection: claiming,
      lockDuration: this.#options.lockDuration,
      stalledInterval: this.#options.stalledInterval,
      maxStalledCount: this.#options.maxStalledCount,
      limits: this.#limits,
      schedules: new ScheduledRuns({ redis: this.#redis(), base, relay: this.#relay!, clock: host.clock, leaseDuration: this.#options.lockDuration, report, queue: this.#queue! }),
      fenced: new FencedWrites(claiming, base, this.#options.resultRetention, (id) => relay.cancelKey(id)),
    });
    // Claim only once cancels and pauses reach this process.
    void Promise.all([this.#listening, limitsKnown]).then(() => this.#runner?.start(), report);
  }

  /** Resolves once this process listens for cancels and License revokes and its results bridge is ready. */
  async ready(): Promise<void> {
    await this.#listening;
    await this.#bridge?.ready;
    await this.#queue?.waitUntilReady();
  }

  /** @internal */
  assign(init: RunInit, parentId: string | null, options: AssignOptions | undefined): ActionHandle {
    const host = this.#requireHost();
    const encoded = encodeAction(init, parentId);
    const run = createRemoteRun(init, host.services);
    this.#bridge!.track(run);
    run.acceptedWhen(this.#add(encoded, init, activeTraceCarrier()));
    // A key already used names a job that may have settled before: its result is read once it is known.
    if (init.idempotencyKey !== undefined) run.accepted.then(() => this.#bridge?.refresh(run.id), () => undefined);
    run.accepted.catch((error: unknown) => settleRemote(run, notQueued(run, error)));
    if (init.license !== null) this.#relayRevoke(init.license);
    const signal = options?.signal;
    if (signal !== undefined) {
      const abort = (): void => this.#cancel(run.id, 'user', `Action "${run.name}" was cancelled: its signal was aborted`);
      if (signal.aborted) abort();
      else {
        signal.addEventListener('abort', abort, { once: true });
        run.onSettled(() => signal.removeEventListener('abort', abort));
      }
    }
    return new ActionHandle(run, this.#control);
  }

  /** @internal */
  result(id: string): Promise<unknown> {
    return this.#bridge!.result(id);
  }

  /** @internal */
  handBackClaimed(): void {
    this.#runner?.handBackAll();
  }

  /** @internal */
  stopClaiming(): void {
    void this.#runner?.close().catch((error: unknown) => this.#host?.report(error));
  }

  /** @internal */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.#schedules?.ready(); // schedules made are kept before the connections go
      await this.#runner?.close();
      await this.#limits?.close();
      await this.#queue?.close();
      await this.#bridge?.close();
      await this.#relay?.close();
      await Promise.all(this.#connections.map((redis) => (redis.status === 'end' ? undefined : redis.quit().catch(() => undefined))));
    })();
    return this.#closed;
  }

  /**
   * Cancels action `id` from any process: a job not claimed yet is removed and settles as cancelled;
   * a running one is cancelled in the process that runs it (its signal aborts). Resolves once requested.
   */
  async cancel(id: string, message = `Action ${id} was cancelled`): Promise<void> {
    await this.#cancelJob(id, 'user', message);
  }

  /** The dead letters: actions that failed for good (cancelled ones are not), oldest first, shared by every process. */
  async deadLetters(): Promise<DeadLetter[]> {
    const jobs = await this.#requireQueue().getFailed();
    const letters: DeadLetter[] = [];
    for (const job of jobs) {
      try {
        const result = decodeSettled(job.failedReason);
        if (result.status !== 'failed') continue;
        letters.push({ action: decodeJobData(job.data).action, result, deadAt: job.finishedOn ?? 0 });
      } catch (error) {
        this.#host?.report(error);
      }
    }
    return letters.sort((a, b) => a.deadAt - b.deadAt);
  }

  /**
   * Assigns dead letters again, as new actions whose `provenance.redriveOf` names the dead letter; they
   * leave the dead-letter list (their failed jobs are removed). Give their ids, or a filter.
   */
  async redrive(selection: readonly string[] | ((dead: DeadLetter) => boolean)): Promise<ActionHandle[]> {
    const host = this.#requireHost();
    const dead = await this.deadLetters();
    const chosen = typeof selection === 'function' ? dead.filter(selection) : dead.filter((letter) => selection.includes(letter.action.id));
    if (Array.isArray(selection)) {
      const unknown = selection.filter((id) => !chosen.some((letter) => letter.action.id === id));
      if (unknown.length > 0) throw new TypeError(`Expected ids of dead letters, got ${unknown.map((id) => JSON.stringify(id)).join(', ')}`);
    }
    const handles: ActionHandle[] = [];
    for (const { action, result } of chosen) {
      const init = prepareAssignment(action.name, action.content, { metadata: action.metadata, priority: action.priority, queue: action.queue }, host.deps);
      handles.push(this.assign({ ...init, provenance: { redriveOf: action.id } }, null, undefined));
      // The failed job held the dead letter's result: kept beside the queue, `result(id)` still answers once it is gone.
      await this.#fenced!.keep(result);
      await this.#requireQueue().remove(action.id);
    }
    return handles;
  }

  #add(encoded: EncodedAction, init: RunInit, trace: TraceCarrier | undefined): Promise<void> {
    const add = (): Promise<void> => this.#requireQueue().add(init.name, compactJobData(newJobData(encoded, trace)), { ...this.#jobOptions(init), jobId: init.id, ...(init.startDelay > 0 && { delay: init.startDelay }) }).then(ADDED);
    // Added only once the results bridge reads the event stream: no outcome can come before it listens.
    const bridge = this.#bridge!;
    return bridge.isReady ? add() : bridge.ready.then(add);
  }

  /** The BullMQ options of an Echo job (a job scheduler's template too). */
  #jobOptions(init: RunInit): { priority: number; attempts: number; backoff: { type: string }; removeOnComplete: boolean | number | KeepJobs; removeOnFail: false } {
    return { priority: PRIORITY[init.priority], attempts: init.policy.attempts, backoff: { type: ECHO_BACKOFF }, removeOnComplete: this.#options.removeOnComplete, removeOnFail: false };
  }

  #cancel(id: string, reason: CancellationError['reason'], message: string): void {
    this.#cancelJob(id, reason, message).catch((error: unknown) => this.#host?.report(error));
  }

  async #cancelJob(id: string, reason: CancellationError['reason'], message: string): Promise<void> {
    const queue = this.#requireQueue();
    const relay = this.#relay!;
    const job = await queue.getJob(id);
    if (job === undefined || job === null) return;
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') return; // settled: a cancel changes nothing
    if (state !== 'active') {
      await relay.recordCancel(id, { reason, message });
      // Not claimed: removed, it settles as cancelled everywhere (the `removed` event). A claim in between keeps it.
      if ((await queue.remove(id)) === 1) return;
    }
    await relay.cancel(id, { reason, message });
  }

  /** A job waiting for its retry (or its start) in BullMQ's delayed set is promoted: any process claims it at once. */
  async #retryNow(id: string): Promise<void> {
    const job = await this.#requireQueue().getJob(id);
    if (job === undefined || job === null || (await job.getState()) !== 'delayed') return;
    try {
      await job.promote();
    } catch (error) {
      // Claimed or promoted meanwhile (BullMQ: not in the delayed state): the retry runs already.
      if ((await job.getState()) === 'delayed') throw error;
    }
  }

  #onControl(message: ControlMessage): void {
    if (message.type === 'cancel') this.#runner?.cancel(message.id, message.reason, message.message);
    else this.#runner?.revokeLicense(message.name, message.message);
  }

  /** A License given to `assign` here: its revoke is relayed to every process (once per License). */
  #relayRevoke(license: License): void {
    if (this.#relayedLicenses.has(license)) return;
    this.#relayedLicenses.add(license);
    license.onRevoke((error) => {
      this.#relay?.revokeLicense(license.name, error.message).catch((thrown: unknown) => this.#host?.report(thrown));
    });
  }

  /**
   * A connection of Echo's own; `pipelined` batches the commands of one tick into one write (never for blocking
   * reads: BullMQ's blocking fetch on the Worker's duplicate of it is sent alone).
   */
  #redis(pipelined = false): Redis {
    const connection = this.#connection;
    const settings = { maxRetriesPerRequest: null, ...(pipelined && { enableAutoPipelining: true, autoPipeliningIgnoredCommands: ['bzpopmin'] }) };
    const redis = connection instanceof Redis ? connection.duplicate(settings) : new Redis({ ...connection, ...settings });
    this.#connections.push(redis);
    return redis;
  }

  #requireHost(): ExternalProductionHost {
    if (this.#host === null) throw new TypeError('Expected the bullmqProduction to be given to a Sequence first: new Sequence({ plan, production })');
    return this.#host;
  }

  #requireQueue(): Queue {
    this.#requireHost();
    return this.#queue!;
  }
}

/** What a failed `queue.add` (Redis refused it) settles the handle with: that error. */
function notQueued(run: ActionRun, error: unknown): EncodedResult {
  return encodeResult({ id: run.id, status: 'failed', output: undefined, error: encodeError(error), settledAt: run.services.clock.now(), attempts: [] });
}

