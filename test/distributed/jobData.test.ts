/**
 * The job payloads without Redis: the hand-written checks of the common form accept exactly what the
 * codec's schemas accept (each refusal still names its field, through the schema), and a claimed
 * attempt's history reads both the kept claim start times and the `running` record of older versions.
 */
import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { compactJobData } from '../../src/distributed/compactJobData.js';
import { commonDoneResult, commonJobData } from '../../src/distributed/jobChecks.js';
import { claimedHistory, decodeJobData, decodeSettled, newJobData } from '../../src/distributed/jobData.js';
import { SerializationError } from '../../src/errors.js';
import { defaultRetryPolicy } from '../../src/retryPolicy.js';
import { encodeAction, encodeResult } from '../../src/store/codec.js';
import { actionSchema, attemptsSchema, resultSchema } from '../../src/store/schemas.js';

const jobSchema = v.strictObject({ codec: v.literal(1), kind: v.literal('job'), action: actionSchema, attempts: attemptsSchema, trace: v.optional(v.record(v.string(), v.string())), catchUp: v.optional(v.literal(true)) });

function action(content: unknown = { to: 'ada' }) {
  return encodeAction({
    id: 'a-1', name: 'Send', content, metadata: {}, priority: 'normal', queue: 'default', license: null, followUps: [], idempotencyKey: undefined,
    policy: defaultRetryPolicy, createdAt: 1000, startDelay: 0, attemptTimeout: null, totalTimeout: null, cancelGrace: 1000,
  });
}

const job = (): Record<string, unknown> => JSON.parse(JSON.stringify(newJobData(action()))) as Record<string, unknown>;
const done = (): Record<string, unknown> =>
  JSON.parse(JSON.stringify(encodeResult({ id: 'a-1', status: 'done', output: { sent: true }, error: null, settledAt: 2000, attempts: [{ number: 1, startedAt: 1000, endedAt: 1500, outcome: 'succeeded', error: null, backoff: null }] }))) as Record<string, unknown>;

type Change = [string, (payload: Record<string, unknown>) => void];
const at = (payload: Record<string, unknown>, key: string): Record<string, unknown> => payload[key] as Record<string, unknown>;

const jobChanges: Change[] = [
  ['an unknown key', (p) => void (p.extra = 1)],
  ['another codec', (p) => void (p.codec = 2)],
  ['another kind', (p) => void (p.kind = 'action')],
  ['no attempts', (p) => void delete p.attempts],
  ['attempts out of order', (p) => void (p.attempts = [{ number: 2, startedAt: 1, endedAt: null, outcome: 'interrupted', error: null, backoff: null }])],
  ['an unknown outcome', (p) => void (p.attempts = [{ number: 1, startedAt: 1, endedAt: null, outcome: 'lost', error: null, backoff: null }])],
  ['an empty id', (p) => void (at(p, 'action').id = '')],
  ['no name', (p) => void delete at(p, 'action').name],
  ['an unknown action key', (p) => void (at(p, 'action').extra = null)],
  ['a reserved key in content', (p) => void (at(p, 'action').content = JSON.parse('{"__proto__": 1}'))],
  ['a reserved key deep in metadata', (p) => void (at(p, 'action').metadata = { a: [{ constructor: 1 }] })],
  ['an unknown priority', (p) => void (at(p, 'action').priority = 'urgent')],
  ['a negative cancelGrace', (p) => void (at(p, 'action').cancelGrace = -1)],
  ['a zero attemptTimeout', (p) => void (at(p, 'action').attemptTimeout = 0)],
  ['a string createdAt', (p) => void (at(p, 'action').createdAt = '1000')],
  ['a policy factor below 1', (p) => void (at(at(p, 'action'), 'policy').factor = 0.5)],
  ['a policy without jitter', (p) => void delete at(at(p, 'action'), 'policy').jitter],
  ['fractional attempts', (p) => void (at(at(p, 'action'), 'policy').attempts = 1.5)],
  ['a trace of numbers', (p) => void (p.trace = { traceparent: 1 })],
];

describe('hand-written checks of job payloads', () => {
  it('accept the common job data as is, and refuse what the schema refuses', () => {
    const payload = job();
    expect(commonJobData(payload)).toBe(payload);
    expect(v.safeParse(jobSchema, payload).success).toBe(true);
    for (const [what, change] of jobChanges) {
      const changed = job();
      change(changed);
      expect([what, commonJobData(changed)]).toEqual([what, undefined]);
      expect([what, v.safeParse(jobSchema, changed).success]).toEqual([what, false]);
      expect(() => decodeJobData(changed), what).toThrow(SerializationError);
    }
  });

  it('leave the other valid forms to the schema, which still decodes them', () => {
    const forms: Change[] = [
      ['a License', (p) => void (at(p, 'action').license = { name: 'L', revoked: null })],
      ['a follow-up', (p) => void (at(p, 'action').followUps = [{ name: 'Next' }])],
      ['provenance', (p) => void (at(p, 'action').provenance = { redriveOf: 'a-0' })],
      ['a catch-up run', (p) => void (p.catchUp = true)],
      ['an attempt with an error', (p) => void (p.attempts = [{ number: 1, startedAt: 1, endedAt: 2, outcome: 'failed', error: { version: 1, name: 'Error', message: 'no' }, backoff: 100 }])],
    ];
    for (const [what, change] of forms) {
      const changed = job();
      change(changed);
      expect([what, commonJobData(changed)]).toEqual([what, undefined]);
      expect(decodeJobData(changed).action.id, what).toBe('a-1');
    }
    const plain = job();
    delete at(plain, 'action').content;
    expect(commonJobData(plain)).toBe(plain);
  });

  it('accept a done result without errors, and refuse the others', () => {
    const payload = done();
    expect(commonDoneResult(payload)).toBe(payload);
    expect(decodeSettled(JSON.stringify(payload))).toEqual(payload);
    const changes: Change[] = [
      ['failed', (p) => void (p.status = 'failed')],
      ['an unknown key', (p) => void (p.extra = 1)],
      ['no error field', (p) => void delete p.error],
      ['a non-finite settledAt', (p) => void (p.settledAt = null)],
      ['a reserved key in the output', (p) => void (p.output = JSON.parse('{"a": {"__proto__": {}}}'))],
      ['no attempts', (p) => void delete p.attempts],
    ];
    for (const [what, change] of changes) {
      const changed = done();
      change(changed);
      expect([what, commonDoneResult(changed)]).toEqual([what, undefined]);
      expect([what, changed.status === 'failed' || v.safeParse(resultSchema, changed).success]).toEqual([what, changed.status === 'failed']);
    }
  });
});

