/**
 * The options of a Sequence, declared once with their defaults, and validated.
 */
import type { AnyStateMachine } from 'xstate';
import { actionMachine } from '../machines/action.machine.js';
import { checkActionMachine } from '../machines/actionContract.js';
import { DEFAULT_QUEUE } from '../machines/actionConstants.js';
import { DEFAULT_RESTART_DELAY } from '../machines/site.machine.js';
import type { InspectionEvent } from 'xstate';
import { systemClock, type Clock, type RandomSource } from './clock.js';
import { createSequentialIds, type IdGenerator } from './ids.js';
import { Life } from './Life.js';
import type { Plan } from './Plan.js';
import type { DeadLetterPolicy } from './store/journal.js';
import type { RetentionOptions, Store } from './store/Store.js';
import type { ActionMap, AnyActions } from './planTypes.js';
import type { ProductionOptions } from './work/Production.js';
import { isExternalProduction, type ExternalProduction } from './work/ExternalProduction.js';
import type { SiteBehavior } from './work/Site.js';
import { resolveLimits, type FlowLimits, type ResolvedLimits } from './flow/limits.js';
import type { TelemetryOptions } from './telemetry/Telemetry.js';
import { resolveActivityOptions, type ActivityOptions } from './action/ActionActivity.js';
import { checkFunction, checkNumber, checkOneOf, describeValue, invalid } from './validate.js';

/** One Site (worker). */
export interface SiteOptions {
  /** @default `site-<n>` */
  readonly id?: string;
  /** Actions this Site runs at once. @default the Sequence's `concurrency` */
  readonly concurrency?: number;
  /** Named queues this Site serves. @default ['default'] */
  readonly queues?: readonly string[];
  /** Wraps or redirects each action before it runs (the seed's `Site::Receive`). */
  readonly behavior?: SiteBehavior;
  /** How long a crashed Site waits before it takes work again, ms. @default 100 */
  readonly restartDelay?: number;
}

/** Options of a Sequence. `Actions` are the Plan's types (inferred from `plan`). */
export interface SequenceOptions<Actions extends ActionMap = AnyActions, Machine extends AnyStateMachine = AnyStateMachine> {
  /** The actions that can be assigned. */
  readonly plan: Plan<Actions>;
  /** A count of identical Sites, or one entry per Site. @default 4 */
  readonly sites?: number | readonly SiteOptions[];
  /** Actions each Site runs at once. @default 4 */
  readonly concurrency?: number;
  /**
   * Options of the `default` queue (the seed's `Production::New()`); shorthand for `queues.default`.
   * Or a Production shared by many processes: `bullmqProduction({ connection, queue })` from
   * `echo-actions/bullmq`; then every assignment goes there, and this process's Sites run what they claim from it.
   */
  readonly production?: Omit<ProductionOptions, 'name' | 'random'> | ExternalProduction;
  /** Named queues (Productions) and their options. @default { default: {} } */
  readonly queues?: Readonly<Record<string, Omit<ProductionOptions, 'name' | 'random'>>>;
  /** When a queue is full: `throw` a BackpressureError from `assign`, or `wait` (the action stays queued until space). @default 'throw' */
  readonly overflow?: 'throw' | 'wait';
  /** Shared context. @default new Life() */
  readonly life?: Life;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default Math.random */
  readonly random?: RandomSource;
  /** @default sequential `a-1`, `a-2`, … */
  readonly ids?: IdGenerator;
  /** `table` runs each Action statechart on the compiled table; `xstate` uses `createActor`. @default 'table' */
  readonly engine?: 'table' | 'xstate';
  /**
   * The Action statechart every action runs: Echo's own, or a machine extending it
   * that keeps the contract (`checkActionMachine`). A machine the table engine cannot
   * compile runs with `createActor`, reported once through `onError`. @default actionMachine
   */
  readonly actionMachine?: Machine;
  /** @default 'sequence' */
  readonly name?: string;
  /** Site behaviour for Sites that set none. */
  readonly behavior?: SiteBehavior;
  /** After this many Site crashes on the same action, the action fails. @default 3 */
  readonly maxSiteCrashes?: number;
  /** An inspection observer from the start (XState v5 inspection events). */
  readonly inspect?: (event: InspectionEvent) => void;
  /**
   * Receives errors that belong to no action: an observer or inspector that threw, a
   * follow-up that could not be assigned. They never break the runtime.
   * @default logs them with console.error
   */
  readonly onError?: (error: unknown) => void;
  /**
   * Rate limits per queue and per action name, and concurrency limits per action name,
   * honoured by every Site. @default no limits
   */
  readonly limits?: FlowLimits;
  /** OpenTelemetry tracing and metrics (through `@opentelemetry/api`; bring your own SDK). @default none */
  readonly telemetry?: TelemetryOptions;
  /**
   * Receives what `onError` itself threw (an `EchoWarning` whose `cause` is the throw),
   * so nothing is lost and nothing crashes.
   * @default process.emitWarning
   */
  readonly lastResort?: (warning: Error) => void;
  /**
   * Where actions are kept: `sqliteStore('echo.db')` makes the Sequence durable (it restores on
   * start, answers `result(id)` and idempotency keys from the store, keeps dead letters).
   * @default none: actions live in memory only
   */
  readonly store?: Store;
  /** Which failures become dead letters (with a store). @default 'exhausted' */
  readonly deadLetter?: DeadLetterPolicy;
  /** Which settled actions the store drops (with a store). @default {} (keeps all) */
  readonly retention?: RetentionOptions;
  /** Bounds of `ctx.progress` (its throttle) and `ctx.log` (lines kept per action). @default {@link defaultActivityOptions} */
  readonly activity?: ActivityOptions;
}

