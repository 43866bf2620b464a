/**
 * `npm run bench`: every case measures Echo against its twin fed the same way in the same run
 * (interleaved rounds, medians) and prints one table row per figure: the ratio, the goal, met or
 * NOT MET. `BENCH_ONLY=window,retry npm run bench` runs only the named cases, `BENCH_ONLY=all`
 * every case including the slow ones (scaling, store); `BENCH_N` scales the all-at-once case.
 */
import { benchFlowAndTracing } from './flow.bench.js';
import { duel, fmt, infoRow, times, throughputRow, type BenchCase, type Row } from './harness.js';
import { benchInspector, benchInspectorOverhead, formatInspectorFigures, INSPECTOR_GOALS } from './inspect.bench.js';
import { benchLatency } from './latency.bench.js';
import { heapGrowth, measureInChild } from './memory.js';
import { benchProduction } from './production.bench.js';
import { echoRetry, pQueueRetry } from './retry.bench.js';
import {
  CONCURRENCY,
  echo,
  echoAwaitPerAssign,
  echoChunked,
  echoIoBound,
  echoSlidingWindow,
  echoXState,
  fastQueue,
  noopSequence,
  pQueue,
  pQueueAwaitPerAdd,
  pQueueChunked,
  pQueueInChunks,
  pQueueIoBound,
  pQueueSlidingWindow,
  promisePool,
} from './runners.js';
import { benchStore } from './store.bench.js';
import { benchBullMQ } from './bullmq.bench.js';
import { benchUserMachine } from './userMachine.bench.js';

const N = Number(process.env.BENCH_N ?? 100_000);

