import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExecutionError, RoutingError, SerializationError, TimeoutError, serializeError } from '../../src/errors.js';
import { resolveRetryPolicy } from '../../src/retryPolicy.js';
import {
  decodeAction,
  decodeError,
  decodeResult,
  decodeRetryPolicy,
  decodeSnapshot,
  encodeAction,
  encodeError,
  encodeResult,
  encodeSnapshot,
  fromText,
  toText,
  type ActionFields,
} from '../../src/store/codec.js';
import { assertEncodable } from '../../src/store/encodable.js';

const pick = <const T extends string>(...values: T[]): fc.Arbitrary<T> => fc.constantFrom(...values);

/** JSON values without -0 (JSON has no negative zero) and without the keys valibot refuses. */
const json = fc.jsonValue({ maxDepth: 4 }).filter((value) => !JSON.stringify(value).match(/"(__proto__|prototype|constructor)":/) && !Object.is(value, -0));
const cleanJson = json.map((value) => JSON.parse(JSON.stringify(value)) as unknown);
const jsonObject = fc.dictionary(fc.string({ maxLength: 6 }), cleanJson, { maxKeys: 4 }).filter((o) => !Object.keys(o).some((k) => ['__proto__', 'prototype', 'constructor'].includes(k)));
const policy = fc.record({
  attempts: fc.integer({ min: 1, max: 20 }),
  initialDelay: fc.integer({ min: 0, max: 10_000 }),
  factor: fc.double({ min: 1, max: 5, noNaN: true }),
  maxDelay: fc.integer({ min: 0, max: 100_000 }),
  jitter: pick('none', 'full', 'equal', 'decorrelated'),
  nonRetryable: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  retryAfter: fc.boolean(),
  deadline: fc.option(fc.integer({ min: 0, max: 1e6 }), { nil: null }),
}).map((p) => resolveRetryPolicy(p));
const errorValue = fc.tuple(fc.string({ maxLength: 12 }), fc.integer({ min: 1, max: 9 }), fc.boolean()).map(([message, attempt, nested]) =>
  new ExecutionError(message, { attempt, cause: nested ? new RoutingError('no route', { target: 'q' }) : new TypeError('bad') }),
);
const action: fc.Arbitrary<ActionFields> = fc.record({
  id: fc.string({ minLength: 1, maxLength: 8 }),
  name: fc.string({ minLength: 1, maxLength: 8 }),
  content: fc.option(cleanJson, { nil: undefined }),
  metadata: jsonObject,
  priority: pick('high', 'normal', 'low'),
  queue: fc.string({ minLength: 1, maxLength: 8 }),
  license: fc.option(fc.record({ name: fc.string(), error: fc.option(errorValue, { nil: null }) }), { nil: null }),
  followUps: fc.array(fc.record({ name: fc.string({ minLength: 1, maxLength: 5 }), content: fc.option(cleanJson, { nil: undefined }) }, { requiredKeys: ['name'] }), { maxLength: 2 }),
  idempotencyKey: fc.option(fc.string(), { nil: undefined }),
  policy,
  createdAt: fc.integer({ min: 0, max: 2e12 }),
  startDelay: fc.integer({ min: 0, max: 1e6 }),
  attemptTimeout: fc.option(fc.integer({ min: 1, max: 1e6 }), { nil: null }),
  totalTimeout: fc.option(fc.integer({ min: 1, max: 1e6 }), { nil: null }),
  cancelGrace: fc.integer({ min: 0, max: 1e4 }),
  parentId: fc.option(fc.string({ minLength: 1, maxLength: 5 }), { nil: null }),
  provenance: fc.option(fc.record({ recordOf: fc.string({ minLength: 1, maxLength: 5 }), againOf: fc.string({ minLength: 1, maxLength: 5 }), redriveOf: fc.string({ minLength: 1, maxLength: 5 }) }, { requiredKeys: [] }), { nil: null }),
}).map((a) => ({ ...a, followUps: a.followUps.map((f) => (f.content === undefined ? { name: f.name } : f)) }));
const attempts = fc.array(
  fc.record({
    startedAt: fc.integer({ min: 0, max: 1e9 }),
    endedAt: fc.option(fc.integer({ min: 0, max: 1e9 }), { nil: null }),
    outcome: pick('running', 'succeeded', 'failed', 'timed-out', 'cancelled', 'abandoned', 'interrupted'),
    error: fc.option(errorValue.map((e) => serializeError(e, Infinity)), { nil: null }),
    backoff: fc.option(fc.integer({ min: 0, max: 1e5 }), { nil: null }),
  }),
  { maxLength: 4 },
).map((list) => list.map((a, i) => ({ number: i + 1, ...a })));
const result = fc.record({
  id: fc.string({ minLength: 1, maxLength: 6 }),
  status: pick('done', 'failed', 'cancelled'),
  output: fc.option(cleanJson, { nil: undefined }),
  error: fc.option(errorValue.map((e) => serializeError(e, Infinity)), { nil: null }),
  settledAt: fc.integer({ min: 0, max: 2e12 }),
  attempts,
});

