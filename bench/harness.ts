/**
 * The bench's shape: a case measures Echo against its twin (p-queue, or p-queue + p-retry) fed
 * identically, in interleaved rounds (the order alternates every round), and reports rows with a
 * ratio, a goal and whether the goal is met. `npm run bench` prints every row in one table.
 */

/** Work a contender does in one round; resolves when all of it is done. */
export type Runner = (n: number) => Promise<void>;

/** One line of the bench table. */
export interface Row {
  /** The case that produced the row (what `BENCH_ONLY` selects). */
  readonly case: string;
  /** What is measured. */
  readonly measure: string;
  /** Echo's figure, formatted. */
  readonly echo: string;
  /** The twin's figure, formatted ('' when there is none). */
  readonly reference: string;
  /** The ratio the goal is about, formatted ('' when there is none). */
  readonly ratio: string;
  /** The goal, in words ('' when the row only informs). */
  readonly goal: string;
  /** Whether the goal is met; null when the row has no goal. */
  readonly met: boolean | null;
}

/** A bench case: a name `BENCH_ONLY` can select, and its measurement. */
export interface BenchCase {
  readonly name: string;
  /** Runs only when `BENCH_ONLY` names it (or is `all`): it takes minutes on a loaded machine. */
  readonly slow?: boolean;
  /** Its table rows; a case may also hand back report lines of its own, printed after the table. */
  run(): Promise<Row[] | { rows: Row[]; lines: string[] }>;
}

export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;
export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const times = (ratio: number): string => `${ratio.toFixed(2)}×`;

/** Milliseconds `runner(n)` takes. */
export async function timed(runner: Runner, n: number): Promise<number> {
  const started = performance.now();
  await runner(n);
  return performance.now() - started;
}

/** What {@link duel} measured: medians of the rounds, and the median of the per-round speed ratios. */
export interface Duel {
  readonly echoMs: number;
  readonly referenceMs: number;
  /** Median over rounds of `referenceMs / echoMs` within the round (> 1: Echo is faster). */
  readonly ratio: number;
  readonly echoPerSecond: number;
  readonly referencePerSecond: number;
}

/**
 * Runs Echo and its twin over `n` tasks in interleaved rounds after `warmUp` rounds (who goes first
 * alternates), no forced GC in between: both meet the same JIT and heap conditions. The ratio is
 * taken within each round (same machine load) and its median reported, which holds better than a
 * ratio of medians when the load of a shared machine drifts.
 */
export async function duel(echo: Runner, reference: Runner, n: number, options: { rounds?: number; warmUp?: number } = {}): Promise<Duel> {
  const rounds = options.rounds ?? 5;
  const warmUp = options.warmUp ?? 2;
  const echoTimes: number[] = [];
  const referenceTimes: number[] = [];
  for (let round = -warmUp; round < rounds; round++) {
    let echoMs: number;
    let referenceMs: number;
    if ((round & 1) === 0) {
      echoMs = await timed(echo, n);
      referenceMs = await timed(reference, n);
    } else {
      referenceMs = await timed(reference, n);
      echoMs = await timed(echo, n);
    }
    if (round < 0) continue;
    echoTimes.push(echoMs);
    referenceTimes.push(referenceMs);
  }
  const echoMs = median(echoTimes);
  const referenceMs = median(referenceTimes);
  return {
    echoMs,
    referenceMs,
    ratio: median(echoTimes.map((ms, i) => referenceTimes[i]! / ms)),
    echoPerSecond: (n / echoMs) * 1000,
    referencePerSecond: (n / referenceMs) * 1000,
  };
}

/** A throughput row: Echo's and the twin's actions/s, the ratio and whether it reaches `goal`. */
export function throughputRow(name: string, measure: string, result: Duel, goal: number, twin = 'p-queue'): Row {
  return {
    case: name,
    measure,
    echo: `${fmt(result.echoPerSecond)}/s`,
    reference: `${fmt(result.referencePerSecond)}/s ${twin}`,
    ratio: times(result.ratio),
    goal: `≥ ${goal}× ${twin}`,
    met: result.ratio >= goal,
  };
}

/** A row that only informs (no goal). */
export function infoRow(name: string, measure: string, echo: string, reference = '', ratio = ''): Row {
  return { case: name, measure, echo, reference, ratio, goal: '', met: null };
}

/** Yields to the event loop (timers and sockets run), as a producer between chunks does. */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
