/**
 * The Action statechart: the heart of Echo.
 *
 * ```
 * scheduled ─┬─▶ delayed ──startDelay──▶ queued ──START──▶ hooks ──HOOKS_PASSED──▶ running
 *            └──────────────────────────▶ queued ▲   └──START [noHooks]────────────────▶ │ ATTEMPT_FAILED (retry planned)
 *                                                └──────────backoff── retrying ◀──────┘
 *
 * A retrying action gives its Site slot back (`releaseSite`) and queues again when
 * its backoff ends (a zero backoff: at once), so waiting retries never hold a Site's concurrency.
 * running ──ATTEMPT_SUCCEEDED / final ATTEMPT_FAILED──▶ afterHooks ──▶ finalizing
 * running ──ATTEMPT_SUCCEEDED [noHooks]──▶ done
 * running ──CANCEL──▶ cancelling ──settled or cancelGrace──▶ finalizing
 * queued ──REJECT (a Site behaviour kept crashing on it)──▶ finalizing
 * any other state ──CANCEL · LICENSE_REVOKED · totalTimeout──▶ finalizing
 * finalizing ──(at once)──▶ cancelled | done | failed
 * (LICENSE_REVOKED is ignored in afterHooks: the License guards attempts, and they are over)
 * ```
 *
 * Every other end passes `finalizing`, where the outcome is decided from the context the
 * transitions recorded (a cancellation wins, then an error fails it, else it is
 * done: the same rule as the output) and the after-hooks an abruptly ended action
 * still owes run (`runOwedAfterHooks`: they see the outcome and cannot change it).
 * `finalizing` is left in the same step, so no snapshot shows it. A success with no
 * after-hook has nothing there to decide or run: it goes to `done` at once.
 *
 * Where nothing would run in a hooks state, the runtime says so in the event that
 * would enter it (`noHooks` on START: no before-hook, no License to check; on
 * ATTEMPT_SUCCEEDED: no after-hook) and the chart passes the state over: an action
 * without hooks goes queued → running → done. It does so only where the states
 * are this chart's own (a user's chart that rewrites `hooks`, as an approval gate after
 * HOOKS_PASSED does, gets no word for it); an event without the word (a START sent by
 * hand) enters the state.
 *
 * The user code of each phase runs in an actor the state invokes: `hooks` invokes
 * `beforeHooks`, `running` invokes `attempt`, `afterHooks` invokes `afterHooks`, and
 * `cancelling` invokes `attemptStopping` (it waits for the aborted attempt to stop).
 * Leaving the state stops its invocation, and a stopped invocation's late answer is
 * dropped: an abandoned attempt or hook can no longer move the chart.
 *
 * Pure configuration: context changes are the recipes of `actionUpdates.ts`,
 * guards and delays the functions of `actionRules.ts`, each with its positional
 * form attached for the table engine (`positional.ts`); the effects (`enqueue`,
 * `timeOutAttempt`, `abortWork`, `releaseSite`, `runOwedAfterHooks`) and the
 * phases' actors are empty slots the runtime fills with `.provide()`. Both answer by
 * sending events (`HOOKS_PASSED`, `ATTEMPT_FAILED`, ...).
 */
import { setup } from 'xstate';
import { ACTION_FINAL_STATES } from './actionConstants.js';
import type { ActionContext, ActionEvent, ActionInput, ActionOutput } from './actionTypes.js';
import { actionDelays, actionGuards } from './actionRules.js';
import { actionRecipes, copyContext, createActionContext, type ActionDraft, type ActionRecipe } from './actionUpdates.js';
import { emptyInvocationSlot, positionalDelay, positionalGuard, recipeAssign } from './positional.js';

/** A context change written once as a recipe (`actionUpdates.ts`), applied by XState to a copy. */
const record = (recipe: ActionRecipe) => recipeAssign<ActionContext, ActionEvent, ActionDraft>(recipe, copyContext);

/** An effect slot's default: does nothing until the runtime provides it. */
const slot = (): void => {};

