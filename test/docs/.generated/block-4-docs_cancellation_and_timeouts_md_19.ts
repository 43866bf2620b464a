import { CancellationError, createPlan, ManualClock, Sequence, TimeoutError } from 'echo-actions';

const clock = new ManualClock();
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<string>((resolve, reject) => {
    const timer = clock.setTimeout(() => resolve(`slept ${ms}`), ms);
    signal.addEventListener('abort', () => (clock.clearTimeout(timer), reject(signal.reason)), { once: true });
  });
const plan = createPlan({
  Sleep: { run: (ms: number, { signal }) => sleep(ms, signal), timeout: { attempt: 1_000 }, retry: { attempts: 1 } },
  Stubborn: { run: (ms: number) => new Promise<string>((resolve) => clock.setTimeout(() => resolve('late'), ms)), cancelGrace: 50 },
});
const sequence = new Sequence({ plan, clock, sites: 1, concurrency: 1 }).start();

const timedOut = sequence.assign('Sleep', 5_000);
await clock.advance(1_000);
const timeout = await timedOut.result.catch((error: unknown) => error);
console.log(timeout instanceof TimeoutError && timeout.timeout); // attempt

const controller = new AbortController();
const aborted = sequence.assign('Sleep', 500, { signal: controller.signal });
await clock.advance(10);
controller.abort(new Error('the user closed the tab'));
const cancelled = await aborted.result.catch((error: unknown) => error);
console.log(cancelled instanceof CancellationError && `${cancelled.reason}: ${(cancelled.cause as Error).message}`); // user: the user closed the tab

// A function that ignores its signal keeps its Site slot until cancelGrace, then it is abandoned.
const stubborn = sequence.assign('Stubborn', 10_000);
const next = sequence.assign('Sleep', 10);
await clock.advance(1);
stubborn.cancel();
console.log(stubborn.getSnapshot().value, next.getSnapshot().value); // cancelling queued
await clock.advance(50);
console.log(stubborn.getSnapshot().value, next.getSnapshot().value); // cancelled running
await clock.advance(10);
console.log(await next.result); // slept 10
await sequence.shutdown();
