/** Type-level tests of the public surface: checked by `npm run typecheck` (tsc), run as ordinary tests by vitest. */
import { describe, expectTypeOf, it } from 'vitest';
import {
  createPlan,
  Plan,
  Sequence,
  type ActionHandle,
  type ActionSnapshot,
  type EchoEvent,
  type HookInfo,
  type RetryPolicy,
  type RunContext,
} from '../src/index.js';

describe('public types', () => {
  const plan = createPlan({ Read: async (path: string) => path.length });
  const sequence = new Sequence({ plan });

  it('assign returns a handle whose result carries the declared type', () => {
    const handle = sequence.assign<number>('Read', 'a.txt');
    expectTypeOf(handle).toEqualTypeOf<ActionHandle<number>>();
    expectTypeOf(handle.result).toEqualTypeOf<Promise<number>>();
    expectTypeOf(handle.getSnapshot()).toEqualTypeOf<ActionSnapshot>();
    handle.result.catch(() => {});
    handle.cancel();
  });

  it('functions get their content and a RunContext with an AbortSignal', () => {
    Plan.create()
      .withSignature({ name: 'Typed' })
      .withFunction('Typed', async (content: { path: string }, ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<RunContext>();
        expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>();
        return content.path;
      })
      .build();
  });

  it('rejects what is not part of the contract', () => {
    // @ts-expect-error priority is 'high' | 'normal' | 'low'
    expectTypeOf(() => sequence.assign('Read', 'a', { priority: 'urgent' })).toBeFunction();
    // @ts-expect-error a retry policy has no `tries`
    const policy: Partial<RetryPolicy> = { tries: 3 };
    void policy;
    // @ts-expect-error cancellation reasons are a closed set
    expectTypeOf(() => sequence.get('a-1')?.cancel('because')).toBeFunction();
    // @ts-expect-error hooks are functions of HookInfo (and a plain string is refused at run time too)
    expectTypeOf(() => createPlan({ Bad: { run: async () => 1, before: 'LogStart' } })).toBeFunction();
  });

  it('a hook that is no function is refused with a message naming it', () => {
    const bad = { run: async () => 1, before: 'LogStart' } as never;
    expectTypeOf(bad).toBeNever();
    try {
      createPlan({ Bad: bad });
    } catch (error) {
      expectTypeOf(error).toBeUnknown();
      if (!(error instanceof TypeError) || error.message !== 'Expected before hook of "Bad" #1 to be a function or { name, run }, got "LogStart" (string)') throw error;
      return;
    }
    throw new Error('expected a TypeError');
  });

  it('events are a discriminated union on type', () => {
    sequence.events$.subscribe((event: EchoEvent) => {
      if (event.type === 'retrying') expectTypeOf(event.delay).toEqualTypeOf<number>();
      if (event.type === 'failed') expectTypeOf(event.error.name).toEqualTypeOf<string>();
    });
    expectTypeOf<NonNullable<HookInfo['outcome']>['status']>().toEqualTypeOf<'done' | 'failed' | 'cancelled'>();
  });
});
