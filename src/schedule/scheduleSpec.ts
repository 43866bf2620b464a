/**
 * What a schedule is, apart from running it: its spec (a trigger and options, with their
 * defaults), its JSON-safe state, and the checks that read a spec or a stored state, naming the
 * field that is wrong. Shared by the in-process `Scheduler` and the BullMQ schedules.
 * @internal
 */
import type { Priority } from '../work/Production.js';
import { describeValue } from '../validate.js';
import { compileTrigger, readTrigger, type ScheduleTrigger } from './trigger.js';

/** Options of one schedule, besides its trigger. */
export interface ScheduleOptions {
  /** A stable id (for pause/resume/remove and for a store). @default the action name */
  readonly id?: string;
  /** @default 'skip' */
  readonly overlap?: 'skip' | 'queue' | 'cancel-previous';
  /** @default 'one' */
  readonly catchUp?: 'none' | 'one' | 'all';
  /** Bound of runs caught up at once (`all`) and of runs waiting (`queue`). @default 10 */
  readonly maxCatchUp?: number;
  /** A run this late (ms) is on time, not missed. @default 1000 */
  readonly lateness?: number;
  /** Start paused. @default false */
  readonly paused?: boolean;
  /** Metadata of each assigned action (plus `schedule` and `scheduledFor`). @default {} */
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly priority?: Priority;
  readonly queue?: string;
}

/** The third argument of `sequence.schedule`: a trigger and its options. */
export type ScheduleSpec = ScheduleTrigger & ScheduleOptions;

/** Everything about a schedule, JSON-safe: what a store persists, what `restore` takes. */
export interface ScheduleState {
  readonly version: 1;
  readonly id: string;
  readonly name: string;
  readonly content: unknown;
  readonly trigger: ScheduleTrigger;
  readonly options: Required<Omit<ScheduleOptions, 'id' | 'paused' | 'priority' | 'queue'>> & Pick<ScheduleOptions, 'priority' | 'queue'>;
  readonly createdAt: number;
  readonly paused: boolean;
  /** The next run, on the Sequence clock; null when paused or the trigger never fires again. */
  readonly nextRunAt: number | null;
  /** The scheduled time of the last run assigned. */
  readonly lastRunAt: number | null;
  /** Runs assigned, skipped (overlap or catch-up), and that could not be assigned. */
  readonly runs: number;
  readonly skipped: number;
  readonly failedToAssign: number;
}

const defaultOptions = {
  overlap: 'skip',
  catchUp: 'one',
  maxCatchUp: 10,
  lateness: 1000,
  paused: false,
  metadata: {},
  priority: undefined,
  queue: undefined,
  id: undefined,
} satisfies Record<keyof ScheduleOptions, unknown>;

const OVERLAP = ['skip', 'queue', 'cancel-previous'] as const;
const CATCH_UP = ['none', 'one', 'all'] as const;
const TRIGGER_KEYS = new Set(['every', 'startAt', 'cron', 'timezone']);

/** A schedule's spec read and checked: its id, trigger, options and whether it starts paused. @internal */
export function readScheduleSpec(name: string, spec: ScheduleSpec): { id: string; trigger: ScheduleTrigger; options: ScheduleState['options']; paused: boolean } {
  if (typeof name !== 'string' || name === '') throw new TypeError(`Expected \`name\` to be an action name, got ${describeValue(name)}`);
  if (typeof spec !== 'object' || spec === null) throw new TypeError(`Expected a schedule ({ every } or { cron, timezone? } with options), got ${describeValue(spec)}`);
  const triggerPart: Record<string, unknown> = {};
  const optionPart: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec)) {
    if (TRIGGER_KEYS.has(key)) triggerPart[key] = value;
    else if (key in defaultOptions) optionPart[key] = value;
    else throw new TypeError(`Unknown schedule option \`${key}\``);
  }
  const trigger = readTrigger(triggerPart);
  compileTrigger(trigger, 0); // a bad cron pattern or time zone is refused here, naming the field
  const { paused, ...options } = readOptions(optionPart);
  return { id: (optionPart.id as string | undefined) ?? name, trigger, options, paused };
}