/** The Action statechart (drawn above): its effects are slots the runtime provides. */
export const actionMachine = setup({
  types: {} as {
    context: ActionContext;
    events: ActionEvent;
    input: ActionInput;
    output: ActionOutput;
  },
  actors: {
    /** Check the License, then run before-hooks; answer HOOKS_PASSED, HOOK_FAILED or LICENSE_REVOKED. */
    beforeHooks: emptyInvocationSlot(),
    /** Call the action's function; answer ATTEMPT_SUCCEEDED or ATTEMPT_FAILED. */
    attempt: emptyInvocationSlot(),
    /** After a cancel: wait for the aborted attempt to stop; answer ATTEMPT_SUCCEEDED or ATTEMPT_FAILED. */
    attemptStopping: emptyInvocationSlot(),
    /** Run after-hooks with the outcome; answer AFTER_HOOKS_PASSED or HOOK_FAILED. */
    afterHooks: emptyInvocationSlot(),
  },
  actions: {
    recordSite: record(actionRecipes.recordSite),
    recordReceived: record(actionRecipes.recordReceived),
    recordAttemptStart: record(actionRecipes.recordAttemptStart),
    recordAttemptSuccess: record(actionRecipes.recordAttemptSuccess),
    recordAttemptFailure: record(actionRecipes.recordAttemptFailure),
    recordHookFailure: record(actionRecipes.recordHookFailure),
    recordCancellation: record(actionRecipes.recordCancellation),
    recordAttemptStopped: record(actionRecipes.recordAttemptStopped),
    recordAbandoned: record(actionRecipes.recordAbandoned),
    recordLicenseRevoked: record(actionRecipes.recordLicenseRevoked),
    recordTotalTimeout: record(actionRecipes.recordTotalTimeout),
    recordSettled: record(actionRecipes.recordSettled),
    /** Put the action in its Production so a Site can take it. */
    enqueue: slot,
    /** The attempt ran out of time: abort it and answer ATTEMPT_FAILED with a TimeoutError. */
    timeOutAttempt: slot,
    /** Give the Site's concurrency slot back while the action waits for its retry. */
    releaseSite: slot,
    /** Abort whatever runs now (a hook or an attempt) through its AbortSignal. */
    abortWork: slot,
    /** In `finalizing`: run the after-hooks an abruptly ended action still owes (their failures are reported, the outcome stands). */
    runOwedAfterHooks: slot,
  },
  guards: {
    hasStartDelay: positionalGuard(actionGuards.hasStartDelay),
    noHooks: positionalGuard(actionGuards.noHooks),
    retryPlanned: positionalGuard(actionGuards.retryPlanned),
    retryAtOnce: positionalGuard(actionGuards.retryAtOnce),
    succeeded: positionalGuard(actionGuards.succeeded),
    notCancelling: positionalGuard(actionGuards.notCancelling),
    wasCancelled: positionalGuard(actionGuards.wasCancelled),
  },
  delays: {
    startDelay: positionalDelay(actionDelays.startDelay),
    backoff: positionalDelay(actionDelays.backoff),
    attemptTimeout: positionalDelay(actionDelays.attemptTimeout),
    totalTimeout: positionalDelay(actionDelays.totalTimeout),
    cancelGrace: positionalDelay(actionDelays.cancelGrace),
  },
}).createMachine({
  id: 'echo.action',
  context: ({ input }) => createActionContext(input),
  initial: 'scheduled',
  on: {
    CANCEL: { guard: 'notCancelling', target: '.finalizing', actions: ['recordCancellation', 'abortWork'] },
    LICENSE_REVOKED: { guard: 'notCancelling', target: '.finalizing', actions: ['recordLicenseRevoked', 'abortWork'] },
  },
  after: {
    totalTimeout: { guard: 'notCancelling', target: '.finalizing', actions: ['recordTotalTimeout', 'abortWork'] },
  },
  states: {
    scheduled: {
      always: [{ guard: 'hasStartDelay', target: 'delayed' }, { target: 'queued' }],
    },
    delayed: {
      after: { startDelay: 'queued' },
      on: { RETRY_NOW: 'queued' },
    },
    queued: {
      entry: 'enqueue',
      on: {
        START: [
          { guard: 'noHooks', target: 'running', actions: 'recordSite' },
          { target: 'hooks', actions: 'recordSite' },
        ],
        RECEIVED: { actions: 'recordReceived', description: "A Site behaviour changed the action's metadata or queue" },
        REJECT: { target: 'finalizing', actions: 'recordHookFailure' },
      },
    },
    hooks: {
      invoke: { src: 'beforeHooks' },
      on: {
        HOOKS_PASSED: 'running',
        HOOK_FAILED: { target: 'afterHooks', actions: 'recordHookFailure' },
      },
    },
    running: {
      entry: 'recordAttemptStart',
      invoke: { src: 'attempt' },
      after: { attemptTimeout: { actions: 'timeOutAttempt' } },
      on: {
        ATTEMPT_SUCCEEDED: [
          { guard: 'noHooks', target: 'done', actions: 'recordAttemptSuccess' },
          { target: 'afterHooks', actions: 'recordAttemptSuccess' },
        ],
        ATTEMPT_FAILED: [
          { guard: 'retryPlanned', target: 'retrying', actions: 'recordAttemptFailure' },
          { target: 'afterHooks', actions: 'recordAttemptFailure' },
        ],
        CANCEL: { target: 'cancelling', actions: ['recordCancellation', 'abortWork'] },
      },
    },
    retrying: {
      entry: 'releaseSite',
      // A zero backoff queues again in the same step (no 0 ms timer), but not forever in a row (RETRIES_AT_ONCE).
      always: { guard: 'retryAtOnce', target: 'queued' },
      after: { backoff: 'queued' },
      on: { RETRY_NOW: 'queued' },
    },
    afterHooks: {
      invoke: { src: 'afterHooks' },
      on: {
        AFTER_HOOKS_PASSED: 'finalizing',
        HOOK_FAILED: { target: 'finalizing', actions: 'recordHookFailure' },
        LICENSE_REVOKED: { description: 'The License guards attempts, and they are over: the outcome stands' },
        CANCEL: { description: 'The outcome is known; the after-hooks finish and it stands' },
      },
    },
    cancelling: {
      invoke: { src: 'attemptStopping' },
      after: { cancelGrace: { target: 'finalizing', actions: 'recordAbandoned' } },
      on: {
        ATTEMPT_SUCCEEDED: { target: 'finalizing', actions: 'recordAttemptStopped' },
        ATTEMPT_FAILED: { target: 'finalizing', actions: 'recordAttemptStopped' },
      },
    },
    done: { type: 'final', entry: 'recordSettled' },
    failed: { type: 'final', entry: 'recordSettled' },
    cancelled: { type: 'final', entry: 'recordSettled' },
    // The outcome is decided here; the after-hooks an abruptly ended action owes run.
    finalizing: {
      entry: 'runOwedAfterHooks',
      always: [
        { guard: 'wasCancelled', target: 'cancelled' },
        { guard: 'succeeded', target: 'done' },
        { target: 'failed' },
      ],
    },
  },
  output: ({ context }) => ({
    status: context.cancellation !== null ? 'cancelled' : context.error === null ? 'done' : 'failed',
    output: context.output,
    error: context.error,
  }),
});

/** The names of the effect slots the runtime must provide. */
export const actionEffectNames = ['enqueue', 'timeOutAttempt', 'abortWork', 'releaseSite', 'runOwedAfterHooks'] as const;

/** One of the Action statechart's effect slots. */
export type ActionEffectName = (typeof actionEffectNames)[number];

/** The names of the actor slots its states invoke (a phase of user code each), which the runtime provides. */
export const actionPhaseNames = ['beforeHooks', 'attempt', 'attemptStopping', 'afterHooks'] as const;

/** One of the Action statechart's invoked phases. */
export type ActionPhaseName = (typeof actionPhaseNames)[number];

/** State values of the Action statechart that are final (the same list as `ACTION_FINAL_STATES`). */
export const actionFinalStates = ACTION_FINAL_STATES;

/** The type of Echo's own Action statechart: a Sequence's `actionMachine` unless it is given another. */
export type BuiltInActionMachine = typeof actionMachine;
