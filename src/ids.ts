/**
 * Id generators, injected: each Sequence owns its generator (no module
 * counter), so tests get stable ids.
 */

/** Makes ids. */
export type IdGenerator = () => string;

/**
 * Sequential ids `prefix-1`, `prefix-2`, …
 * @example
 * const ids = createSequentialIds('a'); ids(); // 'a-1'
 */
export function createSequentialIds(prefix = 'a'): IdGenerator {
  let next = 0;
  return () => `${prefix}-${++next}`;
}
