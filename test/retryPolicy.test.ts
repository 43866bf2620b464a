import { describe, expect, it } from 'vitest';
import type { RandomSource } from '../src/clock.js';
import {
  BackpressureError,
  CancellationError,
  ExecutionError,
  HookError,
  LicenseError,
  RoutingError,
  SerializationError,
  ValidationError,
  reviveError,
  serializeError,
} from '../src/errors.js';
import {
  NEVER_RETRIED,
  backoffDelay,
  decideRetry,
  defaultRetryPolicy,
  resolveRetryPolicy,
  retryAfterHint,
  type Jitter,
  type RetryPolicy,
} from '../src/retryPolicy.js';

/** Returns `values` in order and fails the test if asked for more, so extra draws are caught. */
function scripted(...values: number[]): RandomSource & { readonly calls: () => number } {
  let i = 0;
  const source = (): number => {
    if (i >= values.length) throw new Error(`scripted random source asked for draw ${i + 1} of ${values.length}`);
    return values[i++]!;
  };
  return Object.assign(source, { calls: () => i });
}

/** A random source that must not be consulted. */
const noRandom: RandomSource = scripted();

const policyWith = (jitter: Jitter, extra: Partial<RetryPolicy> = {}): RetryPolicy =>
  resolveRetryPolicy({ initialDelay: 100, factor: 2, maxDelay: 30_000, jitter, ...extra });

