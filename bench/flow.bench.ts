/**
 * Flow control and tracing overhead: Echo's noop throughput with a rate limit set far above the
 * load (per action name and per queue: every start is still counted in the sliding windows and
 * checked by every Site), and with tracing on a no-op OpenTelemetry tracer (the API's own, no
 * SDK registered: a non-recording span started and ended per action, no attempt spans, the
 * function run in the context of `assign`), each against the same Sequence without, in the same
 * interleaved rounds.
 */
import { trace } from '@opentelemetry/api';
import { createPlan, Sequence, type SequenceOptions } from '../src/index.js';
import { CONCURRENCY, type Runner } from './runners.js';

const noop = async (): Promise<void> => {};

function echoWith(extra: Partial<SequenceOptions>): Runner {
  return async (n) => {
    const sequence = new Sequence({ plan: createPlan({ Noop: noop }), sites: 4, concurrency: CONCURRENCY / 4, ...extra });
    sequence.start();
    for (let i = 0; i < n; i++) sequence.assign('Noop', i);
    await sequence.whenIdle();
    await sequence.shutdown({ deadline: 0 });
  };
}

/** A rate a thousand times the load: ~1M starts/s measured below, limits of 1e9 per second. */
const FAR_ABOVE = { limit: 1_000_000_000, interval: 1_000 };

/**
 * Rounds of the three runners back to back, their order rotated each round; each ratio is taken
 * within its round (same machine load, same heap) and the median of the rounds' ratios is
 * reported, which holds better than a ratio of medians when the machine's load drifts.
 */
export async function benchFlowAndTracing(n: number, rounds = 15, warmUp = 3): Promise<{ plain: number; limited: number; traced: number; limitedRatio: number; tracedRatio: number }> {
  const runners: Array<[keyof typeof times, Runner]> = [
    ['plain', echoWith({})],
    ['limited', echoWith({ limits: { actions: { Noop: { rate: FAR_ABOVE } }, queues: { default: { rate: FAR_ABOVE } } } })],
    ['traced', echoWith({ telemetry: { tracer: trace.getTracer('echo-bench') } })],
  ];
  const times = { plain: [] as number[], limited: [] as number[], traced: [] as number[] };
  for (let round = -warmUp; round < rounds; round++) {
    const order = [0, 1, 2].map((i) => runners[(i + Math.max(0, round)) % 3]!);
    for (const [name, runner] of order) {
      const started = performance.now();
      await runner(n);
      if (round >= 0) times[name].push(performance.now() - started);
    }
  }
  const median = (list: readonly number[]): number => [...list].sort((a, b) => a - b)[list.length >> 1]!;
  const perSecond = (ms: number): number => (n / ms) * 1000;
  return {
    plain: perSecond(median(times.plain)),
    limited: perSecond(median(times.limited)),
    traced: perSecond(median(times.traced)),
    limitedRatio: median(times.plain.map((ms, i) => ms / times.limited[i]!)),
    tracedRatio: median(times.plain.map((ms, i) => ms / times.traced[i]!)),
  };
}