/** A Site's options with defaults applied. */
export interface ResolvedSiteOptions {
  readonly id: string;
  readonly concurrency: number;
  readonly queues: readonly string[];
  readonly restartDelay: number;
  readonly behavior?: SiteBehavior;
}

/** Options with every default applied. */
export interface ResolvedSequenceOptions {
  readonly plan: Plan;
  readonly sites: readonly ResolvedSiteOptions[];
  readonly queues: Readonly<Record<string, Omit<ProductionOptions, 'name' | 'random'>>>;
  readonly overflow: 'throw' | 'wait';
  readonly life: Life;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly ids: IdGenerator;
  readonly engine: 'table' | 'xstate';
  readonly actionMachine: AnyStateMachine;
  readonly name: string;
  readonly maxSiteCrashes: number;
  readonly inspect: ((event: InspectionEvent) => void) | undefined;
  readonly onError: (error: unknown) => void;
  readonly limits: ResolvedLimits;
  readonly telemetry: TelemetryOptions;
  readonly lastResort: (warning: Error) => void;
  readonly store: Store | null;
  readonly deadLetter: DeadLetterPolicy;
  readonly retention: RetentionOptions;
  readonly activity: Required<ActivityOptions>;
  /** The production outside the process (BullMQ), or null. */
  readonly external: ExternalProduction | null;
}

const KEYS = new Set(['plan', 'production', 'sites', 'concurrency', 'queues', 'overflow', 'life', 'clock', 'random', 'ids', 'engine', 'actionMachine', 'name', 'behavior', 'maxSiteCrashes', 'inspect', 'onError', 'limits', 'telemetry', 'lastResort', 'store', 'deadLetter', 'retention', 'activity']);

function integer(value: unknown, field: string, min: number): number {
  return checkNumber(value, { field }, { min, integer: true });
}

