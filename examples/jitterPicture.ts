/**
 * Draws docs/jitter.svg: the delays `backoffDelay` gives before each retry, for each
 * jitter mode — 200 seeded runs per mode as dots, their mean as a line. Run by
 * `npm run docs:pictures`; test/docs/jitterPicture.test.ts checks the committed file
 * is what this draws.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { backoffDelay, resolveRetryPolicy, seededRandom, type Jitter } from '../src/index.js';

const MODES: readonly Jitter[] = ['none', 'full', 'equal', 'decorrelated'];
const RETRIES = 8;
const RUNS = 200;
const POLICY = { attempts: RETRIES + 1, initialDelay: 100, factor: 2, maxDelay: 5_000 } as const;
const COLORS: Record<Jitter, string> = { none: '#222', full: '#d1495b', equal: '#00798c', decorrelated: '#edae49' };

/** The delays of `RUNS` runs of one mode: `runs[run][retry - 1]`. */
export function delaysOf(jitter: Jitter): number[][] {
  const policy = resolveRetryPolicy({ ...POLICY, jitter });
  const random = seededRandom(7);
  return Array.from({ length: RUNS }, () => {
    const delays: number[] = [];
    let previous: number | null = null;
    for (let attempt = 1; attempt <= RETRIES; attempt++) {
      previous = backoffDelay(policy, attempt, previous, random);
      delays.push(previous);
    }
    return delays;
  });
}

/** The SVG, as text (deterministic: seeded randomness, fixed rounding). */
export function drawJitter(): string {
  const width = 760;
  const panel = { w: 170, h: 200, top: 40, left: 50, gap: 12 };
  const y = (ms: number) => panel.top + panel.h - (ms / POLICY.maxDelay) * panel.h;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="300" viewBox="0 0 ${width} 300" font-family="sans-serif" font-size="11">`,
    `<title>Delay before each retry by jitter mode (initialDelay 100 ms, factor 2, maxDelay 5000 ms; ${RUNS} runs each)</title>`,
    `<rect width="${width}" height="300" fill="#fff"/>`,
  ];
  MODES.forEach((mode, index) => {
    const x0 = panel.left + index * (panel.w + panel.gap);
    const x = (retry: number) => x0 + ((retry - 0.5) / RETRIES) * panel.w;
    const runs = delaysOf(mode);
    parts.push(`<g><text x="${x0 + panel.w / 2}" y="${panel.top - 12}" text-anchor="middle" font-size="13" font-weight="bold">${mode}</text>`);
    parts.push(`<rect x="${x0}" y="${panel.top}" width="${panel.w}" height="${panel.h}" fill="none" stroke="#bbb"/>`);
    for (const ms of [0, 2_500, 5_000]) {
      if (index === 0) parts.push(`<text x="${x0 - 4}" y="${y(ms) + 4}" text-anchor="end">${ms} ms</text>`);
      parts.push(`<line x1="${x0}" x2="${x0 + panel.w}" y1="${y(ms)}" y2="${y(ms)}" stroke="#eee"/>`);
    }
    for (const run of runs) {
      run.forEach((ms, i) => parts.push(`<circle cx="${x(i + 1).toFixed(1)}" cy="${y(ms).toFixed(1)}" r="1.6" fill="${COLORS[mode]}" fill-opacity="0.25"/>`));
    }
    const means = Array.from({ length: RETRIES }, (_, i) => runs.reduce((sum, run) => sum + run[i]!, 0) / runs.length);
    parts.push(`<polyline fill="none" stroke="${COLORS[mode]}" stroke-width="2" points="${means.map((ms, i) => `${x(i + 1).toFixed(1)},${y(ms).toFixed(1)}`).join(' ')}"/>`);
    for (let retry = 1; retry <= RETRIES; retry++) parts.push(`<text x="${x(retry).toFixed(1)}" y="${panel.top + panel.h + 14}" text-anchor="middle">${retry}</text>`);
    parts.push('</g>');
  });
  parts.push(`<text x="${width / 2}" y="${panel.top + panel.h + 34}" text-anchor="middle">retry number (dots: ${RUNS} seeded runs; line: their mean)</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

export const JITTER_SVG = new URL('../docs/jitter.svg', import.meta.url);

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(JITTER_SVG, drawJitter());
  console.log(`wrote ${JITTER_SVG.pathname}`);
}
