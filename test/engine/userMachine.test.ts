import { fromCallback, raise, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { approvalGateMachine, main as approvalGate } from '../../examples/approvalGate.js';
import { actionMachine } from '../../machines/action.machine.js';
import { ActionContractError, checkActionMachine } from '../../machines/actionContract.js';
import { positionalCallback } from '../../machines/positional.js';
import { createPlan, ManualClock, Sequence } from '../../src/index.js';
import { followInApp } from '../support/inspectorApp.js';

describe('user Action machines in a Sequence', () => {
  for (const engine of ['table', 'xstate'] as const) {
    it(`approval gate (${engine}): APPROVE through the handle runs it; without one it fails after its own timeout`, async () => {
      const clock = new ManualClock();
      const lines: string[] = [];
      const run = approvalGate({ clock, engine, approvalTimeout: 500, log: (line) => lines.push(line) });
      for (let i = 0; i < 10; i++) await clock.advance(100);
      expect(await run).toEqual({ approved: 'deployed staging', unapproved: 'ApprovalTimeout' });
      expect(lines).toEqual(['staging: deployed staging', 'production: ApprovalTimeout']);
    });
  }

  for (const engine of ['table', 'xstate'] as const) {
    it(`approval gate (${engine}): the inspector shows its actions as actions of its own machine, waiting in \`awaitingApproval\``, async () => {
      const clock = new ManualClock();
      const sequence = new Sequence({ plan: createPlan({ Deploy: async () => 'deployed' }), actionMachine: approvalGateMachine(500), clock, engine }).start();
      const app = followInApp(sequence, clock);
      const handle = sequence.assign('Deploy', 'staging');
      await clock.advance(20);
      const machine = app.state.machines[`${sequence.id}|echo.approvalGate`];
      expect(JSON.stringify(machine)).toContain('"awaitingApproval"');
      const view = [...app.state.actors.values()].find((actor) => (actor.context as { id?: unknown } | null)?.id === handle.id);
      expect(view).toMatchObject({ kind: 'action', machineId: 'echo.approvalGate', value: 'awaitingApproval', status: 'active' });
      handle.send({ type: 'APPROVE' });
      expect(await handle.result).toBe('deployed');
      await clock.advance(20);
      // The phases its states invoked (before-hooks, the attempt, after-hooks) are no actors of their own in the inspector.
      expect([...app.state.actors.values()].filter((actor) => actor.parentId === view!.sessionId)).toEqual([]);
      const kinds = [...app.state.actors.values()].map((actor) => actor.kind);
      expect(new Set(kinds)).toEqual(new Set(['action', 'sequence', 'site']));
      expect(kinds.filter((kind) => kind === 'action')).toHaveLength(1);
      expect(app.state.actors.get(view!.key)!.history.map(([value]) => value)).toEqual(expect.arrayContaining(['awaitingApproval', 'running', 'done']));
      app.dispose();
      await sequence.shutdown();
    });
  }

  it('a waiting action stays in awaitingApproval until the timeout (no approval, no run)', async () => {
    const clock = new ManualClock();
    const calls: string[] = [];
    const sequence = new Sequence({ plan: createPlan({ Deploy: async () => void calls.push('run') }), actionMachine: approvalGateMachine(500), clock });
    sequence.start();
    const handle = sequence.assign('Deploy', 'x');
    await clock.advance(499);
    expect(String(handle.getSnapshot().value)).toBe('awaitingApproval');
    expect(calls).toEqual([]);
    await clock.advance(1);
    await expect(handle.result).rejects.toMatchObject({ name: 'ApprovalTimeout' });
    await sequence.shutdown();
  });

  it('checkActionMachine names each breach of the contract', () => {
    expect(checkActionMachine(actionMachine)).toBe(actionMachine);
    const config = actionMachine.config as { on: Record<string, unknown>; states: Record<string, unknown> } & Record<string, unknown>;
    const { CANCEL: _cancel, ...on } = config.on;
    const without = (state: unknown) => {
      const { CANCEL: _c, ...rest } = (state as { on: Record<string, unknown> }).on;
      return { ...(state as object), on: rest };
    };
    const states = { ...config.states, running: without(config.states.running), afterHooks: without(config.states.afterHooks), cancelled: { entry: 'recordSettled' } };
    const broken = setup({ actions: actionMachine.implementations.actions as never }).createMachine({ ...config, on, states: states, context: () => ({ id: 'x' }) } as never);
    let error: unknown;
    try {
      checkActionMachine(broken as never);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ActionContractError);
    const message = (error as Error).message;
    expect(message).toMatch(/no transition for `CANCEL`/);
    expect(message).toMatch(/no top-level final state `cancelled`/);
    expect(message).toMatch(/the context lacks `name`, `content`/);
    expect(() => new Sequence({ plan: createPlan({ A: async () => 1 }), actionMachine: broken as never })).toThrow(ActionContractError);
  });

  it('checkActionMachine requires the finalizing state every end passes, running runOwedAfterHooks on entry', () => {
    const config = actionMachine.config as unknown as { states: Record<string, Record<string, unknown>> } & Record<string, unknown>;
    const impl = actionMachine.implementations as unknown as { actions: Record<string, never>; guards: Record<string, never>; delays: Record<string, never>; actors: Record<string, never> };
    const { finalizing, ...withoutFinalizing } = config.states;
    // The same chart with every `finalizing` target going straight to `failed` (functions kept).
    const retarget = (value: unknown): unknown => {
      if (value === 'finalizing' || value === '.finalizing') return String(value).replace('finalizing', 'failed');
      if (Array.isArray(value)) return value.map(retarget);
      if (typeof value !== 'object' || value === null) return value;
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, retarget(inner)]));
    };
    const problemsOf = (states: Record<string, unknown>, root: object = config): string => {
      const machine = setup({ actions: impl.actions, guards: impl.guards, delays: impl.delays, actors: impl.actors }).createMachine({ ...root, states } as never);
      try {
        checkActionMachine(machine as never);
      } catch (thrown) {
        expect(thrown).toBeInstanceOf(ActionContractError);
        return (thrown as Error).message;
      }
      return '';
    };
    const root = { ...config, on: retarget(config.on), after: retarget(config.after) };
    expect(problemsOf(retarget(withoutFinalizing) as Record<string, unknown>, root)).toMatch(/no top-level state `finalizing`/);
    expect(problemsOf({ ...config.states, finalizing: { ...finalizing, entry: [] } })).toMatch(/state `finalizing` does not run `runOwedAfterHooks` on entry/);
    expect(problemsOf(config.states)).toBe('');
    const { invoke: _invoke, ...running } = config.states.running!;
    expect(problemsOf({ ...config.states, running })).toMatch(/no state invokes `attempt` \(its user code would never run\)/);
    const bare = setup({ actions: impl.actions, guards: impl.guards, delays: impl.delays }).createMachine({ ...config } as never);
    expect(() => checkActionMachine(bare as never)).toThrow(/no actor `beforeHooks` \(a phase Echo provides; declare it in setup\(\{ actors \}\)\)/);
  });

  it('a provided `attempt` stays the user\'s and gives the same results on both engines (plain callback logic: XState with a notice; with a positional start: the table engine)', async () => {
    const answer = (sendBack: (event: { type: 'ATTEMPT_SUCCEEDED'; output: unknown; at: number }) => void) => sendBack({ type: 'ATTEMPT_SUCCEEDED', output: 'stubbed', at: 0 });
    const machines = {
      plain: actionMachine.provide({ actors: { attempt: fromCallback(({ sendBack }) => answer(sendBack)) } }),
      positional: actionMachine.provide({ actors: { attempt: positionalCallback((_context, _parent, scope) => answer((event) => scope.answer(event))) } }),
    };
    const seen: Record<string, unknown> = {};
    for (const [kind, machine] of Object.entries(machines)) {
      for (const engine of ['table', 'xstate'] as const) {
        const calls: string[] = [];
        const notices: Error[] = [];
        const sequence = new Sequence({ plan: createPlan({ A: async () => void calls.push('real') }), actionMachine: machine as never, engine, onError: (error) => notices.push(error as Error) });
        sequence.start();
        const handle = sequence.assign('A', null);
        const result = await handle.result;
        seen[`${kind} ${engine}`] = { result, value: handle.getSnapshot().value, attempts: handle.getSnapshot().context.attempts.map((a) => a.outcome), calls, notices: notices.map((n) => n.message.includes('runs with createActor')) };
        await sequence.shutdown();
      }
    }
    const same = { result: 'stubbed', value: 'done', attempts: ['succeeded'], calls: [] };
    expect(seen).toEqual({
      'plain table': { ...same, notices: [true] },
      'plain xstate': { ...same, notices: [] },
      'positional table': { ...same, notices: [] },
      'positional xstate': { ...same, notices: [] },
    });
  });

  it('a machine the table engine cannot compile runs with createActor, with a one-line notice through onError', async () => {
    const config = actionMachine.config as { states: Record<string, object> } & Record<string, unknown>;
    const impl = actionMachine.implementations as unknown as { actions: Record<string, never>; guards: Record<string, never>; delays: Record<string, never>; actors: Record<string, never> };
    const raising = setup({ actions: impl.actions, guards: impl.guards, delays: impl.delays, actors: impl.actors }).createMachine({
      ...config,
      states: { ...config.states, hooks: { invoke: { src: 'beforeHooks' }, entry: raise({ type: 'NOTED' } as never), on: { HOOKS_PASSED: 'running', HOOK_FAILED: 'afterHooks' } } },
    } as never);
    const notices: Error[] = [];
    const sequence = new Sequence({ plan: createPlan({ A: async () => 'ok' }), actionMachine: raising as never, onError: (error) => notices.push(error as Error) });
    sequence.start();
    expect(await sequence.assign('A', null).result).toBe('ok');
    await sequence.shutdown();
    expect(notices).toHaveLength(1);
    expect(notices[0]!.name).toBe('EchoNotice');
    expect(notices[0]!.message).toMatch(/does not support the built-in action `xstate.raise`.*runs with createActor/);
  });
});
