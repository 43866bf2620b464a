/**
 * Trace context across BullMQ jobs: two Sequences share one queue on the real Redis, one assigns
 * (runs no worker), the other claims; the context active at `assign` travels in the job as a W3C
 * `traceparent`, and the claiming side's action and attempt spans are its children.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPlan } from '../../src/Plan.js';
import { Sequence } from '../../src/Sequence.js';
import { bullmqProduction } from '../../src/distributed/index.js';
import { connection, dropPrefix, randomPrefix } from './redis.js';

const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(() => {
  propagation.disable();
  context.disable();
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

describe('trace context across BullMQ jobs', () => {
  it("the claiming Sequence's action and attempt spans are children of the context active at assign", { timeout: 20_000 }, async () => {
    const prefix = randomPrefix();
    const exporter = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('echo-test');
    let seenInFunction: string | undefined;
    let attempts = 0;
    const plan = createPlan({
      Traced: {
        run: async (n: number) => {
          seenInFunction = trace.getActiveSpan()?.spanContext().traceId;
          if (++attempts === 1) throw new Error('ECONNRESET');
          return n * 2;
        },
        retry: { attempts: 2, initialDelay: 20, jitter: 'none' },
      },
    });
    const assigning = bullmqProduction({ connection, prefix, queue: 'jobs', worker: false });
    const claiming = bullmqProduction({ connection, prefix, queue: 'jobs' });
    const assigner = new Sequence({ plan, production: assigning, sites: 1 }).start();
    const worker = new Sequence({ plan, production: claiming, sites: 1, telemetry: { tracer } }).start();
    const inspector = new Queue('jobs', { connection, prefix });
    cleanups.push(async () => {
      await inspector.close();
      await assigner.shutdown({ deadline: 0 });
      await worker.shutdown({ deadline: 0 });
      await dropPrefix(prefix);
    });
    await Promise.all([assigning.ready(), claiming.ready()]);

    const request = tracer.startSpan('HTTP POST /orders');
    const handle = context.with(trace.setSpan(context.active(), request), () => assigner.assign('Traced', 21));
    request.end();
    expect(await handle.result).toBe(42);

    const job = await inspector.getJob(handle.id);
    const { traceId, spanId } = request.spanContext();
    expect((job!.data as { trace?: Record<string, string> }).trace?.traceparent).toBe(`00-${traceId}-${spanId}-01`);
    const spans = exporter.getFinishedSpans();
    // One claim per attempt on BullMQ: each claim's action span is a child of the request span.
    const actions = spans.filter((span) => span.name === 'Traced');
    expect(actions).toHaveLength(2);
    for (const action of actions) {
      expect(action.spanContext().traceId).toBe(traceId);
      expect(parentOf(action)).toBe(spanId);
    }
    // The first claim's run was handed back for the retry: its span ended, marked so.
    expect(actions.map((action) => action.attributes['echo.handed_back'] ?? false).sort()).toEqual([false, true]);
    const attemptSpans = spans.filter((span) => span.name.startsWith('Traced attempt'));
    expect(attemptSpans.map((span) => span.name).sort()).toEqual(['Traced attempt 1', 'Traced attempt 2']);
    for (const attempt of attemptSpans) {
      expect(actions.map((action) => action.spanContext().spanId)).toContain(parentOf(attempt));
      expect(attempt.spanContext().traceId).toBe(traceId);
    }
    expect(seenInFunction).toBe(traceId);
  });

  it('carries nothing when no span is active at assign', { timeout: 20_000 }, async () => {
    const prefix = randomPrefix();
    const plan = createPlan({ Plain: async (n: number) => n + 1 });
    const production = bullmqProduction({ connection, prefix, queue: 'jobs' });
    const sequence = new Sequence({ plan, production, sites: 1 }).start();
    const inspector = new Queue('jobs', { connection, prefix });
    cleanups.push(async () => {
      await inspector.close();
      await sequence.shutdown({ deadline: 0 });
      await dropPrefix(prefix);
    });
    await production.ready();
    const handle = sequence.assign('Plain', 1);
    expect(await handle.result).toBe(2);
    const job = await inspector.getJob(handle.id);
    expect(job!.data).not.toHaveProperty('trace');
  });
});
