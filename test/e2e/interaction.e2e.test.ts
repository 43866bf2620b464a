/**
 * What users expect, in real Chromium on a real Sequence: deep links (the URL
 * holds the selection, filters and search; a reload restores them), the
 * keyboard (`/` search, arrows and Enter in the list, Esc), errors with their
 * stacks, event rows with the action id; and, from a trace carrying them, the
 * progress bar in the row and the log pane in the detail.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPlan, Sequence } from '../../src/index.js';
import { formatTraceEntry, formatTraceHeader, type Json, type WireActor } from '../../src/inspect/protocol.js';
import { inspect, type InspectorServer } from '../../src/inspect/server.js';
import { buildInspector, chromiumMissing, distInspector, launchChromium, repo, waitFor } from './harness.js';

const results = `${repo}test-results`;

const plan = createPlan({
  Long: (_: null, { signal }) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
  Flaky: { retry: { attempts: 3, initialDelay: 600_000 }, run: async () => {
    throw new Error('try again later');
  } },
  Broken: { retry: { attempts: 1 }, run: async () => {
    throw new Error('the upload failed', { cause: new Error('ECONNRESET') });
  } },
});
const createSequence = () => new Sequence({ plan, sites: 2, concurrency: 4, name: 'interactive' });

const rowState = (page: Page, id: string) => page.getAttribute(`[data-action="${id}"]`, 'data-state', { timeout: 100 }).catch(() => null);

describe.skipIf(chromiumMissing)('deep links, keyboard, errors and event rows', () => {
  let browser: Browser;
  let server: InspectorServer;
  let sequence: ReturnType<typeof createSequence>;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(results, { recursive: true });
    buildInspector();
    sequence = createSequence();
    sequence.start();
    server = await inspect(sequence, { staticDir: distInspector });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1600, height: 960 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server.url);
    await page.waitForSelector('[data-testid="connection"]:text("open")');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await sequence?.shutdown({ deadline: 0 });
  });

  test('keyboard: / focuses search, arrows move, Enter selects, Esc clears', async () => {
    const longs = [sequence.assign('Long', null), sequence.assign('Long', null), sequence.assign('Long', null)];
    for (const handle of longs) await waitFor(async () => (await rowState(page, handle.id)) === 'running', `${handle.id} running`);
    await page.click('header.top');
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('search');
    await page.keyboard.type('zzz-none');
    await page.waitForSelector('.list-meta:has-text("0 actions")');
    await page.keyboard.press('Escape');
    await page.waitForSelector('.list-meta:has-text("3 actions")');
    expect(await page.inputValue('[data-testid="search"]')).toBe('');
    await page.focus('.list .vlist');
    await page.keyboard.press('ArrowDown');
    await page.waitForSelector('.row.cursor');
    const first = await page.getAttribute('.row.cursor', 'data-action');
    await page.keyboard.press('ArrowDown');
    await waitFor(async () => (await page.getAttribute('.row.cursor', 'data-action')) !== first, 'the cursor to move');
    const second = (await page.getAttribute('.row.cursor', 'data-action'))!;
    await page.keyboard.press('Enter');
    await page.waitForSelector(`[data-testid="detail"] .mono:has-text("${second}")`);
    expect(await page.getAttribute('.row.selected', 'data-action')).toBe(second);
    await page.keyboard.press('ArrowUp');
    await waitFor(async () => (await page.getAttribute('.row.cursor', 'data-action')) === first, 'the cursor back up');
    // The timeline has a time axis; dragging across it zooms to that window, and back.
    await page.waitForSelector('[data-testid="time-axis"] .tick');
    const axis = (await (await page.$('[data-testid="time-axis"] .tl-axis-track'))!.boundingBox())!;
    await page.mouse.move(axis.x + axis.width * 0.5, axis.y + 5);
    await page.mouse.down();
    await page.mouse.move(axis.x + axis.width * 0.9, axis.y + 5, { steps: 4 });
    await page.mouse.up();
    await page.waitForSelector('[data-testid="zoom-live"]');
    await page.click('[data-testid="zoom-live"]');
    await waitFor(async () => (await page.$('[data-testid="zoom-live"]')) === null, 'back to the window ending now');
    // Esc outside the search clears the selection.
    await page.keyboard.press('Escape');
    await page.waitForSelector('.empty-detail');
    for (const handle of longs) handle.cancel();
    await Promise.allSettled(longs.map((handle) => handle.result));
    expect(pageErrors).toEqual([]);
  }, 60_000);

  test('deep links: a reload restores the selected actor, the filters and the search', async () => {
    const broken = sequence.assign('Broken', null);
    await broken.result.catch(() => undefined);
    await waitFor(async () => (await rowState(page, broken.id)) === 'failed', 'the broken action failed');
    await page.fill('[data-testid="search"]', broken.id);
    await page.selectOption('select[aria-label="State"]', 'failed');
    await page.click(`[data-action="${broken.id}"]`);
    await page.waitForSelector('[data-testid="detail"] h2:text("Broken")');
    await waitFor(() => new URL(page.url()).searchParams.get('sel') !== null, 'the selection in the URL');
    const url = new URL(page.url());
    expect(url.searchParams.get('q')).toBe(broken.id);
    expect(url.searchParams.get('state')).toBe('failed');
    expect(url.searchParams.get('token')).toBe(server.token);
    // A shared link (here: a reload in a fresh page) shows the same view.
    const shared = await browser.newPage({ viewport: { width: 1600, height: 960 } });
    await shared.goto(url.toString());
    await shared.waitForSelector('[data-testid="detail"] h2:text("Broken")');
    expect(await shared.inputValue('[data-testid="search"]')).toBe(broken.id);
    expect(await shared.inputValue('select[aria-label="State"]')).toBe('failed');
    // Errors show their cause chain and their stack.
    expect(await shared.textContent('.cause-chain')).toContain('ECONNRESET');
    await shared.click('[data-testid="stack"] summary');
    expect(await shared.textContent('[data-testid="stack"] pre')).toMatch(/at .+:\d+/);
    await shared.screenshot({ path: `${results}/inspector-error-stack.png` });
    await shared.close();
    // Event rows (on the page that was open while it ran) name the action.
    await page.click('[data-testid="events-tab"]');
    await page.waitForSelector(`[data-testid="log-action-id"]:text("${broken.id}")`);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  test('progress in the row and the log pane in the detail, from a trace that carries them', async () => {
    const context: Json = { id: 'p-1', name: 'Report', queue: 'default', priority: 'normal', attempts: [{ number: 1, startedAt: 1000, endedAt: null, outcome: 'running', error: null, backoff: null }], progress: { done: 3, total: 4 }, logs: [{ at: 1100, message: 'fetched rows', data: { rows: 120 } }, { at: 1200, message: 'rendering' }] };
    const actor: WireActor = { sessionId: 'x1', id: 'p-1', parentId: null, machineId: null, kind: 'action', value: 'running', status: 'active', context, createdAt: 1000, updatedAt: 1200 };
    const path = `${results}/progress.echo-trace.ndjson`;
    writeFileSync(path, formatTraceHeader(1000) + formatTraceEntry(1000, { type: 'sources', sources: [{ id: 's', name: 'S', kind: 'echo', controllable: false, connected: true }] }) + formatTraceEntry(1000, { type: 'full', source: 's', at: 1200, actors: [actor], stats: { actors: 1, finished: 0, droppedActors: 0, droppedEvents: 0 } }));
    const viewer = await browser.newPage({ viewport: { width: 1600, height: 960 } });
    await viewer.goto(`file://${distInspector}/index.html`);
    await viewer.setInputFiles('[data-testid="open-trace"]', path);
    await viewer.waitForSelector('[data-action="p-1"] [data-testid="row-progress"]');
    expect(await viewer.getAttribute('[data-action="p-1"] [data-testid="row-progress"]', 'title')).toBe('75 %');
    await viewer.click('[data-action="p-1"]');
    await viewer.waitForSelector('[data-testid="log-pane"]');
    expect(await viewer.$$eval('[data-testid="log-pane"] li', (items) => items.map((item) => item.textContent))).toEqual([expect.stringContaining('fetched rows {"rows":120}'), expect.stringContaining('rendering')]);
    expect(await viewer.getAttribute('[data-testid="progress"] [role="progressbar"]', 'aria-valuenow')).toBe('75');
    await viewer.close();
  }, 30_000);

  test('bulk controls on the current filter: confirmed, with the token; disabled without it', async () => {
    const longs = [sequence.assign('Long', null), sequence.assign('Long', null), sequence.assign('Long', null)];
    const flaky = [sequence.assign('Flaky', null), sequence.assign('Flaky', null)];
    await page.fill('[data-testid="search"]', '');
    await page.selectOption('select[aria-label="State"]', '');
    for (const handle of flaky) await waitFor(async () => (await rowState(page, handle.id)) === 'retrying', `${handle.id} in backoff`);
    // Retry now every waiting action of the filter (name Flaky).
    await page.selectOption('select[aria-label="Action name"]', 'Flaky');
    await page.click('[data-testid="bulk-retry"]');
    expect(await page.textContent('[data-testid="bulk-confirm"]')).toContain('Retry now 2 actions');
    await page.click('[data-testid="bulk-yes"]');
    for (const handle of flaky) await waitFor(() => handle.getSnapshot().context.attempts.length >= 2, `${handle.id} retried now`);
    // One action's life as a sequence diagram: Sequence → Site → Action.
    await waitFor(async () => (await rowState(page, flaky[0]!.id)) === 'retrying', `${flaky[0]!.id} back in backoff`);
    await page.click(`[data-action="${flaky[0]!.id}"]`);
    await page.click('[data-testid="view-sequence"]');
    await page.waitForSelector('[data-testid="sequence-diagram"] .seq-step.settle, [data-testid="sequence-diagram"] .seq-step.backoff');
    const kinds = await page.$$eval('[data-testid="sequence-diagram"] .seq-step', (nodes) => nodes.map((node) => node.getAttribute('data-kind')));
    expect(kinds).toEqual(expect.arrayContaining(['assign', 'take', 'attempt', 'outcome', 'backoff']));
    expect(kinds.filter((kind) => kind === 'attempt').length).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: `${results}/inspector-sequence-diagram.png` });
    // Cancel every cancellable action of the filter (name Long), after saying no once.
    await page.selectOption('select[aria-label="Action name"]', 'Long');
    for (const handle of longs) await waitFor(async () => (await rowState(page, handle.id)) === 'running', `${handle.id} running`);
    await page.click('[data-testid="bulk-cancel"]');
    await page.click('[data-testid="bulk-no"]');
    expect(longs.every((handle) => handle.getSnapshot().value === 'running')).toBe(true);
    await page.click('[data-testid="bulk-cancel"]');
    expect(await page.textContent('[data-testid="bulk-confirm"]')).toContain('Cancel 3 actions');
    await page.click('[data-testid="bulk-yes"]');
    for (const handle of longs) await waitFor(() => handle.getSnapshot().value === 'cancelled', `${handle.id} cancelled in the runtime`);
    // Without the token the page is read-only: the bulk controls are disabled.
    const readOnly = await browser.newPage();
    await readOnly.goto(server.url.split('?')[0]!);
    await readOnly.waitForSelector('[data-testid="connection"]:text("open")');
    expect(await readOnly.isDisabled('[data-testid="bulk-cancel"]')).toBe(true);
    expect(await readOnly.isDisabled('[data-testid="bulk-retry"]')).toBe(true);
    await readOnly.close();
    for (const handle of flaky) handle.cancel();
    await Promise.allSettled([...longs, ...flaky].map((handle) => handle.result));
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
