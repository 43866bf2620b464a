/** Echo's statecharts: pure XState v5 `setup(...)` definitions. */
export {
  ACTION_FINAL_STATES,
  ACTION_OUTCOME_DECIDED_STATES,
  ACTION_STATES,
  ATTEMPT_OUTCOMES,
  CANCELLATION_REASONS,
  DEFAULT_CANCEL_GRACE,
  DEFAULT_PRIORITY,
  DEFAULT_QUEUE,
  PRIORITIES,
  isOutcomeDecided,
  isPriority,
  type ActionFinalState,
  type ActionState,
  type AttemptOutcome,
} from './actionConstants.js';
export { actionMachine, actionEffectNames, actionFinalStates, actionPhaseNames, type ActionEffectName, type ActionPhaseName, type BuiltInActionMachine } from './action.machine.js';
export { actionDelays, actionGuards, type ActionDelay, type ActionGuard } from './actionRules.js';
export { actionUpdates, createActionContext, type ActionUpdate, type AnyActionEvent } from './actionUpdates.js';
export type {
  ActionContext,
  ActionEvent,
  ActionInput,
  ActionOutput,
  ActionSpec,
  AttemptRecord,
  CancellationReason,
  ErrorRecord,
  Priority,
} from './actionTypes.js';
export { DEFAULT_RESTART_DELAY, siteMachine, type SiteContext, type SiteEvent, type SiteInput } from './site.machine.js';
export { sequenceMachine, type SequenceContext, type SequenceEvent, type SequenceInput } from './sequence.machine.js';
export {
  ActionContractError,
  actionContractEvents,
  actionContractFields,
  checkActionMachine,
  type ActionMachineTypes,
} from './actionContract.js';
export { positionalCallback, recipeAssign, type InvocationHandle, type InvocationReceiver, type InvocationScope, type PositionalCallback, type PositionalStart, type Recipe } from './positional.js';
export { copyContext, type ActionDraft } from './actionUpdates.js';
