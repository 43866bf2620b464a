/**
 * `npm run bench`: Echo against p-queue, fastq and a raw promise pool, measured
 * in the same run, printed as ratios; then memory and scaling figures, each with
 * its goal.
 */
import { benchProduction } from './production.bench.js';
import { bytesPerLiveActor, bytesPerQueuedAction, bytesPerQueuedPQueueTask, heapGrowth } from './memory.js';
import { benchInspector, formatInspectorFigures } from './inspect.bench.js';
import { benchFlowAndTracing } from './flow.bench.js';
import { benchStore } from './store.bench.js';
import { echo, echoXState, fastQueue, pQueue, pQueueChunked, promisePool, timeInterleaved, timeRunner, CONCURRENCY } from './runners.js';

const N = Number(process.env.BENCH_N ?? 100_000);
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT MET');

async function main(): Promise<void> {
  console.log(`Echo bench — ${fmt(N)} noop actions, concurrency ${CONCURRENCY}, node ${process.version}\n`);
  // Interleaved rounds, medians: every contender meets the same JIT and heap conditions.
  const contenders = { 'p-queue': pQueue, fastq: fastQueue, 'promise pool': promisePool, 'Echo (table engine)': echo };
  const medians = await timeInterleaved(contenders, N, 5, 2);
  const perSecond: Record<string, number> = {};
  for (const [name, ms] of Object.entries(medians)) perSecond[name] = (N / ms) * 1000;
  const xstateN = Math.min(N, 20_000);
  perSecond['Echo (xstate engine)'] = (xstateN / (await timeRunner(echoXState, xstateN, 3))) * 1000;
  const base = perSecond['p-queue']!;
  console.log('throughput                 actions/s    ratio to p-queue');
  for (const [name, rate] of Object.entries(perSecond)) console.log(`  ${name.padEnd(24)} ${fmt(rate).padStart(10)}    ${(rate / base).toFixed(2)}×`);
  const ratio = perSecond['Echo (table engine)']! / base;
  console.log(`  goal ≥ 0.5× p-queue: ${verdict(ratio >= 0.5)} (${ratio.toFixed(2)}×)\n`);

  const queued = bytesPerQueuedAction();
  const queuedPQueue = bytesPerQueuedPQueueTask();
  const live = await bytesPerLiveActor();
  console.log('memory');
  console.log(`  bytes per queued action   ${fmt(queued).padStart(6)}  (p-queue task: ${fmt(queuedPQueue)})  goal ≤ 1024: ${verdict(queued <= 1024)}`);
  console.log(`  bytes per live actor      ${fmt(live).padStart(6)}  goal ≤ 3072: ${verdict(live <= 3072)}`);
  const growth = await heapGrowth();
  console.log(`  heap after 100k / 1M      ${fmt(growth.after100k / 1024)} KiB / ${fmt(growth.after1M / 1024)} KiB  growth ${(growth.growth * 100).toFixed(1)} %  goal ≤ 5 %: ${verdict(growth.growth <= 0.05)}\n`);

  // Ten runs of 100k against one run of 1M, interleaved over 3 rounds (medians): the same work, queued 10× deeper.
  const medianScale = await timeInterleaved({ tenTimes100k: async () => { for (let i = 0; i < 10; i++) await echo(100_000); }, once1M: () => echo(1_000_000) }, 0, 3, 0);
  const scaling = medianScale.once1M! / medianScale.tenTimes100k!;
  console.log('scaling');
  console.log(`  time(1M) / (10 × time(100k)) = ${scaling.toFixed(2)}  goal ≈ 1 (≤ 1.2): ${verdict(scaling <= 1.2)}\n`);

  const inspectedN = Math.min(N, 25_000);
  for (const line of formatInspectorFigures(await benchInspector(inspectedN, pQueueChunked, CONCURRENCY))) console.log(line);
  console.log('');

  const storeN = Math.min(N, 20_000);
  const store = await benchStore(storeN);
  console.log(`persistence (${fmt(storeN)} noop actions in chunks of 1,000, 3 rounds, medians)`);
  console.log(`  in memory                  ${fmt(store.memory).padStart(10)} actions/s`);
  console.log(`  SQLite, synchronous=NORMAL ${fmt(store.normal).padStart(10)} actions/s  ratio ${(store.normal / store.memory).toFixed(2)}  goal ≥ 0.3: ${verdict(store.normal / store.memory >= 0.3)}`);
  console.log(`  SQLite, durability 'full'  ${fmt(store.full).padStart(10)} actions/s  ratio ${(store.full / store.memory).toFixed(2)}`);
  console.log(`  bytes on disk per action   ${fmt(store.bytesNormal).padStart(10)} (database + WAL)`);
  console.log(`  restore ${fmt(store.restoreN)} stored actions ${fmt(store.restoreMs).padStart(6)} ms  goal < 2000: ${verdict(store.restoreMs < 2000)}\n`);

  const flowN = Math.min(N, 20_000);
  const flow = await benchFlowAndTracing(flowN);
  console.log(`flow control and tracing (${fmt(flowN)} noop actions × 15 rounds, order rotated; medians of the per-round ratios)`);
  console.log(`  Echo without                ${fmt(flow.plain).padStart(10)} actions/s`);
  console.log(`  rate limit far above load   ${fmt(flow.limited).padStart(10)} actions/s  ratio ${flow.limitedRatio.toFixed(2)}  goal ≥ 0.9: ${verdict(flow.limitedRatio >= 0.9)}`);
  console.log(`  tracing on a no-op tracer   ${fmt(flow.traced).padStart(10)} actions/s  ratio ${flow.tracedRatio.toFixed(2)}  goal ≥ 0.9: ${verdict(flow.tracedRatio >= 0.9)}\n`);

  const production = await benchProduction();
  console.log('production');
  console.log(`  enqueue + take            ${fmt(production.opsPerSecond)} ops/s  goal ≥ 2,000,000: ${verdict(production.opsPerSecond >= 2_000_000)}`);
}

await main();
