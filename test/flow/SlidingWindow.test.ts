import { describe, expect, it } from 'vitest';
import { SlidingWindow } from '../../src/flow/SlidingWindow.js';
import { RateLimitError, reviveError, serializeError } from '../../src/index.js';

describe('SlidingWindow', () => {
  it('allows `limit` starts in any window of `interval` ms, and knows the next free slot', () => {
    const window = new SlidingWindow(3, 100);
    window.record(0);
    window.record(10);
    window.record(50);
    expect(window.available(99)).toBe(0);
    expect(window.nextSlotAt(99)).toBe(100);
    // Two more promised to held actions: the third-oldest start must expire first.
    expect(window.nextSlotAt(60, 2)).toBe(150);
    expect(window.nextSlotAt(60, 3)).toBe(160);
    expect(window.available(100)).toBe(1);
    expect(window.available(110)).toBe(2);
    expect(window.nextSlotAt(110)).toBe(110);
  });

  it('grows past its first buffer and wraps around without losing order', () => {
    const window = new SlidingWindow(50, 1_000);
    for (let t = 0; t < 40; t++) window.record(t);
    expect(window.available(39)).toBe(10);
    expect(window.available(1_010)).toBe(21); // starts 0..10 left the window, 29 are in it
    for (let t = 1_100; t < 1_130; t++) window.record(t); // the old ones have all left by 1100
    expect(window.available(1_130)).toBe(20);
    expect(window.nextSlotAt(1_130, 20)).toBe(2_100);
  });
});

describe('RateLimitError', () => {
  it('survives its JSON form with its fields', () => {
    const revived = reviveError(JSON.parse(JSON.stringify(serializeError(new RateLimitError('429', { retryAfter: 1_500, scope: 'queue' })))));
    expect(revived).toBeInstanceOf(RateLimitError);
    expect(revived).toMatchObject({ name: 'RateLimitError', retryAfter: 1_500, scope: 'queue', message: '429' });
  });
});
