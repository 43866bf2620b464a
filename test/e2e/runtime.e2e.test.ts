/**
 * What the runtime itself reports, seen in real Chromium on a real Sequence: a
 * function's `ctx.progress` as a bar in its row and its `ctx.log` lines in the
 * detail's log pane; an error's stack beside its cause chain, sanitized (no
 * directory of this machine outside the project); a durable Sequence after a
 * restart: restored actions with their interrupted attempt, dead letters listed
 * and redriven (one, and all) with the token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPlan, Sequence, type RunContext } from '../../src/index.js';
import { inspect, type InspectorServer } from '../../src/inspect/server.js';
import { sqliteStore } from '../../src/store/index.js';
import { buildInspector, chromiumMissing, distInspector, launchChromium, repo, waitFor } from './harness.js';

/** The running Report's ctx, and how to let it finish: the test drives its reports. */
let ctxOfReport: RunContext | undefined;
let finish: () => void = () => {};
const plan = createPlan({
  Report: (_: null, ctx) =>
    new Promise<string>((resolve) => {
      ctxOfReport = ctx;
      finish = () => resolve('sent');
    }),
  Broken: {
    retry: { attempts: 1 },
    run: async () => {
      throw new Error('the upload failed', { cause: new Error('ECONNRESET') });
    },
  },
});
const createSequence = () => new Sequence({ plan, sites: 1, name: 'reporting' });

/** Both suites share one build of the app. */
let built = false;
function ensureBuilt(): void {
  if (!built) buildInspector();
  built = true;
}

const rowState = (page: Page, id: string) => page.getAttribute(`[data-action="${id}"]`, 'data-state', { timeout: 100 }).catch(() => null);

