/**
 * Flow limits across every process of a BullMQ production, kept in Redis: the Sequence's
 * `limits` (`{ actions: { Charge: { concurrency: 2, rate } }, queues: { mail: { rate } } }`) and
 * the pauses a `RateLimitError` asks for hold for all worker processes together, not per process.
 *
 * - Concurrency per name: a semaphore with leases, a sorted set of lease ids scored by their
 *   expiry. A claimed job takes a lease before its attempt starts and gives it back when the
 *   attempt ends (settled, retrying, handed back); the lease is renewed while the attempt runs,
 *   so a process killed with SIGKILL stops renewing and its lease lapses after `leaseDuration`
 *   (the production's `lockDuration`, when BullMQ also gives its job to another process).
 * - Rates per name and per queue: a sliding-window log (a sorted set of start times), like the
 *   in-process `SlidingWindow`, for the same reason: the limit holds in every window, and the next
 *   free slot is known exactly. BullMQ's own limiter is per BullMQ queue, and one production's
 *   Echo queues and names all share that queue, so it could not limit one of them alone.
 * - Pauses (`RateLimitError`): the name's or queue's resume time in a hash, and a message to every
 *   process, so a name that has no limit of its own costs no Redis round trip while it is not paused.
 *
 * Every check is one Lua script (atomic in Redis) on Redis's clock (`TIME`), the one clock all
 * processes share. A job that may not start now goes back to BullMQ's delayed set: until the next
 * slot (a rate, a pause), or, for concurrency, until a lease is given back, when the process that
 * gives it back promotes the oldest parked job, and at the latest until the oldest lease would lapse.
 * @internal
 */
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { rateLimitErrorIn } from '../flow/FlowControl.js';
import type { ResolvedLimits } from '../flow/limits.js';

/** Lua: takes a lease and a start in the windows, or answers [code, wait ms] (1 paused, 2 concurrency, 3 rate). */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pauses = redis.call('HMGET', KEYS[1], ARGV[1], ARGV[2])
local paused = 0
for i = 1, 2 do
  local resumeAt = tonumber(pauses[i])
  if resumeAt ~= nil and resumeAt - now > paused then paused = resumeAt - now end
end
if paused > 0 then return {1, paused} end
local concurrency = tonumber(ARGV[5])
if concurrency > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= concurrency then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    return {2, tonumber(oldest[2]) - now}
  end
end
local function full(key, limit, interval)
  if limit <= 0 then return 0 end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - interval)
  local count = redis.call('ZCARD', key)
  if count < limit then return 0 end
  local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
  return math.ceil(tonumber(oldest[2]) + interval - now)
end
local wait = math.max(full(KEYS[3], tonumber(ARGV[6]), tonumber(ARGV[7])), full(KEYS[4], tonumber(ARGV[8]), tonumber(ARGV[9])))
if wait > 0 then return {3, wait} end
if concurrency > 0 then
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[3])
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[4]) * 4)
end
if tonumber(ARGV[6]) > 0 then
  redis.call('ZADD', KEYS[3], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[3], math.ceil(tonumber(ARGV[7])))
end
if tonumber(ARGV[8]) > 0 then
  redis.call('ZADD', KEYS[4], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[4], math.ceil(tonumber(ARGV[9])))
end
return {0, 0}
`;

/** Lua: renews a lease; 0 when it had lapsed already (its slot may be someone else's now). */
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 4)
return 1
`;

