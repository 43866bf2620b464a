/**
 * What a running function reports beside its result: `ctx.progress(value)` and
 * `ctx.log(message, data?)`. Kept on the run (not in the statechart's context:
 * they are no state transitions), shown in the handle's snapshot context, streamed
 * on `events$` and read by the inspector.
 *
 * - **Progress is throttled** on the Sequence's clock: a value is published at once
 *   when none was in the last `progressInterval` ms; values reported inside the
 *   interval are coalesced, and the latest of them is published when the interval
 *   ends (or when the action settles, before its terminal event). So at most one
 *   `progress` event per interval per action, and the last value reported is never
 *   lost.
 * - **Logs are bounded** per action: the newest `maxLogs` lines are kept; older ones
 *   fall out and are counted in `logsDropped`. Every line is streamed on `events$`
 *   (each `log` event carries the running `dropped` count). A message longer than
 *   `maxLogMessage` is cut with a `…(+n chars)` marker.
 * - **Bad input throws** from `progress`/`log` (a user-code error, so at worst that
 *   attempt fails): a message that is not a string is a `TypeError`; a value that has no
 *   exact JSON form, or whose JSON is longer than `maxValueChars`, a `SerializationError`
 *   naming the path (`progress.items[2]`, `log.data.when`).
 * - After the action settled, reports change nothing: progress is ignored and log
 *   lines are counted in `logsDropped`.
 * @internal
 */
import { SerializationError } from '../errors.js';
import type { EchoEvent } from '../events.js';
import { assertEncodable, type Json } from '../store/encodable.js';
import { checkNumber, describeValue, invalid } from '../validate.js';
import type { ActionRun } from './ActionRun.js';

/** Bounds of `ctx.progress` and `ctx.log` (the Sequence option `activity`). */
export interface ActivityOptions {
  /** Least time between two published progress values of one action, ms (see the throttle above). @default 100 */
  readonly progressInterval?: number;
  /** Log lines kept per action (the newest ones). @default 50 */
  readonly maxLogs?: number;
  /** Characters kept of a log message. @default 2000 */
  readonly maxLogMessage?: number;
  /** Characters of JSON a progress value, or a log line's data, may take. @default 4096 */
  readonly maxValueChars?: number;
}

/** The defaults of {@link ActivityOptions}. */
export const defaultActivityOptions = {
  progressInterval: 100,
  maxLogs: 50,
  maxLogMessage: 2000,
  maxValueChars: 4096,
} satisfies Required<ActivityOptions>;

/** Validates activity options and fills the defaults. */
export function resolveActivityOptions(options: ActivityOptions | undefined): Required<ActivityOptions> {
  if (options === undefined) return defaultActivityOptions;
  if (typeof options !== 'object' || options === null) throw invalid('activity', 'an object { progressInterval?, maxLogs?, maxLogMessage?, maxValueChars? }', options);
  for (const key of Object.keys(options)) if (!(key in defaultActivityOptions)) throw new TypeError(`Unknown activity option \`${key}\``);
  const resolved = { ...defaultActivityOptions, ...options };
  checkNumber(resolved.progressInterval, { field: 'activity.progressInterval' }, { min: 0 });
  checkNumber(resolved.maxLogs, { field: 'activity.maxLogs' }, { min: 1, integer: true });
  checkNumber(resolved.maxLogMessage, { field: 'activity.maxLogMessage' }, { min: 1, integer: true });
  checkNumber(resolved.maxValueChars, { field: 'activity.maxValueChars' }, { min: 1, integer: true });
  return resolved;
}

/** One `ctx.log(message, data?)` line. */
export interface LogLine {
  /** When it was logged, on the Sequence's clock. */
  readonly at: number;
  /** The attempt that logged it. */
  readonly attempt: number;
  readonly message: string;
  readonly data?: Json;
}

/** What the action's context shows of its activity (only the keys it reported). */
export interface ActivityContext {
  /** The last published `progress(value)`. */
  readonly progress?: Json;
  /** The newest log lines, oldest first. */
  readonly logs?: readonly LogLine[];
  /** Log lines not kept: beyond `maxLogs`, or logged after the action settled. */
  readonly logsDropped?: number;
}

/** What the activity needs from its run's Sequence. */
export interface ActivityServices {
  readonly options: Required<ActivityOptions>;
  /** The activity changed (`echo.progress` or `echo.log`): the inspector reads the action's context again. */
  changed(run: ActionRun, eventType: 'echo.progress' | 'echo.log'): void;
}