/** Random changes to a payload: a field set to another value, removed, or added, anywhere. */
function mutations(payload: unknown): fc.Arbitrary<unknown> {
  const paths: (string | number)[][] = [];
  const walk = (value: unknown, path: (string | number)[]): void => {
    paths.push(path);
    if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, i]));
    else if (typeof value === 'object' && value !== null) for (const key of Object.keys(value)) walk((value as Record<string, unknown>)[key], [...path, key]);
  };
  walk(payload, []);
  const replacement = fc.oneof(json, fc.constant(undefined), fc.constant('x'), fc.constant(-1), fc.constant(1.5), fc.constant(null), fc.constant({}), fc.constant([]));
  return fc.tuple(fc.constantFrom(...paths), pick('set', 'delete', 'add'), replacement, fc.string({ maxLength: 4 })).map(([path, op, value, key]) => {
    const copy = JSON.parse(JSON.stringify(payload)) as unknown;
    if (path.length === 0) return op === 'set' ? value : copy;
    let parent = copy as Record<string | number, unknown>;
    for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    if (op === 'set') parent[last] = value;
    else if (op === 'delete') delete parent[last];
    else if (typeof parent[last] === 'object' && parent[last] !== null && !Array.isArray(parent[last])) (parent[last] as Record<string, unknown>)[`k${key}`] = value;
    else parent[last] = value;
    return JSON.parse(JSON.stringify(copy ?? null)) as unknown;
  });
}

/** A decode either refuses with a SerializationError, or keeps the payload exactly (re-encoding gives it back): never a silent default. */
function decodesFaithfully(mutated: unknown, decode: (json: unknown) => unknown, reencode: (decoded: any) => unknown): void {
  let decoded: unknown;
  try {
    decoded = decode(mutated);
  } catch (error) {
    expect(error).toBeInstanceOf(SerializationError);
    expect(typeof (error as SerializationError).path).toBe('string');
    return;
  }
  expect(reencode(decoded)).toEqual(mutated);
}

