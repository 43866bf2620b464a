import { AggregationTemporality, MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { createPlan, ManualClock, Sequence } from '../../src/index.js';
import { clockSleep } from '../support/clockSleep.js';

/** A reader collected on demand (no timers). */
class ManualReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

function setup(withMeter: boolean) {
  const reader = new ManualReader();
  const provider = new MeterProvider({ readers: [reader] });
  const clock = new ManualClock();
  let calls = 0;
  const plan = createPlan({
    Work: (ms: number, ctx) => clockSleep(clock, ms, ctx.signal).then(() => ms),
    Flaky: {
      run: async () => {
        calls++;
        await clockSleep(clock, 5);
        if (calls === 1) throw new Error('boom');
        return 'ok';
      },
      retry: { attempts: 2, initialDelay: 100, jitter: 'none' },
    },
  });
  const sequence = new Sequence({ plan, clock, sites: 1, concurrency: 1, ...(withMeter && { telemetry: { meter: provider.getMeter('echo-test') } }) }).start();
  const metric = async (name: string): Promise<MetricData | undefined> => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((m) => m.descriptor.name === name);
  };
  return { clock, sequence, metric };
}

describe('metrics', () => {
  it('sequence.stats() counts per name and outcome, attempt durations, queue wait and in-flight', async () => {
    const { clock, sequence } = setup(false);
    const a = sequence.assign('Work', 30);
    const b = sequence.assign('Work', 20);
    const flaky = sequence.assign('Flaky');
    await clock.advance(10);
    expect(sequence.stats().actions.Work).toMatchObject({ assigned: 2, inFlight: 1, done: 0 });
    await clock.runAll();
    await Promise.all([a.result, b.result, flaky.result]);
    const stats = sequence.stats().actions;
    // One Site, one at a time: Work 30 runs 0–30, Work 20 waits 30 then runs 30–50, Flaky waits 50,
    // fails at 55, retries after 100 at 155 and succeeds at 160.
    expect(stats.Work).toEqual({
      assigned: 2, done: 2, failed: 0, cancelled: 0, inFlight: 0,
      attempts: { succeeded: 2, failed: 0, other: 0 },
      attemptDuration: { count: 2, total: 50, max: 30 },
      queueWait: { count: 2, total: 30, max: 30 },
    });
    expect(stats.Flaky).toMatchObject({ done: 1, attempts: { succeeded: 1, failed: 1, other: 0 }, attemptDuration: { count: 2, total: 10, max: 5 }, queueWait: { count: 2, total: 50, max: 50 } });
    await sequence.shutdown();
  });

  it('the same figures as OpenTelemetry metrics through the API meter', async () => {
    const { clock, sequence, metric } = setup(true);
    sequence.assign('Work', 30);
    sequence.assign('Flaky');
    await clock.advance(10);
    const inFlight = await metric('echo.actions.in_flight');
    expect(inFlight?.dataPoints.map((point) => [point.attributes['echo.action.name'], point.value])).toEqual([['Work', 1]]);
    await clock.runAll();
    await sequence.whenIdle();
    const settled = await metric('echo.actions');
    expect(settled?.dataPoints.map((point) => [point.attributes['echo.action.name'], point.attributes['echo.outcome'], point.value]).sort()).toEqual([
      ['Flaky', 'done', 1],
      ['Work', 'done', 1],
    ]);
    const attempts = await metric('echo.attempts');
    expect(attempts?.dataPoints.map((point) => [point.attributes['echo.action.name'], point.attributes['echo.outcome'], point.value]).sort()).toEqual([
      ['Flaky', 'failed', 1],
      ['Flaky', 'succeeded', 1],
      ['Work', 'succeeded', 1],
    ]);
    const durations = await metric('echo.attempt.duration');
    const work = durations?.dataPoints.find((point) => point.attributes['echo.action.name'] === 'Work')?.value as { sum: number; count: number };
    expect(work).toMatchObject({ sum: 30, count: 1 });
    const wait = await metric('echo.queue.wait');
    const flakyWait = wait?.dataPoints.find((point) => point.attributes['echo.action.name'] === 'Flaky')?.value as { sum: number; count: number };
    expect(flakyWait).toMatchObject({ sum: 30, count: 2 });
    await sequence.shutdown();
  });
});
