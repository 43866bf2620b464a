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
export const chromiumMissing = !existsSync(CHROMIUM);
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
