/**
 * Flow control and tracing overhead: Echo's noop throughput with a rate limit set far above the
 * load (per action name and per queue: every start is still counted in the sliding windows and
 * checked by every Site), and with tracing on a no-op OpenTelemetry tracer (the API's own, no
 * SDK registered: a span object per action and attempt, and `context.with` around each
 * function), each against the same Sequence without, in the same interleaved rounds.
 */
import { trace } from '@opentelemetry/api';
import { createPlan, Sequence, type SequenceOptions } from '../src/index.js';
import { CONCURRENCY, timeInterleaved, type Runner } from './runners.js';

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

export async function benchFlowAndTracing(n: number, rounds = 7): Promise<{ plain: number; limited: number; traced: number; limitedRatio: number; tracedRatio: number }> {
  const medians = await timeInterleaved(
    {
      plain: echoWith({}),
      limited: echoWith({ limits: { actions: { Noop: { rate: FAR_ABOVE } }, queues: { default: { rate: FAR_ABOVE } } } }),
      traced: echoWith({ telemetry: { tracer: trace.getTracer('echo-bench') } }),
    },
    n,
    rounds,
    2,
  );
  const perSecond = (ms: number): number => (n / ms) * 1000;
  const plain = perSecond(medians.plain!);
  const limited = perSecond(medians.limited!);
  const traced = perSecond(medians.traced!);
  return { plain, limited, traced, limitedRatio: limited / plain, tracedRatio: traced / plain };
}
