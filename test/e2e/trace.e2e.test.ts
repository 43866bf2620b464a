/**
 * Traces in real Chromium, recorded from a real Sequence: a trace opened while
 * live shows only what was recorded; it opens at its start (scrubber at 0, the
 * recorded starting state); "Back to live" with the server gone says so; and the
 * built app opened from `file://` is an offline trace viewer.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPlan, Sequence } from '../../src/index.js';
import { parseTrace } from '../../src/inspect/protocol.js';
import { inspect, type InspectorServer } from '../../src/inspect/server.js';
import { buildInspector, chromiumMissing, distInspector, launchChromium, repo, waitFor } from './harness.js';

const results = `${repo}test-results`;
const tracePath = `${results}/live-recorded.echo-trace.ndjson`;

/** Ids of the actions whose rows the page shows. */
const rowIds = (page: Page) => page.$$eval('[data-action]', (rows) => rows.map((row) => row.getAttribute('data-action')!));
const rowState = (page: Page, id: string) => page.getAttribute(`[data-action="${id}"]`, 'data-state', { timeout: 100 }).catch(() => null);

const plan = createPlan({
  Quick: async (n: number) => n,
  Long: (_: null, { signal }) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
});
const createTraced = () => new Sequence({ plan, sites: 2, concurrency: 4, name: 'traced' });

describe.skipIf(chromiumMissing)('traces of a real Sequence', () => {
  let browser: Browser;
  let server: InspectorServer;
  let sequence: ReturnType<typeof createTraced>;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(results, { recursive: true });
    buildInspector();
    sequence = createTraced();
    sequence.start();
    server = await inspect(sequence, { staticDir: distInspector });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1600, height: 960 }, acceptDownloads: true });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server.url);
    await page.waitForSelector('[data-testid="connection"]:text("open")');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await sequence?.shutdown({ deadline: 0 });
  });

  test('a trace opened while live shows only what was recorded, from its start', async () => {
    const before = sequence.assign('Quick', 0);
    await before.result;
    await waitFor(async () => (await rowState(page, before.id)) === 'done', 'the action before the recording');
    await page.click('[data-testid="record"]');
    const recorded = [sequence.assign('Quick', 1), sequence.assign('Quick', 2), sequence.assign('Quick', 3)];
    for (const handle of recorded) await waitFor(async () => (await rowState(page, handle.id)) === 'done', `${handle.id} done`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="record"]')]);
    await download.saveAs(tracePath);
    const trace = parseTrace(readFileSync(tracePath, 'utf8'));
    const recordedIds = new Set<string>();
    for (const { m } of trace.entries) {
      const actors = m.type === 'full' ? m.actors : m.type === 'delta' ? m.ops.flatMap((op) => (op.op === 'add' ? [op.actor] : [])) : [];
      for (const actor of actors) recordedIds.add(String((actor.context as { id?: unknown } | null)?.id ?? actor.id));
    }
    for (const handle of recorded) expect(recordedIds.has(handle.id)).toBe(true);

    // Live work goes on while the trace is open: a long action and a stream of quick ones.
    const long = sequence.assign('Long', null);
    await page.setInputFiles('[data-testid="open-trace"]', tracePath);
    await page.waitForSelector('[data-testid="scrubber"]');
    // It opens at its start: scrubber at 0, the recorded starting state (the action from before, none of the recorded ones).
    expect(await page.inputValue('[data-testid="scrub"]')).toBe('0');
    await waitFor(async () => (await rowState(page, before.id)) === 'done', 'the starting state at step 0');
    for (const handle of recorded) expect(await page.$(`[data-action="${handle.id}"]`)).toBeNull();
    const later = [sequence.assign('Quick', 4), sequence.assign('Quick', 5)];
    // A second, live page sees the new actions: they have been sent to viewers by now.
    const witness = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await witness.goto(server.url);
    for (const handle of [long, ...later]) await waitFor(async () => (await rowState(witness, handle.id)) !== null, `${handle.id} on the live page`);
    await witness.close();
    // The end of the trace: the recorded actions done, nothing live mixed in.
    const last = Number(await page.getAttribute('[data-testid="scrub"]', 'max'));
    await page.fill('[data-testid="scrub"]', String(last));
    for (const handle of recorded) await waitFor(async () => (await rowState(page, handle.id)) === 'done', `${handle.id} at the end of the trace`);
    const shown = await rowIds(page);
    expect(shown.filter((id) => !recordedIds.has(id))).toEqual([]);
    expect(shown).not.toContain(long.id);
    // Seeking back to 0 shows the recorded starting state again.
    await page.fill('[data-testid="scrub"]', '0');
    await waitFor(async () => (await page.$(`[data-action="${recorded[0]!.id}"]`)) === null, 'the starting state again');
    expect(await rowState(page, before.id)).toBe('done');
    long.cancel();
    await expect(long.result).rejects.toThrow();
    expect(pageErrors).toEqual([]);
  }, 60_000);

  test('"Back to live" with the server gone says so', async () => {
    await server.close();
    await page.click('[data-testid="back-to-live"]');
    await page.waitForSelector('[data-testid="server-gone"]');
    expect(await page.textContent('[data-testid="server-gone"]')).toContain('not reachable');
    expect(await page.textContent('[data-testid="connection"]')).not.toBe('open');
  }, 30_000);

  test('the built app opened from file:// is an offline trace viewer', async () => {
    const offline = await browser.newPage({ viewport: { width: 1600, height: 960 } });
    const errors: string[] = [];
    offline.on('pageerror', (error) => errors.push(error.message));
    offline.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await offline.goto(`file://${distInspector}/index.html`);
    await offline.waitForSelector('[data-testid="offline"]');
    expect(await offline.textContent('[data-testid="connection"]')).toBe('offline');
    await offline.setInputFiles('[data-testid="open-trace"]', tracePath);
    await offline.waitForSelector('[data-testid="scrubber"]');
    const last = Number(await offline.getAttribute('[data-testid="scrub"]', 'max'));
    await offline.fill('[data-testid="scrub"]', String(last));
    await waitFor(async () => (await rowIds(offline)).length >= 3, 'the recorded actions');
    const first = (await rowIds(offline))[0]!;
    await offline.click(`[data-action="${first}"]`);
    await offline.waitForSelector('.statechart .node.active');
    await offline.screenshot({ path: `${results}/offline-viewer.png` });
    expect(errors).toEqual([]);
    await offline.close();
  }, 30_000);
});
