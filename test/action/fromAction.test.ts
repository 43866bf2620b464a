/** Echo actions inside a user's own XState machine: `fromAction(sequence, name)` / `sequence.actor(name)`. */
import { assign, createActor, setup, spawnChild, stopChild, toPromise, type AnyActorLogic, type AnyActorRef } from 'xstate';
import { describe, expect, it } from 'vitest';
import { CancellationError, createPlan, ExecutionError, ManualClock, RoutingError, Sequence, type EchoEvent } from '../../src/index.js';
import { fromAction } from '../../src/action/fromAction.js';
import { actorKey } from '../../inspector/src/state/model.js';
import { followInApp } from '../support/inspectorApp.js';
import { filterActions } from '../../inspector/src/state/derive.js';

function setupSequence(clock = new ManualClock(), engine: 'table' | 'xstate' = 'table') {
  const seen: { attempt: number; reason: unknown }[] = [];
  let flakyCalls = 0;
  const plan = createPlan({
    Charge: async (cents: number) => `charged ${cents}`,
    Decline: { run: async (_cents: number) => Promise.reject(new Error('card declined')), retry: { attempts: 2, initialDelay: 100, jitter: 'none' } },
    Flaky: {
      run: async (cents: number) => {
        flakyCalls++;
        if (flakyCalls === 1) throw new Error('gateway hiccup');
        return `charged ${cents} on attempt ${flakyCalls}`;
      },
      retry: { attempts: 3, initialDelay: 100, jitter: 'none' },
    },
    Hold: (_: number, ctx) =>
      new Promise<string>((_resolve, reject) =>
        ctx.signal.addEventListener('abort', () => {
          seen.push({ attempt: ctx.attempt, reason: ctx.signal.reason });
          reject(ctx.signal.reason);
        }),
      ),
  });
  const sequence = new Sequence({ plan, clock, sites: 1, engine }).start();
  const events: EchoEvent[] = [];
  sequence.events$.subscribe((event) => events.push(event));
  return { sequence, clock, seen, events };
}

interface Checkout {
  readonly receipt: unknown;
  readonly failure: unknown;
}

/** A checkout machine that charges through an Echo action and can be abandoned while it does. */
function checkoutMachine(charge: AnyActorLogic) {
  return setup({
    types: {} as { context: Checkout; events: { type: 'ABANDON' }; output: Checkout },
    actors: { charge },
  }).createMachine({
    id: 'checkout',
    context: { receipt: null, failure: null },
    initial: 'charging',
    states: {
      charging: {
        invoke: {
          src: 'charge',
          input: 1200,
          onDone: { target: 'paid', actions: assign({ receipt: ({ event }) => event.output }) },
          onError: { target: 'declined', actions: assign({ failure: ({ event }) => event.error }) },
        },
        on: { ABANDON: 'abandoned' },
      },
      paid: { type: 'final' },
      declined: { type: 'final' },
      abandoned: { type: 'final' },
    },
    output: ({ context }) => context,
  });
}

