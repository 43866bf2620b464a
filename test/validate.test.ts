import { describe, expect, it } from 'vitest';
import { createPlan, Life, ManualClock, parseActionRecord, SerializationError, Sequence } from '../src/index.js';
import { checkNumber, checkOneOf, describeValue, expectedMessage } from '../src/validate.js';
import { engines } from './support/actionHarness.js';

/** A Proxy whose every trap throws: the most hostile value a user can hand over. */
function hostile(): object {
  const refuse = (): never => {
    throw new Error('trap');
  };
  return new Proxy({}, { get: refuse, getPrototypeOf: refuse, ownKeys: refuse, has: refuse, getOwnPropertyDescriptor: refuse });
}

function revoked(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

const circular = (): Record<string, unknown> => {
  const value: Record<string, unknown> = { a: 1 };
  value.self = value;
  return value;
};

describe('describeValue', () => {
  it.each<[() => unknown, string]>([
    [() => -2, '-2 (number)'],
    [() => 'full', '"full" (string)'],
    [() => null, 'null (null)'],
    [() => undefined, 'undefined (undefined)'],
    [() => [1, 2], '[1,2] (array)'],
    [() => ({ a: 1 }), '{"a":1} (object)'],
    [() => 10n, '10n (bigint)'],
    [() => Symbol('s'), 'Symbol(s) (symbol)'],
    [() => function named() {}, '[function named] (function)'],
    [() => new Map([[1, 2]]), '[object Map] (object)'],
    [() => circular(), '[object Object] (object)'],
    [() => ({ big: 1n }), '[object Object] (object)'],
    [() => ({ toJSON: () => { throw new Error("no"); } }), '[object Object] (object)'],
    [() => hostile(), '[unreadable value] (object)'],
    [() => revoked(), '[unreadable value] (object)'],
    [() => 'x'.repeat(100), `"${'x'.repeat(58)}… (string)`],
  ])('shows case %# as expected, never throwing', (make, shown) => {
    expect(describeValue(make())).toBe(shown);
  });

  it('makes the p-queue style message', () => {
    expect(expectedMessage('priority', 'one of "high", "normal", "low"', null)).toBe('Expected `priority` to be one of "high", "normal", "low", got null (null)');
    expect(() => checkOneOf(hostile(), { field: 'priority' }, ['high'])).toThrow(new TypeError('Expected `priority` to be one of "high", got [unreadable value] (object)'));
    expect(() => checkNumber(5n, { field: 'delay', of: 'Work' }, { min: 0 })).toThrow(new TypeError('Expected `delay` of "Work" to be a finite number >= 0, got 5n (bigint)'));
  });
});

describe.each(engines)('bad input is refused with a TypeError naming the field (%s engine)', (engine) => {
  const make = (options: Partial<ConstructorParameters<typeof Sequence>[0]> = {}) =>
    new Sequence({ plan: createPlan({ Work: async () => 'done', Ok: async () => 'ok' }), clock: new ManualClock(), engine, sites: 1, ...options });

  it.each([
    ['a string', 'tenant-a', '"tenant-a" (string)'],
    ['an array', ['a'], '["a"] (array)'],
    ['a number', 7, '7 (number)'],
    ['null', null, 'null (null)'],
  ])('metadata that is %s', (_, metadata, shown) => {
    const sequence = make();
    expect(() => sequence.assign('Work', null, { metadata: metadata as never })).toThrow(new TypeError(`Expected \`metadata\` to be an object, got ${shown}`));
    expect(sequence.stats().assigned).toBe(0);
  });

  it('priority, delay or retry.attempts given as null', () => {
    const sequence = make();
    expect(() => sequence.assign('Work', null, { priority: null as never })).toThrow(new TypeError('Expected `priority` to be one of "high", "normal", "low", got null (null)'));
    expect(() => sequence.assign('Work', null, { delay: null as never })).toThrow(new TypeError('Expected `delay` to be a finite number >= 0, got null (null)'));
    expect(() => sequence.assign('Work', null, { retry: { attempts: null as never } })).toThrow(new TypeError('Expected `attempts` to be an integer >= 1, got null (null)'));
    expect(() => sequence.assign('Work', null, { queue: null as never })).toThrow(new TypeError('Expected `queue` to be a non-empty string, got null (null)'));
    expect(sequence.stats().assigned).toBe(0);
  });

  it('a Plan cancelGrace of "100", true or [] (they compared as numbers and hung cancel and shutdown)', () => {
    for (const [cancelGrace, shown] of [['100', '"100" (string)'], [true, 'true (boolean)'], [[], '[] (array)']] as const) {
      expect(() => createPlan({ Work: { run: async () => 1, cancelGrace: cancelGrace as never } })).toThrow(
        new TypeError(`Expected \`cancelGrace\` of "Work" to be a finite number >= 0, got ${shown}`),
      );
    }
  });

  it('timeout: Infinity at assign, as the Plan refuses it', () => {
    const sequence = make();
    expect(() => createPlan({ Work: { run: async () => 1, timeout: Infinity } })).toThrow(TypeError);
    expect(() => sequence.assign('Work', null, { timeout: Infinity })).toThrow(new TypeError('Expected `timeout` to be a finite number > 0, got Infinity (number)'));
    expect(() => sequence.assign('Work', null, { timeout: { total: Infinity } })).toThrow(new TypeError('Expected `timeout.total` to be a finite number > 0, got Infinity (number)'));
    expect(sequence.stats().assigned).toBe(0);
  });

  it("then: 'Ok' and then.contentFrom: 5", () => {
    const sequence = make();
    expect(() => sequence.assign('Work', null, { then: 'Ok' as never })).toThrow(
      new TypeError('Expected `then` to be { name, content?, contentFrom?, metadata?, priority? }, got "Ok" (string)'),
    );
    expect(() => sequence.assign('Work', null, { then: { name: 'Ok', contentFrom: 5 as never } })).toThrow(new TypeError('Expected `then.contentFrom` to be a function, got 5 (number)'));
    expect(() => sequence.assign('Work', null, { then: [{ name: 'Ok' }, { name: 'Ok', priority: 'asap' as never }] })).toThrow(
      new TypeError('Expected `then[1].priority` to be one of "high", "normal", "low", got "asap" (string)'),
    );
    expect(() => sequence.assign('Work', null, { then: { name: 'Ok', metadata: 'm' as never } })).toThrow(new TypeError('Expected `then.metadata` to be an object, got "m" (string)'));
    expect(() => sequence.assign('Work', null, { then: { name: 'Ok', contnt: 1 } as never })).toThrow(new TypeError('Unknown follow-up option `contnt` for action "Work"'));
    expect(sequence.stats().assigned).toBe(0);
  });

  it("a Life fate timeout: 'x'", () => {
    expect(() => new Life({ fate: { timeout: 'x' as never } })).toThrow(new TypeError('Expected `timeout` to be { attempt?, total? } (ms), got "x" (string)'));
    expect(() => new Life({ fate: { timeout: 500 as never } })).toThrow(new TypeError('Expected `timeout` to be { attempt?, total? } (ms), got 500 (number)'));
    expect(() => new Life({ fate: { timeout: { atempt: 5 } as never } })).toThrow(new TypeError('Unknown fate option `timeout.atempt`'));
    expect(() => new Life({ fate: { cancelGrace: '100' as never } })).toThrow(new TypeError('Expected `cancelGrace` to be a finite number >= 0, got "100" (string)'));
    expect(() => new Life({ fate: 'fast' as never })).toThrow(new TypeError('Expected `fate` to be an object, got "fast" (string)'));
  });

  it('duplicate ids from an injected ids() generator', async () => {
    const clock = new ManualClock();
    const sequence = make({ ids: () => 'same', clock });
    const first = sequence.assign('Work');
    expect(() => sequence.assign('Work')).toThrow(new TypeError('Expected `ids()` to be a new id (a live action has this one), got "same" (string)'));
    expect(sequence.stats().assigned).toBe(1);
    sequence.start();
    await clock.advance(0);
    expect(await first.result).toBe('done');
    expect(sequence.assign('Work').id).toBe('same'); // no longer live: the id is free again
    expect(() => make({ ids: () => 42 as never }).assign('Work')).toThrow(new TypeError('Expected `ids()` to be a non-empty string, got 42 (number)'));
    expect(() => make({ ids: 'a-' as never })).toThrow(new TypeError('Expected `ids` to be a function, got "a-" (string)'));
  });
});

describe('parseActionRecord', () => {
  const ok = { version: 1, id: 'a-1', name: 'Work', content: null, metadata: {}, priority: 'normal', queue: 'default' };

  const serializationError = (json: unknown): SerializationError => {
    try {
      parseActionRecord(json);
    } catch (error) {
      expect(error).toBeInstanceOf(SerializationError);
      return error as SerializationError;
    }
    throw new Error('expected a SerializationError');
  };

  it.each([
    ['a BigInt version', { ...ok, version: 1n }, 'version', 'Expected `version` to be 1, got 1n (bigint)'],
    ['a circular id', { ...ok, id: circular() }, 'id', 'Expected `id` to be a non-empty string, got [object Object] (object)'],
    ['a throwing toJSON as name', { ...ok, name: { toJSON: () => { throw new Error('no'); } } }, 'name', 'Expected `name` to be a non-empty string, got [object Object] (object)'],
    ['a BigInt in content', { ...ok, content: { size: 10n } }, 'content.size', 'Expected `content.size` to be a JSON value, got 10n (bigint)'],
    ['a cycle in content', { ...ok, content: circular() }, 'content.self', 'Expected `content.self` to be a JSON value, but it refers back to an enclosing object (a cycle)'],
    ['a throwing toJSON in metadata', { ...ok, metadata: { at: { toJSON: () => { throw new Error('no'); } } } }, 'metadata.at', 'Expected `metadata.at` to be a JSON value, but reading it threw'],
    ['a function in an array of content', { ...ok, content: [1, () => 2] }, 'content[1]', 'Expected `content[1]` to be a JSON value, got [function (anonymous)] (function)'],
    ['a hostile Proxy as the record', hostile, '', 'Expected the record to be readable, but reading it threw'],
    ['a string payload', 'record', '', 'Expected `record` to be an object, got "record" (string)'],
    ['a null payload', null, '', 'Expected `record` to be an object, got null (null)'],
    ['an array payload', [ok], '', 'Expected `record` to be an object, got [{"version":1,"id":"a-1","name":"Work","content":null,"meta… (array)'],
  ])('answers a SerializationError for %s, naming the path', (_, json, path, message) => {
    const error = serializationError(json === hostile ? hostile() : json);
    expect(error.path).toBe(path);
    expect(error.message).toBe(message);
  });

  it('keeps JSON content as it is (toJSON values are read through)', () => {
    const at = new Date(0);
    expect(parseActionRecord({ ...ok, content: { at, list: [1, 'a', null] } }).content).toEqual({ at, list: [1, 'a', null] });
  });
});
