import { describe, expect, it } from 'vitest';
import {
  BackpressureError,
  CancellationError,
  EchoError,
  ExecutionError,
  HookError,
  LicenseError,
  RoutingError,
  SerializationError,
  TimeoutError,
  ValidationError,
  isEchoError,
  reviveError,
  serializeError,
  toError,
  type SerializedError,
} from '../src/errors.js';

/** Through the wire: serialize, stringify, parse, revive. */
const throughJson = (value: unknown): Error => reviveError(JSON.parse(JSON.stringify(serializeError(value))));

/** A cause chain with a user error (with a `code`) over a built-in error. */
const causeChain = (): Error => Object.assign(new Error('socket hang up', { cause: new RangeError('deep') }), { code: 'ECONNRESET' });

type Case = readonly [name: string, make: () => EchoError, fields: Record<string, unknown>, cls: abstract new (...args: never[]) => EchoError];

const cases: readonly Case[] = [
  ['EchoError', () => new EchoError('Site is shut down', { actionId: 'a1', cause: causeChain() }), { actionId: 'a1' }, EchoError],
  ['LicenseError', () => new LicenseError('License revoked before attempt 2', { actionId: 'a2', cause: causeChain() }), { actionId: 'a2' }, LicenseError],
  [
    'ExecutionError',
    () => new ExecutionError('Attempt 2 of `sendEmail` failed', { attempt: 2, actionId: 'a3', cause: causeChain() }),
    { attempt: 2, actionId: 'a3' },
    ExecutionError,
  ],
  ['RoutingError', () => new RoutingError('No Site serves queue `email`', { target: 'email', cause: causeChain() }), { target: 'email' }, RoutingError],
  [
    'CancellationError',
    () => new CancellationError('Cancelled by shutdown', { reason: 'shutdown', cause: causeChain() }),
    { reason: 'shutdown' },
    CancellationError,
  ],
  [
    'TimeoutError',
    () => new TimeoutError('Attempt 1 ran past its 500 ms timeout', { timeout: 'attempt', ms: 500, cause: causeChain() }),
    { timeout: 'attempt', ms: 500 },
    TimeoutError,
  ],
  [
    'HookError',
    () => new HookError('After-hook `audit` threw', { hook: 'audit', phase: 'after', cause: causeChain() }),
    { hook: 'audit', phase: 'after' },
    HookError,
  ],
  [
    'BackpressureError',
    () => new BackpressureError('Queue `email` is full (1000 actions)', { queue: 'email', capacity: 1000, cause: causeChain() }),
    { capacity: 1000, queue: 'email' },
    BackpressureError,
  ],
  [
    'ValidationError',
    () =>
      new ValidationError('Content of `sendEmail` is invalid', {
        issues: [{ message: 'Expected a string', path: ['to', 0] }, { message: 'Required' }],
        cause: causeChain(),
      }),
    { issues: [{ message: 'Expected a string', path: ['to', 0] }, { message: 'Required' }] },
    ValidationError,
  ],
  [
    'SerializationError',
    () => new SerializationError('Expected `name` to be a string, got 42 (number)', { path: 'cause.name', cause: causeChain() }),
    { path: 'cause.name' },
    SerializationError,
  ],
];

