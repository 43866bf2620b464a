import { describe, expect, it } from 'vitest';
import { BackpressureError } from '../../src/errors.js';
import { PRIORITIES, Production, type Priority, type ProductionOptions } from '../../src/work/Production.js';

/** A seeded PRNG (mulberry32): the same seed gives the same sequence. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random source that replays `values` in a loop. */
function scripted(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

/** Lets resolved promise callbacks run (no timers involved). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** A Production with the given Sites attached. */
function make<T>(options: ProductionOptions = {}, ...sites: string[]): Production<T> {
  const production = new Production<T>(options);
  for (const site of sites) production.attach(site);
  return production;
}

/** Up to the first `n` members of a set, oldest first (cheap, unlike spreading it). */
function firstOf<T>(set: Set<T>, n: number): T[] {
  const out: T[] = [];
  for (const x of set) if (out.push(x) >= n) break;
  return out;
}

function takeAll<T>(production: Production<T>, siteId: string): T[] {
  const out: T[] = [];
  for (let item = production.take(siteId); item !== undefined; item = production.take(siteId)) out.push(item);
  return out;
}

describe('options', () => {
  it('has defaults and rejects bad options with a TypeError saying what was expected', () => {
    expect(new Production<number>()).toMatchObject({ name: 'default', capacity: Infinity, size: 0, isFull: false });
    expect(PRIORITIES).toEqual(['high', 'normal', 'low']);
    expect(() => new Production({ capacity: 0 })).toThrow(new TypeError('Expected `capacity` to be a number >= 1, got 0 (number)'));
    expect(() => new Production({ capacity: 1.5 })).toThrow('Expected `capacity` to be an integer >= 1 or Infinity, got 1.5 (number)');
    expect(() => new Production({ batchSize: 0 })).toThrow('Expected `batchSize` to be an integer >= 1, got 0 (number)');
    expect(() => new Production({ agingLimit: -1 })).toThrow('Expected `agingLimit` to be an integer >= 1, got -1 (number)');
    expect(() => new Production({ name: '' })).toThrow('Expected `name` to be a non-empty string');
    expect(() => new Production({ random: 3 as never })).toThrow('Expected `random` to be a function, got 3 (number)');
    expect(new Production({ capacity: undefined }).capacity).toBe(Infinity);
  });

  it('rejects misuse: unknown priority, unknown Site, duplicate item, double attach', () => {
    const production = new Production<string>();
    expect(() => production.enqueue('a', 'urgent' as Priority)).toThrow(TypeError);
    expect(() => production.take('nobody')).toThrow('Expected a Site attached to "default", got "nobody"');
    production.enqueue('a');
    production.enqueue('b');
    expect(() => production.enqueue('a', 'high')).toThrow('Expected an item not already queued in "default"');
    expect(() => production.enqueue(undefined as unknown as string)).toThrow(TypeError);
    production.attach('s');
    expect(() => production.attach('s')).toThrow(TypeError);
    expect(takeAll(production, 's')).toEqual(['a', 'b']); // the queued 'a' kept its place
  });
});

describe('order', () => {
  it('serves high, then normal, then low', () => {
    const production = make<string>({}, 's');
    for (const p of ['low', 'normal', 'high'] as const) for (let i = 1; i <= 3; i++) production.enqueue(`${p[0]}${i}`, p);
    expect(takeAll(production, 's')).toEqual(['h1', 'h2', 'h3', 'n1', 'n2', 'n3', 'l1', 'l2', 'l3']);
  });

  it('keeps FIFO within a lane across batches', () => {
    const production = make<number>({ batchSize: 7 }, 's');
    for (let i = 0; i < 1000; i++) production.enqueue(i, 'normal');
    expect(takeAll(production, 's')).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('keeps FIFO within each Site when several Sites share a lane', () => {
    const sites = ['a', 'b', 'c'];
    const production = make<number>({ batchSize: 5, random: seeded(1) }, ...sites);
    for (let i = 0; i < 300; i++) production.enqueue(i, 'low');
    const seen = new Map(sites.map((site) => [site, [] as number[]]));
    for (let round = 0; production.size > 0; round++) {
      const site = sites[round % 3]!;
      const item = production.take(site);
      if (item !== undefined) seen.get(site)!.push(item);
    }
    for (const items of seen.values()) expect(items).toEqual([...items].sort((x, y) => x - y));
    expect([...seen.values()].flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });
});

describe('aging', () => {
  it.each([1, 2, 8, 20])('takes a low item among endless high items within agingLimit + 1 takes (limit %i)', (agingLimit) => {
    const production = make<string>({ agingLimit, batchSize: 4 }, 's');
    for (let i = 0; i < 50; i++) production.enqueue(`h${i}`, 'high');
    production.enqueue('low', 'low');
    let takes = 1;
    for (; production.take('s') !== 'low'; takes++) production.enqueue(`h${50 + takes}`, 'high');
    expect(takes).toBeLessThanOrEqual(agingLimit + 1);
  });

  it('never passes a non-empty lane over more than agingLimit + 2 consecutive takes (random sequences)', () => {
    const random = seeded(42);
    let worst = -Infinity; // the most passes over agingLimit seen
    for (let run = 0; run < 200; run++) {
      const agingLimit = 1 + Math.floor(random() * 10);
      const production = make<number>({ agingLimit, batchSize: 1 + Math.floor(random() * 40) }, 's');
      const priorityOf = new Map<number, Priority>();
      const live: Record<Priority, number> = { high: 0, normal: 0, low: 0 };
      const streak: Record<Priority, number> = { high: 0, normal: 0, low: 0 };
      let next = 0;
      for (let op = 0; op < 400; op++) {
        if (random() < 0.6) {
          const r = random(); // mostly high, some normal, a few low
          const priority: Priority = r < 0.6 ? 'high' : r < 0.9 ? 'normal' : 'low';
          priorityOf.set(next, priority);
          live[priority]++;
          production.enqueue(next++, priority);
          continue;
        }
        const item = production.take('s');
        if (item === undefined) continue;
        const served = priorityOf.get(item)!;
        for (const p of PRIORITIES) {
          streak[p] = p === served || live[p] === 0 ? 0 : streak[p] + 1;
          worst = Math.max(worst, streak[p] - agingLimit);
        }
        live[served]--;
      }
    }
    expect(worst).toBeLessThanOrEqual(2);
  });
});

describe('capacity and backpressure', () => {
  it('throws BackpressureError when full; tryEnqueue returns false', () => {
    const production = make<string>({ name: 'files', capacity: 2 });
    production.enqueue('a');
    expect(production.tryEnqueue('b', 'low')).toBe(true);
    expect(production.isFull).toBe(true);
    expect(() => production.enqueue('c')).toThrow(BackpressureError);
    expect(() => production.enqueue('c')).toThrow(expect.objectContaining({ name: 'BackpressureError', capacity: 2, queue: 'files' }));
    expect([production.tryEnqueue('c'), production.size]).toEqual([false, 2]);
  });

  it('whenSpace resolves at once if there is space, else FIFO, one per freed slot (take, discard, drain)', async () => {
    const production = make<string>({ capacity: 1 }, 's');
    await expect(production.whenSpace()).resolves.toBeUndefined();
    production.enqueue('a');
    const resolved: number[] = [];
    for (const n of [1, 2, 3]) void production.whenSpace().then(() => resolved.push(n));
    await settle();
    expect(resolved).toEqual([]);
    production.take('s');
    await settle();
    expect(resolved).toEqual([1]);
    production.enqueue('b');
    production.discard('b'); // frees the slot as well
    await settle();
    expect(resolved).toEqual([1, 2]);
    production.enqueue('c');
    production.drain();
    await settle();
    expect(resolved).toEqual([1, 2, 3]);
  });

  it('whenSpace rejects with the abort reason and leaves the queue of waiters', async () => {
    const production = make<string>({ capacity: 1 }, 's');
    production.enqueue('a');
    const controller = new AbortController();
    const aborted = production.whenSpace(controller.signal);
    let second = false;
    void production.whenSpace().then(() => (second = true));
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    production.take('s');
    await settle();
    expect(second).toBe(true);
    await expect(production.whenSpace(AbortSignal.abort('gone'))).rejects.toBe('gone');
  });
});

describe('batches and stealing', () => {
  it('moves min(batchSize, ceil(half)) of the highest global lane to the local deque', () => {
    const production = make<number>({ batchSize: 4 }, 's');
    for (let i = 0; i < 20; i++) production.enqueue(i);
    expect(production.take('s')).toBe(0);
    expect(production.stats()).toMatchObject({ size: 19, lanes: { normal: 16 }, local: { s: 3 }, batches: 1 });
    const small = make<number>({ batchSize: 32 }, 's');
    for (let i = 0; i < 6; i++) small.enqueue(i, 'high');
    small.take('s');
    expect(small.stats()).toMatchObject({ lanes: { high: 3 }, local: { s: 2 } });
  });

  /** Leaves Site `a` holding h1..h3 and l1..l3 locally, everything else taken by `b`. */
  function mixedVictim(random: () => number): Production<string> {
    const production = make<string>({ agingLimit: 1, batchSize: 100, random }, 'a', 'b', 'c');
    for (let i = 0; i < 8; i++) production.enqueue(`h${i}`, 'high');
    for (let i = 0; i < 8; i++) production.enqueue(`l${i}`, 'low');
    expect(production.take('a')).toBe('h0');
    expect(production.take('a')).toBe('l0'); // the low lane aged: a batch of lows joins a's deque
    for (let i = 0; i < 8; i++) expect(production.take('b')).toMatch(/^[hl][4-7]$/);
    expect(production.stats()).toMatchObject({ lanes: { high: 0, normal: 0, low: 0 }, local: { a: 6, b: 0 } });
    return production;
  }

  it("steals about half of a peer's highest lane, from the back, keeping order", () => {
    const production = mixedVictim(scripted(0.6)); // starts at b (empty), goes round to a
    expect(production.take('c')).toBe('h2'); // a's high lane first: ceil(3/2) = 2 from its back, h2 and h3
    expect(production.stats()).toMatchObject({ local: { a: 4, c: 1 }, steals: 1, stolenItems: 2 });
    expect(production.take('c')).toBe('h3');
    expect(production.take('c')).toBe('h1'); // then a's last high, before any low
    expect(production.take('c')).toBe('l2'); // a's lows: ceil(3/2) = 2 from the back, l2 and l3
    expect(production.take('a')).toBe('l1');
    expect(production.take('c')).toBe('l3');
    expect(production.take('c')).toBeUndefined(); // nothing left anywhere
  });

  it('picks the first victim with the random source, then goes round', () => {
    for (const [r, expected] of [[0, 'a2'], [0.4, 'a5'], [0.99, 'a2']] as const) {
      const production = make<string>({ batchSize: 10, random: scripted(r) }, 'a', 'b', 'c', 'd');
      for (let i = 0; i < 8; i++) production.enqueue(`a${i}`);
      production.take('a'); // batch a0..a3: a holds a1, a2, a3
      production.take('b'); // batch a4, a5: b holds a5
      production.take('d'); // a6
      production.take('d'); // a7: the global lanes are empty now
      // c's peers are [a, b, d]: 0 → a, 0.4 → b, 0.99 → d (empty), then round to a
      expect(production.take('c')).toBe(expected);
      expect(production.stats().steals).toBe(1);
    }
  });
});

describe('detach', () => {
  it('returns local items to the front of the global lanes, in order, losing nothing', () => {
    const production = make<string>({ agingLimit: 1, batchSize: 100 }, 'a', 'b');
    for (let i = 0; i < 8; i++) production.enqueue(`h${i}`, 'high');
    for (let i = 0; i < 8; i++) production.enqueue(`l${i}`, 'low');
    production.take('a'); // h0; a holds h1..h3
    production.take('a'); // l0; a holds l1..l3
    production.discard('h2');
    production.detach('a');
    expect(production.stats()).toMatchObject({ size: 13, lanes: { high: 6, low: 7 }, local: { b: 0 } });
    expect(() => production.take('a')).toThrow(TypeError);
    expect(production.drain()).toEqual(['h1', 'h3', 'h4', 'h5', 'h6', 'h7', 'l1', 'l2', 'l3', 'l4', 'l5', 'l6', 'l7']);
  });
});

describe('discard', () => {
  it('skips a discarded item, frees its slot at once, and says whether it was queued', () => {
    const production = make<string>({ capacity: 3, batchSize: 2 }, 's');
    for (const item of ['a', 'b', 'c']) production.enqueue(item);
    expect(production.take('s')).toBe('a'); // b moved to the local deque with a
    expect(production.discard('b')).toBe(true);
    expect(production.discard('b')).toBe(false);
    expect(production.discard('zzz')).toBe(false);
    expect(production.size).toBe(1);
    expect(production.tryEnqueue('d')).toBe(true);
    expect(production.tryEnqueue('e')).toBe(true);
    expect(production.isFull).toBe(true);
    expect(takeAll(production, 's')).toEqual(['c', 'd', 'e']);
  });

  it('lets a discarded item be enqueued again, served from its new place only', () => {
    const production = make<{ id: string }>({}, 's');
    const [x, y] = [{ id: 'x' }, { id: 'y' }];
    production.enqueue(x, 'low');
    production.enqueue(y, 'low');
    production.discard(x);
    production.enqueue(x, 'high');
    expect(takeAll(production, 's')).toEqual([x, y]);
    production.enqueue(x);
    production.enqueue(y);
    production.discard(x);
    production.enqueue(x);
    expect(takeAll(production, 's')).toEqual([y, x]);
  });

  it('keeps working through enqueue/discard churn (stale copies are swept)', () => {
    const production = make<number>({}, 's');
    for (let i = 0; i < 100_000; i++) {
      production.enqueue(i);
      if (i % 2 === 0) production.discard(i);
    }
    expect(takeAll(production, 's')).toEqual(Array.from({ length: 50_000 }, (_, i) => 2 * i + 1));
  });
});

describe('park and wake', () => {
  it('wakes exactly one parked Site per enqueue, longest parked first, each once', () => {
    const production = make<string>({}, 'a', 'b');
    const wakes: string[] = [];
    expect(production.park('a', () => wakes.push('a'))).toBe(true);
    expect(production.park('b', () => wakes.push('b'))).toBe(true);
    production.enqueue('1');
    expect(wakes).toEqual(['a']);
    production.enqueue('2');
    production.enqueue('3');
    expect(wakes).toEqual(['a', 'b']);
  });

  it('does not wake a Site that was unparked or detached, nor park one while work is available', () => {
    const production = make<string>({}, 'a', 'b');
    let woken = 0;
    production.park('a', () => woken++);
    production.unpark('a');
    production.park('b', () => woken++);
    production.detach('b');
    production.enqueue('1');
    expect(production.park('a', () => woken++)).toBe(false);
    production.enqueue('2');
    expect(woken).toBe(0);
  });

  it('serves a Site through its seat as through its id, and refuses a seat once detached or of another Production', () => {
    const production = new Production<string>({});
    const [a, b] = [production.attach('a'), production.attach('b')];
    const wakes: string[] = [];
    expect(production.parkFor(a, () => wakes.push('a1'))).toBe(true);
    expect(production.parkFor(b, () => wakes.push('b'))).toBe(true);
    // Parked again before a wake: the new callback replaces the old one and keeps its place in line.
    expect(production.parkFor(a, () => wakes.push('a2'))).toBe(true);
    production.enqueue('1');
    expect(wakes).toEqual(['a2']);
    expect(production.takeFor(a)).toBe('1');
    production.unparkFor(b);
    production.enqueue('2');
    expect(wakes).toEqual(['a2']);
    expect(production.take('b')).toBe('2');
    production.detach('b');
    expect(() => production.takeFor(b)).toThrow(TypeError);
    expect(() => production.parkFor(b, () => {})).toThrow(TypeError);
    const other = new Production<string>({ name: 'other' });
    expect(() => other.takeFor(a as never)).toThrow(/attached to "other"/);
  });

  it('lets a woken Site take inside its wake callback', () => {
    const production = make<string>({}, 'a');
    const taken: (string | undefined)[] = [];
    production.park('a', () => taken.push(production.take('a')));
    production.enqueue('job');
    expect(taken).toEqual(['job']);
    expect(production.size).toBe(0);
  });
});

describe('drain', () => {
  it('returns every live item once, in priority order, global and local', () => {
    const production = make<string>({ batchSize: 2 }, 'a');
    for (const p of PRIORITIES) for (let i = 0; i < 3; i++) production.enqueue(`${p}${i}`, p);
    production.take('a'); // high0; a holds high1
    production.discard('normal1');
    expect(production.drain()).toEqual(['high1', 'high2', 'normal0', 'normal2', 'low0', 'low1', 'low2']);
    expect([production.size, production.drain()]).toEqual([0, []]);
    expect(production.take('a')).toBeUndefined();
  });
});

describe('conservation', () => {
  it('takes, discards or drains every enqueued item exactly once (random operations)', () => {
    for (let seed = 1; seed <= 24; seed++) {
      const random = seeded(seed);
      const pick = <X>(xs: readonly X[]): X => xs[Math.floor(random() * xs.length)]!;
      const oneOf = (set: Set<number>): number => pick(firstOf(set, 16));
      const [batchSize, agingLimit] = [1 + Math.floor(random() * 8), 1 + Math.floor(random() * 5)];
      const production = make<number>({ capacity: seed % 3 === 0 ? 50 : Infinity, batchSize, agingLimit, random });
      const [sites, live, done] = [[] as string[], new Set<number>(), new Set<number>()]; // done: may be enqueued again
      let [next, nextSite] = [0, 0];
      for (let op = 0; op < 3000; op++) {
        const r = random();
        if (r < 0.05 || sites.length === 0) {
          sites.push(`s${nextSite}`);
          production.attach(`s${nextSite++}`);
        } else if (r < 0.08) {
          const site = pick(sites);
          sites.splice(sites.indexOf(site), 1);
          production.detach(site);
        } else if (r < 0.45) {
          const item = done.size > 0 && random() < 0.2 ? oneOf(done) : next++;
          const accepted = production.tryEnqueue(item, pick(PRIORITIES));
          expect(accepted).toBe(live.size < production.capacity);
          if (accepted) {
            live.add(item);
            done.delete(item);
          }
        } else if (r < 0.55) {
          const item = random() < 0.7 && live.size > 0 ? oneOf(live) : Math.floor(random() * next);
          expect(production.discard(item)).toBe(live.has(item));
          if (live.delete(item)) done.add(item);
        } else if (r < 0.57) {
          expect(production.park(pick(sites), () => {})).toBe(live.size === 0);
        } else {
          const item = production.take(pick(sites));
          if (item === undefined) expect(live.size).toBe(0); // undefined only when nothing is left
          else {
            expect(live.delete(item)).toBe(true);
            done.add(item);
          }
        }
        if (production.size !== live.size) expect({ seed, op, size: production.size }).toEqual({ seed, op, size: live.size });
      }
      const drained = production.drain();
      expect(new Set(drained).size).toBe(drained.length);
      expect(new Set(drained)).toEqual(live);
      expect(production.size).toBe(0);
    }
  });
});