describe('compact job data (the action without its fields at their usual value)', () => {
  const stored = (data: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(data)) as Record<string, unknown>;

  it('leaves the usual fields out and decodes to what the whole data decodes to', () => {
    const whole = newJobData(action());
    const compact = stored(compactJobData(whole));
    expect(Object.keys(at(compact, 'action')).sort()).toEqual(['cancelGrace', 'content', 'createdAt', 'id', 'name']);
    expect(JSON.stringify(compact).length).toBeLessThan(JSON.stringify(whole).length / 2);
    expect(stored(decodeJobData(compact))).toEqual(stored(decodeJobData(stored(whole))));
  });

  it('keeps every field that differs from its usual value, and the data around the action', () => {
    const unusual = encodeAction({
      id: 'a-2', name: 'Send', content: undefined, metadata: { team: 'mail' }, priority: 'high', queue: 'mail', license: { name: 'L', error: null },
      followUps: [{ name: 'Next' }], idempotencyKey: 'k', policy: { ...defaultRetryPolicy, attempts: 5 }, createdAt: 1000, startDelay: 50,
      attemptTimeout: 10, totalTimeout: 20, cancelGrace: 0,
    }, 'a-1');
    const whole = { ...newJobData(unusual, { traceparent: 't' }), attempts: [{ number: 1, startedAt: 1, endedAt: 2, outcome: 'failed' as const, error: null, backoff: 100 }] };
    const compact = stored(compactJobData(whole));
    expect(at(compact, 'action')).toEqual(Object.fromEntries(Object.entries(stored(unusual)).filter(([key]) => key !== 'codec' && key !== 'kind')));
    expect([compact.trace, compact.attempts]).toEqual([whole.trace, whole.attempts]);
    expect(stored(decodeJobData(compact))).toEqual(stored(whole));
  });

  it('keeps a policy unless every field is the default: a non-retryable name, or a field the default does not have', () => {
    const policyOf = (policy: Record<string, unknown>): unknown => at(stored(compactJobData({ ...newJobData(action()), action: { ...action(), policy } as never })), 'action').policy;
    const usual = stored(action()).policy as Record<string, unknown>;
    expect(policyOf({ ...usual })).toBeUndefined();
    expect(policyOf({ ...usual, nonRetryable: ['TypeError'] })).toEqual({ ...usual, nonRetryable: ['TypeError'] });
    expect(policyOf({ ...usual, jitter: 'none' })).toEqual({ ...usual, jitter: 'none' });
    expect(policyOf({ ...usual, someday: 1 })).toEqual({ ...usual, someday: 1 });
  });

  it('refuses a compact action as the schema refuses the whole one, naming the field', () => {
    const compact = stored(compactJobData(newJobData(action())));
    at(compact, 'action').priority = 'urgent';
    expect(() => decodeJobData(compact)).toThrow(SerializationError);
    const nameless = stored(compactJobData(newJobData(action())));
    delete at(nameless, 'action').name;
    expect(() => decodeJobData(nameless)).toThrow(/name/);
  });
});

describe('the history a claim numbers on from', () => {
  const failed = { number: 1, startedAt: 10, endedAt: 20, outcome: 'failed' as const, error: null, backoff: 100 };

  it('records each kept claim start as an interrupted attempt after the job history', () => {
    expect(claimedHistory([failed], [200, 300])).toEqual([
      failed,
      { number: 2, startedAt: 200, endedAt: null, outcome: 'interrupted', error: null, backoff: null },
      { number: 3, startedAt: 300, endedAt: null, outcome: 'interrupted', error: null, backoff: null },
    ]);
    expect(claimedHistory([], [])).toEqual([]);
  });

  it('reads the running record an older version wrote into the job as interrupted', () => {
    const running = { number: 2, startedAt: 200, endedAt: null, outcome: 'running' as const, error: null, backoff: null };
    expect(claimedHistory([failed, running], [300]).map((attempt) => [attempt.number, attempt.outcome])).toEqual([[1, 'failed'], [2, 'interrupted'], [3, 'interrupted']]);
  });
});
