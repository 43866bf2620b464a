import fc from 'fast-check';
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

describe('SlidingWindow against a log of every start', () => {
  /** The plain model: every start's time in a list. */
  class NaiveLog {
    readonly starts: number[] = [];
    constructor(readonly limit: number, readonly interval: number) {}
    inWindow(now: number): number[] {
      return this.starts.filter((t) => t + this.interval > now);
    }
    available(now: number): number {
      return this.limit - this.inWindow(now).length;
    }
    nextSlotAt(now: number, reserved: number): number {
      const live = this.inWindow(now);
      const over = live.length + reserved - this.limit;
      if (over < 0) return now;
      if (over >= live.length) return now + this.interval;
      return live[over]! + this.interval;
    }
  }

  it('answers as the plain log does, with many starts at one time and wrap-arounds', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('record' as const), dt: fc.integer({ min: 0, max: 30 }), n: fc.integer({ min: 1, max: 12 }) }),
      fc.record({ kind: fc.constant('read' as const), dt: fc.integer({ min: 0, max: 60 }), reserved: fc.integer({ min: 0, max: 20 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 100 }), fc.array(step, { maxLength: 80 }), (limit, interval, steps) => {
        const window = new SlidingWindow(limit, interval);
        const model = new NaiveLog(limit, interval);
        let now = 0;
        for (const s of steps) {
          now += s.dt;
          if (s.kind === 'record') {
            // Starts are recorded only when the window allows them, as FlowControl does.
            for (let i = 0; i < s.n && window.available(now) > 0; i++) {
              window.record(now);
              model.starts.push(now);
            }
          } else {
            expect(window.available(now)).toBe(model.available(now));
            expect(window.nextSlotAt(now, s.reserved)).toBe(model.nextSlotAt(now, s.reserved));
          }
        }
      }),
    );
  });
});

describe('RateLimitError', () => {
  it('survives its JSON form with its fields', () => {
    const revived = reviveError(JSON.parse(JSON.stringify(serializeError(new RateLimitError('429', { retryAfter: 1_500, scope: 'queue' })))));
    expect(revived).toBeInstanceOf(RateLimitError);
    expect(revived).toMatchObject({ name: 'RateLimitError', retryAfter: 1_500, scope: 'queue', message: '429' });
  });
});
