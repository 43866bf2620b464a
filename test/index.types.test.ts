/** Type-level tests of the public surface: checked by `npm run typecheck` (tsc), run as ordinary tests by vitest. */
import { describe, expectTypeOf, it } from 'vitest';
import { setup, type EventFromLogic } from 'xstate';
import { approvalGateMachine, type ApprovalGateMachine, type ApproveEvent } from '../examples/approvalGate.js';
import type { ActionEvent } from '../machines/index.js';
import {
  createPlan,
  type ActionTypes,
  type AnySequence,
  type ActionStateValue,
  Plan,
  Sequence,
  type ActionHandle,
  type ActionSnapshot,
  type EchoEvent,
  type HookInfo,
  type RetryPolicy,
  type RunContext,
  type StandardSchemaV1,
} from '../src/index.js';

describe('public types', () => {
  const plan = createPlan({ Read: async (path: string) => path.length });
  const sequence = new Sequence({ plan });

  it('assign returns a handle whose result carries the inferred type', () => {
    const handle = sequence.assign('Read', 'a.txt');
    expectTypeOf(handle).toEqualTypeOf<ActionHandle<number, ActionEvent>>();
    expectTypeOf(handle.result).toEqualTypeOf<Promise<number>>();
    expectTypeOf(handle.getSnapshot()).toEqualTypeOf<ActionSnapshot>();
    handle.result.catch(() => {});
    handle.cancel();
  });

  it('handle.send takes the events of the Sequence\'s action machine, and nothing else', () => {
    // Only typechecked (never called): a user machine would have to keep the contract at run time.
    const typedSend = (): void => {
      const gate = setup({ types: { events: {} as ActionEvent | { type: 'APPROVE'; by: string } } }).createMachine({ initial: 'queued', states: { queued: {} } });
      const gated = new Sequence({ plan, actionMachine: gate }).assign('Read', 'a.txt');
      gated.send({ type: 'APPROVE', by: 'ops' });
      // @ts-expect-error: APPROVE needs its `by`
      gated.send({ type: 'APPROVE' });
      // @ts-expect-error: not an event of this machine
      gated.send({ type: 'REJECTED' });
      // @ts-expect-error: the built-in machine takes no APPROVE
      sequence.assign('Read', 'a.txt').send({ type: 'APPROVE', by: 'ops' });
      sequence.assign('Read', 'a.txt').send({ type: 'RETRY_NOW', at: 0 });
    };
    expectTypeOf(typedSend).toBeFunction();
  });

  it('the approval-gate example\'s machine types its handles\' send (APPROVE and Echo\'s events, nothing else)', () => {
    const gatedSend = (): void => {
      const gated = new Sequence({ plan, actionMachine: approvalGateMachine(1000) }).assign('Read', 'a.txt');
      gated.send({ type: 'APPROVE' });
      gated.send({ type: 'RETRY_NOW', at: 0 });
      // @ts-expect-error: not an event of the approval gate
      gated.send({ type: 'REJECTED' });
    };
    expectTypeOf(gatedSend).toBeFunction();
    expectTypeOf<EventFromLogic<ApprovalGateMachine>>().toEqualTypeOf<ActionEvent | ApproveEvent>();
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

/** A Standard Schema whose input (what `assign` takes) and output (what the function receives) differ. */
const trimmed: StandardSchemaV1<{ path: string }, { path: string; trimmed: true }> = {
  '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value: { path: String((value as { path: unknown }).path).trim(), trimmed: true } }) },
};

describe('typed Plans', () => {
  const plan = createPlan({
    Read: async (path: string, { signal }) => {
      expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
      return path.length;
    },
    Charge: { run: async (amount: number) => ({ charged: amount }), retry: { attempts: 3 } },
    Stat: { schema: trimmed, run: async (content: { path: string; trimmed: true }) => content.trimmed },
    Tick: () => 'tock' as const,
  });
  const sequence = new Sequence({ plan });

  it('createPlan infers each name, content and result', () => {
    expectTypeOf(plan).toEqualTypeOf<
      Plan<{
        readonly Read: ActionTypes<string, number>;
        readonly Charge: ActionTypes<number, { charged: number }>;
        readonly Stat: ActionTypes<{ path: string }, true>;
        readonly Tick: ActionTypes<unknown, 'tock'>;
      }>
    >();
    expectTypeOf(sequence.assign('Charge', 5).result).toEqualTypeOf<Promise<{ charged: number }>>();
    expectTypeOf(sequence.assign('Stat', { path: ' a ' }).result).toEqualTypeOf<Promise<true>>();
    expectTypeOf(sequence.assign('Tick').result).toEqualTypeOf<Promise<'tock'>>();
  });

  it('assign accepts only known names with matching content', () => {
    // @ts-expect-error no action "Nope" in the Plan
    expectTypeOf(() => sequence.assign('Nope', 'x')).toBeFunction();
    // @ts-expect-error Read takes a string
    expectTypeOf(() => sequence.assign('Read', 42)).toBeFunction();
    // @ts-expect-error Read's content is required
    expectTypeOf(() => sequence.assign('Read')).toBeFunction();
    // @ts-expect-error the schema's input is { path: string }
    expectTypeOf(() => sequence.assign('Stat', { file: 'a' })).toBeFunction();
  });

  it('then: { name } names a known action and its content comes from the output', () => {
    const handle = sequence.assign('Charge', 5, { then: { name: 'Read', contentFrom: (output) => String(output.charged) } });
    expectTypeOf(handle.result).toEqualTypeOf<Promise<{ charged: number }>>();
    // @ts-expect-error no action "Refund"
    expectTypeOf(() => sequence.assign('Charge', 5, { then: { name: 'Refund' } })).toBeFunction();
    // @ts-expect-error Read takes a string, not the output's number
    expectTypeOf(() => sequence.assign('Charge', 5, { then: { name: 'Read', contentFrom: (output) => output.charged } })).toBeFunction();
    // @ts-expect-error Charge takes a number
    expectTypeOf(() => sequence.assign('Read', 'a', { then: [{ name: 'Charge', content: 'ten' }] })).toBeFunction();
  });

  it('getSnapshot().value is the union of the statechart\'s states', () => {
    type Expected = 'scheduled' | 'delayed' | 'queued' | 'hooks' | 'running' | 'retrying' | 'afterHooks' | 'cancelling' | 'finalizing' | 'done' | 'failed' | 'cancelled';
    expectTypeOf<ActionStateValue>().toEqualTypeOf<Expected>();
    expectTypeOf(sequence.assign('Read', 'a').getSnapshot().value).toEqualTypeOf<Expected>();
    // @ts-expect-error no state "finished"
    expectTypeOf(() => sequence.assign('Read', 'a').getSnapshot().value === 'finished').toBeFunction();
  });

  it('the builder infers names from signatures, content from a schema or the function, and results', () => {
    const built = Plan.create()
      .withSignature({ name: 'Read' })
      .withSignature({ name: 'Stat', schema: trimmed })
      .withFunction('Read', async (path: string) => path.length)
      .withFunction('Stat', async (content) => {
        expectTypeOf(content).toEqualTypeOf<{ path: string; trimmed: true }>();
        return content.path;
      })
      .build();
    expectTypeOf(built).toEqualTypeOf<Plan<{ readonly Read: ActionTypes<string, number>; readonly Stat: ActionTypes<{ path: string }, string> }>>();
    // @ts-expect-error "Write" was never signed
    expectTypeOf(() => Plan.create().withSignature({ name: 'Read' }).withFunction('Write', async () => 1)).toBeFunction();
    // @ts-expect-error "Read" already has its function
    expectTypeOf(() => Plan.create().withSignature({ name: 'Read' }).withFunction('Read', async () => 1).withFunction('Read', async () => 2)).toBeFunction();
    const builtSequence = new Sequence({ plan: built });
    // @ts-expect-error Stat takes the schema's input
    expectTypeOf(() => builtSequence.assign('Stat', 'a')).toBeFunction();
  });

  it('the escape hatch: a plain Plan takes any name and content, and AnySequence accepts every Sequence', () => {
    const untyped = new Sequence({ plan: plan as Plan });
    expectTypeOf(() => untyped.assign('Anything', { at: 'all' }).result).returns.toEqualTypeOf<Promise<unknown>>();
    const accept = (any: AnySequence): string => any.name;
    expectTypeOf(accept(sequence)).toEqualTypeOf<string>();
    expectTypeOf(accept(untyped)).toEqualTypeOf<string>();
  });

  it('assign takes an AbortSignal', () => {
    expectTypeOf(() => sequence.assign('Read', 'a', { signal: AbortSignal.timeout(10) })).toBeFunction();
    // @ts-expect-error a signal, not a controller
    expectTypeOf(() => sequence.assign('Read', 'a', { signal: new AbortController() })).toBeFunction();
  });
});
