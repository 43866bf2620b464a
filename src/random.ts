/**
 * A seeded random source (mulberry32), for reproducible jitter, stealing and
 * randomized tests: the same seed gives the same sequence of numbers in [0, 1).
 * @example
 * const sequence = new Sequence({ plan, random: seededRandom(42) });
 */
import type { RandomSource } from './clock.js';
import { invalid } from './validate.js';

/** A deterministic random source from `seed` (for jitter in tests and replays). */
export function seededRandom(seed: number): RandomSource {
  if (!Number.isFinite(seed)) throw invalid('seed', 'a finite number', seed);
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
