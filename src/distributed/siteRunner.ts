/**
 * The claiming side: a BullMQ Worker whose processor runs each claimed job here, on this process's
 * Sites, as the same Action statechart with the same hooks, License, timeouts and inspector view.
 *
 * One job attempt is one Echo attempt. The job's history numbers the attempt on; the claimed attempt's
 * start time is appended to a field of the job before it runs (not the whole data written again), so a
 * process killed mid-attempt leaves it behind, and the next claimer records it as `interrupted` (a job
 * written by an older version may hold a `running` record in its history instead: the same). When the statechart plans a retry (`retrying`, with the delay Echo's policy chose),
 * the run is handed back: the history with that delay goes into the job, the job fails, and BullMQ
 * waits the delay (`echoBackoffStrategy`) before any process claims it again. A final outcome is the
 * job's return value (done) or an `UnrecoverableError` whose message is the encoded result (failed,
 * cancelled): BullMQ never retries it, and only the holder of the job's lock can commit either
 * (the lock token is the fence: a zombie attempt that lost its lock cannot commit).
 * At shutdown, or when this process loses a job's lock, the run is handed back without an outcome.
 * @internal
 */
import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AttemptRecord } from '../../machines/actionTypes.js';
import type { ActionRun, RunInit } from '../action/ActionRun.js';
import { prepareAssignment } from '../action/assignment.js';
import type { License } from '../License.js';
import { encodeError, encodeResult, toText, type EncodedResult } from '../store/codec.js';
import type { ExternalProductionHost } from '../work/ExternalProduction.js';
import { ECHO_BACKOFF, echoBackoffStrategy } from './backoff.js';
import type { ControlRelay } from './controlRelay.js';
import type { DistributedLimits } from './distributedLimits.js';
import type { ScheduledAdmission, ScheduledRuns } from './scheduledRuns.js';
import { LockLostError } from './LockLostError.js';
import type { ClaimCheck, FencedWrites } from './fencedWrites.js';
import { withTraceCarrier } from './tracePropagation.js';
import { claimedAssignOptions, claimedHistory, decodeJobData, licenseOf, withAttempts, type JobData } from './jobData.js';

/** BullMQ's error codes for a commit whose lock is gone, or someone else's. */
const LOCK_MISSING = -2;
const LOCK_MISMATCH = -6;
/** How many commits on their way are remembered (BullMQ's error for a refused one comes within a round trip or two). */
const REFUSED_COMMITS_KEPT = 1000;
/** What a LockLostError says of an outcome whose commit was refused. */
const OUTCOME_DISCARDED = 'its outcome came after the lock was lost and is discarded';

/** How a claimed run left this process. */
type Outcome = { readonly kind: 'settled' } | { readonly kind: 'retry'; readonly attempts: readonly AttemptRecord[] } | { readonly kind: 'handed-back' } | { readonly kind: 'lost' };

/** A job this process runs now. */
interface Claim {
  readonly run: ActionRun;
  readonly end: (outcome: Outcome) => void;
}

/** Worker settings the production passes on. */
export interface SiteRunnerSettings {
  readonly queue: string;
  readonly prefix: string;
  readonly connection: Redis;
  readonly lockDuration: number;
  readonly stalledInterval: number;
  readonly maxStalledCount: number;
  /** Flow limits and pauses shared by every process. */
  readonly limits: DistributedLimits;
  /** Admits the jobs of job schedulers (Echo's schedules) under their policies. */
  readonly schedules: ScheduledRuns;
  /** The claimer's writes, fenced by the job's lock; settled results are kept there. */
  readonly fenced: FencedWrites;
}

export class SiteRunner {
  readonly #host: ExternalProductionHost;
  readonly #relay: ControlRelay;
  readonly #limits: DistributedLimits;
  readonly #schedules: ScheduledRuns;
  readonly #fenced: FencedWrites;
  readonly #worker: Worker;
  readonly #claims = new Map<string, Claim>();
  /** Jobs being claimed (not run yet), with a cancel relayed meanwhile (null while none came). */
  readonly #claiming = new Map<string, { reason: Parameters<ExternalProductionHost['cancel']>[1]; message: string } | null>();
  /** One License object per name in this process, so a revoke reaches every local holder. */
  readonly #licenses = new Map<string, License>();
  #closing: Promise<void> | null = null;
  /**
   * Commits on their way to BullMQ, by job id, that a refusal (the lock was lost) is reported for once: the attempt
   * to name, or null once reported (the fence of a kept result reports its own refusal; BullMQ's then fails too).
   */
  readonly #commits = new Map<string, { readonly actionId: string; readonly attempt: number } | null>();

