/**
 * Helpers for the end-to-end tests: build the inspector app once, launch Debian's
 * Chromium through playwright-core, and wait for conditions (polling a condition,
 * never sleeping for a fixed time).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** How to get Debian's Chromium (the README says the same next to `npm test`). */
export const CHROMIUM_INSTALL = 'apt-get update && apt-get install -y chromium';

/**
 * Browser tests never pass by skipping in CI: with `CI=true` a missing Chromium is an
 * error that says how to install it. Elsewhere the browser tests are skipped (with a warning).
 */
export function checkChromium(path: string, env: NodeJS.ProcessEnv): boolean {
  const missing = !existsSync(path);
  if (missing && env.CI === 'true') {
    throw new Error(`Chromium is missing at ${path}, and with CI=true the browser tests may not be skipped. Install it with: ${CHROMIUM_INSTALL}`);
  }
  return missing;
}

export const chromiumMissing = checkChromium(CHROMIUM, process.env);
export const repo = fileURLToPath(new URL('../../', import.meta.url));
export const distInspector = `${repo}dist/inspector`;

/** Runs `vite build` for the inspector app (outside vitest's environment, so the app config applies). */
export function buildInspector(): void {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('VITEST')) delete env[key];
  execFileSync(process.execPath, [`${repo}node_modules/vite/bin/vite.js`, 'build', '--logLevel', 'warn'], { cwd: repo, env, stdio: 'pipe' });
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Polls `condition` until it returns a truthy value; fails with `what` after `timeout` ms. */
export async function waitFor<T>(condition: () => T | Promise<T>, what: string, timeout = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
