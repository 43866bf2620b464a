/**
 * The phases of an action's user code, as the actors the Action statechart's
 * states invoke: `beforeHooks` (in `hooks`), `attempt` (in `running`),
 * `attemptStopping` (in `cancelling`) and `afterHooks` (in `afterHooks`). Each
 * starts when its state is entered and answers the chart through its receiver;
 * when the state is left the invocation stops (`end()`), and a late answer is
 * dropped. The same starts serve both engines: XState runs them as callback
 * actors, the table engine calls them directly (`machines/positional.ts`).
 * @internal
 */
import type { ActionPhaseName } from '../../machines/action.machine.js';
import type { ActionContext, ActionEvent } from '../../machines/actionTypes.js';
import { positionalCallback, type InvocationScope, type PositionalCallback, type PositionalStart } from '../../machines/positional.js';
import { LicenseError, serializeError, toError } from '../errors.js';
import type { ActionRun } from './ActionRun.js';
import { attemptError, failAttempt, hookInfo, tracking, type RunLookup } from './actionEffects.js';
import { AttemptContext } from './AttemptContext.js';
import { runHooks, type HookInfo } from './hooks.js';
import { Phase } from './Phase.js';
import { RunningAttempt } from './RunningAttempt.js';

/** A phase's start: the invoking actor's context, the actor, and where to answer. */
export type ActionPhase = PositionalStart<ActionContext, ActionEvent>;

/** When the step that entered the phase's state happened (its event's `at` saves a clock read), else now. */
function timeOf(run: ActionRun, entered: { readonly type: string } | undefined): number {
  const at = (entered as { at?: unknown } | undefined)?.at;
  return typeof at === 'number' ? at : run.services.clock.now();
}

/**
 * Its actor's context for `failAttempt`, which is done reading it before it sends the chart its
 * answer: the table engine's is peeked at (no snapshot, and the step that records the failure
 * changes it in place rather than copying all of it first).
 */
function contextOf(run: ActionRun): ActionContext {
  const actor = run.actor;
  return actor.peekContext !== undefined ? actor.peekContext() : actor.getSnapshot().context;
}

/** The first answer of a call counts: marks it answered and stopped, true when this was the first. */
function answer(run: ActionRun, current: RunningAttempt): boolean {
  if (current.stopped) return false;
  run.workEnded(current);
  current.stop();
  return true;
}

/**
 * How many attempts' answers are being delivered now. The step an answer takes may start other
 * attempts (the slot it freed goes to the next action, a zero backoff retries at once): their
 * functions are called from {@link AttemptCalls}, not from inside that step.
 */
let answering = 0;

function attemptSucceeded(run: ActionRun, current: RunningAttempt, output: unknown): void {
  if (!answer(run, current) || current.over) return;
  answering++;
  try {
    run.services.tracer?.attemptSucceeded(run, current.number);
    current.answer({ type: 'ATTEMPT_SUCCEEDED', output, at: run.services.clock.now(), noHooks: run.nothingAfter });
  } finally {
    answering--;
  }
}

function attemptFailed(run: ActionRun, current: RunningAttempt, thrown: unknown, context: ActionContext | null): void {
  if (!answer(run, current) || current.over) return;
  answering++;
  try {
    failAttempt(run, current.receiver!, context ?? contextOf(run), attemptError(thrown, run, current.number));
  } finally {
    answering--;
  }
}

/** The attempt's promise fulfilled (bound to its call: two bound functions cost less than two closures and their context). */
function succeeded(this: RunningAttempt, output: unknown): void {
  attemptSucceeded(this.run, this, output);
}

/** The attempt's promise rejected. */
function failed(this: RunningAttempt, thrown: unknown): void {
  attemptFailed(this.run, this, thrown, null);
}

/**
 * Calls attempt `current`'s function and wires its answer. When its signal was aborted before a
 * deferred call (cancelled, timed out or revoked meanwhile), the function is not called: the
 * attempt fails with the abort's reason, as a function honouring its signal would.
 */
