/**
 * The contract a user's Action statechart keeps so a Sequence can run it
 * (`new Sequence({ plan, actionMachine })`): Echo drives it with these events,
 * provides these effect slots and invoked phases, reads these context fields and this output.
 * A machine built from Echo's own (`actionMachine`, its recipes, guards and
 * delays) and extended with states and events of its own keeps it.
 */
import type { AnyStateMachine } from 'xstate';
import type { ActionContext, ActionEvent, ActionInput, ActionOutput } from './actionTypes.js';
import { actionEffectNames, actionFinalStates, actionPhaseNames } from './action.machine.js';
import type { ActionState } from './actionConstants.js';

/** Events Echo sends every Action actor; the machine must handle each (in some state or on its root). */
export const actionContractEvents = [
  'START',
  'CANCEL',
  'LICENSE_REVOKED',
  'RETRY_NOW',
  'REJECT',
  'HOOKS_PASSED',
  'HOOK_FAILED',
  'ATTEMPT_SUCCEEDED',
  'ATTEMPT_FAILED',
  'AFTER_HOOKS_PASSED',
] as const satisfies readonly ActionEvent['type'][];

/** Context fields Echo reads; the machine's context keeps every one (it may add its own). */
export const actionContractFields = [
  'id', 'name', 'content', 'metadata', 'priority', 'queue', 'site', 'createdAt', 'startDelay', 'notBefore',
  'attemptTimeout', 'totalTimeout', 'cancelGrace', 'attempts', 'retryAt', 'output', 'error', 'cancellation', 'settledAt',
] as const satisfies readonly (keyof ActionContext)[];

/** The types a conforming machine has: Echo's context (plus the user's fields), Echo's events (plus the user's), Echo's output. */
export interface ActionMachineTypes<TExtraContext extends object = object, TExtraEvent extends { type: string } = never> {
  readonly context: ActionContext & TExtraContext;
  readonly events: ActionEvent | TExtraEvent;
  readonly input: ActionInput;
  readonly output: ActionOutput;
}

/** A machine does not keep Echo's Action contract; `problems` lists every breach. */
export class ActionContractError extends TypeError {
  override readonly name = 'ActionContractError';
  constructor(readonly problems: readonly string[]) {
    super(`The action machine does not keep Echo's Action contract:\n- ${problems.join('\n- ')}`);
  }
}

type Config = Record<string, unknown>;

/** The state every end passes: it decides the outcome and runs the after-hooks still owed. */
const FINALIZING = 'finalizing' satisfies ActionState;

/** Whether an `entry`/`actions` value names `action` (a name, `{ type }`, or a list of those). */
function referencesAction(actions: unknown, action: string): boolean {
  const list = Array.isArray(actions) ? (actions as unknown[]) : [actions];
  return list.some((ref) => ref === action || (typeof ref === 'object' && ref !== null && (ref as { type?: unknown }).type === action));
}

const SAMPLE_INPUT: ActionInput = { id: 'contract-check', name: 'ContractCheck', content: null, createdAt: 0 };

/** Every state config under `config` (the root excluded), with its path. */
function* statesOf(config: Config, path: string[] = []): Generator<[string, Config]> {
  for (const [key, state] of Object.entries((config.states ?? {}) as Record<string, Config>)) {
    yield [[...path, key].join('.'), state];
    yield* statesOf(state, [...path, key]);
  }
}

/**
 * Checks `machine` against the contract; throws an `ActionContractError` listing
 * each breach (a missing transition for `CANCEL`, a missing final state, a dropped
 * context field, ...). Returns the machine.
 * @example
 * checkActionMachine(actionMachine.provide({ guards: { retryPlanned: () => false } }));
 */
export function checkActionMachine<TMachine extends AnyStateMachine>(machine: TMachine): TMachine {
  const problems: string[] = [];
  const config = (machine as { config?: unknown })?.config as Config | undefined;
  if (config === undefined || typeof (machine as { provide?: unknown }).provide !== 'function') {
    throw new ActionContractError([`expected an XState v5 machine (setup(...).createMachine(...)), got ${machine === null ? 'null' : typeof machine}`]);
  }
  const handled = new Set(Object.keys((config.on ?? {}) as Config));
  const finals = new Set<string>();
  const invoked = new Set<unknown>();
  for (const [path, state] of statesOf(config)) {
    for (const type of Object.keys((state.on ?? {}) as Config)) handled.add(type);
    for (const invocation of [state.invoke ?? []].flat() as { src?: unknown }[]) invoked.add(invocation?.src);
    if (state.type === 'final' && !path.includes('.')) finals.add(path);
  }
  for (const type of actionContractEvents) if (!handled.has(type)) problems.push(`no transition for \`${type}\` (Echo sends it; handle it in a state or on the root)`);
  for (const state of actionFinalStates) if (!finals.has(state)) problems.push(`no top-level final state \`${state}\``);
  const finalizing = ((config.states ?? {}) as Record<string, Config>)[FINALIZING];
  if (finalizing === undefined) problems.push(`no top-level state \`${FINALIZING}\` (every end passes it: it decides the outcome and runs owed after-hooks)`);
  else if (!referencesAction(finalizing.entry, 'runOwedAfterHooks')) problems.push(`state \`${FINALIZING}\` does not run \`runOwedAfterHooks\` on entry (an abruptly ended action's after-hooks would never run)`);
  const actions = ((machine.implementations as { actions?: Record<string, unknown> }).actions ?? {}) as Record<string, unknown>;
  for (const slot of actionEffectNames) if (!(slot in actions)) problems.push(`no action \`${slot}\` (an effect slot Echo provides; declare it in setup({ actions }))`);
  const actors = ((machine.implementations as { actors?: Record<string, unknown> }).actors ?? {}) as Record<string, unknown>;
  for (const phase of actionPhaseNames) {
    if (!(phase in actors)) problems.push(`no actor \`${phase}\` (a phase Echo provides; declare it in setup({ actors }))`);
    else if (!invoked.has(phase)) problems.push(`no state invokes \`${phase}\` (its user code would never run)`);
  }
  if (typeof config.output !== 'function') problems.push('no `output` function returning { status, output, error }');
  if (typeof config.context !== 'function') problems.push('`context` must be a function of the input (use createActionContext(input))');
  else {
    let context: unknown;
    try {
      context = (config.context as (args: { input: ActionInput }) => unknown)({ input: SAMPLE_INPUT });
    } catch (error) {
      problems.push(`\`context\` threw for a plain input: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (context !== undefined) {
      const missing = actionContractFields.filter((field) => typeof context !== 'object' || context === null || !(field in context));
      if (missing.length > 0) problems.push(`the context lacks ${missing.map((field) => `\`${field}\``).join(', ')} (start from createActionContext(input))`);
    }
  }
  if (problems.length > 0) throw new ActionContractError(problems);
  return machine;
}
