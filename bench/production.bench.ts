/**
 * Production throughput: enqueue `n` items over the three priorities, then take
 * them all with 4 attached Sites in turn. One op is one enqueue or one take.
 */
import { pathToFileURL } from 'node:url';
import { PRIORITIES, Production } from '../src/work/Production.js';

interface Item {
  readonly id: number;
  ticket: number;
}

/** Tickets on the items, as the Sequence keeps them on its runs. */
const slot = { get: (item: Item) => item.ticket, set: (item: Item, ticket: number) => void (item.ticket = ticket) };

/** Measures enqueue + take throughput of a Production; ops = 2n. `tickets: 'map'` measures the default Map book. */
export async function benchProduction(n = 1_000_000, tickets: 'item' | 'map' = 'item'): Promise<{ opsPerSecond: number }> {
  run(Math.min(n, 50_000), tickets); // warm-up: let the JIT compile the hot paths first
  return { opsPerSecond: run(n, tickets) };
}

function run(n: number, tickets: 'item' | 'map'): number {
  const items: Item[] = Array.from({ length: n }, (_, id) => ({ id, ticket: 0 }));
  const sites = ['s0', 's1', 's2', 's3'];
  const production = new Production<Item>({ name: 'bench', random: () => 0.5, ...(tickets === 'item' && { ticket: slot as never }) });
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
  for (const tickets of ['item', 'map'] as const) {
    const { opsPerSecond } = await benchProduction(1_000_000, tickets);
    console.log(`production (tickets on ${tickets}): ${opsPerSecond.toLocaleString('en-US')} ops/s (enqueue + take, 4 Sites)`);
  }
}
