import { describe, expect, test } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { resolveSanitizeOptions, sanitize } from '../../src/inspect/sanitize.js';

describe('sanitize', () => {
  const limits = resolveSanitizeOptions({ maxString: 8, maxArray: 4, maxDepth: 3, maxKeys: 3, maxCauses: 3 });

  test('bounds strings, arrays (head and tail), keys and depth', () => {
    expect(sanitize('abcdefghijkl', limits)).toBe('abcdefgh…(+4 chars)');
    expect(sanitize([1, 2, 3, 4, 5, 6], limits)).toEqual([1, 2, '…(2 more items)', 5, 6]);
    expect(sanitize({ a: 1, b: 2, c: 3, d: 4, e: 5 }, limits)).toEqual({ a: 1, b: 2, c: 3, '…': '2 more keys' });
    expect(sanitize({ a: { b: { c: { d: 1 } }, list: [[1]] } }, limits)).toEqual({ a: { b: { c: '[Object]' }, list: ['[Array(1)]'] } });
  });

  test('turns what JSON cannot hold into descriptions', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    expect(sanitize(cyclic, limits)).toEqual({ name: 'loop', self: '[Circular]' });
    expect(sanitize({ f: function named() {}, u: undefined, n: NaN, big: 10n, d: new Date(0) }, resolveSanitizeOptions())).toEqual({
      f: '[Function named]', n: 'NaN', big: '10n', d: '1970-01-01T00:00:00.000Z',
    });
    expect(sanitize(new Map([['k', new Set([1])]]), limits)).toEqual({ k: [1] });
    expect(sanitize(new Uint8Array(16), limits)).toBe('[Uint8Array(16 bytes)]');
  });

  test('keeps an error’s name, message, own fields and cause chain; cuts long chains', () => {
    const root = new Error('socket hang up');
    const http = Object.assign(new Error('503', { cause: root }), { name: 'HttpError', status: 503 });
    const value = sanitize(new Error('attempt failed', { cause: http }), resolveSanitizeOptions()) as any;
    expect(value.name).toBe('Error');
    expect(value.cause).toMatchObject({ name: 'HttpError', message: '503', status: 503, cause: { message: 'socket hang up' } });
    let chain: Error = new Error('e0');
    for (let i = 1; i < 6; i++) chain = new Error(`e${i}`, { cause: chain });
    const cut = sanitize(chain, limits) as any;
    expect(cut.cause.cause.cause).toBe('…(cause chain cut)');
  });

  test('actor refs become a reference, never their children', () => {
    const actor = createActor(createMachine({ id: 'child' })).start();
    expect(sanitize({ ref: actor }, limits)).toEqual({ ref: { $actor: actor.id, sessionId: actor.sessionId } });
    actor.stop();
  });

  test('options are validated', () => {
    expect(() => resolveSanitizeOptions({ maxDepth: 0 })).toThrow(new TypeError('Expected `maxDepth` to be an integer >= 1, got 0 (number)'));
  });
});
