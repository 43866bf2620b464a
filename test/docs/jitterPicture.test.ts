/** docs/jitter.svg is what examples/jitterPicture.ts draws from the real backoffDelay. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { delaysOf, drawJitter, JITTER_SVG } from '../../examples/jitterPicture.js';

describe('the jitter picture', () => {
  it('is committed as the script draws it (run `npm run docs:pictures` after changing backoff)', () => {
    expect(readFileSync(JITTER_SVG, 'utf8')).toBe(drawJitter());
  });

  it('shows each mode as documented', () => {
    const none = delaysOf('none');
    expect(none[0]).toEqual([100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
    const full = delaysOf('full').flat();
    expect(Math.min(...full)).toBeLessThan(50);
    expect(Math.max(...full)).toBeLessThanOrEqual(5_000);
    const equal = delaysOf('equal');
    for (const run of equal) run.forEach((ms, i) => expect(ms).toBeGreaterThanOrEqual(none[0]![i]! / 2));
    for (const run of delaysOf('decorrelated')) for (const ms of run) expect(ms).toBeGreaterThanOrEqual(100), expect(ms).toBeLessThanOrEqual(5_000);
  });
});
