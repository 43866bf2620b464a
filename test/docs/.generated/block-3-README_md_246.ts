import { createPlan, ManualClock, Sequence } from 'echo-actions';

const plan = createPlan({
  Flaky: {
    run: async (_: null, { attempt }) => {
      if (attempt < 3) throw new Error(`attempt ${attempt} failed`);
      return 'third time lucky';
    },
    retry: { attempts: 3, initialDelay: 500, factor: 2, jitter: 'none' },
  },
});
const clock = new ManualClock();
const sequence = new Sequence({ plan, clock });
sequence.start();
const handle = sequence.assign('Flaky', null);
await clock.advance(499);
console.log(handle.getSnapshot().value); // retrying: the first backoff is 500 ms
await clock.advance(1_001); // fires due timers in order, letting promise callbacks run between them
console.log(await handle.result); // third time lucky, after 500 + 1000 ms of clock time and no real waiting
await sequence.shutdown();
