/**
 * End to end in real Chromium: the built app, served by `inspect()`, streaming a
 * real Sequence on the wall clock whose actions take time in each step.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { parseTrace } from '../../src/inspect/protocol.js';
import { inspect, type InspectorServer } from '../../src/inspect/server.js';
import { createTestSequence, type TestSequence } from '../inspect/testSequence.js';
import { buildInspector, CHROMIUM_INSTALL, chromiumMissing, distInspector, launchChromium, repo, waitFor } from './harness.js';

const results = `${repo}test-results`;
/** The action names of the demo sequence's busy run. */
const JOB_NAMES = ['send-invoice', 'resize-image', 'sync-crm', 'charge-card', 'notify-slack', 'send-welcome-mail'];

if (chromiumMissing) {
  console.warn(`Skipping the inspector e2e tests: /usr/bin/chromium is missing (${CHROMIUM_INSTALL}).`);
}

describe.skipIf(chromiumMissing)('inspector in Chromium', () => {
  let browser: Browser;
  let target: TestSequence;
  let server: InspectorServer;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(results, { recursive: true });
    buildInspector();
    target = createTestSequence({ clock: systemClock, sites: 2, names: [...JOB_NAMES, 'traced-job'], name: 'Demo sequence' });
    server = await inspect(target, { staticDir: distInspector });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1600, height: 960 }, acceptDownloads: true });
    await page.goto(server.url);
    await page.waitForSelector('[data-testid="connection"]:text("open")');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await target?.shutdown({ deadline: 0 });
  });
  /** The root's state in the runtime (running, paused, …). */
  const runtimeState = (): unknown => ([...target.currentActors()][0]!.getSnapshot() as { value: unknown }).value;

  const rowState = (id: string) => page.getAttribute(`[data-action="${id}"]`, 'data-state').catch(() => null);

  test('an action moves through its states in the list', async () => {
    const handle = target.assign('send-welcome-mail', { hooks: 300, attempt: 400, afterHooks: 300, fail: 1 }, { delay: 300, retry: { initialDelay: 900 } });
    const watched = handle.id;
    const seen: string[] = [];
    await waitFor(async () => {
      const state = await rowState(watched);
      if (state && seen.at(-1) !== state) seen.push(state);
      return state === 'done';
    }, `${watched} to be done`);
    // The list showed the action moving (a busy machine may skip a frame, so sampled states are a subsequence)…
    // A retried action goes back to its queue and through its before-hooks again.
    const expected = ['delayed', 'queued', 'hooks', 'running', 'retrying', 'queued', 'hooks', 'running', 'afterHooks', 'done'];
    expect(seen.length).toBeGreaterThanOrEqual(4);
    let at = 0;
    for (const state of seen) at = expected.indexOf(state, at) + 1 || Number.NaN;
    expect(at).toBe(expected.length);
    // …and its history, built from every delta (batched steps included), has each state in order.
    await page.click(`[data-action="${watched}"]`);
    const history = await page.$$eval('[data-testid="detail"] .hist', (spans) => spans.map((span) => span.textContent!.split(' @ ')[0]));
    expect(history).toEqual(expected);
  }, 30_000);

  test('cancel from the UI reaches the runtime', async () => {
    const handle = target.assign('charge-card', { hooks: 0, attempt: 60_000 });
    handle.result.catch(() => undefined);
    const id = handle.id;
    await page.waitForSelector(`[data-action="${id}"][data-state="running"]`);
    await page.click(`[data-action="${id}"]`);
    await page.waitForSelector('[data-testid="detail"] h2:text("charge-card")');
    await page.click('[data-testid="cancel"]');
    await waitFor(() => handle.getSnapshot().value === 'cancelled', `${id} cancelled in the runtime`);
    expect(handle.getSnapshot().context.cancellation).toMatchObject({ reason: 'user' });
    await page.waitForSelector(`[data-action="${id}"][data-state="cancelled"]`);
    await page.waitForSelector('.toast.ok');
  }, 30_000);

  test('a busy run looks right: statechart, attempts with causes, countdown, timeline', async () => {
    const jobs = Array.from({ length: 14 }, (_, i) => {
      const handle = target.assign(JOB_NAMES[i % JOB_NAMES.length]!, { hooks: 200 + i * 150, attempt: 700 + i * 120, fail: i % 3 === 0 ? 2 : 0 }, { delay: i % 4 === 0 ? 4000 : 0, retry: { initialDelay: 6000 } });
      handle.result.catch(() => undefined);
      return handle;
    });
    await page.click('[data-testid="pause"]');
    await waitFor(() => runtimeState() === 'paused', 'the Sequence paused in the runtime');
    await page.waitForSelector('[data-testid="resume"]');
    // One that fails and needs no start delay: a Site took it before the pause (a paused Sequence takes nothing new).
    const first = jobs[3]!.id;
    await page.waitForSelector(`[data-action="${first}"][data-state="retrying"]`, { timeout: 15_000 });
    await page.click(`[data-action="${first}"]`);
    await page.waitForSelector('.statechart .node.active[data-state="echo.action.retrying"]');
    await page.waitForSelector('[data-testid="waiting"]:has-text("retry in")');
    expect(await page.textContent('.cause-chain')).toContain('socket hang up');
    await page.waitForSelector('[data-testid="countdown"]');
    await page.screenshot({ path: `${results}/inspector.png` });
    await page.click('[data-testid="events-tab"]');
    await page.waitForSelector('.log-row');
    await page.screenshot({ path: `${results}/inspector-events.png` });
    await page.click('[data-testid="resume"]');
    await waitFor(() => runtimeState() === 'running', 'the Sequence running again in the runtime');
  }, 40_000);

  test('record a trace, then open it offline and scrub it', async () => {
    await page.click('[data-testid="record"]');
    const traced = target.assign('traced-job', { hooks: 100, attempt: 300 }).id;
    await page.waitForSelector(`[data-action="${traced}"][data-state="done"]`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="record"]')]);
    const path = `${results}/recorded.echo-trace.ndjson`;
    await download.saveAs(path);
    const trace = parseTrace(readFileSync(path, 'utf8'));
    expect(trace.entries[0]!.m.type).toBe('sources');
    expect(trace.entries.some((e) => e.m.type === 'delta')).toBe(true);

    await page.setInputFiles('[data-testid="open-trace"]', path);
    await page.waitForSelector('[data-testid="scrubber"]');
    expect(await page.textContent('[data-testid="connection"]')).toBe('trace');
    // It opens at the start of the recording (scrubber at 0): the traced action does not exist yet.
    expect(await page.inputValue('[data-testid="scrub"]')).toBe('0');
    await waitFor(async () => (await page.$(`[data-action="${traced}"]`)) === null, 'traced absent at the start');
    await page.fill('[data-testid="scrub"]', await page.getAttribute('[data-testid="scrub"]', 'max') ?? '0');
    await page.waitForSelector(`[data-action="${traced}"][data-state="done"]`);
    await page.fill('[data-testid="scrub"]', '0');
    await waitFor(async () => (await page.$(`[data-action="${traced}"]`)) === null, 'traced to vanish at the start');
    await page.fill('[data-testid="scrub"]', await page.getAttribute('[data-testid="scrub"]', 'max') ?? '0');
    await page.waitForSelector(`[data-action="${traced}"][data-state="done"]`);
    await page.click(`[data-action="${traced}"]`);
    await page.screenshot({ path: `${results}/inspector-trace.png` });
  }, 40_000);
});