describe('backoffDelay', () => {
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [9, 25_600],
    [10, 30_000], // 51_200 capped
    [11, 30_000],
  ])("'none': attempt %i waits %i ms and draws no random number", (attempt, expected) => {
    expect(backoffDelay(policyWith('none'), attempt, null, noRandom)).toBe(expected);
  });

  it.each([
    [1, 0, 0],
    [1, 0.5, 50],
    [1, 0.999, 100], // 99.9 rounds up
    [3, 0.5, 200],
    [10, 0.5, 15_000],
    [10, 0.999, 29_970],
  ])("'full': attempt %i with random %d waits %i ms", (attempt, r, expected) => {
    expect(backoffDelay(policyWith('full'), attempt, null, scripted(r))).toBe(expected);
  });

  it.each([
    [1, 0, 50],
    [1, 0.5, 75],
    [1, 0.999, 100], // 99.95
    [3, 0, 200],
    [10, 0, 15_000],
    [10, 0.999, 29_985],
  ])("'equal': attempt %i with random %d waits %i ms", (attempt, r, expected) => {
    expect(backoffDelay(policyWith('equal'), attempt, null, scripted(r))).toBe(expected);
  });

  it.each([
    // previousDelay, random, expected: initialDelay + r * (max(initialDelay, previous * 3) - initialDelay), capped
    [null, 0, 100],
    [null, 0.5, 200],
    [null, 0.999, 300], // 299.8
    [1_000, 0, 100],
    [1_000, 0.5, 1_550],
    [1_000, 0.999, 2_997],
    [20, 0.5, 100], // previous * 3 below initialDelay: the floor is initialDelay
    [20_000, 0.5, 30_000], // 30_050 capped
  ])("'decorrelated': previous delay %s with random %d waits %i ms", (previous, r, expected) => {
    expect(backoffDelay(policyWith('decorrelated'), 4, previous, scripted(r))).toBe(expected);
  });

  it.each([
    ['full', [0, 100, 400]], // 0 * 100, 0.5 * 200, 0.999 * 400
    ['equal', [50, 150, 400]], // 50 + 0, 100 + 50, 200 + 199.8
  ] as const)("'%s' draws one number per call from a scripted 0, 0.5, 0.999 source", (jitter, expected) => {
    const random = scripted(0, 0.5, 0.999);
    const policy = policyWith(jitter);
    const delays = [1, 2, 3].map((attempt) => backoffDelay(policy, attempt, null, random));
    expect(delays).toEqual(expected);
    expect(random.calls()).toBe(3);
  });

  it("'decorrelated' chains each delay into the next", () => {
    const random = scripted(0, 0.5, 0.999);
    const policy = policyWith('decorrelated');
    const delays: number[] = [];
    let previous: number | null = null;
    for (const attempt of [1, 2, 3]) {
      previous = backoffDelay(policy, attempt, previous, random);
      delays.push(previous);
    }
    // 100 + 0 * 200; 100 + 0.5 * (300 - 100); 100 + 0.999 * (600 - 100)
    expect(delays).toEqual([100, 200, 600]);
  });

  it.each([
    ['decorrelated', 1_000, 0.999, 250], // 2_997 before the cap
    ['equal', null, 0.999, 250],
    ['full', null, 0.999, 250], // 249.75 rounds to 250, still within the cap
  ] as const)("'%s' is clamped to maxDelay after jitter", (jitter, previous, r, expected) => {
    expect(backoffDelay(policyWith(jitter, { maxDelay: 250 }), 5, previous, scripted(r))).toBe(expected);
  });

  it('rounds then clamps, so a fractional maxDelay still caps the result', () => {
    const policy = policyWith('none', { maxDelay: 0.07 * 1000 }); // 70.00000000000001
    expect(backoffDelay(policy, 1, null, noRandom)).toBe(70);
  });

  it.each([
    ['none', 30_000],
    ['full', 15_000],
    ['equal', 22_500],
    ['decorrelated', 30_000],
  ] as const)("'%s' stays finite at attempt 10_000", (jitter, expected) => {
    const delay = backoffDelay(policyWith(jitter), 10_000, 30_000, jitter === 'none' ? noRandom : scripted(0.5));
    expect(delay).toBe(expected);
  });

  it('stays finite for a huge factor, a maximal attempt and a huge previous delay', () => {
    const policy = resolveRetryPolicy({ factor: 1e300, maxDelay: 1e12, jitter: 'none' });
    expect(backoffDelay(policy, Number.MAX_SAFE_INTEGER, null, noRandom)).toBe(1e12);
    const decorrelated = resolveRetryPolicy({ maxDelay: 1e12, jitter: 'decorrelated' });
    expect(backoffDelay(decorrelated, 3, Number.MAX_VALUE, scripted(0))).toBe(100);
    expect(backoffDelay(decorrelated, 3, Number.MAX_VALUE, scripted(0.5))).toBe(1e12);
  });

  it('is 0, not NaN, when initialDelay is 0 at a huge attempt', () => {
    expect(backoffDelay(resolveRetryPolicy({ initialDelay: 0, jitter: 'none' }), 10_000, null, noRandom)).toBe(0);
  });

  it.each([
    [0, 'Expected `attempt` to be an integer >= 1, got 0 (number)'],
    [1.5, 'Expected `attempt` to be an integer >= 1, got 1.5 (number)'],
  ])('rejects attempt %d', (attempt, message) => {
    expect(() => backoffDelay(defaultRetryPolicy, attempt, null, noRandom)).toThrow(new TypeError(message));
  });

  it.each([1, 1.5, -0.1, Number.NaN])('rejects a random source returning %d', (value) => {
    expect(() => backoffDelay(policyWith('full'), 1, null, () => value)).toThrow(/Expected `random\(\)` to be a number in \[0, 1\)/);
  });
});