describe('codec', () => {
  it('round-trips every encodable action through JSON text', () => {
    fc.assert(
      fc.property(action, (a) => {
        const encoded = encodeAction(a);
        const decoded = fromText(toText(encoded), decodeAction);
        expect(decoded).toEqual(encoded);
        expect(decoded.content).toEqual(a.content);
        expect(decoded.metadata).toEqual(a.metadata);
        expect(decodeRetryPolicy(decoded.policy)).toEqual(a.policy);
        expect(decoded.idempotencyKey).toBe(a.idempotencyKey ?? null);
        expect(decoded.provenance ?? null).toEqual(a.provenance);
      }),
      { numRuns: 100 },
    );
  });

  it('round-trips results with attempt histories, and errors with their classes and cause chains', () => {
    fc.assert(
      fc.property(result, (r) => {
        const encoded = encodeResult(r);
        expect(fromText(toText(encoded), decodeResult)).toEqual(encoded);
      }),
      { numRuns: 100 },
    );
    const error = new TimeoutError('slow', { timeout: 'attempt', ms: 50, actionId: 'a-1', cause: new RoutingError('gone', { target: 'email', cause: 'raw string' }) });
    const revived = decodeError(JSON.parse(toText(encodeError(error))));
    expect(revived).toBeInstanceOf(TimeoutError);
    expect((revived as TimeoutError).ms).toBe(50);
    expect(revived.cause).toBeInstanceOf(RoutingError);
    expect(((revived.cause as RoutingError).cause as Error).message).toBe('raw string');
    // A thrown string gains a stack header once revived; from then on the form is a fixed point.
    expect(encodeError(decodeError(encodeError(revived)))).toEqual(encodeError(revived));
    expect(encodeError(revived).data).toEqual(encodeError(error).data);
  });

  it('never crashes, hangs or fills a default on random mutations of valid payloads', () => {
    const sample = fc.sample(action, { numRuns: 8, seed: 7 });
    for (const a of sample) {
      const encoded = encodeAction(a);
      fc.assert(fc.property(mutations(encoded), (m) => decodesFaithfully(m, decodeAction, (d) => d)), { numRuns: 60 });
    }
    for (const r of fc.sample(result, { numRuns: 8, seed: 9 })) {
      const encoded = encodeResult(r);
      fc.assert(fc.property(mutations(encoded), (m) => decodesFaithfully(m, decodeResult, (d) => d)), { numRuns: 60 });
    }
    const snapshot = encodeSnapshot({
      value: 'retrying',
      status: 'active',
      context: {
        id: 'a-1', name: 'Send', content: { to: 'x' }, metadata: {}, priority: 'normal', queue: 'default', site: 's-1', createdAt: 0, startDelay: 0, notBefore: null,
        attemptTimeout: null, totalTimeout: null, cancelGrace: 100, attempts: [{ number: 1, startedAt: 0, endedAt: 5, outcome: 'failed', error: null, backoff: 1000 }],
        retryAt: 1005, output: undefined, error: null, cancellation: null, settledAt: null,
      },
    });
    fc.assert(fc.property(mutations(snapshot), (m) => decodesFaithfully(m, (j) => decodeSnapshot(j), (d) => d)), { numRuns: 200 });
  });

  it('names the path of a bad field', () => {
    const encoded = encodeAction(fc.sample(action, { numRuns: 1, seed: 3 })[0]!);
    const bad = { ...encoded, policy: { ...encoded.policy, attempts: -2 } };
    expect(() => decodeAction(bad)).toThrow(expect.objectContaining({ name: 'SerializationError', path: 'policy.attempts' }));
    expect(() => decodeAction({ ...encoded, followUps: [{ name: '' }] })).toThrow(expect.objectContaining({ path: 'followUps[0].name' }));
    expect(() => decodeAction({ ...encoded, priority: undefined })).toThrow(expect.objectContaining({ path: 'priority' }));
    expect(() => fromText('{"codec":1', decodeAction)).toThrow(SerializationError);
  });

  it('refuses what JSON cannot carry exactly, naming its path', () => {
    const cases: [unknown, string][] = [
      [{ at: new Date(0) }, 'content.at'],
      [{ list: [1, undefined] }, 'content.list[1]'],
      [{ f: () => 1 }, 'content.f'],
      [{ n: Number.NaN }, 'content.n'],
      [{ big: 1n }, 'content.big'],
      [new Map(), 'content'],
    ];
    for (const [value, path] of cases) expect(() => assertEncodable(value, 'content')).toThrow(expect.objectContaining({ name: 'SerializationError', path }));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => assertEncodable(cyclic, 'content')).toThrow(expect.objectContaining({ path: 'content.self' }));
    expect(() => assertEncodable({ shared: [1], again: null }, 'content')).not.toThrow();
  });

  it('migrates snapshots of an older machine version through the hook, and refuses them without one', () => {
    const current = encodeSnapshot({ value: 'queued', status: 'active', context: {
      id: 'a-1', name: 'Send', content: undefined, metadata: {}, priority: 'normal', queue: 'default', site: null, createdAt: 0, startDelay: 0, notBefore: null,
      attemptTimeout: null, totalTimeout: null, cancelGrace: 100, attempts: [], retryAt: null, output: undefined, error: null, cancellation: null, settledAt: null,
    } }, { id: 'echo.action', version: 2 });
    const old = { ...current, machine: { id: 'echo.action', version: 1 }, value: 'waiting' };
    expect(() => decodeSnapshot(old, { machine: { id: 'echo.action', version: 2 } })).toThrow(expect.objectContaining({ path: 'machine.version' }));
    const migrated = decodeSnapshot(old, { machine: { id: 'echo.action', version: 2 }, migrate: (s) => ({ ...s, machine: { ...s.machine, version: 2 }, value: s.value === 'waiting' ? 'queued' : s.value }) });
    expect(migrated.value).toBe('queued');
    expect(() => decodeSnapshot({ ...current, machine: { id: 'echo.action', version: 3 } }, { machine: { id: 'echo.action', version: 2 } })).toThrow(/newer/);
    expect(() => decodeSnapshot({ ...current, machine: { id: 'other', version: 2 } }, { machine: { id: 'echo.action', version: 2 } })).toThrow(expect.objectContaining({ path: 'machine.id' }));
  });
});