describe.skipIf(chromiumMissing)('progress, logs and stacks from a live runtime', () => {
  let browser: Browser;
  let server: InspectorServer;
  let sequence: ReturnType<typeof createSequence>;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ensureBuilt();
    sequence = createSequence().start();
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

  test('the row shows the reported progress and the detail the log lines, live', async () => {
    const report = sequence.assign('Report', null);
    await waitFor(async () => ctxOfReport !== undefined && (await rowState(page, report.id)) === 'running', 'the report running');
    ctxOfReport!.progress({ done: 1, total: 4 });
    ctxOfReport!.log('fetched rows', { rows: 120 });
    await page.waitForSelector(`[data-action="${report.id}"] [data-testid="row-progress"][title="25 %"]`);
    await page.click(`[data-action="${report.id}"]`);
    await page.waitForSelector('[data-testid="log-pane"] li');
    expect(await page.$$eval('[data-testid="log-pane"] li', (items) => items.map((item) => item.textContent))).toEqual([expect.stringMatching(/#1 fetched rows \{"rows":120\}$/)]);
    // Later reports arrive in the open detail (the throttle publishes the latest value).
    ctxOfReport!.progress({ done: 3, total: 4 });
    ctxOfReport!.log('rendering');
    await page.waitForSelector('[data-testid="progress"] [role="progressbar"][aria-valuenow="75"]');
    await page.waitForSelector(`[data-action="${report.id}"] [data-testid="row-progress"][title="75 %"]`);
    await waitFor(async () => (await page.$$('[data-testid="log-pane"] li')).length === 2, 'the second log line');
    expect(await page.textContent('[data-testid="log-pane"] li:last-child')).toMatch(/rendering$/);
    finish();
    await report.result;
    await waitFor(async () => (await rowState(page, report.id)) === 'done', 'the report done');
    // After it settled the log stays.
    expect(await page.$$('[data-testid="log-pane"] li')).toHaveLength(2);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  test('an error shows its stack beside its cause chain, with paths relative to the project', async () => {
    const broken = sequence.assign('Broken', null);
    await broken.result.catch(() => undefined);
    await waitFor(async () => (await rowState(page, broken.id)) === 'failed', 'the broken action failed');
    await page.click(`[data-action="${broken.id}"]`);
    await page.waitForSelector('[data-testid="detail"] h2:text("Broken")');
    const chain = page.locator('[data-testid="detail"] .cause-chain').first();
    expect(await chain.textContent()).toContain('ECONNRESET');
    // Every link with frames shows them: the thrown error's (called from actionPhases.ts, where the attempt phase calls the function) and its cause's; the
    // ExecutionError around them captures none of its own.
    const stacks = chain.locator('[data-testid="stack"]');
    expect(await stacks.count()).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < (await stacks.count()); i++) await stacks.nth(i).locator('summary').click();
    const text = (await stacks.locator('pre').allTextContents()).join('\n');
    expect(text).toMatch(/at .*\.\/src\/action\/actionPhases\.ts:\d+:\d+/);
    expect(text).toMatch(/at .*\.\/test\/e2e\/runtime\.e2e\.test\.ts:\d+:\d+/);
    expect(text).not.toContain(repo);
    expect(text).not.toContain('file://');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});

describe.skipIf(chromiumMissing)('a durable Sequence after a restart: earlier attempts and dead letters with redrive', () => {
  const dir = mkdtempSync(join(tmpdir(), 'echo-e2e-durable-'));
  const file = join(dir, 'echo.db');
  const gateway = { healthy: false };
  const durablePlan = createPlan({
    Slow: (_: null, { signal }) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    Pay: {
      retry: { attempts: 1 },
      run: async (_content: { order: number }) => {
        if (!gateway.healthy) throw new Error('gateway down');
        return 'paid';
      },
    },
  });
  const createDurable = () => new Sequence({ plan: durablePlan, sites: 1, name: 'durable', store: sqliteStore(file) });
  let browser: Browser;
  let server: InspectorServer;
  let second: ReturnType<typeof createDurable>;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ensureBuilt();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await second?.shutdown({ deadline: 0 });
    rmSync(dir, { recursive: true, force: true });
  });

  test('restored actions show the interrupted attempt; dead letters are listed and redriven, one and all, with the token', async () => {
    // The first process: one action running when it dies, two that failed for good.
    const store1 = sqliteStore(file);
    const first = new Sequence({ plan: durablePlan, sites: 1, name: 'durable', store: store1 }).start();
    const slow = first.assign('Slow', null);
    await waitFor(() => slow.getSnapshot().value === 'running', 'the slow action running');
    const failed = [first.assign('Pay', { order: 1 }), first.assign('Pay', { order: 2 })];
    for (const handle of failed) await handle.result.catch(() => undefined);
    await first.flush();
    store1.close(); // a crash: nothing more reaches the store (the first Sequence is never used again)

    second = createDurable().start();
    server = await inspect(second, { staticDir: distInspector });
    const page = await browser.newPage({ viewport: { width: 1600, height: 960 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server.url);
    await page.waitForSelector('[data-testid="connection"]:text("open")');
    await waitFor(async () => (await rowState(page, slow.id)) === 'running', 'the restored slow action running again');
    await page.click(`[data-action="${slow.id}"]`);
    await page.waitForSelector('[data-testid="detail"] .attempt.outcome-interrupted');
    expect(await page.$$eval('[data-testid="detail"] .attempts > li', (items) => items.map((item) => item.className))).toEqual(['attempt outcome-interrupted', 'attempt outcome-running']);

    await page.click('[data-testid="dead-tab"]');
    for (const handle of failed) await page.waitForSelector(`[data-dead="${handle.id}"]`);
    expect(await page.textContent(`[data-dead="${failed[0]!.id}"]`)).toContain('gateway down');
    // Without the token the list shows, the controls do not work.
    const readOnly = await browser.newPage();
    await readOnly.goto(server.url.split('?')[0]!);
    await readOnly.click('[data-testid="dead-tab"]');
    await readOnly.waitForSelector(`[data-dead="${failed[0]!.id}"]`);
    expect(await readOnly.isDisabled(`[data-dead="${failed[0]!.id}"] [data-testid="redrive"]`)).toBe(true);
    expect(await readOnly.isDisabled('[data-testid="redrive-all"]')).toBe(true);
    await readOnly.close();

    gateway.healthy = true;
    const done: string[] = [];
    second.events$.subscribe((event) => event.type === 'done' && event.name === 'Pay' && done.push(event.actionId));
    await page.click(`[data-dead="${failed[0]!.id}"] [data-testid="redrive"]`);
    await waitFor(async () => (await page.$(`[data-dead="${failed[0]!.id}"]`)) === null, 'the first dead letter redriven');
    await page.click('[data-testid="redrive-all"]');
    expect(await page.textContent('[data-testid="redrive-confirm"]')).toContain('Redrive 1 dead letter');
    await page.click('[data-testid="redrive-yes"]');
    await waitFor(async () => (await page.$(`[data-dead="${failed[1]!.id}"]`)) === null, 'the second dead letter redriven');
    await waitFor(() => done.length === 2, 'both redriven actions done');
    expect(second.deadLetters().letters).toEqual([]);
    expect(await page.textContent('[data-testid="dead-tab"]')).toBe('Dead letters (0)');
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 60_000);
});
