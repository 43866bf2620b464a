/**
 * The Plan: the seed's builder (`withSignature` then `withFunction`), the concise
 * `createPlan` form, every misuse as a TypeError that says what was expected,
 * and lookups that never mutate (the original removed the function on first use).
 */
import { describe, expect, it } from 'vitest';
import {
  createPlan,
  ManualClock,
  Plan,
  PlanBuilder,
  RoutingError,
  Sequence,
  type ActionFunction,
  type PlanEntry,
  type StandardSchemaV1,
} from '../src/index.js';

const engines = ['table', 'xstate'] as const;

/** Runs every timer, after letting pending promise callbacks schedule theirs. */
async function drain(clock: ManualClock): Promise<void> {
  await clock.advance(0);
  await clock.runAll();
}

const anySchema: StandardSchemaV1 = { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } };

describe('Plan.create() builder', () => {
  it('reads like the seed: signature first, then its function', () => {
    const read: ActionFunction<string, string> = async (path) => `content of ${path}`;
    const plan = Plan.create()
      .withSignature({ name: 'Read', description: 'Reads a file' })
      .withFunction('Read', read, { retry: { attempts: 5 }, timeout: { attempt: 1_000, total: 5_000 }, priority: 'high', queue: 'files', cancelGrace: 10 })
      .withSignature({ name: 'Write', schema: anySchema })
      .withFunction('Write', async () => 'written')
      .build();
    expect(plan).toBeInstanceOf(Plan);
    expect(plan.names()).toEqual(['Read', 'Write']);
    expect(plan.has('Read')).toBe(true);
    expect(plan.has('Delete')).toBe(false);
    const definition = plan.get('Read')!;
    expect(definition.run).toBe(read);
    expect(definition.signature).toEqual({ name: 'Read', description: 'Reads a file' });
    expect(definition.retry).toEqual({ attempts: 5 });
    expect(definition.timeout).toEqual({ attempt: 1_000, total: 5_000 });
    expect(definition).toMatchObject({ priority: 'high', queue: 'files', cancelGrace: 10 });
    expect(plan.get('Write')!.signature.schema).toBe(anySchema);
    expect(Object.isFrozen(definition)).toBe(true);
  });

  it('throws a TypeError for a function without its signature', () => {
    // @ts-expect-error the builder's types refuse it too: no signature named "Read"
    expect(() => Plan.create().withFunction('Read', async () => 1)).toThrow(
      new TypeError('Expected a signature for "Read" before its function; call withSignature({ name: "Read" }) first'),
    );
  });

  it('throws a TypeError for a name signed twice or given two functions', () => {
    const builder = Plan.create().withSignature({ name: 'Read' });
    expect(() => builder.withSignature({ name: 'Read' })).toThrow(new TypeError('Expected a new action name, but "Read" is already signed'));
    builder.withFunction('Read', async () => 1);
    expect(() => builder.withFunction('Read', async () => 2)).toThrow(new TypeError('Expected one function per action, but "Read" already has one'));
  });

  it('throws a TypeError when a signature has no function at build time', () => {
    const builder = Plan.create().withSignature({ name: 'Read' }).withSignature({ name: 'Write' }).withFunction('Read', async () => 1);
    expect(() => builder.build()).toThrow(new TypeError('Expected a function for every signature; missing: "Write"'));
  });

  it('throws a TypeError for a bad signature', () => {
    const builder = new PlanBuilder();
    expect(() => builder.withSignature(null as never)).toThrow(new TypeError('Expected `signature` to be an object, got null (null)'));
    expect(() => builder.withSignature({ name: '' })).toThrow(new TypeError('Expected `signature.name` to be a non-empty string, got "" (string)'));
    expect(() => builder.withSignature({ name: 'X', description: 3 as never })).toThrow(new TypeError('Expected `description` of "X" to be a string, got 3 (number)'));
    expect(() => builder.withSignature({ name: 'X', schema: {} as never })).toThrow(/Expected `schema` of "X" to be a Standard Schema/);
  });

  it('throws a TypeError naming each bad option', () => {
    const withOptions = (options: object, run: unknown = async () => 1) => () =>
      Plan.create().withSignature({ name: 'X' }).withFunction('X', run as ActionFunction, options as never);
    expect(withOptions({}, 'not a function')).toThrow(new TypeError('Expected `run` of "X" to be a function, got "not a function" (string)'));
    expect(withOptions({ retries: 3 })).toThrow(new TypeError('Unknown option `retries` for action "X"'));
    expect(withOptions({ retry: { attempts: -2 } })).toThrow(new TypeError('Expected `attempts` to be an integer >= 1, got -2 (number)'));
    expect(withOptions({ retry: { jitter: 'some' } })).toThrow(/Expected `jitter` to be one of "none", "full", "equal", "decorrelated"/);
    expect(withOptions({ retry: { backoff: 1 } })).toThrow(/Unknown retry policy option `backoff`/);
    expect(withOptions({ timeout: 0 })).toThrow(new TypeError('Expected `timeout` of "X" to be a finite number > 0, got 0 (number)'));
    expect(withOptions({ timeout: { attempt: -1 } })).toThrow(new TypeError('Expected `timeout.attempt` of "X" to be a finite number > 0, got -1 (number)'));
    expect(withOptions({ timeout: { total: Infinity } })).toThrow(new TypeError('Expected `timeout.total` of "X" to be a finite number > 0, got Infinity (number)'));
    expect(withOptions({ timeout: '5s' })).toThrow(new TypeError('Expected `timeout` of "X" to be a number of ms or { attempt, total }, got "5s" (string)'));
    expect(withOptions({ timeout: { atempt: 50 } })).toThrow(new TypeError('Unknown option `timeout.atempt` for action "X"'));
    expect(withOptions({ queue: 7 })).toThrow(new TypeError('Expected `queue` of "X" to be a non-empty string, got 7 (number)'));
    expect(withOptions({ retry: 3 })).toThrow(new TypeError('Expected `retry` to be an object of retry policy options, got 3 (number)'));
    expect(withOptions({ cancelGrace: -1 })).toThrow(new TypeError('Expected `cancelGrace` of "X" to be a finite number >= 0, got -1 (number)'));
    // These compare as numbers (`'100' >= 0`): accepted, they hung cancel and shutdown.
    expect(withOptions({ cancelGrace: '100' })).toThrow(new TypeError('Expected `cancelGrace` of "X" to be a finite number >= 0, got "100" (string)'));
    expect(withOptions({ cancelGrace: true })).toThrow(new TypeError('Expected `cancelGrace` of "X" to be a finite number >= 0, got true (boolean)'));
    expect(withOptions({ cancelGrace: [] })).toThrow(new TypeError('Expected `cancelGrace` of "X" to be a finite number >= 0, got [] (array)'));
    expect(withOptions({ cancelGrace: Infinity })).toThrow(new TypeError('Expected `cancelGrace` of "X" to be a finite number >= 0, got Infinity (number)'));
    expect(withOptions({ priority: null })).toThrow(new TypeError('Expected `priority` of "X" to be one of "high", "normal", "low", got null (null)'));
    expect(withOptions({ priority: 'urgent' })).toThrow(new TypeError('Expected `priority` of "X" to be one of "high", "normal", "low", got "urgent" (string)'));
    expect(withOptions({ before: 42 })).toThrow(TypeError);
    expect(withOptions({ after: [{ name: 'x' }] })).toThrow(TypeError);
  });

  it('a built Plan is not changed by its builder afterwards', () => {
    const builder = Plan.create().withSignature({ name: 'A' }).withFunction('A', async () => 1);
    const plan = builder.build();
    builder.withSignature({ name: 'B' }).withFunction('B', async () => 2);
    expect(plan.names()).toEqual(['A']);
    expect(builder.build().names()).toEqual(['A', 'B']);
  });
});