  constructor(host: ExternalProductionHost, relay: ControlRelay, settings: SiteRunnerSettings) {
    this.#host = host;
    this.#relay = relay;
    this.#limits = settings.limits;
    this.#schedules = settings.schedules;
    this.#fenced = settings.fenced;
    this.#worker = new Worker(settings.queue, (job, token) => this.#process(job, token), {
      connection: settings.connection,
      prefix: settings.prefix,
      concurrency: host.concurrency,
      autorun: false,
      lockDuration: settings.lockDuration,
      stalledInterval: settings.stalledInterval,
      maxStalledCount: settings.maxStalledCount,
      settings: { backoffStrategy: echoBackoffStrategy },
    });
    // The lock is lost (this process stalled): the job is someone else's now; stop here, commit nothing.
    this.#worker.on('lockRenewalFailed', (ids: string[]) => {
      for (const id of ids) this.#handBack(id, { kind: 'lost' });
    });
    // A lock BullMQ could not renew is reported once, as the LockLostError of the attempt it stops.
    // A commit refused because the lock was lost is reported once too: by the fence of its kept result, or
    // (a job BullMQ keeps, with nothing kept beside it) from BullMQ's own refusal.
    this.#worker.on('error', (error) => void (!error.message.startsWith('could not renew lock for job') && !this.#isRefusedCommit(error) && host.report(error)));
    // A commit BullMQ took: nothing is left to report of it.
    this.#worker.on('completed', (job: Job) => void this.#commits.delete(job.id!));
    this.#worker.on('failed', (job: Job | undefined) => void (job !== undefined && this.#commits.delete(job.id!)));
  }

  /** Starts claiming jobs. */
  start(): void {
    this.#worker.run().catch((error: unknown) => this.#host.report(error));
  }

  /** Hands every claimed run back to the queue (shutdown's deadline). */
  handBackAll(): void {
    for (const id of [...this.#claims.keys()]) this.#handBack(id, { kind: 'handed-back' });
  }

  /** A cancel relayed from another process: cancels the local run of `id`, if this process runs it. */
  cancel(id: string, reason: Parameters<ExternalProductionHost['cancel']>[1], message: string): void {
    const claim = this.#claims.get(id);
    if (claim !== undefined) this.#host.cancel(claim.run, reason, message);
    else if (this.#claiming.has(id)) this.#claiming.set(id, { reason, message });
  }

  /** A License revoked in another process: its holders here learn it. */
  revokeLicense(name: string, message: string): void {
    const license = this.#licenses.get(name);
    if (license !== undefined && !license.revoked) license.revoke(message);
  }

  /** Stops claiming; resolves once the jobs in hand ended (settled or handed back). */
  close(): Promise<void> {
    this.#closing ??= this.#worker.close();
    return this.#closing;
  }

  /**
   * A claimed job. The common one (no flow limit or pause on its name and queue, no job scheduler's) goes to
   * its claim in the same turn, with no await before it; the others are admitted first.
   */
  #process(job: Job, token: string | undefined): Promise<EncodedResult> {
    // This process stops claiming (it shuts down), yet a fetch already under way claimed the job (the one
    // it just handed back, say): it goes back to the queue at once, for another process.
    if (this.#closing !== null) return job.moveToWait(token).then(() => Promise.reject(new WaitingError()));
    let data: JobData;
    try {
      data = decodeJobData(job.data);
    } catch (error) {
      return Promise.reject(new UnrecoverableError(toText(failure(job.id ?? '?', error))));
    }
    if (job.repeatJobKey === undefined && this.#limits.free(data.action.name, data.action.queue)) return this.#run(job, token, data);
    return this.#admitted(job, token, data);
  }

  /** A job under a flow limit or pause, or a job scheduler's: admitted (or deferred, or skipped) first. */
  async #admitted(job: Job, token: string | undefined, data: JobData): Promise<EncodedResult> {
    // The name's and queue's limits across processes: a job that may not start now waits in BullMQ's delayed set.
    const admission = await this.#limits.admit(job, token, data.action.name, data.action.queue);
    if (admission.kind === 'deferred') throw new DelayedError();
    let scheduled: ScheduledAdmission | null = null;
    try {
      scheduled = await this.#schedules.admit(job, data, token);
      if (scheduled?.kind === 'skip') throw new UnrecoverableError(toText(scheduled.result));
      if (scheduled?.kind === 'deferred') throw new DelayedError();
      const countedRunOf = scheduled?.kind === 'run' && scheduled.counted ? job.repeatJobKey : undefined;
      return await this.#run(job, token, scheduled?.data ?? data, countedRunOf);
    } finally {
      if (scheduled?.kind === 'run') await scheduled.release();
      await admission.lease?.release();
    }
  }

  /** `countedRunOf`: the schedule whose `runs` counted this job as it was admitted (undone should it fail to assign). */
  async #run(job: Job, token: string | undefined, data: JobData, countedRunOf?: string): Promise<EncodedResult> {
    const action = data.action;
    const license = action.license === null ? undefined : await this.#license(action);
    let prepared: RunInit;
    try {
      prepared = prepareAssignment(action.name, action.content, claimedAssignOptions(action, license), {
        ...this.#host.deps,
        ids: () => action.id,
        now: () => action.createdAt,
        overflow: 'wait',
        isLive: undefined,
      });
    } catch (error) {
      // This process's Plan cannot run it (unknown name, content no longer valid): it fails for good.
      if (countedRunOf !== undefined) await this.#schedules.failedToAssign(countedRunOf, true);
      throw new UnrecoverableError(toText(failure(action.id, error, data.attempts)));
    }
    // One round trip, fenced by the lock: the claim's start time goes into the job (a kill from now on leaves
    // it behind, and the next claimer records that attempt as interrupted), and a cancel requested before
    // this claim is read. A scheduled run admitted under its own id writes its data too.
    this.#claiming.set(action.id, null);
    const fence = token ?? '';
    let check: ClaimCheck;
    try {
      check = await this.#fenced.claim(job.id!, fence, action.id, this.#host.clock.now(), data.action.id === (job.data as Partial<JobData> | undefined)?.action?.id ? undefined : data);
    } catch (error) {
      this.#claiming.delete(action.id);
      throw error;
    }
    const history = claimedHistory(data.attempts, check.held ? check.cutOff : []);
    if (!check.held) {
      this.#claiming.delete(action.id);
      this.#lockLost(action.id, history.length + 1, 'it was not started');
      throw new WaitingError();
    }
    const init: RunInit = { ...prepared, startDelay: 0, attemptTimeout: action.attemptTimeout, totalTimeout: action.totalTimeout, cancelGrace: action.cancelGrace, history };
    const requested = check.cancel;
    // From here to the claim's registration nothing awaits: no relayed cancel can slip between.
    // This process still runs an older claim of the job (its loop stalled past the lock, and its own
    // stalled check gave the job back to it): that attempt is a zombie now; it stops and commits nothing.
    this.#handBack(action.id, { kind: 'lost' });
    const cancel = requested ?? this.#claiming.get(action.id) ?? null;
    this.#claiming.delete(action.id);
    // Its spans are children of the context active where it was assigned, in whichever process.
    const run = withTraceCarrier(data.trace, () => this.#host.runHere(init));
    const attempt = history.length + 1;
    const outcome = new Promise<Outcome>((resolve) => this.#claims.set(action.id, { run, end: resolve }));
    const following = this.#followRetry(run);
    run.onSettled(() => {
      const claim = this.#claims.get(action.id);
      if (claim?.run === run) claim.end({ kind: 'settled' });
    });
    if (cancel !== null) this.#host.cancel(run, cancel.reason, cancel.message);
    const ended = await outcome;
    if (this.#claims.get(action.id)?.run === run) this.#claims.delete(action.id);
    following.unsubscribe();
    const pausing = this.#limits.attemptEnded(action.name, action.queue, run.lastError);
    if (pausing !== null) await pausing;
    if (ended.kind === 'settled') {
      const result = await resultOf(run);
      this.#commit(job, fence, result, attempt);
      if (result.status === 'done') return result;
      throw new UnrecoverableError(toText(result));
    }
    if (ended.kind === 'retry') {
      const next = withAttempts(data, ended.attempts);
      if (!(await this.#fenced.update(job.id!, fence, next))) {
        this.#lockLost(action.id, attempt, 'its retry came after the lock was lost and is discarded');
        throw new WaitingError();
      }
      job.data = next; // the backoff strategy reads the delay from this job object
      throw new Error(`Attempt ${ended.attempts.length} of action ${action.id} failed; Echo retries it in ${ended.attempts.at(-1)?.backoff ?? 0} ms`);
    }
    if (ended.kind === 'handed-back') await job.moveToWait(token);
    if (ended.kind === 'lost') this.#lockLost(action.id, attempt, 'its attempt was stopped');
    // Handed back, or the lock is lost: the job is the queue's again; nothing is committed from here.
    throw new WaitingError();
  }

  /**
   * Ends the claim with `retry` (the run handed back) when the statechart plans a retry; also when it did
   * so already, before this subscription (an attempt that failed synchronously as the run started).
   */
  #followRetry(run: ActionRun): { unsubscribe(): void } {
    const follow = (snapshot: { value: unknown; context: { attempts: readonly AttemptRecord[] } }): void => {
      if (snapshot.value !== 'retrying') return;
      const claim = this.#claims.get(run.id);
      if (claim?.run !== run) return;
      this.#host.handBack(run);
      claim.end({ kind: 'retry', attempts: snapshot.context.attempts });
    };
    const subscription = run.actor.subscribe(follow as never);
    follow(run.actor.getSnapshot() as never);
    return subscription;
  }

  /**
   * Before BullMQ commits a settled outcome. A job BullMQ drops at its commit (`removeOnComplete`, `removeOnFail`, now
   * or later) has its result kept beside the queue, fenced: written, and BullMQ's commit taken, only while this
   * process holds the job's lock. The kept result is not awaited: BullMQ's commit follows it on the same connection
   * (in the same write when both are sent in one turn), and Redis runs them in that order, each checking the same
   * token, so a lock lost before the kept result refuses both. A job BullMQ keeps holds its result itself (its
   * return value or failed reason): nothing is written beside it, and BullMQ's commit is the only fence. Either way
   * a refused commit is reported once, as the LockLostError of its attempt.
   */
  #commit(job: Job, token: string, result: EncodedResult, attempt: number): void {
    const jobId = job.id!;
    // A bounded memory of commits on their way: the oldest are forgotten (BullMQ answers within a round trip or two).
    if (this.#commits.size >= REFUSED_COMMITS_KEPT) this.#commits.delete(this.#commits.keys().next().value!);
    const removal = result.status === 'done' ? job.opts.removeOnComplete : job.opts.removeOnFail;
    if (removal === undefined || removal === false) {
      this.#commits.set(jobId, { actionId: result.id, attempt });
      return;
    }
    this.#commits.set(jobId, null);
    this.#fenced.keepResult(jobId, token, result).then(
      (held) => {
        if (held) this.#commits.delete(jobId);
        else this.#lockLost(result.id, attempt, OUTCOME_DISCARDED);
      },
      (error: unknown) => {
        this.#commits.delete(jobId);
        this.#host.report(error);
      },
    );
  }

  /** BullMQ's own error for a commit refused because the lock was lost: reported once, as a LockLostError. */
  #isRefusedCommit(error: Error): boolean {
    const code = (error as { code?: unknown }).code;
    if (code !== LOCK_MISSING && code !== LOCK_MISMATCH) return false;
    const jobId = /^(?:Missing lock|Lock mismatch) for job (.+?)\. /.exec(error.message)?.[1];
    if (jobId === undefined || !this.#commits.has(jobId)) return false;
    const unreported = this.#commits.get(jobId);
    if (unreported != null) {
      this.#commits.set(jobId, null);
      this.#lockLost(unreported.actionId, unreported.attempt, OUTCOME_DISCARDED);
    }
    return true;
  }

  #handBack(id: string, outcome: Outcome): void {
    const claim = this.#claims.get(id);
    if (claim === undefined) return;
    this.#host.handBack(claim.run);
    claim.end(outcome);
  }

  #lockLost(id: string, attempt: number, what: string): void {
    this.#host.report(new LockLostError(`This process lost the lock of action ${id} during attempt ${attempt}: ${what}; another process runs the action now`, { actionId: id, attempt }));
  }

  /** The process-wide License of a claimed action's License name, revoked when it is revoked anywhere. */
  async #license(action: JobData['action']): Promise<License | undefined> {
    if (action.license === null) return undefined;
    let license = this.#licenses.get(action.license.name);
    if (license === undefined) {
      license = licenseOf(action)!;
      this.#licenses.set(action.license.name, license);
    }
    if (!license.revoked) {
      const revoked = await this.#relay.licenseRevoked(action.license.name);
      if (revoked !== null && !license.revoked) license.revoke(revoked);
    }
    return license;
  }
}

/** The encoded result of a settled local run. */
async function resultOf(run: ActionRun): Promise<EncodedResult> {
  const snapshot = run.actor.getSnapshot();
  const context = snapshot.context;
  const status = String(snapshot.value) as EncodedResult['status'];
  let output: unknown;
  let error: unknown = null;
  try {
    output = await run.result();
  } catch (thrown) {
    error = thrown;
  }
  const fields = { id: run.id, status, output: status === 'done' ? output : undefined, error: error === null ? null : encodeError(error), settledAt: context.settledAt ?? Date.now(), attempts: context.attempts };
  try {
    return encodeResult(fields);
  } catch (refused) {
    // The output has no JSON form: the action fails with the SerializationError that says where.
    return encodeResult({ ...fields, status: 'failed', output: undefined, error: encodeError(refused) });
  }
}

function failure(id: string, error: unknown, attempts: readonly AttemptRecord[] = []): EncodedResult {
  return encodeResult({ id, status: 'failed', output: undefined, error: encodeError(error), settledAt: Date.now(), attempts });
}