describe('retryAfterHint', () => {
  it.each([
    ['an own retryAfter', Object.assign(new Error('429'), { retryAfter: 2_000 }), 2_000],
    ['an own retryAfterMs', Object.assign(new Error('429'), { retryAfterMs: 1_500 }), 1_500],
    ['retryAfter before retryAfterMs', Object.assign(new Error('429'), { retryAfter: 10, retryAfterMs: 20 }), 10],
    ['a cause', new Error('outer', { cause: Object.assign(new Error('429'), { retryAfter: 3_000 }) }), 3_000],
    ['a cause of a cause', new Error('a', { cause: new Error('b', { cause: { retryAfterMs: 7 } }) }), 7],
    ['the nearest link first', Object.assign(new Error('a', { cause: { retryAfter: 9 } }), { retryAfter: 1 }), 1],
    ['a cause when the own hint is negative', Object.assign(new Error('a', { cause: { retryAfter: 5 } }), { retryAfter: -1 }), 5],
    ['a plain thrown object', { retryAfter: 0 }, 0],
    ['a negative hint', Object.assign(new Error('x'), { retryAfter: -1 }), undefined],
    ['an infinite hint', Object.assign(new Error('x'), { retryAfter: Infinity }), undefined],
    ['a NaN hint', Object.assign(new Error('x'), { retryAfterMs: Number.NaN }), undefined],
    ['a string hint', Object.assign(new Error('x'), { retryAfter: '2000' }), undefined],
    ['a Date hint', Object.assign(new Error('x'), { retryAfter: new Date(0) }), undefined],
    ['no hint', new Error('x'), undefined],
    ['a thrown string', 'boom', undefined],
    ['undefined', undefined, undefined],
  ])('reads %s', (_label, error, expected) => {
    expect(retryAfterHint(error)).toBe(expected);
  });

  it('stops at a cause cycle', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    expect(retryAfterHint(a)).toBeUndefined();
  });

  it('looks 8 causes down, not further', () => {
    const wrappedIn = (causes: number): Error => {
      let error: Error = Object.assign(new Error('429'), { retryAfter: 40 });
      for (let i = 0; i < causes; i++) error = new Error(`wrapper ${i}`, { cause: error });
      return error;
    };
    expect(retryAfterHint(wrappedIn(8))).toBe(40);
    expect(retryAfterHint(wrappedIn(9))).toBeUndefined();
  });

  it('reads each link once, and a throwing getter says nothing', () => {
    let reads = 0;
    const link = { get retryAfter(): number { reads++; throw new Error('getter'); }, retryAfterMs: 12 };
    expect(retryAfterHint(new Error('outer', { cause: link }))).toBe(12);
    expect(reads).toBe(1);
  });

  it('reads the hint of a revived error', () => {
    const revived = reviveError(JSON.parse(JSON.stringify(serializeError(Object.assign(new Error('429'), { retryAfter: 800 })))));
    expect(retryAfterHint(revived)).toBe(800);
  });
});

