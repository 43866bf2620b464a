/**
 * A function or hook that throws a non-Error, a hostile object (a Proxy whose
 * traps throw, an object whose `toString`/`name` getters throw) or returns a
 * thenable whose `then` throws ends as the documented ExecutionError / HookError
 * with the thrown value as `cause`: never a plain Error, never a wedged action.
 * On both engines, time on a ManualClock.
 */
import { describe, expect, it } from 'vitest';
import { ExecutionError, HookError } from '../../src/index.js';
import { engines, setup, drain, rejection } from '../support/actionHarness.js';

const hostiles: Record<string, () => unknown> = {
  'a string': () => 'boom',
  undefined: () => undefined,
  'a Proxy whose every trap throws': () =>
    new Proxy(
      {},
      {
        get: () => {
          throw new Error('get trap');
        },
        getPrototypeOf: () => {
          throw new Error('getPrototypeOf trap');
        },
        ownKeys: () => {
          throw new Error('ownKeys trap');
        },
        has: () => {
          throw new Error('has trap');
        },
      },
    ),
  'an object with throwing toString and name getters': () => ({
    get name(): string {
      throw new Error('name getter');
    },
    toString() {
      throw new Error('toString');
    },
    toJSON() {
      throw new Error('toJSON');
    },
  }),
  'an Error whose message getter throws': () =>
    Object.defineProperty(new Error('x'), 'message', {
      get() {
        throw new Error('message getter');
      },
    }),
};

describe.each(engines)('hostile throws (%s engine)', (engine) => {
  describe.each(Object.keys(hostiles))('throwing %s', (kind) => {
    it('from the function: ExecutionError with the value as cause; the Site goes on', async () => {
      const thrown = hostiles[kind]!();
      const { clock, sequence } = setup(engine, {
        Bad: {
          run: async () => {
            throw thrown;
          },
          retry: { attempts: 1 },
        },
        Good: { run: async () => 'ok' },
      });
      const bad = sequence.assign('Bad');
      const good = sequence.assign('Good');
      await drain(clock);
      const error = await rejection(bad.result);
      expect(error).toBeInstanceOf(ExecutionError);
      expect(Object.is((error as ExecutionError).cause, thrown)).toBe(true);
      expect(bad.getSnapshot().value).toBe('failed');
      expect(await good.result).toBe('ok');
    });

    it('as the rejection of a thenable whose then throws it: ExecutionError with the value as cause', async () => {
      const thrown = hostiles[kind]!();
      const thenable = {
        then() {
          throw thrown;
        },
      };
      const { clock, sequence } = setup(engine, { Bad: { run: () => thenable as never, retry: { attempts: 1 } }, Good: { run: async () => 'ok' } });
      const bad = sequence.assign('Bad');
      const good = sequence.assign('Good');
      await drain(clock);
      const error = await rejection(bad.result);
      expect(error).toBeInstanceOf(ExecutionError);
      expect(Object.is((error as ExecutionError).cause, thrown)).toBe(true);
      expect(await good.result).toBe('ok');
    });

    it('from a before-hook: HookError with the value as cause', async () => {
      const thrown = hostiles[kind]!();
      const { clock, sequence } = setup(engine, {
        Bad: {
          run: async () => 'never',
          before: {
            name: 'gate',
            run: () => {
              throw thrown;
            },
          },
        },
      });
      const bad = sequence.assign('Bad');
      await drain(clock);
      const error = await rejection(bad.result);
      expect(error).toBeInstanceOf(HookError);
      expect(error).toMatchObject({ hook: 'gate', phase: 'before' });
      expect(Object.is((error as HookError).cause, thrown)).toBe(true);
    });

    it('from an after-hook returning a thenable whose then throws it: HookError with the value as cause', async () => {
      const thrown = hostiles[kind]!();
      const { clock, sequence } = setup(engine, {
        Bad: {
          run: async () => 'ran',
          after: {
            name: 'cleanup',
            run: () =>
              ({
                then() {
                  throw thrown;
                },
              }) as never,
          },
        },
      });
      const bad = sequence.assign('Bad');
      await drain(clock);
      const error = await rejection(bad.result);
      expect(error).toBeInstanceOf(HookError);
      expect(error).toMatchObject({ hook: 'cleanup', phase: 'after' });
      expect(Object.is((error as HookError).cause, thrown)).toBe(true);
    });
  });

  it('a function returning a Proxy whose `then` getter throws fails with ExecutionError, cause the getter’s throw', async () => {
    const getterError = new Error('then getter');
    const result = new Proxy(
      {},
      {
        get: (_target, key) => {
          if (key === 'then') throw getterError;
          return undefined;
        },
      },
    );
    const { clock, sequence } = setup(engine, { Bad: { run: () => result as never, retry: { attempts: 1 } } });
    const bad = sequence.assign('Bad');
    await drain(clock);
    const error = await rejection(bad.result);
    expect(error).toBeInstanceOf(ExecutionError);
    expect((error as ExecutionError).cause).toBe(getterError);
  });

  it('a thenable that answers, then throws: the answer stands', async () => {
    const { clock, sequence } = setup(engine, {
      Odd: {
        run: () =>
          ({
            then(resolve: (value: string) => void) {
              resolve('answered');
              throw new Error('and then threw');
            },
          }) as never,
      },
    });
    const handle = sequence.assign('Odd');
    await drain(clock);
    expect(await handle.result).toBe('answered');
  });
});
