/**
 * `npm start`: a demo workload on the in-process default runtime, with the live
 * inspector. Mixed successes, failures that retry, a cancellation, timeouts, a
 * revoked License and follow-ups; a live progress line, then a summary.
 *
 * Options: --actions N (default 400), --seconds S (pace of assignment, default 12),
 * --no-inspector, --port P, --exit (do not keep the inspector open at the end).
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CancellationError, createPlan, License, Life, Sequence, systemClock, type Clock, type EchoEvent, type AnySequence } from '../src/index.js';
import { inspect, type InspectorServer } from '../src/inspect/index.js';

export interface DemoOptions {
  readonly actions?: number;
  readonly seconds?: number;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly inspector?: boolean;
  readonly port?: number;
  readonly log?: (line: string) => void;
  /** Called once the Sequence exists (tests and the inspector hook in here). */
  readonly onSequence?: (sequence: AnySequence) => void | Promise<void>;
  /** How long the one long `Report` job waits for a cancel, ms (minutes: time to find it in the inspector). @default 600000 */
  readonly reportMs?: number;
}

export interface DemoSummary {
  readonly assigned: number;
  readonly done: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly retries: number;
  readonly byError: Readonly<Record<string, number>>;
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const handle = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs the demo workload and resolves with its summary. */
export async function runDemo(options: DemoOptions = {}): Promise<{ summary: DemoSummary; sequence: AnySequence }> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const total = options.actions ?? 400;
  const pace = ((options.seconds ?? 12) * 1000) / total;
  const log = options.log ?? ((line: string) => process.stdout.write(line));
  const reportMs = options.reportMs ?? 10 * 60_000;
  const life = new Life({ fate: { retry: { attempts: 4, initialDelay: 200, maxDelay: 2_000, jitter: 'equal' }, cancelGrace: 500 } });
  life.span.define('LogStart', ({ action }) => void action);
  const plan = createPlan({
    Fetch: {
      description: 'A flaky network call: fails now and then, retries with backoff',
      run: async (url: string, ctx) => {
        await sleep(clock, 150 + random() * 600, ctx.signal);
        if (random() < 0.3) throw Object.assign(new Error(`503 from ${url}`), { status: 503 });
        return { url, bytes: Math.floor(random() * 10_000) };
      },
    },
    Parse: async (page: { url: string; bytes: number }, ctx) => {
      await sleep(clock, 50 + random() * 150, ctx.signal);
      return { url: page.url, words: Math.floor(page.bytes / 6) };
    },
    Resize: {
      description: 'Sometimes hangs: the per-attempt timeout cuts it off',
      run: async (image: string, ctx) => {
        await sleep(clock, random() < 0.15 ? 60_000 : 200 + random() * 400, ctx.signal);
        return `${image}@2x`;
      },
      timeout: { attempt: 1_500 },
      retry: { attempts: 2 },
    },
    Report: {
      description: 'A long job (honours its AbortSignal): cancel it from the inspector',
      run: async (title: string, ctx) => {
        await sleep(clock, reportMs, ctx.signal);
        return `${title}: 42 pages`;
      },
    },
    Charge: {
      description: 'Never retried: a declined card is final',
      run: async (amount: number, ctx) => {
        await sleep(clock, 100 + random() * 300, ctx.signal);
        if (amount > 90) throw Object.assign(new Error(`card declined for ${amount}`), { retryable: false });
        return `charged ${amount}`;
      },
    },
  });
  const sequence = new Sequence({ plan, life, clock, random, sites: 4, concurrency: 6, name: 'demo' });
  await options.onSequence?.(sequence);
  let retries = 0;
  const byError: Record<string, number> = {};
  const counts = { done: 0, failed: 0, cancelled: 0 };
  sequence.events$.subscribe((event: EchoEvent) => {
    if (event.type === 'retrying') retries++;
    if (event.type === 'failed') byError[event.error.name] = (byError[event.error.name] ?? 0) + 1;
    if (event.type === 'done' || event.type === 'failed' || event.type === 'cancelled') counts[event.type]++;
  });
  sequence.start();
  const tenant = new License('tenant-7');
  const report = sequence.assign('Report', 'Quarterly report', { priority: 'high', metadata: { hint: 'cancel me from the inspector' } });
  report.result.catch(() => {}); // its outcome is counted from events$
  const tty = process.stdout.isTTY === true;
  const progress = (): void => {
    const { live } = sequence.stats();
    const line = `  ${counts.done} done · ${counts.failed} failed · ${counts.cancelled} cancelled · ${retries} retries · ${live} in flight`;
    log(tty ? `\r${line}   ` : `${line}\n`);
  };
  const ticker = clock === systemClock ? setInterval(progress, tty ? 200 : 2_000) : undefined;
  let assigned = 0;
  for (let i = 0; i < total; i++) {
    const roll = random();
    const name = roll < 0.45 ? 'Fetch' : roll < 0.7 ? 'Resize' : 'Charge';
    const content = name === 'Fetch' ? `https://example.test/page/${i}` : name === 'Resize' ? `img-${i}.png` : Math.floor(random() * 100);
    const handle = sequence.assign(name, content, {
      priority: roll < 0.1 ? 'high' : roll > 0.9 ? 'low' : 'normal',
      ...(name === 'Fetch' && { then: { name: 'Parse' } }),
      ...(i % 25 === 0 && { metadata: { hooks: ['LogStart'] } }),
      ...(i % 40 === 7 && { license: tenant }),
    });
    assigned++;
    handle.result.catch((error: unknown) => void (error instanceof CancellationError));
    if (i % 50 === 3) clock.setTimeout(() => handle.cancel('user', 'cancelled by the demo'), 300);
    if (i === Math.floor(total / 2)) tenant.revoke('tenant suspended by the demo');
    await sleep(clock, pace, new AbortController().signal);
  }
  await sequence.whenIdle();
  if (ticker !== undefined) clearInterval(ticker);
  progress();
  if (tty) log('\n');
  const shutdown = await sequence.shutdown({ deadline: 5_000 });
  const summary = { assigned: shutdown.assigned, done: counts.done, failed: counts.failed, cancelled: counts.cancelled, retries, byError };
  void assigned;
  return { summary, sequence };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      actions: { type: 'string' },
      seconds: { type: 'string' },
      'no-inspector': { type: 'boolean' },
      port: { type: 'string' },
      exit: { type: 'boolean' },
    },
  });
  console.log('Echo demo: Fetch (flaky, retried) → Parse follow-ups, Resize (sometimes hangs, timed out), Charge (declines never retried)');
  let server: InspectorServer | undefined;
  const { summary } = await runDemo({
    ...(values.actions !== undefined && { actions: Number(values.actions) }),
    ...(values.seconds !== undefined && { seconds: Number(values.seconds) }),
    onSequence: async (sequence) => {
      if (values['no-inspector'] === true) return;
      server = await inspect(sequence, { ...(values.port !== undefined && { port: Number(values.port) }), name: 'Echo demo' });
      console.log(`Inspector: ${server.url}\n  (open it in a browser; the token in the URL lets it cancel, retry and pause)`);
    },
  });
  console.log('\nSummary');
  console.log(`  assigned ${summary.assigned} (follow-ups included): ${summary.done} done, ${summary.failed} failed, ${summary.cancelled} cancelled, ${summary.retries} retries`);
  for (const [name, count] of Object.entries(summary.byError)) console.log(`  failed with ${name}: ${count}`);
  if (server !== undefined) {
    if (values.exit === true || !process.stdout.isTTY) {
      await server.close();
    } else {
      console.log(`\nThe inspector stays open at ${server.url} — Ctrl+C to quit.`);
      process.once('SIGINT', () => void server?.close().then(() => process.exit(0)));
    }
  }
}
