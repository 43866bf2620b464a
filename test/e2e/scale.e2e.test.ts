/**
 * The inspector at scale, in Chromium, with the goals of issue #13 asserted:
 * - flooded with 100k short actions of a real Sequence while the page is open and
 *   searching and filtering: no task of the page takes over 200 ms (PerformanceObserver
 *   'longtask', itself checked to see a deliberate 300 ms task), every one of the 100k
 *   reached the page (shown or counted as dropped), and once the runtime is idle the
 *   page converges to its truth (0 active);
 * - a page that opens while 90k actions are live (a late viewer) is usable (shows
 *   actions) within 2 s and complete (shows every live action) within 5 s of navigating;
 * - at 100k actions, a keystroke in the search shows its result within 100 ms, both one
 *   that narrows the search and one that widens it again (every actor is looked at).
 * These are timings, so this file runs in a vitest phase of its own, alone, after every
 * other test file (`timedInBrowser` in vite.config.ts). Figures are printed and written
 * to test-results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPlan, Sequence } from '../../src/index.js';
import { systemClock } from '../../src/clock.js';
import { unpackFrame, type ServerFrame } from '../../src/inspect/packedActors.js';
import type { DeltaMessage, SourceStats } from '../../src/inspect/protocol.js';
import { inspect } from '../../src/inspect/server.js';
import type { InspectableActorRef, InspectorTarget } from '../../src/inspect/target.js';
import { createTestSequence } from '../inspect/testSequence.js';
import { buildInspector, chromiumMissing, distInspector, launchChromium, repo, waitFor } from './harness.js';

const results = `${repo}test-results`;

/** A number shown in `selector`'s text before `label` ("90,000 active" → 90000). */
const shownCount = async (page: Page, selector: string, label: string): Promise<number | null> => {
  const text = await page.textContent(selector, { timeout: 200 }).catch(() => null);
  const match = new RegExp(`([\\d,]+) ${label}`).exec(text ?? '');
  return match ? Number(match[1]!.replaceAll(',', '')) : null;
};

/** Every frame the page's WebSocket received, seen from outside the page (nothing runs in it). */
function watchFrames(page: Page): { stats: () => SourceStats | null; addedActions: Set<string>; frames: () => number } {
  let stats: SourceStats | null = null;
  let frames = 0;
  const addedActions = new Set<string>();
  page.on('websocket', (socket) => {
    socket.on('framereceived', ({ payload }) => {
      frames++;
      const message = unpackFrame(JSON.parse(String(payload)) as ServerFrame);
      if (message.type !== 'delta' && message.type !== 'full') return;
      stats = message.stats;
      const actors = message.type === 'full' ? message.actors : (message as DeltaMessage).ops.flatMap((op) => (op.op === 'add' ? [op.actor] : []));
      for (const actor of actors) if (actor.kind === 'action') addedActions.add(actor.id);
    });
  });
  return { stats: () => stats, addedActions, frames: () => frames };
}

