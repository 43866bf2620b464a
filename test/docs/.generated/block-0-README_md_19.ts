import { CancellationError, createPlan, Sequence } from 'echo-actions';

const plan = createPlan({
  Read: async (path: string, { signal }) => {
    signal.throwIfAborted();
    return `contents of ${path}`;
  },
  Charge: {
    run: async (amount: number, { attempt }) => {
      if (attempt === 1) throw new Error('gateway timeout'); // the first attempt fails, the retry succeeds
      return { charged: amount };
    },
    retry: { attempts: 5, initialDelay: 20, maxDelay: 1_000, jitter: 'full', nonRetryable: ['CardDeclined'] },
    timeout: { attempt: 2_000, total: 30_000 },
    after: ({ outcome }) => console.log('Charge ended:', outcome?.status),
  },
  Wait: (ms: number, { signal }) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
    }),
});

const sequence = new Sequence({ plan, sites: 4, concurrency: 4 });
const subscription = sequence.events$.subscribe((e) => console.log(e.type, 'actionId' in e ? e.actionId : '')); // rxjs
sequence.start();

const read = sequence.assign('Read', 'notes.txt', { priority: 'high' });
const text: string = await read.result; // typed from the Plan: assign('Read', 42) or assign('Nope') do not compile
console.log(text, read.getSnapshot().value); // contents of notes.txt done

const charge = sequence.assign('Charge', 42);
console.log(await charge.result, charge.getSnapshot().context.attempts.length); // { charged: 42 } 2

const controller = new AbortController();
const wait = sequence.assign('Wait', 60_000, { signal: controller.signal }); // or wait.cancel()
controller.abort(new Error('no longer needed')); // aborts the running attempt's signal, like fetch
const error = await wait.result.catch((reason: unknown) => reason);
if (error instanceof CancellationError) console.log(error.reason, (error.cause as Error).message); // user no longer needed

const report = await sequence.shutdown({ deadline: 10_000 }); // drain, then abort; nothing is lost
console.log(report.finished, report.unfinished.length); // 3 0
subscription.unsubscribe();
