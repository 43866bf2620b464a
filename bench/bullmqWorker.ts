/**
 * A worker process for the BullMQ bench: a Sequence on a bullmqProduction claiming jobs.
 * argv: prefix, queue, concurrency. Prints `ready`, then `start <id>` as a Block action begins.
 */
import { createPlan, Sequence } from '../src/index.js';
import { bullmqProduction } from '../src/distributed/index.js';

const [prefix, queue, concurrency] = process.argv.slice(2) as [string, string, string];
const plan = createPlan({
  Noop: async (_n: number) => {},
  Block: (_n: number, ctx) =>
    new Promise<never>((_resolve, reject) => {
      process.stdout.write(`start ${ctx.action}\n`);
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
    }),
});
const production = bullmqProduction({ connection: { host: '127.0.0.1', port: 6379 }, prefix, queue, removeOnComplete: true });
const sequence = new Sequence({ plan, production, sites: 1, concurrency: Number(concurrency) }).start();
await production.ready();
process.stdout.write('ready\n');
process.on('SIGTERM', () => void sequence.shutdown({ deadline: 0 }).then(() => process.exit(0)));
