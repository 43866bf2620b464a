/**
 * The outcome is the chart's: every end passes `finalizing`, which decides it from
 * the context and runs the after-hooks still owed; the runtime hands out the live
 * error behind the record the chart chose (its class, its cause chain, the same
 * object everywhere). On both engines.
 */
import { describe, expect, it } from 'vitest';
import { approvalGateMachine } from '../../examples/approvalGate.js';
import { License, type HookInfo, type RunContext } from '../../src/index.js';
import type { ActionRun } from '../../src/action/ActionRun.js';
import { engines, setup, drain, rejection, untilAborted } from '../support/actionHarness.js';

describe.each(engines)('the outcome the chart decides (%s engine)', (engine) => {
  it("a signal's abort: the result's CancellationError has the signal's reason as cause, and the owed after-hook sees that same error", async () => {
    const seen: HookInfo['outcome'][] = [];
    const { clock, sequence } = setup(engine, { Slow: { run: (_: unknown, ctx: RunContext) => untilAborted(ctx.signal), after: (info) => void seen.push(info.outcome) } });
    const controller = new AbortController();
    const reason = new Error('user left');
    const handle = sequence.assign('Slow', null, { signal: controller.signal });
    await clock.advance(0);
    controller.abort(reason);
    await drain(clock);
    const error = (await rejection(handle.result)) as Error;
    expect(error).toMatchObject({ name: 'CancellationError', reason: 'user' });
    expect(error.cause).toBe(reason);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ status: 'cancelled' });
    expect((seen[0] as { error: Error }).error).toBe(error);
  });

  it("a License revoked while running: the result rejects with the License's own error object", async () => {
    const license = new License('owed');
    const { clock, sequence } = setup(engine, { Slow: { run: (_: unknown, ctx: RunContext) => untilAborted(ctx.signal) } });
    const handle = sequence.assign('Slow', null, { license });
    await clock.advance(0);
    license.revoke('gone');
    await drain(clock);
    const error = await rejection(handle.result);
    expect(error).toMatchObject({ name: 'LicenseError' });
    expect(error).toBe(license.error);
  });

  it("a total timeout while after-hooks run: the chart's TimeoutError wins over the outcome the hooks saw", async () => {
    const { clock, sequence } = setup(engine, { Quick: { run: async () => 'ok', after: () => new Promise(() => {}), timeout: { total: 50 } } });
    const handle = sequence.assign('Quick', null);
    await clock.advance(10);
    expect(handle.getSnapshot().value).toBe('afterHooks');
    await clock.advance(40);
    await drain(clock);
    const error = await rejection(handle.result);
    expect(error).toMatchObject({ name: 'TimeoutError', timeout: 'total' });
    expect(handle.getSnapshot().value).toBe('failed');
  });

  it("a user machine's own abrupt end (the approval gate's timeout) passes finalizing: the after-hooks owed run, with its error", async () => {
    const seen: { status: string; error?: string }[] = [];
    const { clock, sequence } = setup(
      engine,
      { Deploy: { run: async () => 'deployed', after: ({ outcome }) => void seen.push({ status: outcome!.status, ...('error' in outcome! && { error: outcome.error.name }) }) } },
      { actionMachine: approvalGateMachine(100) },
    );
    const handle = sequence.assign('Deploy', 'production');
    await clock.advance(100);
    await drain(clock);
    expect(await rejection(handle.result)).toMatchObject({ name: 'ApprovalTimeout' });
    expect(handle.getSnapshot().value).toBe('failed');
    expect(seen).toEqual([{ status: 'failed', error: 'ApprovalTimeout' }]);
  });
});

describe("an ActionRun's state has one writer", () => {
  it('readers get read-only views: assigning its state does not typecheck', () => {
    const writeAttempts = (run: ActionRun): void => {
      // @ts-expect-error the Site holding it is changed by takenBy / releasedBy only
      run.site = null;
      // @ts-expect-error its metadata is changed by receiveMetadata only
      run.metadata = {};
      // @ts-expect-error its queue is changed by route only
      run.queue = 'other';
      // @ts-expect-error what runs now is changed by workStarted / workEnded only
      run.working = null;
      // @ts-expect-error its actor is attached by the engine (attach) only
      run.actor = null as never;
      // @ts-expect-error the outcome's errors are the chart's records (recordError), not fields
      run.lastError = null;
    };
    expect(typeof writeAttempts).toBe('function');
  });
});
