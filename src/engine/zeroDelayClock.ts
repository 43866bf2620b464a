/**
 * The clock an engine schedules its actors' delays on: the runtime's clock, except that a delay
 * of 0 (a zero backoff, a start delay of 0) runs in a microtask instead of a timer. A timer of
 * 0 ms waits for the timers phase (at least 1 ms in Node), which bounded a retry path with zero
 * backoff to a retry per millisecond per slot. A burst of zero delays is capped so that a
 * function that fails at once, retried at zero backoff for ever, still lets the event loop turn:
 * past `maxBurst` zero delays before the clock's own 0 ms timer resets the count, they go to the
 * clock as timers again.
 * @internal
 */
import type { Clock } from '../clock.js';

/** A zero delay waiting for its microtask; cancelled by `clearTimeout`. */
class ZeroDelay {
  cancelled = false;
}

/** `clock` with 0 ms delays run in a microtask (up to `maxBurst` in a row per turn of the clock). */
export function zeroDelayClock(clock: Clock, maxBurst = 1_000): Clock {
  let burst = 0;
  const reset = (): void => {
    burst = 0;
  };
  return {
    now: () => clock.now(),
    setTimeout(fn, ms) {
      if (!(ms <= 0) || burst >= maxBurst) return clock.setTimeout(fn, ms);
      if (burst++ === 0) clock.setTimeout(reset, 0);
      const delay = new ZeroDelay();
      queueMicrotask(() => {
        if (!delay.cancelled) fn();
      });
      return delay;
    },
    clearTimeout(handle) {
      if (handle instanceof ZeroDelay) handle.cancelled = true;
      else clock.clearTimeout(handle);
    },
  };
}
