import { describe, expect, test } from 'vitest';
import { LiveRuns } from '../../src/action/LiveRuns.js';

interface Run {
  id: string;
  livePrev: Run | null;
  liveNext: Run | null;
}
const run = (id: string): Run => ({ id, livePrev: null, liveNext: null });
const ids = (live: LiveRuns<Run>): string[] => [...live.values()].map((r) => r.id);

describe('LiveRuns', () => {
  test('keeps insertion order and its size through removals at the head, middle and tail', () => {
    const live = new LiveRuns<Run>();
    const runs = ['a', 'b', 'c', 'd', 'e'].map(run);
    for (const r of runs) live.add(r);
    live.delete(runs[2]!);
    live.delete(runs[0]!);
    live.delete(runs[4]!);
    expect(ids(live)).toEqual(['b', 'd']);
    expect(live.size).toBe(2);
    live.add(run('f'));
    expect(ids(live)).toEqual(['b', 'd', 'f']);
  });

  test('removing a run twice, or one never added, changes nothing', () => {
    const live = new LiveRuns<Run>();
    const a = run('a');
    live.add(a);
    live.add(run('b'));
    live.delete(a);
    live.delete(a);
    live.delete(run('zz'));
    expect(ids(live)).toEqual(['b']);
    expect(live.size).toBe(1);
  });

  test('the current run may be removed while iterating', () => {
    const live = new LiveRuns<Run>();
    for (const id of ['a', 'b', 'c']) live.add(run(id));
    const seen: string[] = [];
    for (const r of live.values()) {
      seen.push(r.id);
      live.delete(r);
    }
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(live.size).toBe(0);
  });

  test('lookups by id stay right while the index is kept, after it is dropped, and when it is rebuilt', () => {
    const live = new LiveRuns<Run>();
    const all = Array.from({ length: 3000 }, (_, i) => run(`r${i}`));
    for (const r of all.slice(0, 1000)) live.add(r);
    expect(live.get('r10')).toBe(all[10]);
    // Changes while the index is kept are reflected in it.
    live.delete(all[10]!);
    live.add(all[1000]!);
    expect(live.get('r10')).toBeUndefined();
    expect(live.get('r1000')).toBe(all[1000]);
    // Many changes without a lookup: the index is dropped, and rebuilt by the next lookup.
    for (const r of all.slice(1001)) live.add(r);
    for (const r of all.slice(0, 500)) live.delete(r);
    expect(live.get('r5')).toBeUndefined();
    expect(live.get('r2999')).toBe(all[2999]);
    expect(live.get('r600')).toBe(all[600]);
    expect(live.size).toBe(2500); // 1000 − r10 + r1000 + 1,999 − 499 (r10 was gone already)
  });
});
