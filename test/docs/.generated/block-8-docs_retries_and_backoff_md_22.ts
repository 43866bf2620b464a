import { backoffDelay, createPlan, decideRetry, ManualClock, resolveRetryPolicy, Sequence } from 'echo-actions';

// The delays are a pure function of the policy, the attempt and a random source: no timers needed.
const policy = resolveRetryPolicy({ attempts: 5, initialDelay: 100, factor: 2, maxDelay: 1_000, jitter: 'none' });
console.log([1, 2, 3, 4, 5].map((attempt) => backoffDelay(policy, attempt, null, () => 0.5))); // [ 100, 200, 400, 800, 1000 ]
console.log(decideRetry({ policy, attempt: 5, error: new Error('x'), previousDelay: 800, elapsed: 0, random: Math.random })); // attempts exhausted

// In a Sequence: a card declined is final, a timeout is retried after the backoff.
const clock = new ManualClock();
const plan = createPlan({
  Charge: {
    run: async (amount: number, { attempt }) => {
      if (amount > 100) throw Object.assign(new Error('declined'), { name: 'CardDeclined' });
      if (attempt < 3) throw new Error('gateway timeout');
      return `charged ${amount} on attempt ${attempt}`;
    },
    retry: { attempts: 4, initialDelay: 100, jitter: 'none', nonRetryable: ['CardDeclined'] },
  },
});
const sequence = new Sequence({ plan, clock }).start();
const ok = sequence.assign('Charge', 10);
const declined = sequence.assign('Charge', 500);
await clock.advance(300); // 100 ms before attempt 2, 200 ms before attempt 3
console.log(await ok.result); // charged 10 on attempt 3
const declinedError = (await declined.result.catch((error: unknown) => error)) as Error;
console.log(declinedError.name, (declinedError.cause as Error).name, declined.getSnapshot().context.attempts.length); // ExecutionError CardDeclined 1
await sequence.shutdown();