describe('Echo error classes', () => {
  it.each(cases)('%s has its own stable name and is an EchoError', (name, make, _fields, cls) => {
    const error = make();
    expect(error.name).toBe(name);
    expect(error).toBeInstanceOf(cls);
    expect(error).toBeInstanceOf(EchoError);
    expect(error).toBeInstanceOf(Error);
    expect(isEchoError(error)).toBe(true);
    expect(error.stack?.startsWith(`${name}: ${error.message}`)).toBe(true);
  });

  it.each(cases)('%s keeps its fields in data, and JSON.stringify uses toJSON', (name, make, fields) => {
    const error = make();
    const json = serializeError(error);
    expect(json.version).toBe(1);
    expect(json.name).toBe(name);
    expect(json.data).toEqual(fields);
    expect(error.toJSON()).toEqual(json);
    expect(JSON.parse(JSON.stringify(error))).toEqual(json);
  });

  it.each(cases)('%s round-trips through JSON with name, message, fields and cause chain', (name, make, fields, cls) => {
    const original = make();
    const revived = reviveError(JSON.parse(JSON.stringify(original)));
    expect(revived).toBeInstanceOf(cls);
    expect(revived.name).toBe(name);
    expect(revived.message).toBe(original.message);
    expect(revived.stack).toBe(original.stack);
    for (const [key, value] of Object.entries(fields)) expect((revived as unknown as Record<string, unknown>)[key]).toEqual(value);
    const cause = revived.cause as Error & { code?: string };
    expect(cause).toBeInstanceOf(Error);
    expect(cause.message).toBe('socket hang up');
    expect(cause.code).toBe('ECONNRESET');
    expect(cause.cause).toBeInstanceOf(RangeError);
    expect((cause.cause as Error).message).toBe('deep');
    expect((cause.cause as Error).cause).toBeUndefined();
    // Serializing the revived error gives back exactly what was sent.
    expect(serializeError(revived)).toEqual(serializeError(original));
  });

  it('treats cause: undefined as no cause', () => {
    expect(serializeError(new Error('x', { cause: undefined })).cause).toBeUndefined();
    expect(serializeError(new ExecutionError('x', { attempt: 1, cause: undefined })).cause).toBeUndefined();
  });

  it('leaves cause and actionId off when not given', () => {
    const error = new LicenseError('revoked');
    expect('cause' in error).toBe(false);
    expect(error.actionId).toBeUndefined();
    expect(serializeError(error).data).toBeUndefined();
    expect(serializeError(error).cause).toBeUndefined();
  });

  it('isEchoError is false for other errors and values', () => {
    for (const value of [new Error('x'), Object.assign(new Error('x'), { name: 'LicenseError' }), 'LicenseError', null, undefined]) {
      expect(isEchoError(value)).toBe(false);
    }
  });
});

