import { describe, expect, it } from 'vitest';
import { createPlan, ManualClock, Sequence, ExecutionError } from '../src/index.js';

describe('smoke', () => {
  it('runs an action end to end', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const plan = createPlan({
      Read: async (path: string, ctx) => `read ${path} attempt ${ctx.attempt}`,
      Flaky: { run: async () => { calls++; if (calls < 3) throw new Error('boom'); return 'ok'; }, retry: { attempts: 3, initialDelay: 10, jitter: 'none' } },
    });
    const sequence = new Sequence({ plan, clock, sites: 2 });
    sequence.start();
    const handle = sequence.assign('Read', 'a.txt');
    const flaky = sequence.assign('Flaky', null);
    await clock.advance(0);
    expect(await handle.result).toBe('read a.txt attempt 1');
    await clock.advance(10);
    await clock.advance(20);
    expect(await flaky.result).toBe('ok');
    expect(flaky.getSnapshot().context.attempts.map((a) => a.outcome)).toEqual(['failed', 'failed', 'succeeded']);
    const report = await sequence.shutdown({ deadline: 100 });
    expect(report.finished).toBe(2);
    void ExecutionError;
  });
});
