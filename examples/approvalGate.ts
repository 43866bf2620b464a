/**
 * A user's Action statechart: Echo's own, with an approval gate. After its
 * before-hooks an action waits in `awaitingApproval` until an `APPROVE` event
 * sent through its handle (`handle.send({ type: 'APPROVE' })`); without one
 * within `approvalTimeout` ms it fails with an `ApprovalTimeout` error.
 *
 * Run: `npx tsx examples/approvalGate.ts`
 */
import { pathToFileURL } from 'node:url';
import { setup } from 'xstate';
import { actionMachine } from '../machines/action.machine.js';
import { checkActionMachine, type ActionMachineTypes } from '../machines/actionContract.js';
import { copyContext, type ActionDraft } from '../machines/actionUpdates.js';
import { recipeAssign } from '../machines/positional.js';
import { createPlan, Sequence, systemClock, type ActionHandle, type Clock } from '../src/index.js';

/** The event that lets a waiting action run. */
export type ApproveEvent = { readonly type: 'APPROVE' };
type Types = ActionMachineTypes<object, ApproveEvent>;
const base = actionMachine.config as { states: Record<string, object> } & Record<string, unknown>;
const implementations = actionMachine.implementations as unknown as { actions: Record<string, never>; guards: Record<string, never>; delays: Record<string, never>; actors: Record<string, never> };

/** The gate's machine: Echo's context, input and output; Echo's events and `APPROVE` (what its handles' `send` takes). */
export type ApprovalGateMachine = ReturnType<typeof approvalGateMachine>;

/** Echo's chart with `hooks ─HOOKS_PASSED→ awaitingApproval ─APPROVE→ running` (or `─approvalTimeout→ finalizing → failed`). */
export function approvalGateMachine(approvalTimeout: number) {
  const gate = setup({
    types: {} as Types,
    actions: {
      ...implementations.actions,
      recordApprovalTimeout: recipeAssign<Types['context'], Types['events'], ActionDraft>((draft) => {
        draft.error = { version: 1, name: 'ApprovalTimeout', message: `Action "${draft.name}" was not approved within ${approvalTimeout} ms` };
      }, copyContext),
    },
    actors: implementations.actors,
    guards: implementations.guards,
    delays: { ...implementations.delays, approvalTimeout },
  });
  // Echo's config with the gate's states: typed as a config of this setup (its states are not spelled out for TypeScript).
  return gate.createMachine({
    ...(base as object),
    id: 'echo.approvalGate',
    states: {
      ...base.states,
      hooks: { invoke: { src: 'beforeHooks' }, on: { HOOKS_PASSED: 'awaitingApproval', HOOK_FAILED: { target: 'afterHooks', actions: 'recordHookFailure' } } },
      awaitingApproval: {
        on: { APPROVE: 'running' },
        after: { approvalTimeout: { target: 'finalizing', actions: 'recordApprovalTimeout' } },
      },
    },
  } as unknown as Parameters<typeof gate.createMachine>[0]);
}

/** Resolves once `handle`'s action is in `state` (at once when it is): its snapshots are watched, never polled. */
function whenIn(handle: ActionHandle<unknown, Types['events']>, state: string): Promise<void> {
  return new Promise((resolve) => {
    if (String(handle.getSnapshot().value) === state) return resolve();
    const stop = handle.subscribe((snapshot) => {
      if (String(snapshot.value) !== state) return;
      stop();
      resolve();
    });
  });
}

export interface ApprovalGateOptions {
  readonly clock?: Clock;
  readonly engine?: 'table' | 'xstate';
  /** @default 1000 */
  readonly approvalTimeout?: number;
  readonly log?: (line: string) => void;
}

/** Assigns two Deploy actions: one approved, one left to time out. */
export async function main(options: ApprovalGateOptions = {}): Promise<{ approved: unknown; unapproved: string }> {
  const log = options.log ?? console.log;
  const machine = checkActionMachine(approvalGateMachine(options.approvalTimeout ?? 1000));
  const sequence = new Sequence({
    plan: createPlan({ Deploy: async (target: unknown) => `deployed ${String(target)}` }),
    actionMachine: machine,
    clock: options.clock ?? systemClock,
    ...(options.engine !== undefined && { engine: options.engine }),
  });
  sequence.start();
  const approved = sequence.assign('Deploy', 'staging');
  const unapproved = sequence.assign('Deploy', 'production');
  // Its outcome is taken at once: it fails while the approved one runs.
  const unapprovedOutcome = unapproved.result.then(
    () => 'approved?',
    (failure: Error) => failure.name,
  );
  // Approve the staging deploy once it waits for approval (a UI or a person would do this).
  await whenIn(approved, 'awaitingApproval');
  approved.send({ type: 'APPROVE' });
  const result = await approved.result;
  log(`staging: ${String(result)}`);
  const error = await unapprovedOutcome;
  log(`production: ${error}`);
  await sequence.shutdown();
  return { approved: result, unapproved: error };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
