import { context, createContextKey, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AlwaysOffSampler, BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlan, ManualClock, Sequence } from '../../src/index.js';
import { clockSleep } from '../support/clockSleep.js';

const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});

function setup() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('echo-test');
  const clock = new ManualClock(1_700_000_000_000);
  const seen: { span: Span | undefined; afterAwait: Span | undefined }[] = [];
  let flaky = 0;
  const plan = createPlan({
    Traced: async (ms: number) => {
      const span = trace.getActiveSpan();
      await clockSleep(clock, ms);
      seen.push({ span, afterAwait: trace.getActiveSpan() });
      return ms;
    },
    Flaky: {
      run: () => {
        flaky++;
        if (flaky < 2) throw new Error('ECONNRESET');
        return 'ok';
      },
      retry: { attempts: 3, initialDelay: 250, jitter: 'none' },
      before: { name: 'authorize', run: () => {} },
      after: { name: 'audit', run: () => {} },
    },
    Slow: (_: null, ctx) => clockSleep(clock, 10_000, ctx.signal),
  });
  const sequence = new Sequence({ plan, clock, sites: 1, telemetry: { tracer } }).start();
  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  const byName = (name: string) => spans().find((span) => span.name === name)!;
  return { tracer, clock, sequence, spans, byName, seen };
}

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

describe('OpenTelemetry tracing', () => {
  it('one span per action, a child span per attempt; the function runs inside the attempt span, whose parent chain reaches the context of assign', async () => {
    const { tracer, clock, sequence, byName, seen } = setup();
    const request = tracer.startSpan('HTTP POST /orders');
    const handle = context.with(trace.setSpan(context.active(), request), () => sequence.assign('Traced', 20));
    request.end();
    await clock.runAll();
    expect(await handle.result).toBe(20);
    const action = byName('Traced');
    const attempt = byName('Traced attempt 1');
    expect(parentOf(action)).toBe(request.spanContext().spanId);
    expect(action.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(parentOf(attempt)).toBe(action.spanContext().spanId);
    expect(seen[0]!.span?.spanContext().spanId).toBe(attempt.spanContext().spanId);
    expect(seen[0]!.afterAwait?.spanContext().spanId).toBe(attempt.spanContext().spanId);
    expect(action.attributes).toMatchObject({ 'echo.action.name': 'Traced', 'echo.action.id': handle.id, 'echo.outcome': 'done', 'echo.attempts': 1 });
    // Span times are the Sequence clock's.
    expect(attempt.startTime).toEqual([1_700_000_000, 0]);
    expect(attempt.endTime).toEqual([1_700_000_000, 20_000_000]);
    await sequence.shutdown();
  });

  it('a failed attempt records its error and the retry delay; hooks get spans of their own', async () => {
    const { clock, sequence, byName, spans } = setup();
    const handle = sequence.assign('Flaky');
    await clock.runAll();
    expect(await handle.result).toBe('ok');
    const action = byName('Flaky');
    const first = byName('Flaky attempt 1');
    const second = byName('Flaky attempt 2');
    expect(first.status.code).toBe(2); // ERROR
    expect(first.attributes).toMatchObject({ 'echo.retry.delay': 250, 'echo.error.name': 'ExecutionError' });
    expect(first.events.map((event) => event.name)).toEqual(['exception', 'echo.retry']);
    expect(first.events[0]!.attributes?.['exception.message']).toContain('ECONNRESET');
    expect(second.status.code).toBe(1); // OK
    expect(action.events.map((event) => event.name)).toEqual(['echo.retry']);
    const hooks = spans().filter((span) => span.name.startsWith('Flaky ') && span.name.endsWith('-hooks'));
    expect(hooks.map((span) => span.name)).toEqual(['Flaky before-hooks', 'Flaky before-hooks', 'Flaky after-hooks']);
    for (const span of [first, second, ...hooks]) expect(parentOf(span)).toBe(action.spanContext().spanId);
    await sequence.shutdown();
  });

  it('a cancellation records its reason on the action span and on the attempt it cut short', async () => {
    const { clock, sequence, byName } = setup();
    const handle = sequence.assign('Slow', null);
    await clock.advance(5);
    handle.cancel();
    await expect(handle.result).rejects.toMatchObject({ name: 'CancellationError' });
    const action = byName('Slow');
    const attempt = byName('Slow attempt 1');
    expect(action.attributes).toMatchObject({ 'echo.outcome': 'cancelled', 'echo.cancellation.reason': 'user' });
    expect(action.events.map((event) => event.name)).toEqual(['echo.cancelled']);
    expect(attempt.attributes['echo.cancellation.reason']).toBe('user');
    await sequence.shutdown();
  });

  it('with a no-op tracer (no SDK) no child spans are made, and the function still runs in the context of assign', async () => {
    const clock = new ManualClock();
    const key = createContextKey('request');
    let seen: unknown;
    const plan = createPlan({ Read: async () => { await Promise.resolve(); seen = context.active().getValue(key); return 1; } });
    const sequence = new Sequence({ plan, clock, telemetry: { tracer: trace.getTracer('no-sdk') } }).start();
    const handle = context.with(context.active().setValue(key, 'req-7'), () => sequence.assign('Read'));
    await clock.runAll();
    expect(await handle.result).toBe(1);
    expect(seen).toBe('req-7');
    await sequence.shutdown();
  });

  it('a sampled-out action span reaches its function as the active span (unsampled, so spans it starts are dropped too), and nothing is exported', async () => {
    const exporter = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ sampler: new AlwaysOffSampler(), spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('sampled-out');
    const clock = new ManualClock();
    let active: Span | undefined;
    let child: Span | undefined;
    const plan = createPlan({
      Read: async () => {
        await Promise.resolve();
        active = trace.getActiveSpan();
        child = tracer.startSpan('query');
        child.end();
        return 1;
      },
    });
    const sequence = new Sequence({ plan, clock, telemetry: { tracer } }).start();
    expect(await sequence.assign('Read').result).toBe(1);
    expect(active?.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(active!.spanContext())).toBe(true);
    expect(active!.spanContext().traceFlags & 1).toBe(0); // not sampled
    expect(child!.spanContext().traceId).toBe(active!.spanContext().traceId);
    expect(exporter.getFinishedSpans()).toEqual([]);
    await sequence.shutdown();
  });

  it('without a tracer nothing is traced and functions see no Echo span', async () => {
    const clock = new ManualClock();
    let active: Span | undefined;
    const sequence = new Sequence({ plan: createPlan({ Plain: () => { active = trace.getActiveSpan(); return 1; } }), clock }).start();
    expect(await sequence.assign('Plain').result).toBe(1);
    expect(active).toBeUndefined();
    await sequence.shutdown();
  });

  it('refuses a tracer that is not one', () => {
    expect(() => new Sequence({ plan: createPlan({ A: () => 1 }), telemetry: { tracer: {} as never } })).toThrow(
      'Expected `telemetry.tracer` to be an OpenTelemetry Tracer (with startSpan), got {} (object)',
    );
  });
});
