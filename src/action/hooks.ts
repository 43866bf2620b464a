/**
 * Hooks: functions that run before each attempt and after the action's outcome.
 *
 * Order (documented and tested): before-hooks run global (Life) → per action
 * name (Plan) → named in the action's metadata `hooks`; after-hooks run in the
 * reverse order, like middleware unwinding. A before-hook may veto by throwing a
 * `LicenseError` (no attempt is consumed); any other throw becomes a `HookError`
 * naming the hook. After-hooks see the output or the error.
 *
 * After-hooks run once for every action a Site took (that reached `hooks`): inside
 * the statechart (`afterHooks`) when its attempts are over, or right after it
 * settles when it ended abruptly (cancel, License revocation, total timeout). There
 * they see status `cancelled` or `failed`, cannot change the outcome, and a hook
 * that throws is reported as an `after-hook-failed` event. So a before-hook that
 * acquires something can count on an after-hook to release it.
 *
 * Every after-hook runs, in that order, even when an earlier one throws or the
 * action's signal was aborted: one failure fails the action with a `HookError`
 * whose `cause` is what the hook threw; several fail it with one `HookError`
 * naming them all, its `cause` an `AggregateError` of each hook's `HookError`.
 */
import { EchoError, HookError, LicenseError, isInstance, messageOf } from '../errors.js';
import { describeValue } from '../validate.js';

/** What a hook sees. */
export interface HookInfo {
  readonly phase: 'before' | 'after';
  readonly action: {
    readonly id: string;
    readonly name: string;
    readonly content: unknown;
    readonly metadata: Readonly<Record<string, unknown>>;
  };
  /** The attempt about to run (before) or the last one (after); 0 when none ran. */
  readonly attempt: number;
  readonly signal: AbortSignal;
  /** After-hooks only: how the action ended. */
  readonly outcome?:
    | { readonly status: 'done'; readonly output: unknown }
    | { readonly status: 'failed'; readonly error: Error }
    | { readonly status: 'cancelled'; readonly error: Error };
}

/** A hook function. */
export type Hook = (info: HookInfo) => void | Promise<void>;

/** A hook with the name errors and the inspector show. */
export interface NamedHook {
  readonly name: string;
  readonly run: Hook;
}

/**
 * Gives each hook a name: its own, the function's, or `<label>#<position>`;
 * `label` says whose hooks they are (`before hook of "Read"`, `global after hook`).
 */
export function nameHooks(hooks: Hook | NamedHook | readonly (Hook | NamedHook)[] | undefined, label: string): NamedHook[] {
  if (hooks === undefined) return [];
  const list = Array.isArray(hooks) ? hooks : [hooks];
  return list.map((hook, index) => {
    if (typeof hook === 'function') return { name: hook.name || `${label}#${index + 1}`, run: hook };
    if (hook !== null && typeof hook === 'object' && typeof hook.run === 'function' && typeof hook.name === 'string') return hook;
    throw new TypeError(`Expected ${label} #${index + 1} to be a function or { name, run }, got ${describeValue(hook)}`);
  });
}


function hookError(hook: NamedHook, info: HookInfo, thrown: unknown): HookError {
  return new HookError(`${info.phase === 'before' ? 'Before' : 'After'}-hook "${hook.name}" of action "${info.action.name}" threw: ${messageOf(thrown)}`, {
    cause: thrown,
    hook: hook.name,
    phase: info.phase,
    actionId: info.action.id,
  });
}

/**
 * Runs `hooks` one after another (`onHook` hears each hook start, and `null` when it settled). Resolves when all passed; rejects with the
 * LicenseError of a veto or a HookError naming the hook that threw. Before-hooks
 * stop at the first failure (the attempt will not run); after-hooks all run and
 * their failures are reported together (see the module comment).
 */
export async function runHooks(hooks: readonly NamedHook[], info: HookInfo, onHook?: (hook: NamedHook | null) => void): Promise<void> {
  if (info.phase === 'after') {
    const failures = await runAfterHooks(hooks, info, onHook);
    if (failures.length === 1) throw failures[0]!;
    if (failures.length > 1) throw combineHookFailures(failures, info);
    return;
  }
  for (const hook of hooks) {
    if (info.signal.aborted) throw info.signal.reason;
    onHook?.(hook);
    try {
      await hook.run(info);
    } catch (thrown) {
      if (isInstance(thrown, LicenseError)) throw thrown;
      if (isInstance(thrown, EchoError) && thrown === info.signal.reason) throw thrown;
      throw hookError(hook, info, thrown);
    } finally {
      onHook?.(null);
    }
  }
}

/** Several after-hooks' failures as one HookError: `hook` names them all, `cause` is an AggregateError of each. */
export function combineHookFailures(failures: readonly HookError[], info: HookInfo): HookError {
  const message = `${failures.length} after-hooks of action "${info.action.name}" threw: ${failures.map((failure) => failure.message).join('; ')}`;
  return new HookError(message, {
    cause: new AggregateError(failures, message),
    hook: failures.map((failure) => failure.hook).join(', '),
    phase: info.phase,
    actionId: info.action.id,
  });
}

/** Runs every after-hook in order, whatever the earlier ones did; answers each failure as a HookError. */
export async function runAfterHooks(hooks: readonly NamedHook[], info: HookInfo, onHook?: (hook: NamedHook | null) => void): Promise<HookError[]> {
  const failures: HookError[] = [];
  for (const hook of hooks) {
    onHook?.(hook);
    try {
      await hook.run(info);
    } catch (thrown) {
      failures.push(hookError(hook, info, thrown));
    } finally {
      onHook?.(null);
    }
  }
  return failures;
}
