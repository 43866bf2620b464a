/**
 * Echo's OpenTelemetry integration, through `@opentelemetry/api` only (bring your own SDK):
 *
 * Tracing (`tracer`): one span per action, from assignment to settlement, a child of the
 * context active at `assign` (or of the parent action's span, for follow-ups); one child span
 * per attempt, and the action's function runs inside the attempt span's context, so spans the
 * function starts (an HTTP client's) are its children; one span per hooks phase. A failed
 * attempt records the error (exception event, ERROR status) and, when a retry is planned, the
 * retry delay (`echo.retry.delay` attribute and an `echo.retry` event); a cancellation records
 * its reason (`echo.cancellation.reason` and an `echo.cancelled` event) on the action span and
 * on an attempt it cut short. Span times are the Sequence clock's. When the action span does
 * not record (a no-op tracer, or a sampler that dropped it), no child spans are made: the
 * function and hooks run in the action span's context, so the sampling decision still reaches
 * any span they start. Such a span records nothing, so it is ended at once and the run keeps
 * only that context (with a no-op tracer, the context of `assign` itself). The root context is
 * kept as nothing (an empty slot of a live run means the root context), so tracing on a no-op
 * tracer with no context active at `assign` keeps nothing more per live action than tracing off:
 * a kept value would cost each live run its `RunExtras` (measured: the no-op-traced ÷ plain bench
 * ratio went from 0.71–0.83 to 0.96–1.11).
 *
 * Metrics (`meter`): `echo.actions` (counter: settled actions by name and outcome),
 * `echo.attempts` (counter: attempts by name and outcome), `echo.attempt.duration` and
 * `echo.queue.wait` (histograms, ms, by name), `echo.actions.in_flight` (observable gauge by
 * name). They are recorded when an action settles, from its attempt records.
 * @internal
 */
