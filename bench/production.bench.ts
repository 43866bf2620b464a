/**
 * Production throughput: enqueue `n` items over the three priorities, then take
 * them all with 4 attached Sites in turn. One op is one enqueue or one take.
 */
import { pathToFileURL } from 'node:url';
import { PRIORITIES, Production } from '../src/Production.js';

/** Measures enqueue + take throughput of a Production; ops = 2n. */
export async function benchProduction(n = 1_000_000): Promise<{ opsPerSecond: number }> {
  run(Math.min(n, 50_000)); // warm-up: let the JIT compile the hot paths first
  return { opsPerSecond: run(n) };
}

function run(n: number): number {
  const items = Array.from({ length: n }, (_, id) => ({ id }));
  const sites = ['s0', 's1', 's2', 's3'];
  const production = new Production<{ id: number }>({ name: 'bench', random: () => 0.5 });
  for (const site of sites) production.attach(site);
  const started = performance.now();
  for (let i = 0; i < n; i++) production.enqueue(items[i]!, PRIORITIES[i % 3]);
  let taken = 0;
  for (let turn = 0; taken < n; turn++) {
    if (production.take(sites[turn & 3]!) !== undefined) taken++;
  }
  const seconds = (performance.now() - started) / 1000;
  if (production.size !== 0) throw new Error(`Expected an empty queue, ${production.size} items left`);
  return Math.round((2 * n) / seconds);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { opsPerSecond } = await benchProduction();
  console.log(`production: ${opsPerSecond.toLocaleString('en-US')} ops/s (enqueue + take, 4 Sites)`);
}
