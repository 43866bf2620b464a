import { describe, expect, it } from 'vitest';
import { Production } from '../../src/work/Production.js';
import type { TicketSlot } from '../../src/work/ticketBook.js';
import { seededRandom } from '../../src/random.js';

interface Item {
  readonly id: number;
  ticket: number;
}
const slot: TicketSlot<Item> = { get: (item) => item.ticket, set: (item, ticket) => void (item.ticket = ticket) };
const make = (capacity = Infinity) => new Production<Item>({ name: 'slots', capacity, random: () => 0.5, ticket: slot as TicketSlot<unknown> });

describe('Production with tickets kept on the items', () => {
  it('counts, rejects duplicates, discards and re-enqueues like the Map book', () => {
    const production = make(3);
    production.attach('s');
    const [a, b, c] = [0, 1, 2].map((id) => ({ id, ticket: 0 })) as [Item, Item, Item];
    production.enqueue(a, 'low');
    production.enqueue(b, 'high');
    expect(() => production.enqueue(a)).toThrow(/already queued/);
    expect(production.size).toBe(2);
    expect(production.discard(a)).toBe(true);
    expect(production.discard(a)).toBe(false);
    expect(a.ticket).toBe(0);
    production.enqueue(a, 'normal');
    production.enqueue(c, 'low');
    expect(production.isFull).toBe(true);
    expect([production.take('s'), production.take('s'), production.take('s')].map((item) => item?.id)).toEqual([1, 0, 2]);
    expect(production.take('s')).toBeUndefined();
    expect([a, b, c].map((item) => item.ticket)).toEqual([0, 0, 0]);
  });

  it('conserves every item under random enqueue / take / discard / drain', () => {
    const random = seededRandom(3);
    const production = make();
    const sites = ['s1', 's2', 's3'];
    for (const site of sites) production.attach(site);
    const items: Item[] = Array.from({ length: 5_000 }, (_, id) => ({ id, ticket: 0 }));
    const seen = new Map<number, number>();
    const out = (item: Item | undefined) => item !== undefined && seen.set(item.id, (seen.get(item.id) ?? 0) + 1);
    let next = 0;
    while (next < items.length) {
      const roll = random();
      if (roll < 0.5) production.enqueue(items[next++]!, (['high', 'normal', 'low'] as const)[Math.floor(random() * 3)]);
      else if (roll < 0.85) out(production.take(sites[Math.floor(random() * 3)]!));
      else if (next > 0) {
        const victim = items[Math.floor(random() * next)]!;
        if (production.discard(victim)) out(victim);
      }
    }
    for (const item of production.drain()) out(item);
    expect(production.size).toBe(0);
    expect(seen.size).toBe(items.length);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    expect(items.every((item) => item.ticket === 0)).toBe(true);
  });
});