const cases: BenchCase[] = [
  {
    name: 'at-once',
    async run() {
      const result = await duel(echo, pQueue, N, { rounds: 5, warmUp: 1 });
      const others = [await duel(fastQueue, pQueue, N, { rounds: 2, warmUp: 0 }), await duel(promisePool, pQueue, N, { rounds: 2, warmUp: 0 })];
      return [
        throughputRow('at-once', `${fmt(N)} queued at once`, result, 1),
        infoRow('at-once', '  fastq, same feed', `${fmt(others[0]!.echoPerSecond)}/s`, '', times(others[0]!.ratio)),
        infoRow('at-once', '  raw promise pool, same feed', `${fmt(others[1]!.echoPerSecond)}/s`, '', times(others[1]!.ratio)),
      ];
    },
  },
  {
    name: 'window',
    async run() {
      const n = Math.min(N, 50_000);
      return [throughputRow('window', `sliding window of 1,000 over completions (${fmt(n)})`, await duel(echoSlidingWindow(1_000), pQueueSlidingWindow(1_000), n), 1)];
    },
  },
  {
    name: 'await',
    async run() {
      const n = Math.min(N, 20_000);
      const result = await duel(echoAwaitPerAssign(1_000), pQueueAwaitPerAdd(1_000), n);
      return [throughputRow('await', `one await per assign: whenWritable vs onSizeLessThan (${fmt(n)}, limit 1,000)`, result, 1)];
    },
  },
  {
    name: 'io',
    async run() {
      const n = Math.min(N, 30_000);
      const result = await duel(echoIoBound(10_000, 5), pQueueIoBound(10_000, 5), n, { rounds: 5, warmUp: 1 });
      return [throughputRow('io', `I/O-bound: 10k concurrent, each awaits a 5 ms timer (${fmt(n)})`, result, 1)];
    },
  },
  {
    name: 'latency',
    async run() {
      const { echo: e, pQueue: q } = await benchLatency();
      const µs = (v: number): string => `${v.toFixed(1)} µs`;
      return [
        { case: 'latency', measure: 'latency assign → result, idle, p50', echo: µs(e.p50), reference: `${µs(q.p50)} p-queue`, ratio: times(e.p50 / q.p50), goal: '≤ 2× p-queue', met: e.p50 / q.p50 <= 2 },
        { case: 'latency', measure: 'latency assign → result, idle, p99', echo: µs(e.p99), reference: `${µs(q.p99)} p-queue`, ratio: times(e.p99 / q.p99), goal: '≤ 3× p-queue', met: e.p99 / q.p99 <= 3 },
      ];
    },
  },
  {
    name: 'retry',
    async run() {
      const n = Math.min(N, 5_000);
      return [throughputRow('retry', `retry path: fail, fail, succeed; zero backoff (${fmt(n)})`, await duel(echoRetry, pQueueRetry, n), 1, 'p-queue + p-retry')];
    },
  },
  {
    name: 'xstate',
    async run() {
      const n = Math.min(N, 5_000);
      return [throughputRow('xstate', `engine: 'xstate', queued at once (${fmt(n)})`, await duel(echoXState, pQueue, n, { rounds: 3, warmUp: 1 }), 0.1)];
    },
  },
  {
    // Issue #9: a user's Action machine (the circuit breaker) beside the built-in one, both on the table engine.
    name: 'user-machine',
    async run() {
      const n = Math.min(N, 50_000);
      const result = await benchUserMachine(n);
      return [
        {
          case: 'user-machine',
          measure: `circuit-breaker machine ÷ built-in machine, queued at once (${fmt(n)})`,
          echo: `${fmt(result.echoPerSecond)}/s`,
          reference: `${fmt(result.referencePerSecond)}/s built-in`,
          ratio: times(result.ratio),
          goal: '≥ 0.8× built-in',
          met: result.ratio >= 0.8,
        },
      ];
    },
  },
  {
    name: 'inspector',
    async run() {
      const n = Math.min(N, 25_000);
      const chunk = 1_000;
      const overhead = await benchInspectorOverhead(
        () => {
          const sequence = noopSequence();
          return { target: sequence, run: echoChunked(sequence, chunk), close: async () => void (await sequence.shutdown({ deadline: 0 })) };
        },
        { n, rounds: 7, warmUp: 2, reference: pQueueInChunks(chunk) },
      );
      // Until the viewer has the last change: the run's median time plus the median lag of its last flush.
      const untilViewed = (n / ((n / overhead.withInspector) * 1000 + overhead.lag)) * 1000;
      const ratio = untilViewed / overhead.reference!;
      return [
        {
          case: 'inspector',
          measure: `inspected, one WebSocket viewer, chunks of 1,000, until the viewer has the last change (${fmt(n)})`,
          echo: `${fmt(untilViewed)}/s`,
          reference: `${fmt(overhead.reference!)}/s p-queue`,
          ratio: times(ratio),
          goal: '≥ 0.5× p-queue, same chunks',
          met: ratio >= 0.5,
        },
        infoRow('inspector', '  uninspected Echo, same chunks', `${fmt(overhead.without)}/s`, '', times(overhead.withInspector / overhead.without)),
        infoRow('inspector', '  viewer lag after a run; bytes per action on the wire', `${fmt(overhead.lag)} ms; ${fmt(overhead.bytes / n)} B`),
      ];
    },
  },
  {
    // The inspector at scale (issue #13): inspected ÷ uninspected in chunks of 5,000, late viewers joining 90k live actions.
    name: 'inspector-scale',
    async run() {
      const n = Math.min(N, 25_000);
      const figures = await benchInspector(n, pQueueChunked, CONCURRENCY);
      const ratio = figures.overhead.ratio;
      const rows = [{ case: 'inspector-scale', measure: `inspected ÷ uninspected, chunks of 5,000 (${fmt(n)}); late viewers below`, echo: `${fmt(figures.overhead.withInspector)}/s`, reference: `${fmt(figures.overhead.without)}/s uninspected`, ratio: times(ratio), goal: `≥ ${INSPECTOR_GOALS.ratioToUninspected}× uninspected`, met: ratio >= INSPECTOR_GOALS.ratioToUninspected }];
      return { rows, lines: formatInspectorFigures(figures) };
    },
  },
  {
    name: 'memory',
    async run() {
      // One child process per scenario: nothing else's garbage in the window.
      const live = await measureInChild('live');
      const queued = await measureInChild('queued');
      const queuedPQueue = await measureInChild('queued-p-queue');
      return [
        { case: 'memory', measure: 'bytes per live action (awaiting a never-resolving promise)', echo: `${fmt(live)} B`, reference: '', ratio: '', goal: '≤ 1,024 B', met: live <= 1024 },
        { case: 'memory', measure: 'bytes per queued action', echo: `${fmt(queued)} B`, reference: `${fmt(queuedPQueue)} B p-queue task`, ratio: '', goal: '≤ 400 B', met: queued <= 400 },
      ];
    },
  },
  {
    name: 'scaling',
    slow: true,
    async run() {
      const growth = await heapGrowth();
      // Ten runs of 100k against one run of 1M, interleaved: the same work, queued 10× deeper.
      const tenTimes = async (): Promise<void> => {
        for (let i = 0; i < 10; i++) await echo(100_000);
      };
      const scale = await duel(() => echo(1_000_000), tenTimes, 0, { rounds: 3, warmUp: 0 });
      const scaling = scale.echoMs / scale.referenceMs;
      return [
        { case: 'scaling', measure: 'heap after 100k / 1M actions', echo: `${fmt(growth.after100k / 1024)} / ${fmt(growth.after1M / 1024)} KiB`, reference: '', ratio: `${(growth.growth * 100).toFixed(1)} %`, goal: '≤ 5 % growth', met: growth.growth <= 0.05 },
        { case: 'scaling', measure: 'time(1M) / (10 × time(100k))', echo: scaling.toFixed(2), reference: '', ratio: '', goal: '≤ 1.2', met: scaling <= 1.2 },
      ];
    },
  },
  {
    name: 'store',
    slow: true,
    async run() {
      const n = Math.min(N, 20_000);
      const store = await benchStore(n);
      return [
        { case: 'store', measure: `SQLite NORMAL ÷ in memory, chunks of 1,000 (${fmt(n)}, median of 5 per-round ratios)`, echo: `${fmt(store.normal)}/s`, reference: `${fmt(store.memory)}/s in memory`, ratio: store.normalRatio.toFixed(2), goal: '≥ 0.3', met: store.normalRatio >= 0.3 },
        { case: 'store', measure: `SQLite durability 'full' ÷ in memory (${fmt(n)})`, echo: `${fmt(store.full)}/s`, reference: `${fmt(store.memory)}/s in memory`, ratio: store.fullRatio.toFixed(2), goal: '≥ 0.3', met: store.fullRatio >= 0.3 },
        infoRow('store', '  bytes on disk per action (database + WAL)', `${fmt(store.bytesNormal)} B`),
        { case: 'store', measure: `restore ${fmt(store.restoreN)} stored actions (start(), store open)`, echo: `${fmt(store.restoreMs)} ms (${fmt(store.restoreCpuMs)} ms CPU)`, reference: '', ratio: '', goal: '< 2,000 ms', met: store.restoreMs < 2000 },
      ];
    },
  },
  {
    name: 'flow',
    async run() {
      const n = Math.min(N, 20_000);
      const flow = await benchFlowAndTracing(n);
      return [
        { case: 'flow', measure: `rate limit far above the load ÷ without (${fmt(n)})`, echo: `${fmt(flow.limited)}/s`, reference: `${fmt(flow.plain)}/s without`, ratio: flow.limitedRatio.toFixed(2), goal: '≥ 0.9', met: flow.limitedRatio >= 0.9 },
        { case: 'flow', measure: 'tracing on a no-op tracer ÷ disabled', echo: `${fmt(flow.traced)}/s`, reference: `${fmt(flow.plain)}/s without`, ratio: flow.tracedRatio.toFixed(2), goal: '≥ 0.9', met: flow.tracedRatio >= 0.9 },
      ];
    },
  },
  {
    name: 'bullmq',
    async run() {
      // Redis at 127.0.0.1:6379; one add per job (as assign does), concurrency 16, noop jobs.
      const n = Math.min(N, 2_000);
      const bull = await benchBullMQ(n);
      const ratio = bull.echo / bull.raw;
      const ms = (v: number): string => `${v.toFixed(1)} ms`;
      return [
        { case: 'bullmq', measure: `Echo on BullMQ ÷ raw BullMQ Worker, one process, noop jobs (${fmt(n)}, 5 interleaved rounds)`, echo: `${fmt(bull.echo)}/s`, reference: `${fmt(bull.raw)}/s raw BullMQ`, ratio: times(ratio), goal: '≥ 0.8× raw BullMQ', met: ratio >= 0.8 },
        infoRow('bullmq', '  CPU of the one process per job (user + system, medians)', `${fmt(bull.echoCpu)} µs`, `${fmt(bull.rawCpu)} µs raw BullMQ`, times(bull.rawCpu / bull.echoCpu)),
        ...Object.entries(bull.processes).map(([count, rate]) => infoRow('bullmq', `  ${count} worker process${count === '1' ? '' : 'es'}, assigned from this one`, `${fmt(rate)}/s`, '', '')),
        infoRow('bullmq', '  cross-process cancel → CancellationError, p50', ms(bull.cancelP50), '', ''),
        infoRow('bullmq', '  cross-process cancel → CancellationError, p99', ms(bull.cancelP99), '', ''),
      ];
    },
  },
  {
    name: 'production',
    async run() {
      const { opsPerSecond } = await benchProduction();
      return [{ case: 'production', measure: 'Production enqueue + take, 4 Sites', echo: `${fmt(opsPerSecond)} ops/s`, reference: '', ratio: '', goal: '≥ 2,000,000 ops/s', met: opsPerSecond >= 2_000_000 }];
    },
  },
];

