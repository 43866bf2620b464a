/**
 * What a claiming process writes to Redis about a job, each write fenced by the job's BullMQ lock
 * token in one Lua script: it happens only while this process holds the lock. So a zombie attempt
 * (its lock lost while it ran, the job claimed by another process meanwhile) changes nothing: not
 * the job's attempt history, not the kept result, and (since it then never returns to BullMQ) not
 * the job's state either; BullMQ's own commit checks the same token.
 *
 * Settled results are kept beside the queue when BullMQ drops their job, so `sequence.result(id)` answers
 * from any process after it (`removeOnComplete`, a redrive removing a failed job): one key per action,
 * `<prefix>:<queue>:echo:result:<id>`, holding the encoded result for `resultRetention` ms. The
 * claimer writes it just before BullMQ commits a job it drops on commit, so the last writer is the
 * attempt that commits; a redrive writes it before it removes the failed job. A job BullMQ keeps holds
 * its result itself: nothing is written beside it. While the job exists, the job is the authority; the
 * key answers once it is gone.
 * @internal
 */
import type { Redis } from 'ioredis';
import { toText, type EncodedResult } from '../store/codec.js';
import type { CancelRequest } from './controlRelay.js';
import type { JobData } from './jobData.js';

/** The job hash's field of claim start times not yet in its data's history (comma-separated ms). */
export const STARTS = 'echoStarts';

/**
 * KEYS: lock, job hash, cancel key. ARGV: token, start time, data ('' to keep the job's). Appends the claim's start
 * to the job's STARTS field (and writes its data when given); answers {1, cancel request or false, the starts
 * before or false}, or {0} when the lock is not ours.
 */
const CLAIM = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0} end
local starts = redis.call('HGET', KEYS[2], '${STARTS}')
if starts then redis.call('HSET', KEYS[2], '${STARTS}', starts .. ',' .. ARGV[2]) else redis.call('HSET', KEYS[2], '${STARTS}', ARGV[2]) end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], 'data', ARGV[3]) end
return {1, redis.call('GET', KEYS[3]), starts}`;

/** KEYS: lock, job hash. ARGV: token, data. 1 when written (the data's history covers every claim: STARTS goes). */
const UPDATE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'data', ARGV[2])
redis.call('HDEL', KEYS[2], '${STARTS}')
return 1`;

/** KEYS: lock, result key. ARGV: token, result, retention ms. 1 when written. */
const KEEP_RESULT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1`;

type FencedRedis = Redis & {
  echoFencedClaim(lock: string, job: string, cancel: string, token: string, start: number, data: string): Promise<[0] | [1, string | null, string | null]>;
  echoFencedUpdate(lock: string, job: string, token: string, data: string): Promise<number>;
  echoFencedResult(lock: string, key: string, token: string, result: string, retention: number): Promise<number>;
};

/**
 * What a claim learnt: whether the lock is still ours, the cancel requested before the claim, and when the
 * claims since the job's history was last written started (each one's attempt was cut off: its process died
 * or lost the lock before it ended).
 */
export type ClaimCheck = { readonly held: false } | { readonly held: true; readonly cancel: CancelRequest | null; readonly cutOff: readonly number[] };

export class FencedWrites {
  readonly #redis: FencedRedis;
  /** `<prefix>:<queue>`. */
  readonly #base: string;
  readonly #retention: number;
  readonly #cancelKey: (id: string) => string;

  /** `redis` may be shared (no blocking calls); `retention` is in ms; `cancelKey` names the key of a cancel request. */
  constructor(redis: Redis, base: string, retention: number, cancelKey: (id: string) => string) {
    const fenced = redis as Partial<FencedRedis> & Redis;
    if (typeof fenced.echoFencedClaim !== 'function') {
      redis.defineCommand('echoFencedClaim', { numberOfKeys: 3, lua: CLAIM });
      redis.defineCommand('echoFencedUpdate', { numberOfKeys: 2, lua: UPDATE });
      redis.defineCommand('echoFencedResult', { numberOfKeys: 2, lua: KEEP_RESULT });
    }
    this.#redis = redis as FencedRedis;
    this.#base = base;
    this.#retention = retention;
    this.#cancelKey = cancelKey;
  }

  /**
   * One round trip at claim: the claim's start time is appended to job `jobId`'s STARTS field (a kill from now on
   * leaves it behind), the job's data is written when `data` is given (a scheduled run admitted with its own
   * id), and a cancel requested before for action `actionId` is read (a scheduler's job id is not its action's id).
   */
  async claim(jobId: string, token: string, actionId: string, startedAt: number, data?: JobData): Promise<ClaimCheck> {
    const reply = await this.#redis.echoFencedClaim(this.#lock(jobId), `${this.#base}:${jobId}`, this.#cancelKey(actionId), token, startedAt, data === undefined ? '' : JSON.stringify(data));
    if (reply[0] === 0) return { held: false };
    const [, cancel, starts] = reply;
    return { held: true, cancel: cancel === null ? null : (JSON.parse(cancel) as CancelRequest), cutOff: starts === null ? [] : starts.split(',').map(Number) };
  }

  /** Writes the job's data (its attempt history) while `token` is its lock; false when it is not (nothing written). */
  async update(jobId: string, token: string, data: JobData): Promise<boolean> {
    return (await this.#redis.echoFencedUpdate(this.#lock(jobId), `${this.#base}:${jobId}`, token, JSON.stringify(data))) === 1;
  }

  /** Keeps the result of job `jobId`'s action while `token` is the job's lock; false when it is not (nothing written). */
  async keepResult(jobId: string, token: string, result: EncodedResult): Promise<boolean> {
    return (await this.#redis.echoFencedResult(this.#lock(jobId), this.#resultKey(result.id), token, toText(result), this.#retention)) === 1;
  }

  /** Keeps the result of a settled job that is about to be removed (a redrive); no lock guards a settled job. */
  async keep(result: EncodedResult): Promise<void> {
    await this.#redis.set(this.#resultKey(result.id), toText(result), 'PX', this.#retention);
  }

  /** The kept result text of action `id`, or null when none is kept (never settled, or past its retention). */
  keptResult(id: string): Promise<string | null> {
    return this.#redis.get(this.#resultKey(id));
  }

  #lock(id: string): string {
    return `${this.#base}:${id}:lock`;
  }

  #resultKey(id: string): string {
    return `${this.#base}:echo:result:${id}`;
  }
}