function callAttempt(current: RunningAttempt): void {
  const run = current.run;
  if (current.stopped) return;
  if (current.abortedAt !== null || current.over) {
    attemptFailed(run, current, current.signal()?.reason, null);
    return;
  }
  const tracer = run.services.tracer;
  let then: unknown;
  let result: unknown;
  try {
    const attemptContext = new AttemptContext(run, current);
    result = tracer === null ? run.definition.run(run.content, attemptContext) : tracer.attempt(run, current.number, attemptContext);
    // Reading `then` runs user code too (a getter, a Proxy trap).
    then = result !== null && (typeof result === 'object' || typeof result === 'function') ? (result as { then?: unknown }).then : undefined;
  } catch (thrown) {
    attemptFailed(run, current, thrown, null);
    return;
  }
  if (typeof then !== 'function') {
    attemptSucceeded(run, current, result);
    return;
  }
  try {
    (then as PromiseLike<unknown>['then']).call(result, succeeded.bind(current), failed.bind(current));
  } catch (thrown) {
    // It answered, then threw: the answer stands.
    attemptFailed(run, current, thrown, null);
  }
}

const settledPromise = Promise.resolve();

/**
 * Runs `drain` in a microtask as a promise reaction rather than through `queueMicrotask`, whose
 * callback Node wraps in an async resource: three frames more under the function it calls, which
 * every `Error` that function makes captures (and V8 pays per frame), and the hooks around it.
 * Its async context is the one it was scheduled in, as `queueMicrotask`'s.
 */
function schedule(drain: () => void): void {
  void settledPromise.then(drain);
}

/**
 * The attempts started by another attempt's answer, whose functions are called next, in order,
 * from one microtask.
 *
 * Such a start runs deep in the step of the answer (a Site handing the slot it freed to the next
 * action, a zero backoff retrying at once): an `Error` the function makes there captures
 * `Error.stackTraceLimit` frames of the runtime's, and V8 pays per frame. On the retry path (each
 * attempt throws) that capture was the largest single cost. From this microtask the function's
 * stack is two frames of Echo's. A call answered at once (a synchronous function) may start
 * another: it joins the queue, and the same microtask calls it, so a run of synchronous
 * functions is a loop, not a recursion.
 */
class AttemptCalls {
  #queue: (RunningAttempt | undefined)[] = [];
  #next = 0;
  #scheduled = false;
  /** Bound, not an arrow: a bound function adds no frame to the stack an `Error` of the function captures. */
  readonly #drain: () => void = this.#callAll.bind(this);