function selected(): BenchCase[] {
  const only = process.env.BENCH_ONLY;
  if (only === 'all') return cases;
  if (only === undefined || only === '') return cases.filter((c) => c.slow !== true);
  const names = only.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !cases.some((c) => c.name === name));
  if (unknown.length > 0) throw new TypeError(`Expected BENCH_ONLY to be "all" or name cases among ${cases.map((c) => c.name).join(', ')}; got ${unknown.join(', ')}`);
  return cases.filter((c) => names.includes(c.name));
}

function printTable(rows: readonly Row[]): void {
  const header: Row = { case: 'case', measure: 'measure', echo: 'Echo', reference: 'twin', ratio: 'ratio', goal: 'goal', met: null };
  const cells = (row: Row, verdict: string): string[] => [row.case, row.measure, row.echo, row.reference, row.ratio, row.goal, verdict];
  const lines = [cells(header, 'verdict'), ...rows.map((row) => cells(row, row.met === null ? '' : row.met ? 'met' : 'NOT MET'))];
  const widths = lines[0]!.map((_, column) => Math.max(...lines.map((line) => line[column]!.length)));
  for (const line of lines) console.log(line.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
}

async function main(): Promise<void> {
  const chosen = selected();
  const skipped = cases.filter((c) => !chosen.includes(c)).map((c) => c.name);
  console.log(`Echo bench — node ${process.version}, concurrency ${CONCURRENCY} (4 Sites × 4); cases: ${chosen.map((c) => c.name).join(', ')}`);
  if (skipped.length > 0) console.log(`not run: ${skipped.join(', ')} (BENCH_ONLY=all or BENCH_ONLY=<case,…> runs them)`);
  console.log('');
  const rows: Row[] = [];
  const lines: string[] = [];
  const started = performance.now();
  for (const benchCase of chosen) {
    const caseStarted = performance.now();
    const result = await benchCase.run();
    if (Array.isArray(result)) rows.push(...result);
    else {
      rows.push(...result.rows);
      lines.push('', ...result.lines);
    }
    console.log(`  ${benchCase.name} measured in ${((performance.now() - caseStarted) / 1000).toFixed(1)} s`);
  }
  console.log(`\nall cases in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  printTable(rows);
  const missed = rows.filter((row) => row.met === false).length;
  for (const line of lines) console.log(line);
  console.log(`\n${rows.filter((row) => row.met !== null).length - missed} goals met in the table, ${missed} NOT MET`);
}

await main();