/** Validates options and applies defaults. */
export function resolveSequenceOptions(options: SequenceOptions<ActionMap>): ResolvedSequenceOptions {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object of Sequence options', options);
  for (const key of Object.keys(options)) if (!KEYS.has(key)) throw new TypeError(`Unknown Sequence option \`${key}\``);
  const plan = options.plan;
  if (plan === undefined || typeof (plan as Plan).require !== 'function') throw new TypeError('Expected `plan` to be a Plan (from Plan.create() or createPlan())');
  const concurrency = integer(options.concurrency ?? 4, 'concurrency', 1);
  const sitesOption = options.sites ?? 4;
  const siteList: readonly SiteOptions[] =
    typeof sitesOption === 'number' ? Array.from({ length: integer(sitesOption, 'sites', 1) }, () => ({})) : sitesOption;
  if (!Array.isArray(siteList) || siteList.length === 0) throw invalid('sites', 'an integer >= 1 or a non-empty array', sitesOption);
  const external = isExternalProduction(options.production) ? options.production : null;
  if (external !== null && options.store !== undefined) {
    throw new TypeError('Expected either `store` or an external `production` (its engine keeps the actions), got both');
  }
  const local = external === null ? (options.production as Omit<ProductionOptions, 'name' | 'random'> | undefined) : undefined;
  if (local !== undefined && options.queues?.default !== undefined) {
    throw new TypeError('Expected either `production` or `queues.default`, got both');
  }
  const queues = { ...(options.queues ?? { default: {} }), ...(local !== undefined && { default: local }) };
  const seen = new Set<string>();
  const sites = siteList.map((site, index) => {
    const id = site.id ?? `site-${index + 1}`;
    if (seen.has(id)) throw new TypeError(`Expected unique Site ids, got "${id}" twice`);
    seen.add(id);
    const siteQueues = site.queues ?? [DEFAULT_QUEUE];
    for (const queue of siteQueues) {
      if (!(queue in queues)) throw new TypeError(`Site "${id}" serves queue "${queue}", which is not in \`queues\` (${Object.keys(queues).join(', ')})`);
    }
    const behavior = site.behavior ?? options.behavior;
    if (behavior !== undefined && typeof behavior !== 'function') throw invalid(`sites[${index}].behavior`, 'a function', behavior);
    return {
      id,
      concurrency: integer(site.concurrency ?? concurrency, `sites[${index}].concurrency`, 1),
      queues: siteQueues,
      restartDelay: integer(site.restartDelay ?? DEFAULT_RESTART_DELAY, `sites[${index}].restartDelay`, 0),
      ...(behavior !== undefined && { behavior }),
    };
  });
  const overflow = options.overflow ?? 'throw';
  checkOneOf(overflow, { field: 'overflow' }, ['throw', 'wait']);
  const engine = options.engine ?? 'table';
  checkOneOf(engine, { field: 'engine' }, ['table', 'xstate']);
  return {
    plan,
    sites,
    queues,
    overflow,
    life: options.life ?? new Life(),
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    // A durable Sequence's default ids carry the store's session, so ids never repeat across restarts.
    ids: options.ids === undefined ? createSequentialIds(options.store === undefined ? 'a' : `a${checkStore(options.store)!.session}`) : checkFunction<IdGenerator>(options.ids, { field: 'ids' }),
    engine,
    actionMachine: options.actionMachine === undefined ? actionMachine : checkActionMachine(options.actionMachine),
    name: options.name ?? 'sequence',
    maxSiteCrashes: integer(options.maxSiteCrashes ?? 3, 'maxSiteCrashes', 1),
    inspect: options.inspect,
    limits: resolveLimits(options.limits),
    telemetry: resolveTelemetry(options.telemetry),
    onError: typeof options.onError === 'function' ? options.onError : (error) => console.error('[echo]', error),
    lastResort: typeof options.lastResort === 'function' ? options.lastResort : (warning) => process.emitWarning(warning),
    store: checkStore(options.store),
    deadLetter: checkDeadLetter(options.deadLetter ?? 'exhausted'),
    retention: checkRetention(options.retention ?? {}),
    activity: resolveActivityOptions(options.activity),
    external,
  };
}

function resolveTelemetry(telemetry: TelemetryOptions | undefined): TelemetryOptions {
  if (telemetry === undefined) return {};
  if (typeof telemetry !== 'object' || telemetry === null) throw new TypeError(`Expected \`telemetry\` to be an object { tracer?, meter? }, got ${describeValue(telemetry)}`);
  for (const key of Object.keys(telemetry)) if (key !== 'tracer' && key !== 'meter') throw new TypeError(`Unknown telemetry option \`${key}\``);
  const { tracer, meter } = telemetry;
  if (tracer !== undefined && typeof (tracer as { startSpan?: unknown }).startSpan !== 'function') {
    throw new TypeError(`Expected \`telemetry.tracer\` to be an OpenTelemetry Tracer (with startSpan), got ${describeValue(tracer)}`);
  }
  if (meter !== undefined && typeof (meter as { createCounter?: unknown }).createCounter !== 'function') {
    throw new TypeError(`Expected \`telemetry.meter\` to be an OpenTelemetry Meter (with createCounter), got ${describeValue(meter)}`);
  }
  return telemetry;
}

function checkStore(store: unknown): Store | null {
  if (store === undefined) return null;
  if (typeof store !== 'object' || store === null || typeof (store as Store).assigned !== 'function' || typeof (store as Store).live !== 'function') {
    throw new TypeError(`Expected \`store\` to be a Store (sqliteStore(file) or memoryStore()), got ${describeValue(store)}`);
  }
  return store as Store;
}

function checkDeadLetter(policy: unknown): DeadLetterPolicy {
  if (typeof policy === 'function' || policy === 'exhausted' || policy === 'failed' || policy === 'none') return policy as DeadLetterPolicy;
  throw new TypeError(`Expected \`deadLetter\` to be 'exhausted', 'failed', 'none' or a function, got ${describeValue(policy)}`);
}

function checkRetention(retention: unknown): RetentionOptions {
  if (typeof retention !== 'object' || retention === null) throw new TypeError(`Expected \`retention\` to be { maxAge?, maxCount? }, got ${describeValue(retention)}`);
  for (const [key, value] of Object.entries(retention)) {
    if (key !== 'maxAge' && key !== 'maxCount') throw new TypeError(`Unknown retention option \`${key}\``);
    if (value !== undefined && !(typeof value === 'number' && value >= 0)) throw new TypeError(`Expected \`retention.${key}\` to be a number >= 0, got ${describeValue(value)}`);
  }
  return retention as RetentionOptions;
}
