/** One action with Echo's real effects outside a Sequence: createActor(actionMachine.provide(echoImplementations(runtime))). */
import { createActor, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { actionMachine, type ActionOutput } from '../../machines/index.js';
import { createPlan, echoImplementations, ManualClock, RoutingError, type EchoEvent } from '../../src/index.js';

describe('echoImplementations', () => {
  it('runs the function, retries after the policy’s backoff on the injected clock, and outputs the result', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const plan = createPlan({
      Quote: { run: async (item: string) => (++calls === 1 ? Promise.reject(new Error('busy')) : `${item}: 12 €`), retry: { attempts: 2, initialDelay: 250, jitter: 'none' } },
    });
    const events: EchoEvent[] = [];
    const actor = createActor(actionMachine.provide(echoImplementations({ plan, clock, onEvent: (event) => events.push(event) })), {
      input: { id: 'q-1', name: 'Quote', content: 'lamp', createdAt: 0 },
      clock,
    }).start();
    const done = toPromise(actor);
    await clock.advance(249);
    expect(actor.getSnapshot().value).toBe('retrying');
    expect(calls).toBe(1);
    await clock.advance(1);
    const output = (await done) as ActionOutput;
    expect(output).toEqual({ status: 'done', output: 'lamp: 12 €', error: null });
    expect(actor.getSnapshot().context.attempts.map((attempt) => [attempt.outcome, attempt.backoff])).toEqual([['failed', 250], ['succeeded', null]]);
    expect(events.map((event) => event.type)).toEqual(['started', 'attempt-failed', 'retrying', 'started']);
  });

  it('CANCEL aborts the running function with a CancellationError; the actor ends cancelled', async () => {
    const clock = new ManualClock();
    const reasons: unknown[] = [];
    const plan = createPlan({
      Hold: (_: null, ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => (reasons.push(ctx.signal.reason), reject(ctx.signal.reason)))),
    });
    const actor = createActor(actionMachine.provide(echoImplementations({ plan, clock })), { input: { id: 'h-1', name: 'Hold', content: null, createdAt: 0 }, clock }).start();
    await clock.advance(0);
    expect(actor.getSnapshot().value).toBe('running');
    actor.send({ type: 'CANCEL', reason: 'user', message: 'no longer needed', at: clock.now() });
    const output = (await toPromise(actor)) as ActionOutput;
    expect(output.status).toBe('cancelled');
    expect(reasons).toEqual([expect.objectContaining({ name: 'CancellationError', reason: 'user', message: 'no longer needed' })]);
  });

  it('an input naming an action the Plan lacks errors the actor with a RoutingError', async () => {
    const plan = createPlan({ Quote: async () => 1 });
    const actor = createActor(actionMachine.provide(echoImplementations({ plan })), { input: { id: 'x', name: 'Nope', content: null, createdAt: 0 } });
    const outcome = toPromise(actor); // observed before it starts: the error is the actor's, not unhandled
    actor.start();
    await expect(outcome).rejects.toBeInstanceOf(RoutingError);
  });
});