describe('createPlan (concise form)', () => {
  it('takes functions and { run, ...options } entries', () => {
    const read = async (path: string) => path;
    const write = async () => 'ok';
    const plan = createPlan({
      Read: read,
      Write: { run: write, description: 'Writes', schema: anySchema, retry: { attempts: 5 }, timeout: 1_000, priority: 'low' },
    });
    expect(plan.names()).toEqual(['Read', 'Write']);
    expect(plan.get('Read')).toMatchObject({ run: read, signature: { name: 'Read' }, retry: {}, timeout: { attempt: null, total: null } });
    expect(plan.get('Write')).toMatchObject({
      run: write,
      signature: { name: 'Write', description: 'Writes', schema: anySchema },
      retry: { attempts: 5 },
      timeout: { attempt: 1_000, total: null },
      priority: 'low',
    });
  });

  it('throws the same TypeErrors as the builder', () => {
    expect(() => createPlan({ X: 42 as never })).toThrow(new TypeError('Expected `entry` of "X" to be a function or { run, ... }, got 42 (number)'));
    expect(() => createPlan({ X: null as never })).toThrow(TypeError);
    expect(() => createPlan({ X: { retry: { attempts: 2 } } as never })).toThrow(new TypeError('Expected `run` of "X" to be a function, got undefined (undefined)'));
    expect(() => createPlan({ X: { run: async () => 1, bogus: true } as never })).toThrow(new TypeError('Unknown option `bogus` for action "X"'));
    expect(() => createPlan({ X: { run: async () => 1, retry: { factor: 0.5 } } })).toThrow(new TypeError('Expected `factor` to be a number >= 1, got 0.5 (number)'));
    expect(() => createPlan({ '': async () => 1 })).toThrow(TypeError);
  });
});

describe('lookups never mutate the Plan', () => {
  it('get / require / has / names return the same answers every time', () => {
    const run = async () => 1;
    const plan = createPlan({ A: run });
    for (let i = 0; i < 3; i++) {
      expect(plan.get('A')?.run).toBe(run);
      expect(plan.require('A').run).toBe(run);
      expect(plan.has('A')).toBe(true);
      expect(plan.names()).toEqual(['A']);
    }
    expect(plan.get('B')).toBeUndefined();
    expect(() => plan.require('B')).toThrow(RoutingError);
    expect(() => plan.require('B')).toThrow('No action named "B" in the Plan (known: "A")');
    expect(plan.names()).toEqual(['A']);
  });

  it.each(engines)('a 3-attempt retry calls the same function 3 times (%s engine)', async (engine) => {
    const calls: number[] = [];
    const flaky: PlanEntry = {
      run: async (_: unknown, ctx) => {
        calls.push(ctx.attempt);
        if (ctx.attempt < 3) throw new Error('not yet');
        return 'done';
      },
      retry: { attempts: 3, initialDelay: 10, jitter: 'none' },
    };
    const plan = createPlan({ Flaky: flaky });
    const definition = plan.get('Flaky');
    const clock = new ManualClock();
    const sequence = new Sequence({ plan, clock, engine, sites: 1, concurrency: 1 }).start();
    const first = sequence.assign('Flaky');
    await drain(clock);
    expect(await first.result).toBe('done');
    expect(calls).toEqual([1, 2, 3]);
    expect(plan.get('Flaky')).toBe(definition);
    expect(plan.get('Flaky')?.run).toBe((flaky as { run: unknown }).run);
    // And the next action with the same name still finds it.
    const second = sequence.assign('Flaky');
    await drain(clock);
    expect(await second.result).toBe('done');
    expect(calls).toEqual([1, 2, 3, 1, 2, 3]);
  });
});