describe('decideRetry', () => {
  const base = { previousDelay: null, elapsed: 0, random: noRandom };
  const noJitter = policyWith('none');

  it('retries with the backoff delay while attempts remain', () => {
    expect(decideRetry({ ...base, policy: noJitter, attempt: 1, error: new Error('ECONNRESET') })).toEqual({ retry: true, delay: 100 });
    expect(decideRetry({ ...base, policy: noJitter, attempt: 2, error: new Error('ECONNRESET') })).toEqual({ retry: true, delay: 200 });
  });

  it.each([
    [3, 3],
    [1, 1],
    [5, 4],
  ])('stops at attempt %i of %i: attempts exhausted', (attempt, attempts) => {
    const policy = policyWith('none', { attempts });
    expect(decideRetry({ ...base, policy, attempt, error: new Error('x') })).toEqual({ retry: false, reason: 'attempts-exhausted' });
  });

  it('passes previousDelay and random through to the backoff', () => {
    const random = scripted(0.5);
    const decision = decideRetry({ policy: policyWith('decorrelated'), attempt: 2, error: new Error('x'), previousDelay: 1_000, elapsed: 0, random });
    expect(decision).toEqual({ retry: true, delay: 1_550 });
  });

  const neverRetried: Record<string, Error> = {
    LicenseError: new LicenseError('License revoked'),
    RoutingError: new RoutingError('No action named `x`', { target: 'x' }),
    CancellationError: new CancellationError('Cancelled by user', { reason: 'user' }),
    ValidationError: new ValidationError('Content is invalid', { issues: [{ message: 'Required', path: ['to'] }] }),
    HookError: new HookError('Before-hook `audit` threw', { hook: 'audit', phase: 'before' }),
    BackpressureError: new BackpressureError('Queue `q` is full', { queue: 'q', capacity: 1 }),
    SerializationError: new SerializationError('Bad payload', { path: 'name' }),
  };

  it('covers every NEVER_RETRIED name', () => {
    expect(Object.keys(neverRetried).sort()).toEqual([...NEVER_RETRIED].sort());
  });

  it.each(NEVER_RETRIED.map((name) => [name]))('never retries %s: itself, renamed plain errors, wrapped and revived', (name) => {
    const policy = policyWith('none', { attempts: 10 });
    const echo = neverRetried[name]!;
    const plain = Object.assign(new Error('same name'), { name });
    const wrapped = new ExecutionError('Attempt 1 failed', { attempt: 1, cause: echo });
    const revived = reviveError(JSON.parse(JSON.stringify(wrapped)));
    for (const error of [echo, plain, wrapped, revived]) {
      expect(decideRetry({ ...base, policy, attempt: 1, error })).toEqual({ retry: false, reason: 'non-retryable' });
    }
  });

  it('reports non-retryable before attempts-exhausted', () => {
    const decision = decideRetry({ ...base, policy: policyWith('none', { attempts: 2 }), attempt: 2, error: new LicenseError('revoked') });
    expect(decision).toEqual({ retry: false, reason: 'non-retryable' });
  });

  it('honours policy.nonRetryable on the error and through ExecutionError wrappers only', () => {
    const policy = policyWith('none', { nonRetryable: ['ZodError'] });
    const zod = Object.assign(new Error('invalid'), { name: 'ZodError' });
    const wrapped = new ExecutionError('Attempt 1 failed', { attempt: 1, cause: zod });
    const doublyWrapped = new ExecutionError('Attempt 1 failed', { attempt: 1, cause: wrapped });
    const insideOtherError = new Error('outer', { cause: zod });
    const stop = { retry: false, reason: 'non-retryable' };
    expect(decideRetry({ ...base, policy, attempt: 1, error: zod })).toEqual(stop);
    expect(decideRetry({ ...base, policy, attempt: 1, error: wrapped })).toEqual(stop);
    expect(decideRetry({ ...base, policy, attempt: 1, error: doublyWrapped })).toEqual(stop);
    expect(decideRetry({ ...base, policy, attempt: 1, error: insideOtherError })).toEqual({ retry: true, delay: 100 });
    expect(decideRetry({ ...base, policy: noJitter, attempt: 1, error: zod })).toEqual({ retry: true, delay: 100 });
  });

  it('never retries an error marked retryable: false, on itself or inside an ExecutionError', () => {
    const marked = Object.assign(new Error('card declined'), { retryable: false });
    const wrapped = new ExecutionError('Attempt 1 failed', { attempt: 1, cause: marked });
    const stop = { retry: false, reason: 'non-retryable' };
    expect(decideRetry({ ...base, policy: noJitter, attempt: 1, error: marked })).toEqual(stop);
    expect(decideRetry({ ...base, policy: noJitter, attempt: 1, error: wrapped })).toEqual(stop);
    expect(decideRetry({ ...base, policy: noJitter, attempt: 1, error: { retryable: false } })).toEqual(stop);
  });

  it('retries thrown non-objects', () => {
    expect(decideRetry({ ...base, policy: noJitter, attempt: 1, error: 'boom' })).toEqual({ retry: true, delay: 100 });
    expect(decideRetry({ ...base, policy: noJitter, attempt: 1, error: undefined })).toEqual({ retry: true, delay: 100 });
  });

  it('uses a retry-after hint instead of the backoff, uncapped by maxDelay and without drawing', () => {
    const policy = policyWith('full', { maxDelay: 1_000 });
    const error = new ExecutionError('Attempt 1 failed', { attempt: 1, cause: Object.assign(new Error('429'), { retryAfter: 5_000 }) });
    expect(decideRetry({ ...base, policy, attempt: 1, error })).toEqual({ retry: true, delay: 5_000 });
  });

  it('rounds a fractional hint up', () => {
    const error = Object.assign(new Error('429'), { retryAfterMs: 1_500.2 });
    expect(decideRetry({ ...base, policy: noJitter, attempt: 1, error })).toEqual({ retry: true, delay: 1_501 });
  });

  it('ignores hints when policy.retryAfter is false', () => {
    const policy = policyWith('none', { retryAfter: false });
    const error = Object.assign(new Error('429'), { retryAfter: 5_000 });
    expect(decideRetry({ ...base, policy, attempt: 1, error })).toEqual({ retry: true, delay: 100 });
  });

  it.each([
    [1_900, 100, true], // starts at 2_000: exactly on the deadline
    [1_901, 100, false],
    [0, 2_001, false],
  ])('with a 2_000 ms deadline, elapsed %i plus backoff gives retry=%s', (elapsed, initialDelay, retry) => {
    const policy = policyWith('none', { deadline: 2_000, initialDelay });
    const decision = decideRetry({ ...base, policy, attempt: 1, error: new Error('x'), elapsed });
    expect(decision).toEqual(retry ? { retry: true, delay: initialDelay } : { retry: false, reason: 'deadline' });
  });

  it('applies the deadline to retry-after hints too', () => {
    const policy = policyWith('none', { deadline: 3_000 });
    const error = Object.assign(new Error('429'), { retryAfter: 5_000 });
    expect(decideRetry({ ...base, policy, attempt: 1, error })).toEqual({ retry: false, reason: 'deadline' });
    expect(decideRetry({ ...base, policy: policyWith('none', { deadline: 5_000 }), attempt: 1, error })).toEqual({ retry: true, delay: 5_000 });
  });

  it('rejects a negative elapsed time', () => {
    expect(() => decideRetry({ ...base, policy: noJitter, attempt: 1, error: new Error('x'), elapsed: -1 })).toThrow(
      new TypeError('Expected `elapsed` to be a number >= 0, got -1 (number)'),
    );
  });
});

