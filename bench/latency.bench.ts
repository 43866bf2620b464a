/**
 * Latency, assign → result, on an idle Sequence: one action at a time, each awaited before the
 * next, against p-queue's `add` → resolution the same way, in interleaved rounds. Reports the
 * 50th and 99th percentiles of all measured samples of each contender. Ten warm-up rounds: after
 * two, Echo's p50 still ranged 1.55–3.13 µs over eight processes of the same build (as the JIT's
 * choices of that process fell), after ten 1.44–1.61 µs; p-queue's moved less either way.
 */
import PQueue from 'p-queue';
import { CONCURRENCY, noopSequence } from './runners.js';

const noop = async (): Promise<void> => {};

/** Percentile `p` (0..1) of sorted `values`. */
const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/** Microseconds from assign to result (p50, p99) for Echo and p-queue; `perRound` samples each per round. */
export async function benchLatency(perRound = 2_000, rounds = 5, warmUp = 10): Promise<{ echo: { p50: number; p99: number }; pQueue: { p50: number; p99: number } }> {
  const sequence = noopSequence();
  const queue = new PQueue({ concurrency: CONCURRENCY });
  const samples = { echo: [] as number[], pQueue: [] as number[] };
  const sample = async (into: number[] | null, once: () => Promise<unknown>): Promise<void> => {
    for (let i = 0; i < perRound; i++) {
      const started = performance.now();
      await once();
      into?.push((performance.now() - started) * 1000);
    }
  };
  for (let round = -warmUp; round < rounds; round++) {
    const measured = round >= 0;
    const echoRound = () => sample(measured ? samples.echo : null, () => sequence.assign('Noop', 0).result);
    const pQueueRound = () => sample(measured ? samples.pQueue : null, () => queue.add(noop));
    if ((round & 1) === 0) {
      await echoRound();
      await pQueueRound();
    } else {
      await pQueueRound();
      await echoRound();
    }
  }
  await sequence.shutdown({ deadline: 0 });
  const summary = (values: number[]) => {
    values.sort((a, b) => a - b);
    return { p50: percentile(values, 0.5), p99: percentile(values, 0.99) };
  };
  return { echo: summary(samples.echo), pQueue: summary(samples.pQueue) };
}