export class ActionActivity {
  readonly #run: ActionRun;
  #progress: { readonly value: Json } | null = null;
  #logs: readonly LogLine[] = [];
  #dropped = 0;
  /** When a progress value was last published (null: never). */
  #publishedAt: number | null = null;
  #pending: { readonly value: Json; readonly attempt: number } | null = null;
  #timer: unknown = null;
  /** The context keys, rebuilt when something changes (stable between changes, so diffs by reference stay cheap). */
  #view: ActivityContext = {};

  /** `restored`: what the action reported before a restart (a durable Sequence restores it). */
  constructor(run: ActionRun, restored?: ActivityContext) {
    this.#run = run;
    if (restored !== undefined) {
      if ('progress' in restored) this.#progress = { value: restored.progress! };
      this.#logs = restored.logs ?? [];
      this.#dropped = restored.logsDropped ?? 0;
      this.#view = restored;
    }
    run.onSettled(() => this.#settle());
  }

  /** The context keys to show beside the statechart's own. */
  get view(): ActivityContext {
    return this.#view;
  }

  progress(value: unknown, attempt: number): void {
    const checked = this.#json(value, 'progress', false);
    const run = this.#run;
    if (run.settled) return;
    const clock = run.services.clock;
    const now = clock.now();
    const interval = run.services.activity.options.progressInterval;
    if (this.#timer === null && (this.#publishedAt === null || now - this.#publishedAt >= interval)) {
      this.#publish(checked, attempt, now);
      return;
    }
    this.#pending = { value: checked, attempt };
    if (this.#timer === null) this.#timer = clock.setTimeout(() => this.#flushPending(), this.#publishedAt! + interval - now);
  }

  log(message: unknown, data: unknown, attempt: number): void {
    if (typeof message !== 'string') throw new TypeError(`Expected \`log\`'s message to be a string, got ${describeValue(message)}`);
    const checked = data === undefined ? undefined : this.#json(data, 'log.data', true);
    const run = this.#run;
    const options = run.services.activity.options;
    if (run.settled) {
      this.#dropped++;
      this.#refresh('echo.log');
      return;
    }
    const text = message.length <= options.maxLogMessage ? message : `${message.slice(0, options.maxLogMessage)}…(+${message.length - options.maxLogMessage} chars)`;
    const line: LogLine = { at: run.services.clock.now(), attempt, message: text, ...(checked !== undefined && { data: checked }) };
    const overflow = this.#logs.length + 1 - options.maxLogs;
    if (overflow > 0) this.#dropped += overflow;
    this.#logs = overflow > 0 ? [...this.#logs.slice(overflow), line] : [...this.#logs, line];
    this.#refresh('echo.log');
    if (run.services.listening) {
      run.services.emit({ type: 'log', actionId: run.id, name: run.name, at: line.at, attempt, message: text, ...(checked !== undefined && { data: checked }), dropped: this.#dropped });
    }
  }

  /** A JSON copy of `value` (the caller may change its object afterwards), or a SerializationError naming the path. */
  #json(value: unknown, path: string, optional: boolean): Json {
    if (value === undefined && !optional) throw new SerializationError(`Expected \`${path}\` to be a JSON value, got undefined`, { path });
    assertEncodable(value, path);
    const text = JSON.stringify(value);
    const max = this.#run.services.activity.options.maxValueChars;
    if (text.length > max) throw new SerializationError(`Expected \`${path}\` to take at most ${max} characters of JSON, got ${text.length}`, { path });
    return JSON.parse(text) as Json;
  }

  #publish(value: Json, attempt: number, now: number): void {
    this.#publishedAt = now;
    this.#progress = { value };
    this.#refresh('echo.progress');
    const run = this.#run;
    if (run.services.listening) run.services.emit({ type: 'progress', actionId: run.id, name: run.name, at: now, attempt, value } satisfies EchoEvent);
  }

  #flushPending(): void {
    this.#timer = null;
    const pending = this.#pending;
    if (pending === null) return;
    this.#pending = null;
    this.#publish(pending.value, pending.attempt, this.#run.services.clock.now());
  }

  /** The action settled: a coalesced value is published now (before the terminal event), and no timer is left. */
  #settle(): void {
    if (this.#timer !== null) this.#run.services.clock.clearTimeout(this.#timer);
    this.#flushPending();
  }

  #refresh(eventType: 'echo.progress' | 'echo.log'): void {
    this.#view = {
      ...(this.#progress !== null && { progress: this.#progress.value }),
      ...(this.#logs.length > 0 && { logs: this.#logs }),
      ...(this.#dropped > 0 && { logsDropped: this.#dropped }),
    };
    this.#run.services.activity.changed(this.#run, eventType);
  }
}

/** The run's activity, made on its first report. */
export function activityOf(run: ActionRun): ActionActivity {
  return (run.activity ??= new ActionActivity(run));
}