describe.skipIf(chromiumMissing)('the inspector at scale, on a real Sequence', () => {
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(results, { recursive: true });
    buildInspector();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  test('a 100k flood: no task of the page over 200 ms (a checked observer), every action reached the page, and it shows 0 active once the runtime is idle', async () => {
    const plan = createPlan({ Quick: async (n: number) => n });
    const sequence = new Sequence({ plan, sites: 4, concurrency: 16, name: 'flood' });
    sequence.start();
    const server = await inspect(sequence, { staticDir: distInspector });
    const page = await browser.newPage({ viewport: { width: 1600, height: 960 } });
    try {
      // Registered before any of the app's scripts run.
      await page.addInitScript(() => {
        const tasks: number[] = [];
        (window as unknown as { __longTasks: number[] }).__longTasks = tasks;
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) tasks.push(entry.duration);
        }).observe({ type: 'longtask', buffered: true });
      });
      const frames = watchFrames(page);
      await page.goto(server.url);
      await page.waitForSelector('[data-testid="connection"]:text("open")');
      const longTasks = (): Promise<number[]> => page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks.slice());
      // The observer works: a deliberate 300 ms task in the page is reported. (A task of the page's
      // own: code run by page.evaluate itself is not a task the page's scheduler sees, nor reports.)
      await page.evaluate(
        () =>
          new Promise<void>((resolve) =>
            setTimeout(() => {
              const until = performance.now() + 300;
              while (performance.now() < until);
              resolve();
            }, 0),
          ),
      );
      // (Chromium reports a task's duration coarsened; 250 ms stays far above the 200 ms bound.)
      await waitFor(async () => (await longTasks()).some((duration) => duration >= 250), 'the observer to report the deliberate 300 ms task');
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
      await waitFor(async () => (await shownCount(page, '[data-testid="summary"]', 'active')) === 0, 'the page to show 0 active within one flush', 2050 + 500);
      const convergeMs = Date.now() - idleAt;
      // Every action reached the page: shown (an add), or counted as dropped in the stats it got.
      // Its last stats: the actors the adapter holds (4 Sites and the Sequence besides actions) and those it dropped.
      const stats = await waitFor(() => {
        const last = frames.stats();
        return last !== null && last.actors - 5 + last.droppedActors === total ? last : null;
      }, 'stats on the page that account for all 100k actions');
      expect(frames.addedActions.size).toBeGreaterThan(0);
      expect(frames.addedActions.size).toBeLessThanOrEqual(total);
      // What the page shows of them: its tree says how many were dropped.
      await waitFor(async () => (await shownCount(page, '.tree-source .dropped', 'actors')) === stats.droppedActors, `the page to show ${stats.droppedActors} dropped`);
      const tasks = await longTasks();
      const figures = {
        actions: total,
        runMs,
        convergeMs,
        framesReceived: frames.frames(),
        actionsShown: frames.addedActions.size,
        droppedActors: stats.droppedActors,
        longTasks: tasks.length,
        longestTaskMs: Math.round(Math.max(0, ...tasks)),
        over200ms: tasks.filter((d) => d > 200).length,
      };
      writeFileSync(`${results}/inspector-flood-100k.json`, JSON.stringify(figures, null, 2));
      console.log(
        `100k flood: run ${runMs} ms, page at 0 active ${convergeMs} ms after idle; ${figures.framesReceived} frames, ${figures.actionsShown} actions shown, ${figures.droppedActors} dropped; ${figures.longTasks} long tasks, longest ${figures.longestTaskMs} ms`,
      );
      expect(sequence.stats().done).toBe(total);
      expect(await shownCount(page, '[data-testid="summary"]', 'active')).toBe(0);
      // The goal: no task of the page over 200 ms while the flood streams in.
      expect(tasks.filter((duration) => duration > 200)).toEqual([]);
    } finally {
      await page.close();
      await server.close();
      await sequence.shutdown({ deadline: 0 });
    }
  }, 240_000);

  test('a page that opens while 90k actions are live is usable within 2 s and complete within 5 s: every one of them, and the runtime’s counts', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const plan = createPlan({ Hold: () => gate });
    const live = 90_000;
    // 80k run, 10k wait in the queues: both kinds are live.
    const sequence = new Sequence({ plan, sites: 4, concurrency: 20_000, name: 'busy' });
    sequence.start();
    const server = await inspect(sequence, { staticDir: distInspector });
    const page = await browser.newPage({ viewport: { width: 1600, height: 960 } });
    try {
      for (let done = 0; done < live; done += 5_000) {
        for (let i = 0; i < 5_000; i++) sequence.assign('Hold', done + i);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(sequence.stats().live).toBe(live);
      // Timed in the page (from navigation): when the list first shows actions, and when it shows all of them.
      await page.addInitScript((expected: string) => {
        const times: { usable?: number; complete?: number } = {};
        (window as unknown as { __join: typeof times }).__join = times;
        new MutationObserver(() => {
          const meta = document.querySelector('.list-meta')?.textContent ?? '';
          if (times.usable === undefined && /^[1-9][\d,]* actions/.test(meta)) times.usable = performance.now();
          if (times.complete === undefined && meta.startsWith(`${expected} actions`)) times.complete = performance.now();
        }).observe(document, { subtree: true, childList: true, characterData: true });
      }, live.toLocaleString('en-US'));
      await page.goto(server.url);
      await waitFor(async () => (await shownCount(page, '[data-testid="summary"]', 'active')) === live, `the page to show ${live} active`, 60_000);
      const times = await page.evaluate(() => (window as unknown as { __join: { usable?: number; complete?: number } }).__join);
      await waitFor(async () => (await shownCount(page, '.list-meta', 'actions')) === live, `${live} actions in the list`);
      await waitFor(async () => (await shownCount(page, '[data-testid="summary"]', 'actors')) === live + 5, `${live + 5} actors (the Sequence and its 4 Sites)`);
      // By state, as the runtime has them.
      const queued = Object.values(sequence.stats().queues).reduce((sum, queue) => sum + queue.size, 0);
      await page.selectOption('select[aria-label="State"]', 'queued');
      await waitFor(async () => (await shownCount(page, '.list-meta', 'actions')) === queued, `${queued} queued on the page`);
      expect(queued).toBe(10_000);
      const figures = { live, usableMs: Math.round(times.usable!), completeMs: Math.round(times.complete!) };
      console.log(`late page at ${live} live actions: first actions ${figures.usableMs} ms, all of them ${figures.completeMs} ms after navigation`);
      writeFileSync(`${results}/inspector-late-90k.json`, JSON.stringify(figures, null, 2));
      // The goals, from navigating (the page's own loading included): usable within 2 s, complete within 5 s.
      expect(figures.usableMs).toBeLessThan(2000);
      expect(figures.completeMs).toBeLessThan(5000);
    } finally {
      await page.close();
      release();
      await sequence.whenIdle();
      await server.close();
      await sequence.shutdown({ deadline: 0 });
    }
  }, 180_000);
});