  add(current: RunningAttempt): void {
    this.#queue.push(current);
    if (this.#scheduled) return;
    this.#scheduled = true;
    schedule(this.#drain);
  }

  #callAll(): void {
    const queue = this.#queue;
    try {
      while (this.#next < queue.length) {
        const current = queue[this.#next]!;
        queue[this.#next++] = undefined;
        callAttempt(current);
      }
    } catch (error) {
      // Not user code (its throws are answers): a fault of the runtime, thrown as an uncaught exception, as before.
      queueMicrotask(() => {
        throw error;
      });
    } finally {
      if (this.#next < queue.length) {
        // The rest go on in the next microtask.
        schedule(this.#drain);
      } else {
        queue.length = 0;
        this.#next = 0;
        this.#scheduled = false;
      }
    }
  }
}

/** Runs `run`'s before- or after-hooks in a phase of their own, which answers `passed` or HOOK_FAILED. */
function hooksPhase(run: ActionRun, scope: InvocationScope<ActionEvent>, which: 'before' | 'after', attempt: number, outcome?: HookInfo['outcome']): Phase {
  const phase = new Phase(scope);
  run.phaseStarted(phase);
  const hooks = which === 'before' ? run.before : run.after;
  const tracer = run.services.tracer;
  const info = hookInfo(run, phase, which, attempt, outcome);
  const onHook = tracking(run, which === 'before' ? 'before-hook' : 'after-hook');
  (tracer === null ? runHooks(hooks, info, onHook) : tracer.hooks(run, which, () => runHooks(hooks, info, onHook))).then(
    () => phase.answer(which === 'before' ? { type: 'HOOKS_PASSED', at: run.services.clock.now() } : { type: 'AFTER_HOOKS_PASSED', at: run.services.clock.now() }),
    (thrown: unknown) => {
      if (!phase.over) phase.answer({ type: 'HOOK_FAILED', error: run.recordError(toError(thrown), serializeError(thrown)), at: run.services.clock.now() });
    },
  );
  return phase;
}

/** Builds the phase starts; `runOf` maps the invoking actor to its ActionRun. */
export function createActionPhases(runOf: RunLookup): Record<ActionPhaseName, ActionPhase> {
  const calls = new AttemptCalls();
  return {
    beforeHooks: (context, parent, scope, entered) => {
      const run = runOf(parent);
      if (run.license?.revoked === true) {
        const error = run.license.error ?? new LicenseError(`License of action "${run.name}" was revoked`, { actionId: run.id });
        scope.answer({ type: 'LICENSE_REVOKED', error: run.recordError(error), at: timeOf(run, entered) });
        return;
      }
      run.hooksBegan();
      if (run.before.length === 0) {
        scope.answer({ type: 'HOOKS_PASSED', at: timeOf(run, entered) });
        return;
      }
      return hooksPhase(run, scope, 'before', context.attempts.length + 1);
    },

    attempt: (context, parent, scope, entered) => {
      const run = runOf(parent);
      const attempt = context.attempts.length;
      if (run.services.listening) run.services.emit({ type: 'started', actionId: run.id, name: run.name, at: timeOf(run, entered), attempt, site: run.site?.id ?? null });
      // The call's state lives in `current` (also the work piece `run.working` names, and the phase
      // this invocation owns), so the callbacks of its promise are bound to it: a live action holds no more per call.
      const current = new RunningAttempt(run, attempt, scope);
      run.hooksBegan(); // (the chart may have passed `hooks` over: nothing ran before)
      run.workStarted(current);
      run.attemptStarted(current);
      // Started by another attempt's answer: called from a shallow stack (AttemptCalls); else (an assign, a timer) now.
      if (answering > 0) calls.add(current);
      else callAttempt(current);
      return current;
    },

    // `running` was left for `cancelling` (its invocation stopped): the attempt it aborted answers here once it stops.
    attemptStopping: (_context, parent, scope) => {
      const current = runOf(parent).attempt;
      if (current === null || current.stopped) return; // its answer is on its way to the chart already
      current.receiver = scope.hold(current);
      return current;
    },

    afterHooks: (context, parent, scope, entered) => {
      const run = runOf(parent);
      run.afterHooksRun();
      if (run.after.length === 0) {
        scope.answer({ type: 'AFTER_HOOKS_PASSED', at: timeOf(run, entered) });
        return;
      }
      const outcome: HookInfo['outcome'] =
        context.error === null
          ? { status: 'done', output: context.output }
          : { status: 'failed', error: run.liveError(context.error) ?? new Error(context.error.message) };
      return hooksPhase(run, scope, 'after', context.attempts.length, outcome);
    },
  };
}

/** The same phases as XState actor logic (callback actors), each carrying its positional start for the table engine. */
export function asXStateActors(phases: Readonly<Record<string, ActionPhase>>): Record<string, PositionalCallback<ActionContext, ActionEvent>> {
  const actors: Record<string, PositionalCallback<ActionContext, ActionEvent>> = {};
  for (const [name, start] of Object.entries(phases)) actors[name] = positionalCallback(start);
  return actors;
}
