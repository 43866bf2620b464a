import { describe, expect, it } from 'vitest';
import { Production } from '../../src/work/Production.js';
import { after, engines, setup } from '../support/actionHarness.js';

describe('lanes, not arrival batches, decide the order', () => {
  it('a high item enqueued while a Site holds a local batch of normal ones is taken next', () => {
    const production = new Production<string>({ batchSize: 8 });
    production.attach('s');
    for (let i = 0; i < 10; i++) production.enqueue(`n${i}`, 'normal');
    expect(production.take('s')).toBe('n0');
    expect(production.stats().local.s).toBe(4); // n1..n4 wait in the Site's local deque
    production.enqueue('h', 'high');
    expect(production.take('s')).toBe('h');
    expect([production.take('s'), production.take('s')]).toEqual(['n1', 'n2']);
  });

  it("a high item held in a peer's local deque is stolen before the Site's own normal batch", () => {
    const production = new Production<string>({ batchSize: 8, random: () => 0 });
    production.attach('busy');
    production.attach('free');
    for (let i = 0; i < 4; i++) production.enqueue(`h${i}`, 'high');
    expect(production.take('busy')).toBe('h0'); // a batch of ceil(4/2) = 2 highs: busy keeps h1 locally
    for (let i = 0; i < 4; i++) production.enqueue(`n${i}`, 'normal');
    expect(production.take('free')).toBe('h2'); // the last global high
    expect(production.take('free')).toBe('h3');
    expect(production.take('free')).toBe('h1'); // stolen from busy, ahead of every normal
    expect(production.take('free')).toBe('n0');
    expect(production.stats()).toMatchObject({ steals: 1, stolenItems: 1 });
  });
});

describe.each(engines)('a high-priority action is served first (%s engine)', (engine) => {
  it('runs before the normal actions its Site already holds in a local batch', async () => {
    const ran: string[] = [];
    const { clock, sequence } = setup(engine, {
      Work: async (label: string) => {
        ran.push(label);
        await after(clock, 10);
        return label;
      },
    });
    sequence.pause(); // the ten arrive together, as a burst does
    const normal = Array.from({ length: 10 }, (_, i) => sequence.assign('Work', `normal-${i}`));
    sequence.resume();
    await clock.advance(0); // normal-0 runs; its Site took a batch of the next ones into its local deque
    expect(sequence.stats().queues.default!.local['site-1']).toBeGreaterThan(0);
    const urgent = sequence.assign('Work', 'high', { priority: 'high' });
    await clock.advance(10_000);
    await Promise.all([...normal, urgent].map((handle) => handle.result));
    expect(ran.slice(0, 3)).toEqual(['normal-0', 'high', 'normal-1']);
    expect(ran).toHaveLength(11);
  });
});