describe('resolveRetryPolicy', () => {
  it('returns the defaults, frozen', () => {
    const policy = resolveRetryPolicy();
    expect(policy).toEqual({
      attempts: 3,
      initialDelay: 100,
      factor: 2,
      maxDelay: 30_000,
      jitter: 'full',
      nonRetryable: [],
      retryAfter: true,
      deadline: null,
    });
    expect(policy).toEqual(defaultRetryPolicy);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.nonRetryable)).toBe(true);
    expect(Object.isFrozen(defaultRetryPolicy)).toBe(true);
    expect(Object.isFrozen(defaultRetryPolicy.nonRetryable)).toBe(true);
  });

  it('merges: 0 and false are kept, undefined falls back, null is refused (it is no way to say "the default")', () => {
    const policy = resolveRetryPolicy({ initialDelay: 0, retryAfter: false, maxDelay: 0, attempts: undefined });
    expect(policy).toMatchObject({ initialDelay: 0, retryAfter: false, maxDelay: 0, attempts: 3 });
    expect(() => resolveRetryPolicy(JSON.parse('{"attempts":null,"factor":3}') as Partial<RetryPolicy>)).toThrow(
      new TypeError('Expected `attempts` to be an integer >= 1, got null (null)'),
    );
    expect(resolveRetryPolicy({ deadline: null }, resolveRetryPolicy({ deadline: 5 })).deadline).toBeNull();
  });

  it('merges over a base; deadline: null clears the base deadline, undefined keeps it', () => {
    const custom = resolveRetryPolicy({ attempts: 7, deadline: 5_000 });
    expect(resolveRetryPolicy({ jitter: 'none' }, custom)).toMatchObject({ attempts: 7, deadline: 5_000, jitter: 'none' });
    expect(resolveRetryPolicy({ deadline: undefined }, custom).deadline).toBe(5_000);
    expect(resolveRetryPolicy({ deadline: null }, custom).deadline).toBeNull();
  });

  it('copies nonRetryable, so later changes to the input do not leak in', () => {
    const names = ['ZodError'];
    const policy = resolveRetryPolicy({ nonRetryable: names });
    names.push('Other');
    expect(policy.nonRetryable).toEqual(['ZodError']);
  });

  it.each([
    [{ attempts: -2 }, 'Expected `attempts` to be an integer >= 1, got -2 (number)'],
    [{ attempts: 0 }, 'Expected `attempts` to be an integer >= 1, got 0 (number)'],
    [{ attempts: 1.5 }, 'Expected `attempts` to be an integer >= 1, got 1.5 (number)'],
    [{ attempts: '3' }, 'Expected `attempts` to be an integer >= 1, got "3" (string)'],
    [{ attempts: Infinity }, 'Expected `attempts` to be an integer >= 1, got Infinity (number)'],
    [{ initialDelay: -1 }, 'Expected `initialDelay` to be a number >= 0, got -1 (number)'],
    [{ initialDelay: Number.NaN }, 'Expected `initialDelay` to be a number >= 0, got NaN (number)'],
    [{ factor: 0.5 }, 'Expected `factor` to be a number >= 1, got 0.5 (number)'],
    [{ factor: Infinity }, 'Expected `factor` to be a number >= 1, got Infinity (number)'],
    [{ maxDelay: Infinity }, 'Expected `maxDelay` to be a number >= 0, got Infinity (number)'],
    [{ maxDelay: -5 }, 'Expected `maxDelay` to be a number >= 0, got -5 (number)'],
    [{ jitter: 'fulll' }, 'Expected `jitter` to be one of "none", "full", "equal", "decorrelated", got "fulll" (string)'],
    [{ nonRetryable: 'LicenseError' }, 'Expected `nonRetryable` to be an array of error names, got "LicenseError" (string)'],
    [{ nonRetryable: ['A', 3] }, 'Expected `nonRetryable[1]` to be a string, got 3 (number)'],
    [{ retryAfter: 'yes' }, 'Expected `retryAfter` to be a boolean, got "yes" (string)'],
    [{ deadline: -5 }, 'Expected `deadline` to be a number >= 0 or null, got -5 (number)'],
    [{ deadline: '1s' }, 'Expected `deadline` to be a number >= 0 or null, got "1s" (string)'],
    [{ atempts: 3 }, 'Unknown retry policy option `atempts`'],
    [42, 'Expected `retry` to be an object of retry policy options, got 42 (number)'],
    [{ attempts: null }, 'Expected `attempts` to be an integer >= 1, got null (null)'],
    [{ jitter: null }, 'Expected `jitter` to be one of "none", "full", "equal", "decorrelated", got null (null)'],
    [[3], 'Expected `retry` to be an object of retry policy options, got [3] (array)'],
  ])('rejects %j with a TypeError', (options, message) => {
    expect(() => resolveRetryPolicy(options as Partial<RetryPolicy>)).toThrow(new TypeError(message));
  });

  it.each([
    ['defaults', {}],
    ['every field set', { attempts: 6, initialDelay: 250, factor: 1.5, maxDelay: 10_000, jitter: 'decorrelated', nonRetryable: ['ZodError'], retryAfter: false, deadline: 60_000 }],
  ] as const)('round-trips through JSON: %s', (_label, options) => {
    const policy = resolveRetryPolicy(options);
    const revived = resolveRetryPolicy(JSON.parse(JSON.stringify(policy)) as Partial<RetryPolicy>);
    expect(revived).toEqual(policy);
    expect(JSON.stringify(revived)).toBe(JSON.stringify(policy));
  });
});

describe('doc examples', () => {
  it('run as written', () => {
    expect(defaultRetryPolicy.attempts).toBe(3);
    expect(NEVER_RETRIED.includes('LicenseError')).toBe(true);
    expect(resolveRetryPolicy({ attempts: 5, jitter: 'none' })).toMatchObject({ attempts: 5, jitter: 'none' });
    expect(backoffDelay(resolveRetryPolicy({ jitter: 'none', initialDelay: 100, factor: 2 }), 3, null, () => 0.5)).toBe(400);
    expect(retryAfterHint(new Error('slow down', { cause: Object.assign(new Error('429'), { retryAfter: 2_000 }) }))).toBe(2_000);
    const policy = resolveRetryPolicy({ jitter: 'none' });
    expect(decideRetry({ policy, attempt: 1, error: new Error('ECONNRESET'), previousDelay: null, elapsed: 40, random: () => 0 })).toEqual({
      retry: true,
      delay: 100,
    });
  });
});
