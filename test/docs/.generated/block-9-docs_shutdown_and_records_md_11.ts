import { createPlan, ManualClock, parseActionRecord, Sequence } from 'echo-actions';

const clock = new ManualClock();
const plan = createPlan({
  Resize: (image: { path: string; width: number }, { signal }) =>
    new Promise<string>((resolve, reject) => {
      const timer = clock.setTimeout(() => resolve(`${image.path} at ${image.width}px`), 1_000);
      signal.addEventListener('abort', () => (clock.clearTimeout(timer), reject(signal.reason)), { once: true });
    }),
});
const first = new Sequence({ plan, clock, sites: 1, concurrency: 1 }).start();
const handles = ['a.png', 'b.png', 'c.png'].map((path) => first.assign('Resize', { path, width: 640 }));

const shutdown = first.shutdown({ deadline: 1_500 }); // a.png finishes, b.png is cut off while running, c.png never starts
await clock.advance(1_500);
const report = await shutdown;
console.log(report.done, report.unfinished.map((action) => `${action.state}: ${(action.record?.content as { path: string }).path}`)); // 1 [ 'running: b.png', 'queued: c.png' ]
console.log(await handles[0]!.result); // a.png at 640px

// The records are JSON: write them anywhere, read them back in another Sequence (or process).
const saved = JSON.stringify(report.unfinished.map((action) => action.record)); // null for content that has no JSON form (a function, a cycle)
const second = new Sequence({ plan, clock }).start();
const again = (JSON.parse(saved) as unknown[]).map((json) => second.assign(parseActionRecord(json)));
await clock.advance(1_000);
console.log(await Promise.all(again.map((handle) => handle.result))); // [ 'b.png at 640px', 'c.png at 640px' ]
await second.shutdown();