describe.skipIf(chromiumMissing)('the npm start demo with its inspector', () => {
  test('an action moves through its states; a Report cancelled from the UI is cancelled in the runtime', async () => {
    const { runDemo } = await import('../../examples/demo.js');
    let sequence: import('../../src/index.js').Sequence | undefined;
    let server: InspectorServer | undefined;
    const demo = runDemo({
      actions: 60,
      seconds: 6,
      reportMs: 60_000,
      log: () => {},
      onSequence: async (created) => {
        sequence = created;
        server = await inspect(created, { staticDir: distInspector });
      },
    });
    const browser = await launchChromium();
    try {
      await waitFor(() => server, 'the demo inspector');
      const page = await browser.newPage({ viewport: { width: 1600, height: 960 } });
      await page.goto(server!.url);
      await page.waitForSelector('[data-testid="connection"]:text("open")');
      // Watch an action assigned after the page opened move through its states (the search keeps its row in view).
      const watched = `a-${sequence!.stats().assigned + 2}`;
      await page.fill('[data-testid="search"]', watched);
      await waitFor(async () => {
        const state = await page.getAttribute(`[data-action="${watched}"]`, 'data-state', { timeout: 100 }).catch(() => null);
        return state === 'done' || state === 'failed' || state === 'cancelled';
      }, `${watched} to settle`, 30_000);
      // Its history in the detail panel is built from every delta, batched steps included.
      await page.click(`[data-action="${watched}"]`);
      await page.waitForSelector('[data-testid="detail"] .hist');
      const history = await page.$$eval('[data-testid="detail"] .hist', (spans) => spans.map((span) => span.textContent!.split(' @ ')[0]!.trim()));
      expect(history).toContain('running');
      const order = ['scheduled', 'delayed', 'queued', 'hooks', 'running', 'retrying', 'afterHooks', 'cancelling', 'done', 'failed', 'cancelled'];
      const indexes = history.map((state) => order.indexOf(state));
      expect(indexes.every((i) => i >= 0)).toBe(true);
      expect(indexes.at(-1)).toBeGreaterThanOrEqual(order.indexOf('done'));
      // The Report (the first action assigned) runs until it is cancelled.
      const reportId = 'a-1';
      await page.fill('[data-testid="search"]', 'Report');
      await waitFor(async () => (await page.getAttribute(`[data-action="${reportId}"]`, 'data-state', { timeout: 100 }).catch(() => null)) === 'running', 'the Report to run');
      // Cancel the Report from the UI.
      await page.click(`[data-action="${reportId}"]`);
      await page.waitForSelector('[data-testid="detail"] h2:text("Report")');
      await page.screenshot({ path: `${results}/demo-inspector.png` });
      const handle = sequence!.get(reportId)!;
      expect(handle.getSnapshot().value).toBe('running');
      await page.click('[data-testid="cancel"]');
      await waitFor(() => handle.getSnapshot().value === 'cancelled', 'the Report cancelled in the runtime');
      expect(handle.getSnapshot().context.cancellation?.reason).toBe('user');
      await waitFor(async () => (await page.getAttribute(`[data-action="${reportId}"]`, 'data-state', { timeout: 100 }).catch(() => null)) === 'cancelled', 'the UI to show it cancelled');
      const { summary } = await demo;
      expect(summary.cancelled).toBeGreaterThanOrEqual(1);
      expect(summary.done + summary.failed + summary.cancelled).toBe(summary.assigned);
    } finally {
      await browser.close();
      await server?.close();
    }
  }, 120_000);
});