describe('serializeError', () => {
  it('keeps JSON-able own enumerable props of user errors and drops the rest', () => {
    const error = Object.assign(new Error('rate limited'), {
      code: 'E_RATE',
      status: 429,
      retryAfter: 1_000,
      when: new Date(0),
      nested: { list: [1, 'two'] },
      fn: () => 1,
      big: 1n,
      sym: Symbol('s'),
      nothing: undefined,
    });
    Object.defineProperty(error, 'secret', { value: 'hidden', enumerable: false });
    Object.defineProperty(error, 'broken', {
      enumerable: true,
      get() {
        throw new Error('getter threw');
      },
    });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    Object.assign(error, { cyclic });
    expect(serializeError(error).data).toEqual({
      code: 'E_RATE',
      status: 429,
      retryAfter: 1_000,
      when: '1970-01-01T00:00:00.000Z',
      nested: { list: [1, 'two'] },
    });
  });

  it('serializes an Echo error nested in data through its toJSON', () => {
    const error = Object.assign(new Error('batch failed'), { first: new RoutingError('No Site', { target: 'q' }) });
    expect(serializeError(error).data?.first).toMatchObject({ version: 1, name: 'RoutingError', data: { target: 'q' } });
  });

  it('reads a stack on first read of the record, not when serializing (once, then kept), and still puts it on the wire', () => {
    const reads = { outer: 0, inner: 0 };
    const withCountedStack = (error: Error, key: keyof typeof reads, text: string): Error =>
      Object.defineProperty(error, 'stack', { get: () => (reads[key]++, text), configurable: true });
    const inner = withCountedStack(new Error('disk full'), 'inner', 'Error: disk full\n    at write (file.ts:1:1)');
    const outer = withCountedStack(new Error('save failed', { cause: inner }), 'outer', 'Error: save failed\n    at save (file.ts:2:2)');
    const record = serializeError(outer);
    expect(reads).toEqual({ outer: 0, inner: 0 });
    const wire = JSON.parse(JSON.stringify(record));
    expect(wire).toMatchObject({ name: 'Error', message: 'save failed', stack: 'Error: save failed\n    at save (file.ts:2:2)', cause: { message: 'disk full', stack: 'Error: disk full\n    at write (file.ts:1:1)' } });
    expect(record.stack).toBe(wire.stack);
    expect({ ...record.cause }.stack).toBe(wire.cause.stack);
    expect(reads).toEqual({ outer: 1, inner: 1 });
    const noStack = new Error('bare');
    delete (noStack as { stack?: string }).stack;
    expect(Object.keys(serializeError(noStack))).not.toContain('stack');
  });

  it('reads the stack of a frozen record too (the error is kept instead of let go)', () => {
    const record = Object.freeze(serializeError(new Error('frozen')));
    expect(record.stack).toMatch(/^Error: frozen\n {4}at /);
    expect(JSON.parse(JSON.stringify(record)).stack).toBe(record.stack);
  });

  it('builds the wrappers of a user throw (ExecutionError, HookError) without capturing a stack: the frames are the cause\'s', () => {
    function userCode(): Error {
      return new Error('ECONNRESET');
    }
    const limit = Error.stackTraceLimit;
    const execution = new ExecutionError('Attempt 1 failed', { attempt: 1, cause: userCode() });
    const hook = new HookError('Before-hook `audit` threw', { hook: 'audit', phase: 'before', cause: userCode() });
    expect(execution.stack).toBe('ExecutionError: Attempt 1 failed');
    expect(hook.stack).toBe('HookError: Before-hook `audit` threw');
    expect((execution.cause as Error).stack).toMatch(/^Error: ECONNRESET\n {4}at userCode /);
    expect(Error.stackTraceLimit).toBe(limit);
    const wire = JSON.parse(JSON.stringify(execution)) as SerializedError;
    expect(wire.stack).toBe('ExecutionError: Attempt 1 failed');
    expect(wire.cause?.stack).toMatch(/\n {4}at userCode /);
    expect(reviveError(wire).stack).toBe('ExecutionError: Attempt 1 failed');
  });

  it('captures a wrapper\'s own stack when its cause has none, and for every other Echo error', () => {
    const thrown = new ExecutionError('Attempt 1 failed: boom', { attempt: 1, cause: 'boom' });
    expect(thrown.stack).toMatch(/^ExecutionError: Attempt 1 failed: boom\n {4}at /);
    const limited = new RoutingError('No Site serves `email`', { target: 'email', cause: new Error('no route') });
    expect(limited.stack).toMatch(/^RoutingError: No Site serves `email`\n {4}at /);
  });

  it('leaves a stack limit the user set as it was', () => {
    const saved = Error.stackTraceLimit;
    try {
      for (const limit of [50, 0]) {
        Error.stackTraceLimit = limit;
        new ExecutionError('Attempt 1 failed', { attempt: 1, cause: new Error('x') });
        expect(Error.stackTraceLimit).toBe(limit);
      }
    } finally {
      Error.stackTraceLimit = saved;
    }
  });

  it('cuts a cause cycle instead of looping', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    const json = serializeError(a);
    expect(json.message).toBe('a');
    expect(json.cause?.message).toBe('b');
    expect(json.cause?.cause).toBeUndefined();
    const self = new Error('self');
    Object.assign(self, { cause: self });
    expect(serializeError(self).cause).toBeUndefined();
    expect(throughJson(a).cause).toBeInstanceOf(Error);
  });

  it.each([
    [undefined, 8],
    [2, 2],
    [0, 0],
  ])('follows up to %s causes (depth) and counts %i', (depth, expected) => {
    let error = new Error('level 20');
    for (let level = 19; level >= 0; level--) error = new Error(`level ${level}`, { cause: error });
    let json: SerializedError | undefined = serializeError(error, depth);
    let causes = 0;
    while (json?.cause !== undefined) {
      causes++;
      json = json.cause;
    }
    expect(causes).toBe(expected);
    expect(json?.message).toBe(`level ${expected}`);
  });

  it('keeps a non-Error cause as a NonErrorThrown link', () => {
    const json = serializeError(new Error('outer', { cause: { code: 42 } }));
    expect(json.cause).toEqual({ version: 1, name: 'NonErrorThrown', message: '{"code":42}', data: { value: { code: 42 } } });
  });

  it('serializes errors from other realms', () => {
    const foreign = new DOMException('The operation timed out', 'TimeoutError');
    expect(serializeError(foreign)).toMatchObject({ name: 'TimeoutError', message: 'The operation timed out' });
  });

  it('never throws, even for a revoked proxy', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(serializeError(proxy)).toEqual({ version: 1, name: 'NonErrorThrown', message: '[unreadable thrown value]' });
  });
});

