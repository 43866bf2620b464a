/**
 * A real Sequence flooded with 100k short actions while the page is open and
 * searching and filtering: the page's long tasks are measured (PerformanceObserver
 * 'longtask'), and once the runtime is idle the page converges to its truth
 * (0 active). Figures are printed and written to test-results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { createPlan, Sequence } from '../../src/index.js';
import { inspect } from '../../src/inspect/server.js';
import { buildInspector, chromiumMissing, distInspector, launchChromium, repo, waitFor } from './harness.js';

const results = `${repo}test-results`;

/** The header's "N active" count. */
const activeCount = async (page: import('playwright-core').Page): Promise<number | null> => {
  const text = await page.textContent('[data-testid="summary"]', { timeout: 200 }).catch(() => null);
  const match = /([\d,]+) active/.exec(text ?? '');
  return match ? Number(match[1]!.replaceAll(',', '')) : null;
};

describe.skipIf(chromiumMissing)('a real Sequence flooded with 100k short actions', () => {
  test('long tasks are bounded while it runs, and the page shows 0 active once the runtime is idle', async () => {
    mkdirSync(results, { recursive: true });
    buildInspector();
    const plan = createPlan({ Quick: async (n: number) => n });
    const sequence = new Sequence({ plan, sites: 4, concurrency: 16, name: 'flood' });
    sequence.start();
    const server = await inspect(sequence, { staticDir: distInspector });
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1600, height: 960 } });
      await page.addInitScript(() => {
        const tasks: number[] = [];
        (window as unknown as { __longTasks: number[] }).__longTasks = tasks;
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) tasks.push(entry.duration);
        }).observe({ type: 'longtask', buffered: true });
      });
      await page.goto(server.url);
      await page.waitForSelector('[data-testid="connection"]:text("open")');
      await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks.splice(0));
      const total = 100_000;
      const started = Date.now();
      for (let chunk = 0; chunk < total / 1000; chunk++) {
        for (let i = 0; i < 1000; i++) sequence.assign('Quick', chunk * 1000 + i);
        // Search and filter while it runs, as a user would.
        if (chunk === 20) await page.fill('[data-testid="search"]', 'a-1');
        if (chunk === 40) await page.selectOption('select[aria-label="State"]', { index: 0 });
        if (chunk === 60) await page.fill('[data-testid="search"]', '');
        await new Promise((resolve) => setImmediate(resolve));
      }
      await waitFor(() => sequence.stats().live === 0, 'the flood to settle', 120_000);
      const idleAt = Date.now();
      const runMs = idleAt - started;
      // The runtime is idle: the page shows 0 active after its next flush, i.e. within the
      // server's flush (50 ms) plus the page's longest batch wait (2 s, when reducing is slow).
      await waitFor(async () => (await activeCount(page)) === 0, 'the page to show 0 active within one flush', 2050 + 500);
      const convergeMs = Date.now() - idleAt;
      const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks.slice());
      const longest = Math.max(0, ...longTasks);
      const figures = { actions: total, runMs, convergeMs, longTasks: longTasks.length, longestTaskMs: Math.round(longest), over200ms: longTasks.filter((d) => d > 200).length };
      writeFileSync(`${results}/inspector-flood-100k.json`, JSON.stringify(figures, null, 2));
      console.log(`100k flood: run ${runMs} ms, page at 0 active ${convergeMs} ms after idle; ${figures.longTasks} long tasks, longest ${figures.longestTaskMs} ms, ${figures.over200ms} over 200 ms`);
      expect(sequence.stats().done).toBe(total);
      expect(await activeCount(page)).toBe(0);
    } finally {
      await browser?.close();
      await server.close();
      await sequence.shutdown({ deadline: 0 });
    }
  }, 240_000);
});