/** Lua: gives a lease back (ARGV[1], may be empty), then pops a parked job id when a slot is free. */
const RELEASE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[1] ~= '' then redis.call('ZREM', KEYS[1], ARGV[1]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return false end
return redis.call('LPOP', KEYS[2])
`;

/** Lua: pauses a name or queue until now + ARGV[2] ms (a later resume time wins); answers the pause left. */
const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local resumeAt = now + tonumber(ARGV[2])
local known = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
if known == nil or known < resumeAt then redis.call('HSET', KEYS[1], ARGV[1], resumeAt) else resumeAt = known end
return resumeAt - now
`;

/** Lua: every pause still running, as [key, ms left, ...]. */
const PAUSES = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local all = redis.call('HGETALL', KEYS[1])
local left = {}
for i = 1, #all, 2 do
  local ms = tonumber(all[i + 1]) - now
  if ms > 0 then table.insert(left, all[i]); table.insert(left, ms) else redis.call('HDEL', KEYS[1], all[i]) end
end
return left
`;

type Scripts = Redis & {
  echoAcquire(...args: (string | number)[]): Promise<[number, number]>;
  echoRenew(...args: (string | number)[]): Promise<number>;
  echoRelease(...args: (string | number)[]): Promise<string | null>;
  echoPause(...args: (string | number)[]): Promise<number>;
  echoPauses(...args: (string | number)[]): Promise<(string | number)[]>;
};

/** A claimed job's admission: run it (holding `lease`, if any), or it went back to the delayed set. */
export type Admission = { readonly kind: 'run'; readonly lease: Lease | null } | { readonly kind: 'deferred' };

const FREE: Admission = { kind: 'run', lease: null };
const DEFERRED: Admission = { kind: 'deferred' };

/** A concurrency slot held by one attempt; renewed until {@link Lease.release}. */
export interface Lease {
  release(): Promise<void>;
}

export interface DistributedLimitsSettings {
  /** `<prefix>:<queue>`. */
  readonly base: string;
  readonly limits: ResolvedLimits;
  /** How long a lease lasts without renewal, ms. */
  readonly leaseDuration: number;
  readonly queue: Queue;
  readonly report: (error: unknown) => void;
}

export class DistributedLimits {
  readonly #redis: Scripts;
  readonly #subscriber: Redis;
  readonly #settings: DistributedLimitsSettings;
  readonly #keys: string;
  readonly #channel: string;
  /** Pauses known here, by key, as local resume times (`Date.now()`, as BullMQ's delays are). */
  readonly #pausedUntil = new Map<string, number>();
  readonly #leases = new Set<ReturnType<typeof setInterval>>();
  #closed = false;

  /** Both connections are this object's own (it closes them). */
  constructor(redis: Redis, subscriber: Redis, settings: DistributedLimitsSettings) {
    this.#settings = settings;
    this.#keys = `${settings.base}:echo:limits`;
    this.#channel = `${this.#keys}:pauses`;
    redis.defineCommand('echoAcquire', { numberOfKeys: 4, lua: ACQUIRE });
    redis.defineCommand('echoRenew', { numberOfKeys: 1, lua: RENEW });
    redis.defineCommand('echoRelease', { numberOfKeys: 2, lua: RELEASE });
    redis.defineCommand('echoPause', { numberOfKeys: 1, lua: PAUSE });
    redis.defineCommand('echoPauses', { numberOfKeys: 1, lua: PAUSES });
    this.#redis = redis as Scripts;
    this.#subscriber = subscriber;
    subscriber.on('message', (channel: string, text: string) => {
      if (channel !== this.#channel) return;
      try {
        const { key, ms } = JSON.parse(text) as { key: string; ms: number };
        this.#pausedLocally(key, ms);
      } catch (error) {
        settings.report(error);
      }
    });
  }

  /** Resolves once pauses announced by other processes reach this one, and the pauses running already are known. */
  async listen(): Promise<void> {
    await this.#subscriber.subscribe(this.#channel);
    const left = await this.#redis.echoPauses(this.#pausesKey());
    for (let i = 0; i < left.length; i += 2) this.#pausedLocally(String(left[i]), Number(left[i + 1]));
  }

  /**
   * Whether action `name` from Echo queue `queue` may start now without asking Redis: neither has a limit, and no
   * pause of either is known here (pauses reach every process as messages). Then {@link admit} would answer `run`.
   */
  free(name: string, queue: string): boolean {
    const { actions, queues } = this.#settings.limits;
    if (actions.has(name) || queues.has(queue)) return false;
    return this.#pausedUntil.size === 0 || (!this.#paused(`name:${name}`) && !this.#paused(`queue:${queue}`));
  }

  /**
   * Whether the claimed `job` (action `name` from Echo queue `queue`) may start its attempt now.
   * If not, it is moved back to BullMQ's delayed set with `token` (the caller throws `DelayedError`).
   */
  async admit(job: Job, token: string | undefined, name: string, queue: string): Promise<Admission> {
    if (this.free(name, queue)) return FREE;
    const nameLimit = this.#settings.limits.actions.get(name);
    const queueLimit = this.#settings.limits.queues.get(queue);
    const nameKey = `name:${name}`;
    const queueKey = `queue:${queue}`;
    const concurrency = nameLimit === undefined || nameLimit.concurrency === Infinity ? 0 : nameLimit.concurrency;
    const leaseId = `${job.id}:${token ?? ''}`;
    const leaseDuration = this.#settings.leaseDuration;
    const [code, wait] = await this.#redis.echoAcquire(
      this.#pausesKey(),
      this.#key('lease', nameKey),
      this.#key('window', nameKey),
      this.#key('window', queueKey),
      nameKey,
      queueKey,
      leaseId,
      leaseDuration,
      concurrency,
      nameLimit?.rate?.limit ?? 0,
      nameLimit?.rate?.interval ?? 0,
      queueLimit?.rate?.limit ?? 0,
      queueLimit?.rate?.interval ?? 0,
    );
    if (code === 0) return { kind: 'run', lease: concurrency === 0 ? null : this.#lease(nameKey, leaseId, concurrency) };
    // BullMQ's delayed set is on wall-clock time (Date.now()), in every process.
    await job.moveToDelayed(Date.now() + Math.max(1, wait), token);
    if (code === 2) {
      // Parked: the next release promotes it. A release between the check above and the push is seen here.
      await this.#redis.rpush(this.#key('parked', nameKey), job.id!);
      await this.#wake(nameKey, '', concurrency);
    }
    return DEFERRED;
  }

  /**
   * An attempt ended with `error`: a `RateLimitError` in it pauses its name (or queue) in every process; the
   * promise of that pause (never rejects), or null at once when there is none (no error, no RateLimitError).
   */
  attemptEnded(name: string, queue: string, error: unknown): Promise<void> | null {
    if (error === null || error === undefined) return null;
    const limited = rateLimitErrorIn(error);
    if (limited === null || limited.retryAfter <= 0) return null;
    return this.#pause(limited.scope === 'queue' ? `queue:${queue}` : `name:${name}`, limited.retryAfter);
  }

  /** Pauses `key` (`name:<name>` or `queue:<queue>`) for `retryAfter` ms in every process. Never rejects. */
  async #pause(key: string, retryAfter: number): Promise<void> {
    try {
      const left = await this.#redis.echoPause(this.#pausesKey(), key, Math.ceil(retryAfter));
      this.#pausedLocally(key, left);
      await this.#redis.publish(this.#channel, JSON.stringify({ key, ms: left }));
    } catch (error) {
      this.#settings.report(error); // the attempt's outcome stands; only the other processes' pause is missed
    }
  }

  /** Stops renewing leases (their attempts are over or handed back) and closes both connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#leases) clearInterval(timer);
    this.#leases.clear();
    await Promise.all([this.#subscriber.quit(), this.#redis.quit()]);
  }

  #lease(nameKey: string, leaseId: string, concurrency: number): Lease {
    const leaseKey = this.#key('lease', nameKey);
    const leaseDuration = this.#settings.leaseDuration;
    // Renewed on real time, as BullMQ renews its job locks: the lease lapses only when this process stops.
    const timer = setInterval(() => {
      this.#redis.echoRenew(leaseKey, leaseId, leaseDuration).then(
        (kept) => {
          if (kept === 0) this.#settings.report(new Error(`The concurrency lease of ${nameKey} held by job ${leaseId} lapsed before its attempt ended (the process stalled longer than ${leaseDuration} ms)`));
        },
        (error: unknown) => this.#settings.report(error),
      );
    }, Math.max(1, Math.floor(leaseDuration / 3)));
    timer.unref();
    this.#leases.add(timer);
    let released: Promise<void> | null = null;
    return {
      release: () => {
        released ??= (async () => {
          clearInterval(timer);
          this.#leases.delete(timer);
          if (!this.#closed) await this.#wake(nameKey, leaseId, concurrency);
        })();
        return released;
      },
    };
  }

  /** Gives `leaseId` back (when not empty) and promotes parked jobs while slots are free. */
  async #wake(nameKey: string, leaseId: string, concurrency: number): Promise<void> {
    let lease = leaseId;
    // A parked id whose job is no longer delayed (its own timer promoted it, or it is gone) wakes the next.
    for (let tries = 0; tries < 16; tries++) {
      const id = await this.#redis.echoRelease(this.#key('lease', nameKey), this.#key('parked', nameKey), lease, concurrency);
      lease = '';
      if (id === null) return;
      const job = await this.#settings.queue.getJob(id);
      if (job === undefined || job === null) continue;
      try {
        await job.promote();
        return;
      } catch {
        // not delayed any more
      }
    }
  }

  #paused(key: string): boolean {
    const until = this.#pausedUntil.get(key);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.#pausedUntil.delete(key);
    return false;
  }

  #pausedLocally(key: string, ms: number): void {
    const until = Date.now() + ms;
    if ((this.#pausedUntil.get(key) ?? -Infinity) < until) this.#pausedUntil.set(key, until);
  }

  #pausesKey(): string {
    return `${this.#keys}:paused`;
  }

  #key(kind: 'lease' | 'window' | 'parked', key: string): string {
    return `${this.#keys}:${kind}:${key}`;
  }
}