describe('non-Error thrown values', () => {
  const cyclic: Record<string, unknown> = { id: 1 };
  cyclic.self = cyclic;

  it.each([
    ['a string', 'boom', 'boom', { value: 'boom' }],
    ['a number', 42, '42', { value: 42 }],
    ['an object', { code: 'E1', detail: 'x' }, '{"code":"E1","detail":"x"}', { value: { code: 'E1', detail: 'x' } }],
    ['null', null, 'null', { value: null }],
    ['undefined', undefined, 'undefined', undefined],
    ['a cyclic object', cyclic, '[object Object]', undefined],
    ['a symbol', Symbol('s'), 'Symbol(s)', undefined],
    ['a bigint', 10n, '10', undefined],
  ])('serializes %s as NonErrorThrown', (_label, value, message, data) => {
    const json = serializeError(value);
    expect(json).toEqual({ version: 1, name: 'NonErrorThrown', message, ...(data === undefined ? {} : { data }) });
  });

  it.each([
    ['a string', 'boom', 'boom'],
    ['a number', 42, '42'],
    ['an object', { code: 'E1' }, '{"code":"E1"}'],
    ['undefined', undefined, 'undefined'],
    ['a cyclic object', cyclic, '[object Object]'],
  ])('toError wraps %s, keeping the value as cause', (_label, value, message) => {
    const error = toError(value);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('NonErrorThrown');
    expect(error.message).toBe(message);
    expect(error.cause).toBe(value);
    expect(serializeError(error)).toEqual({ ...serializeError(value), stack: error.stack });
  });

  it('toError returns Errors unchanged', () => {
    const error = new TypeError('x');
    expect(toError(error)).toBe(error);
  });

  it('toError keeps a huge value from making a huge message', () => {
    expect(toError('x'.repeat(5_000)).message).toHaveLength(1_000);
  });

  it('revives NonErrorThrown with the value as cause', () => {
    const revived = throughJson({ code: 'E1' });
    expect(revived.name).toBe('NonErrorThrown');
    expect(revived.message).toBe('{"code":"E1"}');
    expect(revived.cause).toEqual({ code: 'E1' });
  });
});