describe.each(['table', 'xstate'] as const)('fromAction: an Echo action invoked by a user machine (engine %s)', (engine) => {
  it('the output is the action’s result', async () => {
    const { sequence } = setupSequence(undefined, engine);
    const checkout = createActor(checkoutMachine(fromAction(sequence, 'Charge'))).start();
    const output = await toPromise(checkout);
    expect(checkout.getSnapshot().value).toBe('paid');
    expect(output.receipt).toBe('charged 1200');
    await sequence.shutdown();
  });

  it('an error is the typed Echo error, after the action’s own retries', async () => {
    const { sequence, clock, events } = setupSequence(undefined, engine);
    const checkout = createActor(checkoutMachine(sequence.actor('Decline'))).start();
    const done = toPromise(checkout);
    await clock.advance(100);
    const output = await done;
    expect(checkout.getSnapshot().value).toBe('declined');
    expect(output.failure).toBeInstanceOf(ExecutionError);
    expect(output.failure).toMatchObject({ name: 'ExecutionError', attempt: 2, message: expect.stringContaining('card declined') });
    expect(events.filter((event) => event.type === 'attempt-failed').map((event) => (event as { attempt: number }).attempt)).toEqual([1, 2]);
    await sequence.shutdown();
  });

  it('leaving the invoking state cancels the action with reason `parent`; its function’s signal says so', async () => {
    const { sequence, clock, seen, events } = setupSequence(undefined, engine);
    const checkout = createActor(checkoutMachine(fromAction(sequence, 'Hold'))).start();
    await clock.advance(0);
    expect(sequence.stats().live).toBe(1);
    checkout.send({ type: 'ABANDON' });
    await clock.advance(0);
    expect(checkout.getSnapshot().value).toBe('abandoned');
    expect(events.find((event) => event.type === 'cancelled')).toMatchObject({ name: 'Hold', reason: 'parent' });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.reason).toBeInstanceOf(CancellationError);
    expect(seen[0]!.reason).toMatchObject({ reason: 'parent' });
    expect(sequence.stats()).toMatchObject({ live: 0, cancelled: 1 });
    await sequence.shutdown();
  });

  it('spawned actions run side by side; stopping one child cancels only its action', async () => {
    const { sequence, clock, events } = setupSequence(undefined, engine);
    const machine = setup({
      types: {} as { context: { receipts: string[] }; events: { type: 'STOP_HOLD' } | { type: 'xstate.done.actor.small' | 'xstate.done.actor.large'; output: unknown } },
      actors: { charge: sequence.actor('Charge'), hold: sequence.actor('Hold') },
    }).createMachine({
      context: { receipts: [] },
      entry: [spawnChild('charge', { id: 'small', input: 5 }), spawnChild('charge', { id: 'large', input: 500 }), spawnChild('hold', { id: 'held', input: 1 })],
      on: {
        'xstate.done.actor.small': { actions: assign({ receipts: ({ context, event }) => [...context.receipts, String((event as { output: unknown }).output)] }) },
        'xstate.done.actor.large': { actions: assign({ receipts: ({ context, event }) => [...context.receipts, String((event as { output: unknown }).output)] }) },
        STOP_HOLD: { actions: stopChild('held') },
      },
    });
    const actor = createActor(machine).start();
    await clock.advance(0);
    expect([...actor.getSnapshot().context.receipts].sort()).toEqual(['charged 5', 'charged 500']);
    expect(sequence.stats().live).toBe(1);
    actor.send({ type: 'STOP_HOLD' });
    await clock.advance(0);
    expect(events.filter((event) => event.type === 'cancelled')).toEqual([expect.objectContaining({ name: 'Hold', reason: 'parent' })]);
    expect(sequence.stats()).toMatchObject({ live: 0, done: 2, cancelled: 1 });
    actor.stop();
    await sequence.shutdown();
  });

  it('an unknown name is a RoutingError at once; signal and then are refused with a TypeError', () => {
    const { sequence } = setupSequence(undefined, engine);
    expect(() => fromAction(sequence, 'Nope' as never)).toThrow(RoutingError);
    expect(() => sequence.actor('Charge', { signal: new AbortController().signal } as never)).toThrow(/without `signal` or `then`/);
  });

  it('in the inspector the action, its retries and attempts show under the user’s actor', async () => {
    const clock = new ManualClock();
    const { sequence } = setupSequence(clock, engine);
    const app = followInApp(sequence, clock);
    const checkout = createActor(checkoutMachine(fromAction(sequence, 'Flaky'))).start();
    await clock.advance(20);
    const user = checkout as AnyActorRef;
    const userView = app.state.actors.get(actorKey(sequence.id, user.sessionId));
    expect(userView).toMatchObject({ machineId: 'checkout', value: 'charging', status: 'active' });
    const under = filterActions(app.state, { ...app.state.filters, parent: userView!.key });
    const action = under.find((view) => view.kind === 'action');
    expect(action).toMatchObject({ parentId: user.sessionId, value: 'retrying', context: expect.objectContaining({ name: 'Flaky' }) });
    // A viewer that joins now finds the user's actors too (the Sequence keeps their system's root).
    expect([...sequence.currentActors()].map((actor) => actor.sessionId)).toContain(user.sessionId);
    await clock.advance(100);
    await toPromise(checkout);
    await clock.advance(20);
    const settled = app.state.actors.get(action!.key)!;
    expect(settled).toMatchObject({ parentId: user.sessionId, value: 'done', status: 'done' });
    expect((settled.context as { attempts: { outcome: string }[] }).attempts.map((attempt) => attempt.outcome)).toEqual(['failed', 'succeeded']);
    expect(settled.history.map(([value]) => value)).toEqual(expect.arrayContaining(['running', 'retrying', 'done']));
    expect(app.state.actors.get(actorKey(sequence.id, user.sessionId))).toMatchObject({ value: 'paid', status: 'done' });
    expect([...sequence.currentActors()].map((actor) => actor.sessionId)).not.toContain(user.sessionId); // its system is over: not kept
    app.dispose();
    await sequence.shutdown();
  });
});