function readOptions(value: Record<string, unknown>): ScheduleState['options'] & { paused: boolean } {
  const merged = { ...defaultOptions, ...Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) };
  const { overlap, catchUp, maxCatchUp, lateness, paused, metadata, priority, queue, id } = merged as Record<string, unknown>;
  const fail = (field: string, expected: string, got: unknown): never => {
    throw new TypeError(`Expected \`${field}\` to be ${expected}, got ${describeValue(got)}`);
  };
  if (id !== undefined && (typeof id !== 'string' || id === '')) fail('id', 'a non-empty string', id);
  if (!OVERLAP.includes(overlap as never)) fail('overlap', "'skip', 'queue' or 'cancel-previous'", overlap);
  if (!CATCH_UP.includes(catchUp as never)) fail('catchUp', "'none', 'one' or 'all'", catchUp);
  if (typeof maxCatchUp !== 'number' || !Number.isInteger(maxCatchUp) || maxCatchUp < 1) fail('maxCatchUp', 'an integer >= 1', maxCatchUp);
  if (typeof lateness !== 'number' || !(lateness >= 0) || !Number.isFinite(lateness)) fail('lateness', 'a finite number >= 0 (ms)', lateness);
  if (typeof paused !== 'boolean') fail('paused', 'a boolean', paused);
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) fail('metadata', 'an object', metadata);
  if (priority !== undefined && priority !== 'high' && priority !== 'normal' && priority !== 'low') fail('priority', "'high', 'normal' or 'low'", priority);
  if (queue !== undefined && (typeof queue !== 'string' || queue === '')) fail('queue', 'a queue name', queue);
  return {
    overlap: overlap as ScheduleState['options']['overlap'],
    catchUp: catchUp as ScheduleState['options']['catchUp'],
    maxCatchUp: maxCatchUp as number,
    lateness: lateness as number,
    metadata: metadata as Record<string, unknown>,
    paused: paused as boolean,
    ...(priority !== undefined && { priority: priority as Priority }),
    ...(queue !== undefined && { queue: queue as string }),
  };
}

/** Whether a stored schedule is the one being made again: same action, content, trigger and options. @internal */
export function sameDefinition(stored: ScheduleState, made: Pick<ScheduleState, 'name' | 'content' | 'trigger' | 'options'>): boolean {
  const definition = (state: Pick<ScheduleState, 'name' | 'content' | 'trigger' | 'options'>): string => JSON.stringify([state.name, state.content, canonical(state.trigger), canonical(state.options)]);
  return definition(stored) === definition(made);
}

/** A JSON value with its object keys sorted (so key order does not make two definitions differ). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.keys(value).sort().filter((key) => (value as Record<string, unknown>)[key] !== undefined).map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
}

/** Checks the waiting runs of a stored schedule: due times, at most `max` (the queue's bound). */
export function readWaiting(waiting: unknown, max: number): number[] {
  if (!Array.isArray(waiting) || waiting.length > max || !waiting.every((at) => typeof at === 'number' && Number.isFinite(at))) {
    throw new TypeError(`Expected \`waiting\` to be at most ${max} due times, got ${describeValue(waiting)}`);
  }
  return waiting as number[];
}

/** Checks a persisted state (it may come from a store). */
export function readState(state: ScheduleState): ScheduleState {
  if (typeof state !== 'object' || state === null || state.version !== 1) {
    throw new TypeError(`Expected a schedule state of version 1, got ${describeValue(state)}`);
  }
  const trigger = readTrigger(state.trigger);
  const { paused: _ignored, ...options } = readOptions({ ...state.options });
  for (const field of ['createdAt', 'runs', 'skipped', 'failedToAssign'] as const) {
    if (typeof state[field] !== 'number' || !Number.isFinite(state[field])) throw new TypeError(`Expected \`${field}\` to be a number, got ${describeValue(state[field])}`);
  }
  if (state.nextRunAt !== null && typeof state.nextRunAt !== 'number') throw new TypeError(`Expected \`nextRunAt\` to be a number or null, got ${describeValue(state.nextRunAt)}`);
  if (typeof state.id !== 'string' || state.id === '') throw new TypeError(`Expected \`id\` to be a non-empty string, got ${describeValue(state.id)}`);
  return { ...state, trigger, options };
}
