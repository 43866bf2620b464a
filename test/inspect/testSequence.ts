/**
 * The runtime the inspector's tests watch: a real `Sequence` on an injected clock
 * (a `ManualClock` in unit tests, the system clock in the browser tests) whose
 * actions take clock time in each step. Every action name runs the same `Work`
 * function: its before-hook, attempts and after-hook each wait on the clock for
 * what the content says, and its first `fail` attempts fail with a cause chain
 * (AttemptError ← HttpError 503 ← socket hang up).
 */
import { createPlan, Sequence, type Clock, type RetryPolicy } from '../../src/index.js';

/** What an action of a test sequence does, in clock ms. */
export interface Work {
  /** Time of each attempt. @default 100 */
  readonly attempt?: number;
  /** Time of the before-hooks (between `hooks` and `running`). @default 10 */
  readonly hooks?: number;
  /** Time of the after-hooks (between `afterHooks` and the end). @default 10 */
  readonly afterHooks?: number;
  /** The first `fail` attempts fail. @default 0 */
  readonly fail?: number;
  /** Anything else the test wants in the action's content. */
  readonly [key: string]: unknown;
}

/** Backoff between attempts unless an assignment says otherwise: 200 ms, no jitter, up to 3 attempts. */
export const testRetry: Partial<RetryPolicy> = { attempts: 3, initialDelay: 200, factor: 1, jitter: 'none' };

/** Resolves after `ms` on `clock`; rejects with the signal's reason once it aborts. */
function wait(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function attemptError(attempt: number): Error {
  const hangUp = new Error('socket hang up');
  const http = new Error('503 Service Unavailable', { cause: hangUp });
  http.name = 'HttpError';
  const error = new Error(`attempt ${attempt} failed: upstream answered 503`, { cause: http });
  error.name = 'AttemptError';
  return error;
}

/**
 * A started Sequence whose plan has the given action names, all running `Work`.
 * @example
 * const sequence = createTestSequence({ clock: new ManualClock(), names: ['mail'] });
 * sequence.assign('mail', { attempt: 500, fail: 1 });
 */
export function createTestSequence(options: { clock: Clock; names?: readonly string[]; sites?: number; name?: string; concurrency?: number }) {
  const { clock } = options;
  const names = options.names ?? ['work'];
  const run = async (content: Work, ctx: { attempt: number; signal: AbortSignal }) => {
    await wait(clock, content.attempt ?? 100, ctx.signal);
    if (ctx.attempt <= (content.fail ?? 0)) throw attemptError(ctx.attempt);
    return { ok: true, attempts: ctx.attempt };
  };
  const definition = {
    run,
    retry: testRetry,
    before: ({ action, signal }: { action: { content: unknown }; signal: AbortSignal }) => wait(clock, (action.content as Work).hooks ?? 10, signal),
    // After-hooks run to their end even after a cancel (their signal is aborted then).
    after: ({ action }: { action: { content: unknown } }) => wait(clock, (action.content as Work).afterHooks ?? 10, new AbortController().signal),
  };
  const plan = createPlan(Object.fromEntries(names.map((name) => [name, definition])) as Record<string, typeof definition>);
  const sequence = new Sequence({ plan, clock, sites: options.sites ?? 1, concurrency: options.concurrency ?? 1000, ...(options.name !== undefined && { name: options.name }) });
  sequence.start();
  return sequence;
}

/** The test sequence's type. */
export type TestSequence = ReturnType<typeof createTestSequence>;