import {
  context as otelContext,
  trace,
  isSpanContextValid,
  ROOT_CONTEXT,
  INVALID_SPAN_CONTEXT,
  SpanStatusCode,
  type SpanContext,
  type Attributes,
  type Context,
  type Counter,
  type Histogram,
  type Meter,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { ActionContext, ActionOutput } from '../../machines/actionTypes.js';
import type { ActionRun } from '../action/ActionRun.js';
import type { RunContext } from '../Plan.js';
import type { Clock } from '../clock.js';
import { toError } from '../errors.js';
import type { RunTracer } from './RunTracer.js';
import { measureAttempts } from './ActionStats.js';

/** The `telemetry` option of a Sequence. */
export interface TelemetryOptions {
  /** Traces actions, attempts and hooks. @default none (no spans, no cost) */
  readonly tracer?: Tracer;
  /** Records Echo's metrics. @default none */
  readonly meter?: Meter;
}

/** A run's recording action span, its context and its attempt span while one runs. */
class Traced {
  readonly span: Span;
  readonly context: Context;
  attempt: Span | null = null;

  constructor(span: Span, context: Context) {
    this.span = span;
    this.context = context;
  }
}

/**
 * What `run.traced` holds: a Traced for a recording span; for one that does not record (a no-op
 * tracer's, a sampled-out one), only the context its function and hooks run in.
 */
type RunTrace = Traced | Context;

/**
 * The context a live run's work runs in (the action span's): an empty slot is the root context,
 * which `Telemetry.assigned` keeps as nothing.
 */
function contextOf(traced: RunTrace | null): Context {
  return traced === null ? ROOT_CONTEXT : traced instanceof Traced ? traced.context : traced;
}

/** The context a follow-up or child starts under: its parent's while that one is live, else the active one. */
function parentContext(parent: ActionRun | null): Context {
  if (parent === null || parent.settled) return otelContext.active();
  return contextOf(parent.traced as RunTrace | null);
}

interface Instruments {
  readonly actions: Counter;
  readonly attempts: Counter;
  readonly attemptDuration: Histogram;
  readonly queueWait: Histogram;
}

const NAME = 'echo.action.name';

export class Telemetry implements RunTracer {
  readonly #tracer: Tracer | null;
  readonly #clock: Clock;
  readonly #instruments: Instruments | null;

  constructor(options: TelemetryOptions, clock: Clock, inFlight: () => ReadonlyMap<string, number>) {
    this.#tracer = options.tracer ?? null;
    this.#clock = clock;
    const meter = options.meter;
    if (meter === undefined) {
      this.#instruments = null;
      return;
    }
    this.#instruments = {
      actions: meter.createCounter('echo.actions', { description: 'Settled actions, by name and outcome' }),
      attempts: meter.createCounter('echo.attempts', { description: 'Attempts, by name and outcome' }),
      attemptDuration: meter.createHistogram('echo.attempt.duration', { description: 'Attempt durations', unit: 'ms' }),
      queueWait: meter.createHistogram('echo.queue.wait', { description: 'Time from ready to attempt start', unit: 'ms' }),
    };
    meter
      .createObservableGauge('echo.actions.in_flight', { description: 'Actions on a Site now, by name' })
      .addCallback((result) => {
        for (const [name, count] of inFlight()) result.observe(count, { [NAME]: name });
      });
  }

  /** True when actions are traced (the effects then call this RunTracer). */
  get tracing(): boolean {
    return this.#tracer !== null;
  }

  /** An action was assigned: its span starts, under the context active now (or its parent action's). */
  assigned(run: ActionRun): void {
    const tracer = this.#tracer;
    if (tracer === null) return;
    const parent = parentContext(run.parent);
    const span = tracer.startSpan(
      run.name,
      {
        startTime: run.createdAt,
        attributes: { [NAME]: run.name, 'echo.action.id': run.id, 'echo.queue': run.queue, 'echo.priority': run.priority },
      },
      parent,
    );
    if (span.isRecording()) {
      run.traced = new Traced(span, trace.setSpan(parent, span));
      return;
    }
    // It records nothing (ending it is all it takes); its context carries the sampling decision.
    // A no-op tracer hands back the parent's span context: the parent context then serves as is.
    const kept = sameSpanContext(span.spanContext(), trace.getSpanContext(parent)) ? parent : trace.setSpan(parent, span);
    // The root context is kept as nothing: a kept value would cost the run its RunExtras.
    run.traced = kept === ROOT_CONTEXT ? null : kept;
    span.end(run.createdAt);
  }

  attempt(run: ActionRun, attempt: number, context: RunContext): unknown {
    const definition = run.definition;
    if (this.#tracer === null) return definition.run(run.content, context);
    const traced = (run.traced as RunTrace | null) ?? ROOT_CONTEXT;
    if (!(traced instanceof Traced)) {
      // Not recording (a no-op tracer, or sampled out): the function runs in the action span's
      // context, which carries the sampling decision to any span it starts, and no child is made.
      if (otelContext.active() === traced) return definition.run(run.content, context);
      return otelContext.with(traced, definition.run, definition, run.content, context);
    }
    const span = this.#tracer.startSpan(
      `${run.name} attempt ${attempt}`,
      { startTime: this.#clock.now(), attributes: { [NAME]: run.name, 'echo.attempt': attempt, 'echo.site': run.site?.id ?? '' } },
      traced.context,
    );
    traced.attempt = span;
    return otelContext.with(trace.setSpan(traced.context, span), definition.run, definition, run.content, context);
  }

  attemptSucceeded(run: ActionRun): void {
    const traced = run.traced as RunTrace | null;
    if (!(traced instanceof Traced) || traced.attempt === null) return;
    traced.attempt.setStatus({ code: SpanStatusCode.OK });
    traced.attempt.end(this.#clock.now());
    traced.attempt = null;
  }

  /** An attempt failed; `retryDelay` is the planned backoff, or null when it will not retry. */
  attemptFailed(run: ActionRun, attempt: number, error: Error, retryDelay: number | null): void {
    const traced = run.traced as RunTrace | null;
    if (!(traced instanceof Traced)) return;
    const now = this.#clock.now();
    const span = traced.attempt;
    if (span !== null) {
      span.recordException(error, now);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      span.setAttribute('echo.error.name', error.name);
      if (retryDelay !== null) {
        span.setAttribute('echo.retry.delay', retryDelay);
        span.addEvent('echo.retry', { 'echo.retry.delay': retryDelay, 'echo.retry.at': now + retryDelay, 'echo.attempt': attempt }, now);
      }
      span.end(now);
      traced.attempt = null;
    }
    if (retryDelay !== null) traced.span.addEvent('echo.retry', { 'echo.retry.delay': retryDelay, 'echo.attempt': attempt }, now);
  }

  hooks(run: ActionRun, phase: 'before' | 'after', call: () => Promise<void>): Promise<void> {
    if (this.#tracer === null) return call();
    const traced = (run.traced as RunTrace | null) ?? ROOT_CONTEXT;
    if (!(traced instanceof Traced)) return otelContext.active() === traced ? call() : otelContext.with(traced, call);
    const span = this.#tracer.startSpan(`${run.name} ${phase}-hooks`, { startTime: this.#clock.now(), attributes: { [NAME]: run.name, 'echo.hooks.phase': phase } }, traced.context);
    return otelContext.with(trace.setSpan(traced.context, span), call).then(
      () => {
        span.end(this.#clock.now());
      },
      (thrown: unknown) => {
        const error = toError(thrown);
        span.recordException(error, this.#clock.now());
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        span.end(this.#clock.now());
        throw thrown;
      },
    );
  }

  /**
   * A run left this process unsettled (handed back to its external production, for a retry or a
   * shutdown): its spans end here, marked `echo.handed_back`; the next claim makes its own.
   */
  handedBack(run: ActionRun): void {
    const traced = run.traced as RunTrace | null;
    run.traced = null;
    if (!(traced instanceof Traced)) return; // a span that records nothing ended when it started
    const at = this.#clock.now();
    traced.attempt?.setAttribute('echo.handed_back', true);
    traced.attempt?.end(at);
    traced.span.setAttribute('echo.handed_back', true);
    traced.span.end(at);
  }

  /** An action settled: its spans end, and its metrics are recorded. */
  settled(run: ActionRun, output: ActionOutput, context: ActionContext, error: Error | null): void {
    const at = context.settledAt ?? this.#clock.now();
    const traced = run.traced as RunTrace | null;
    run.traced = null;
    if (traced instanceof Traced) {
      const { span } = traced;
      const cancellation = context.cancellation;
      if (traced.attempt !== null) {
        // Cut short: cancelled, License revoked, or past its total timeout.
        if (cancellation !== null) {
          traced.attempt.setAttribute('echo.cancellation.reason', cancellation.reason);
          traced.attempt.addEvent('echo.cancelled', { 'echo.cancellation.reason': cancellation.reason, 'echo.cancellation.message': cancellation.message }, at);
        } else if (error !== null) {
          traced.attempt.recordException(error, at);
          traced.attempt.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        }
        traced.attempt.end(at);
      }
      span.setAttributes({ 'echo.outcome': output.status, 'echo.attempts': context.attempts.length });
      if (output.status === 'done') span.setStatus({ code: SpanStatusCode.OK });
      else if (output.status === 'cancelled' && cancellation !== null) {
        span.setAttribute('echo.cancellation.reason', cancellation.reason);
        span.addEvent('echo.cancelled', { 'echo.cancellation.reason': cancellation.reason, 'echo.cancellation.message': cancellation.message }, at);
      } else if (error !== null) {
        span.recordException(error, at);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      }
      span.end(at);
    }
    const instruments = this.#instruments;
    if (instruments === null) return;
    instruments.actions.add(1, { [NAME]: run.name, 'echo.outcome': output.status });
    for (const attempt of measureAttempts(context, at)) {
      const attributes: Attributes = { [NAME]: run.name, 'echo.outcome': attempt.outcome };
      instruments.attempts.add(1, attributes);
      instruments.attemptDuration.record(attempt.duration, attributes);
      instruments.queueWait.record(attempt.queueWait, { [NAME]: run.name });
    }
  }
}

function sameSpanContext(a: SpanContext, b: SpanContext | undefined): boolean {
  // The no-op tracer's span under no span: the API's invalid context itself, known without its regex checks.
  if (b === undefined) return a === INVALID_SPAN_CONTEXT || !isSpanContextValid(a);
  return a.traceId === b.traceId && a.spanId === b.spanId && a.traceFlags === b.traceFlags;
}
