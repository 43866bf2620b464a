import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ATTEMPT_OUTCOMES } from '../../machines/actionConstants.js';
import type { AttemptRecord } from '../../machines/actionTypes.js';
import { serializeError } from '../../src/errors.js';
import { attemptsText, optionalText } from '../../src/store/sqliteRows.js';

/** Numbers as attempt fields may hold them, the ones JSON cannot carry (NaN, ±Infinity) and -0 included. */
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-0, Number.NaN, Infinity, -Infinity, 1_796_231_196_502));

const record = fc.record({
  number,
  startedAt: number,
  endedAt: fc.option(number, { nil: null }),
  outcome: fc.oneof(fc.constantFrom(...ATTEMPT_OUTCOMES), fc.string()),
  error: fc.option(fc.string().map((message) => serializeError(new Error(message), Infinity)), { nil: null }),
  backoff: fc.option(number, { nil: null }),
});

/** Records as they come, and the ones the field-by-field text must leave to JSON.stringify. */
const unusual = fc.oneof(
  { weight: 6, arbitrary: record },
  { weight: 1, arbitrary: record.map((r) => ({ ...r, extra: 'field' })) },
  { weight: 1, arbitrary: record.map((r) => Object.assign(new (class Attempt {})(), r)) },
  { weight: 1, arbitrary: record.map((r) => ({ ...r, toJSON: () => 'replaced' })) },
);

describe('the text of a row', () => {
  it('writes an attempt history as JSON.stringify does, whatever its records hold', () => {
    fc.assert(
      fc.property(fc.array(unusual, { maxLength: 4 }), (attempts) => {
        expect(attemptsText(attempts as unknown as AttemptRecord[])).toBe(JSON.stringify(attempts));
      }),
      { numRuns: 500 },
    );
  });

  it('writes a history with a hole or a null record as JSON.stringify does', () => {
    const first: AttemptRecord = { number: 1, startedAt: 10, endedAt: 20, outcome: 'failed', error: null, backoff: 100 };
    const holed = [first, , first] as unknown as AttemptRecord[]; // eslint-disable-line no-sparse-arrays
    expect(attemptsText(holed)).toBe(JSON.stringify(holed));
    expect(attemptsText([first, null] as unknown as AttemptRecord[])).toBe(JSON.stringify([first, null]));
    expect(attemptsText([])).toBe('[]');
  });

  it('writes a value as JSON.stringify does, numbers that JSON cannot carry included', () => {
    for (const value of [0, -0, 1.5, -3, 1e21, 5e-7, Number.NaN, Infinity, -Infinity, 'text', null, true, { a: [1] }]) expect(optionalText(value)).toBe(JSON.stringify(value));
    fc.assert(
      fc.property(fc.oneof(number, fc.jsonValue()), (value) => {
        expect(optionalText(value)).toBe(JSON.stringify(value));
      }),
    );
    expect(optionalText(undefined)).toBeNull();
  });
});