describe('reviveError', () => {
  it('revives unknown names as a plain Error with the name and data props', () => {
    class PaymentError extends Error {
      override name = 'PaymentError';
      code = 'card_declined';
      status = 402;
    }
    const revived = throughJson(new PaymentError('Card declined'));
    expect(revived.constructor).toBe(Error);
    expect(revived.name).toBe('PaymentError');
    expect(revived.message).toBe('Card declined');
    expect(revived).toMatchObject({ code: 'card_declined', status: 402 });
    expect(isEchoError(revived)).toBe(false);
  });

  it('revives built-in errors as their own class', () => {
    const revived = throughJson(new TypeError('not a function'));
    expect(revived).toBeInstanceOf(TypeError);
    expect(revived.name).toBe('TypeError');
  });

  it("revives a foreign error sharing an Echo name (DOMException's TimeoutError) as a plain Error", () => {
    const revived = throughJson(new DOMException('The operation timed out', 'TimeoutError'));
    expect(revived).not.toBeInstanceOf(TimeoutError);
    expect(revived.name).toBe('TimeoutError');
    expect(revived.message).toBe('The operation timed out');
  });

  it('gives a payload without a stack a header-only stack', () => {
    const revived = reviveError({ version: 1, name: 'LicenseError', message: 'revoked' });
    expect(revived.stack).toBe('LicenseError: revoked');
  });

  it('copies a __proto__ key from data as a plain property', () => {
    const revived = reviveError(JSON.parse('{"version":1,"name":"Error","message":"m","data":{"__proto__":{"polluted":true}}}'));
    expect(Object.getPrototypeOf(revived)).toBe(Error.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(revived, '__proto__')?.value).toEqual({ polluted: true });
  });

  it('serializes and revives a 20_000-deep cause chain without recursion', () => {
    // Errors without a captured stack: formatting 20_000 stacks would only measure the stack formatter.
    const bare = (message: string, cause?: Error): Error => Object.assign(Object.create(Error.prototype) as Error, { message, cause });
    let original = bare('root');
    for (let i = 0; i < 20_000; i++) original = bare(`level ${i}`, original);
    const json = serializeError(original, Infinity);
    let error: unknown = reviveError(json);
    let depth = 0;
    while ((error as Error).cause !== undefined) {
      error = (error as Error).cause;
      depth++;
    }
    expect(depth).toBe(20_000);
    expect((error as Error).message).toBe('root');
  });

  const ok = { version: 1, name: 'Error', message: 'm' };

  it.each([
    ['a number', 42, '', 'Expected a serialized error object, got 42 (number)'],
    ['null', null, '', 'Expected a serialized error object, got null (null)'],
    ['an array', [], '', 'Expected a serialized error object, got [] (array)'],
    ['a wrong version', { ...ok, version: 2 }, 'version', 'Expected `version` to be 1, got 2 (number)'],
    ['no version', { name: 'Error', message: 'm' }, 'version', 'Expected `version` to be 1, got undefined (undefined)'],
    ['a numeric name', { ...ok, name: 42 }, 'name', 'Expected `name` to be a string, got 42 (number)'],
    ['no message', { version: 1, name: 'Error' }, 'message', 'Expected `message` to be a string, got undefined (undefined)'],
    ['array data', { ...ok, data: [1] }, 'data', 'Expected `data` to be an object, got [1] (array)'],
    ['a numeric stack', { ...ok, stack: 5 }, 'stack', 'Expected `stack` to be a string, got 5 (number)'],
    ['a string cause', { ...ok, cause: 'x' }, 'cause', 'Expected `cause` to be a serialized error object, got "x" (string)'],
    ['a null cause', { ...ok, cause: null }, 'cause', 'Expected `cause` to be a serialized error object, got null (null)'],
    ['a cause without message', { ...ok, cause: { version: 1, name: 'Error' } }, 'cause.message', 'Expected `cause.message` to be a string, got undefined (undefined)'],
    [
      'a bad ExecutionError attempt',
      { ...ok, name: 'ExecutionError', data: { attempt: 'two' } },
      'data.attempt',
      'Expected `data.attempt` to be an integer >= 1, got "two" (string)',
    ],
    [
      'a bad attempt two causes down',
      { ...ok, cause: { ...ok, cause: { ...ok, name: 'ExecutionError', data: { attempt: 0 } } } },
      'cause.cause.data.attempt',
      'Expected `cause.cause.data.attempt` to be an integer >= 1, got 0 (number)',
    ],
    [
      'an unknown cancellation reason',
      { ...ok, name: 'CancellationError', data: { reason: 'bored' } },
      'data.reason',
      'Expected `data.reason` to be one of "user", "timeout", "shutdown", "license", "parent", got "bored" (string)',
    ],
    [
      'a TimeoutError missing ms',
      { ...ok, name: 'TimeoutError', data: { timeout: 'total' } },
      'data.ms',
      'Expected `data.ms` to be a number >= 0, got undefined (undefined)',
    ],
    [
      'an issue without message',
      { ...ok, name: 'ValidationError', data: { issues: [{ path: ['a'] }] } },
      'data.issues[0].message',
      'Expected `data.issues[0].message` to be a string, got undefined (undefined)',
    ],
    [
      'an issue with a bad path',
      { ...ok, name: 'ValidationError', data: { issues: [{ message: 'x', path: [true] }] } },
      'data.issues[0].path',
      'Expected `data.issues[0].path` to be an array of strings and numbers, got [true] (array)',
    ],
    ['a numeric actionId', { ...ok, name: 'LicenseError', data: { actionId: 5 } }, 'data.actionId', 'Expected `data.actionId` to be a string, got 5 (number)'],
  ])('rejects %s with a SerializationError naming the field', (_label, payload, path, message) => {
    let thrown: unknown;
    try {
      reviveError(payload);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SerializationError);
    expect((thrown as SerializationError).path).toBe(path);
    expect((thrown as SerializationError).message).toBe(message);
  });

  it('rejects a hand-built payload whose cause loops back', () => {
    const payload: Record<string, unknown> = { version: 1, name: 'Error', message: 'm' };
    payload.cause = { version: 1, name: 'Error', message: 'n', cause: payload };
    expect(() => reviveError(payload)).toThrow(
      new SerializationError('Expected `cause.cause` to end the cause chain, but it loops back to an earlier error', { path: 'cause.cause' }),
    );
  });
});

describe('doc examples', () => {
  it('run as written', () => {
    const echo = new EchoError('Site is shut down', { actionId: 'a1' });
    expect(echo.toJSON()).toMatchObject({ version: 1, name: 'EchoError', message: 'Site is shut down', data: { actionId: 'a1' } });
    expect(isEchoError(new LicenseError('revoked'))).toBe(true);
    expect(isEchoError(new Error('x'))).toBe(false);
    const error = toError('boom');
    expect([error.name, error.message, error.cause]).toEqual(['NonErrorThrown', 'boom', 'boom']);
    expect(serializeError(Object.assign(new Error('rate limited'), { status: 429 }))).toMatchObject({
      version: 1,
      name: 'Error',
      message: 'rate limited',
      data: { status: 429 },
    });
    const revived = reviveError(JSON.parse(JSON.stringify(new RoutingError('No Site serves `email`', { target: 'email' }))));
    expect(revived instanceof RoutingError && revived.target === 'email').toBe(true);
    const execution = new ExecutionError('Attempt 2 of `sendEmail` failed', { attempt: 2, cause: new Error('ECONNRESET') });
    expect(execution.attempt).toBe(2);
  });
});