/** A target with `count` queued/running actions, built from plain refs (no actors): load for the UI. */
function bigTarget(count: number, machines: InspectorTarget['machines']): InspectorTarget {
  const refs: InspectableActorRef[] = [];
  const sequence = { sessionId: 's', id: 'seq', _parent: undefined, logic: { id: 'echo.sequence' }, getSnapshot: () => ({ value: 'running', status: 'active', context: {} }) };
  refs.push(sequence);
  const sites = ['a', 'b', 'c', 'd'].map((name) => ({ sessionId: `site-${name}`, id: `site:${name}`, _parent: sequence, logic: { id: 'echo.site' }, getSnapshot: () => ({ value: 'open', status: 'active', context: { name } }) }));
  refs.push(...sites);
  const states = ['queued', 'running', 'retrying', 'delayed'];
  for (let i = 0; i < count; i++) {
    const snapshot = { value: states[i % 4], status: 'active', context: { id: `big-${i}`, name: `job-${i % 50}`, queue: `q${i % 4}`, priority: 'normal', createdAt: i, attempts: [], retryAt: null, notBefore: null } };
    refs.push({ sessionId: `x${i}`, id: `big-${i}`, _parent: sites[i % 4], logic: { id: 'echo.action' }, getSnapshot: () => snapshot });
  }
  return { id: 'big', name: 'Big sequence', subscribeInspection: () => () => undefined, currentActors: () => refs, machines, control: async () => undefined };
}

describe.skipIf(chromiumMissing)('inspector with 100k actions', () => {
  test('renders, filters and selects with virtualized lists; a keystroke in the search shows its result within 100 ms', async () => {
    const machineSource = createTestSequence({ clock: systemClock });
    const machines = (): ReturnType<InspectorTarget['machines']> => machineSource.machines();
    const target = bigTarget(100_000, machines);
    const server = await inspect(target, { staticDir: distInspector, adapter: { maxActors: 200_000 } });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1600, height: 960 } });
      const started = Date.now();
      await page.goto(server.url);
      await page.waitForSelector('.list-meta:has-text("100,000 actions")', { timeout: 150_000 });
      const loadMs = Date.now() - started;
      expect(await page.locator('.list .vrow').count()).toBeLessThan(100);
      const t0 = Date.now();
      await page.fill('[data-testid="search"]', 'big-9999');
      await page.waitForSelector('.list-meta:has-text("11 actions")');
      const searchMs = Date.now() - t0;
      // Keystroke to result, measured in the page: from the key's event time to the frame after the list shows its result.
      const keystroke = async (key: string, result: string): Promise<number> => {
        const measured = page.evaluate(
          ({ key, result }) =>
            new Promise<number>((resolve) => {
              const input = document.querySelector('[data-testid="search"]')!;
              const meta = document.querySelector('.list-meta')!;
              let t0 = 0;
              const onKey = (event: Event): void => {
                if ((event as KeyboardEvent).key !== key) return;
                t0 = event.timeStamp;
                input.removeEventListener('keydown', onKey);
              };
              input.addEventListener('keydown', onKey);
              const observer = new MutationObserver(() => {
                if (t0 === 0 || !(meta.textContent ?? '').startsWith(result)) return;
                observer.disconnect();
                requestAnimationFrame(() => resolve(performance.now() - t0));
              });
              observer.observe(meta, { subtree: true, characterData: true, childList: true });
            }),
          { key, result },
        );
        // The listeners are in place before the key is pressed.
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
        await page.keyboard.press(key);
        return Math.round(await measured);
      };
      await page.focus('[data-testid="search"]');
      await page.keyboard.press('End');
      // One more letter narrows the matches so far; Backspace widens the search again: every actor is looked at.
      const keystrokeMs = await keystroke('9', '1 actions');
      await page.waitForSelector('.list-meta:has-text("1 actions")');
      const widenMs = await keystroke('Backspace', '11 actions');
      await page.keyboard.press('9');
      await page.waitForSelector('.list-meta:has-text("1 actions")');
      await page.click('[data-action="big-99999"]');
      await page.waitForSelector('[data-testid="detail"] h2:text("job-49")');
      writeFileSync(`${results}/inspector-100k.json`, JSON.stringify({ actions: 100_000, loadMs, searchMs, keystrokeMs, widenMs }, null, 2));
      console.log(`100k actions: first render ${loadMs} ms, search ${searchMs} ms, keystroke to result ${keystrokeMs} ms (narrowing), ${widenMs} ms (widening)`);
      // The goal: keystroke to result under 100 ms at 100k.
      expect(keystrokeMs).toBeLessThan(100);
      expect(widenMs).toBeLessThan(100);
    } finally {
      await browser.close();
      await server.close();
      await machineSource.shutdown({ deadline: 0 });
    }
  }, 240_000);
});