describe.skipIf(chromiumMissing)('a real Sequence flooded with short actions', () => {
  test('the page shows a sample, says how many it dropped, and still shows a long action assigned mid-flood', async () => {
    const { createPlan, Sequence } = await import('../../src/index.js');
    const plan = createPlan({
      Quick: async (n: number) => n,
      Long: (_: null, { signal }) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    });
    const sequence = new Sequence({ plan, sites: 4, concurrency: 8, name: 'flood' });
    sequence.start();
    const server = await inspect(sequence, { staticDir: distInspector, adapter: { maxIntakePerFlush: 50 } });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1600, height: 960 } });
      await page.goto(server.url);
      await page.waitForSelector('[data-testid="connection"]:text("open")');
      let long: ReturnType<typeof sequence.assign> | undefined;
      for (let chunk = 0; chunk < 20; chunk++) {
        for (let i = 0; i < 1000; i++) sequence.assign('Quick', chunk * 1000 + i);
        if (chunk === 10) long = sequence.assign('Long', null);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await waitFor(() => sequence.stats().live === 1, 'the flood to settle');
      // The long action, declined or not when it came, is shown while it runs.
      await page.fill('[data-testid="search"]', long!.id);
      await waitFor(async () => (await page.getAttribute(`[data-action="${long!.id}"]`, 'data-state', { timeout: 100 }).catch(() => null)) === 'running', 'the long action to show running');
      // Most quick actions were not shipped: the tree says how many it dropped.
      const dropped = await waitFor(async () => {
        const text = await page.textContent('.tree-source .dropped', { timeout: 100 }).catch(() => null);
        const count = Number(/([\d,]+) actors/.exec(text ?? '')?.[1]?.replaceAll(',', '') ?? 0);
        return count > 10_000 ? count : null;
      }, 'the dropped count');
      expect(dropped).toBeLessThanOrEqual(20_000);
      await page.screenshot({ path: `${results}/inspector-flood.png` });
      long!.cancel();
      await expect(long!.result).rejects.toThrow();
    } finally {
      await browser.close();
      await server.close();
      await sequence.shutdown({ deadline: 0 });
    }
  }, 120_000);
});
