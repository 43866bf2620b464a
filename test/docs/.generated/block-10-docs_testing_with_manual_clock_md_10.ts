import assert from 'node:assert/strict';
import { createPlan, ManualClock, seededRandom, Sequence, type EchoEvent } from 'echo-actions';

const clock = new ManualClock();
let calls = 0;
const plan = createPlan({
  Poll: {
    run: async (url: string) => {
      calls++;
      if (calls < 4) throw Object.assign(new Error('503'), { retryAfter: calls * 1_000 }); // the server says when
      return `${url} is up`;
    },
    retry: { attempts: 5 },
  },
});
const sequence = new Sequence({ plan, clock, random: seededRandom(42) });
const events: EchoEvent[] = [];
sequence.events$.subscribe((event) => events.push(event));
sequence.start();

const handle = sequence.assign('Poll', 'https://status.example');
await clock.advance(0);
assert.equal(handle.getSnapshot().value, 'retrying');
await clock.advance(999);
assert.equal(calls, 1); // retryAfter 1000 ms: not yet
await clock.advance(1 + 2_000 + 3_000);
assert.equal(await handle.result, 'https://status.example is up');
assert.deepEqual(
  events.filter((event) => event.type === 'retrying').map((event) => (event.type === 'retrying' ? event.delay : 0)),
  [1_000, 2_000, 3_000],
);
console.log(`4 attempts, ${clock.now()} ms of clock time, no real waiting`);
await sequence.shutdown();
