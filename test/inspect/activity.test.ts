/** `ctx.progress` and `ctx.log` on the wire: a real Sequence, the adapter and a mirror of what a viewer holds. */
import { describe, expect, test } from 'vitest';
import { createPlan, ManualClock, Sequence, type RunContext } from '../../src/index.js';
import { createInspectionAdapter } from '../../src/inspect/adapter.js';
import { SourceMirror } from '../../src/inspect/mirror.js';
import type { DeltaMessage, SourceMessage, WireActionContext, WireActor } from '../../src/inspect/protocol.js';

function held() {
  let ctx: RunContext | undefined;
  let release: (value: unknown) => void = () => {};
  return {
    run: (_content: unknown, context: RunContext) =>
      new Promise((resolve) => {
        ctx = context;
        release = resolve;
      }),
    get ctx() {
      return ctx!;
    },
    release: (value: unknown) => release(value),
  };
}

function actionIn(actors: WireActor[], id: string): Partial<WireActionContext> | undefined {
  return actors.find((actor) => actor.kind === 'action' && (actor.context as { id?: string }).id === id)?.context as Partial<WireActionContext> | undefined;
}

describe.each(['table', 'xstate'] as const)('progress and logs on the wire (%s engine)', (engine) => {
  test('a viewer sees the latest progress and the log lines while it runs and after it settled', async () => {
    const clock = new ManualClock();
    const work = held();
    const sequence = new Sequence({ plan: createPlan({ Work: work.run }), clock, sites: 1, engine, activity: { maxLogs: 2 } }).start();
    const adapter = createInspectionAdapter(sequence.id, sequence, { clock, flushInterval: 10 });
    const mirror = new SourceMirror(sequence.id);
    mirror.apply(adapter.fullState());
    const messages: SourceMessage[] = [];
    adapter.subscribe((message) => {
      messages.push(message);
      mirror.apply(message);
    });
    const handle = sequence.assign('Work', null);
    await clock.advance(0);
    work.ctx.progress({ done: 1, total: 4 }); // in the same flush as the action's START
    work.ctx.log('fetched', { rows: 3 });
    await clock.advance(10);
    expect(actionIn(mirror.fullState().actors, handle.id)).toMatchObject({ progress: { done: 1, total: 4 }, logs: [{ message: 'fetched', data: { rows: 3 }, attempt: 1, at: 0 }] });

    // Only the changed key travels: a log line patches `logs`, not the whole context.
    const before = messages.length;
    work.ctx.log('second');
    work.ctx.log('third');
    await clock.advance(10);
    const patches = messages.slice(before).filter((m): m is DeltaMessage => m.type === 'delta').flatMap((m) => m.ops).filter((op) => op.op === 'state');
    expect(patches.map((op) => op.op === 'state' && Object.keys(op.patch?.set ?? {}).sort())).toEqual([['logs', 'logsDropped']]);
    expect(actionIn(mirror.fullState().actors, handle.id)).toMatchObject({ logs: [{ message: 'second' }, { message: 'third' }], logsDropped: 1 });

    await clock.advance(200);
    work.ctx.progress({ done: 4, total: 4 });
    work.release('ok');
    await handle.result;
    await clock.advance(10);
    const settled = actionIn(mirror.fullState().actors, handle.id);
    expect(settled).toMatchObject({ progress: { done: 4, total: 4 }, logsDropped: 1 });
    expect(settled?.logs?.map((line) => line.message)).toEqual(['second', 'third']);

    adapter.dispose();
    await sequence.shutdown();
  });

  test('an inspector that attaches while the action runs sees what it reported before', async () => {
    const clock = new ManualClock();
    const work = held();
    const sequence = new Sequence({ plan: createPlan({ Work: work.run }), clock, sites: 1, engine }).start();
    const handle = sequence.assign('Work', null);
    await clock.advance(0);
    work.ctx.progress(0.5);
    work.ctx.log('before anyone looked');
    const adapter = createInspectionAdapter(sequence.id, sequence, { clock, flushInterval: 10 });
    expect(actionIn(adapter.fullState().actors, handle.id)).toMatchObject({ progress: 0.5, logs: [{ message: 'before anyone looked' }] });
    adapter.dispose();
    work.release('ok');
    await sequence.shutdown();
  });
});
