import { CancellationError, type Clock } from '../../src/index.js';

/** Waits `ms` on `clock`; rejects with the signal's reason when aborted (unless `ignoreSignal`). */
export function clockSleep(clock: Clock, ms: number, signal?: AbortSignal, ignoreSignal = false): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted && !ignoreSignal) {
      reject(signal.reason);
      return;
    }
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(signal?.reason ?? new CancellationError('aborted', { reason: 'user' }));
    };
    if (!ignoreSignal) signal?.addEventListener('abort', onAbort, { once: true });
  });
}
