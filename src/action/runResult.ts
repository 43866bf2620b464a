/**
 * How a run hands out its outcome: the settlement it keeps, and the `result()`
 * promise made only when someone asks (so an unobserved failure is no unhandled
 * rejection). A run keeps one of them in one field (`RunEnd`): the settlement, or
 * once asked for, the promise, which then keeps the settlement.
 * @internal
 */
import type { Settlement } from './runOutcome.js';

/** A run's `result()` promise once asked for; `resolve`/`reject` while it is pending, its settlement once settled. */
export class ResultPromise {
  promise: Promise<unknown>;
  resolve: ((value: unknown) => void) | null = null;
  reject: ((error: Error) => void) | null = null;
  settlement: Settlement | null;

  /** The promise of `settlement`, or a pending one when there is none yet. */
  constructor(settlement: Settlement | null) {
    this.settlement = settlement;
    this.promise =
      settlement !== null
        ? settlement.ok
          ? Promise.resolve(settlement.value)
          : Promise.reject(settlement.error)
        : new Promise((resolve, reject) => {
            this.resolve = resolve;
            this.reject = reject;
          });
  }
}

/** What a run keeps of its end: nothing yet, its settlement, or its `result()` promise (with the settlement once settled). */
export type RunEnd = Settlement | ResultPromise | null;

/** The settlement `end` holds, or null. */
export function settlementOf(end: RunEnd): Settlement | null {
  return end instanceof ResultPromise ? end.settlement : end;
}

/** `end` with its `result()` promise (made now when it has none). */
export function withResult(end: RunEnd): ResultPromise {
  return end instanceof ResultPromise ? end : new ResultPromise(end);
}

/** `end` (not settled yet) once settled as `settlement`: a pending `result()` promise settles now. */
export function settledEnd(end: RunEnd, settlement: Settlement): RunEnd {
  if (!(end instanceof ResultPromise)) return settlement;
  end.settlement = settlement;
  if (end.resolve !== null) {
    if (settlement.ok) end.resolve(settlement.value);
    else end.reject!(settlement.error);
    end.resolve = end.reject = null;
  }
  return end;
}
