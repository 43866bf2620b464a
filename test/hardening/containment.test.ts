/**
 * User code around an action that throws is contained: a throwing `events$`
 * subscriber, `handle.subscribe` listener, License `onRevoke` listener or `onError`
 * handler goes to `onError` (a throwing `onError` to the last resort), the action
 * settles as it would have, the Site keeps working, and the other subscribers and
 * listeners are still called. On both engines, time on a ManualClock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { config } from 'rxjs';
import { License, LicenseError, type RunContext } from '../../src/index.js';
import { engines, setup, drain, rejection, untilAborted } from '../support/actionHarness.js';

/** rxjs reports a subscriber's throw on a later macrotask (an uncaught exception); capture what reaches it. */
let unhandled: unknown[] = [];
let previous: typeof config.onUnhandledError;
beforeEach(() => {
  unhandled = [];
  previous = config.onUnhandledError;
  config.onUnhandledError = (error) => void unhandled.push(error);
});
afterEach(() => {
  config.onUnhandledError = previous;
});
/** rxjs schedules its report with a 1 ms timer; a timer set after it fires after it (Node keeps timers of a duration in order). */
const afterRxjsReports = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

describe.each(engines)('user code that throws is contained (%s engine)', (engine) => {
  it('a throwing events$ subscriber goes to onError; actions settle, others still hear every event', async () => {
    const errors: unknown[] = [];
    const { clock, sequence, events } = setup(engine, { Work: { run: async (n: number) => n * 2 } }, { onError: (error) => void errors.push(error) });
    const boom = new Error('subscriber broke');
    sequence.events$.subscribe(() => {
      throw boom;
    });
    const later: string[] = [];
    sequence.events$.subscribe((event) => void later.push(event.type));
    const first = sequence.assign('Work', 1);
    const second = sequence.assign('Work', 2);
    await drain(clock);
    expect(await first.result).toBe(2);
    expect(await second.result).toBe(4);
    expect(later.filter((type) => type === 'done')).toHaveLength(2);
    expect(events.filter((event) => event.type === 'done')).toHaveLength(2);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((error) => error === boom || (error as Error).cause === boom)).toBe(true);
    await afterRxjsReports();
    expect(unhandled).toEqual([]);
  });

  it('a throwing subscriber after a pipe is contained too', async () => {
    const errors: unknown[] = [];
    const { clock, sequence } = setup(engine, { Work: { run: async () => 'ok' } }, { onError: (error) => void errors.push(error) });
    const { filter } = await import('rxjs');
    const boom = new Error('piped subscriber broke');
    sequence.events$.pipe(filter((event) => event.type === 'done')).subscribe(() => {
      throw boom;
    });
    const handle = sequence.assign('Work');
    await drain(clock);
    expect(await handle.result).toBe('ok');
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).cause ?? errors[0]).toBe(boom);
    await afterRxjsReports();
    expect(unhandled).toEqual([]);
  });

  it('a throwing handle.subscribe listener goes to onError; the action settles, the Site keeps working, other listeners are called', async () => {
    const errors: unknown[] = [];
    const { clock, sequence } = setup(engine, { Work: { run: async () => 'ok' } }, { onError: (error) => void errors.push(error) });
    // Delayed, so the listeners see several steps (queued, running, done).
    const handle = sequence.assign('Work', null, { delay: 1 });
    const boom = new Error('listener broke');
    handle.subscribe(() => {
      throw boom;
    });
    const seen: string[] = [];
    handle.subscribe((snapshot) => void seen.push(snapshot.value));
    await drain(clock);
    expect(await handle.result).toBe('ok');
    expect(seen.at(-1)).toBe('done');
    expect(seen.length).toBeGreaterThan(1);
    const next = sequence.assign('Work');
    await drain(clock);
    expect(await next.result).toBe('ok');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((error) => (error as Error).cause === boom)).toBe(true);
    const report = sequence.shutdown({ deadline: 0 });
    await drain(clock);
    expect((await report).unfinished).toEqual([]);
    await afterRxjsReports();
    expect(unhandled).toEqual([]);
  });

  it('a throwing License listener does not stop revoke(): every holder fails, other listeners are called, onError hears it', async () => {
    const licenseErrors: unknown[] = [];
    const license = new License('tenant', { onError: (error) => void licenseErrors.push(error) });
    const boom = new Error('listener broke');
    license.onRevoke(() => {
      throw boom;
    });
    const { clock, sequence } = setup(engine, { Slow: { run: (_: unknown, ctx: RunContext) => untilAborted(ctx.signal) } });
    const running = sequence.assign('Slow', null, { license });
    const queued = sequence.assign('Slow', null, { license });
    let told = 0;
    license.onRevoke(() => void told++);
    await clock.advance(0);
    expect(() => license.revoke('tenant deleted')).not.toThrow();
    await drain(clock);
    expect(await rejection(running.result)).toBeInstanceOf(LicenseError);
    expect(await rejection(queued.result)).toBeInstanceOf(LicenseError);
    expect(told).toBe(1);
    expect(licenseErrors).toHaveLength(1);
    expect((licenseErrors[0] as Error).cause).toBe(boom);
    expect(license.holders).toBe(0);
  });

  it('without its own onError, revoke() tells every holder first, then throws what the listeners threw as an AggregateError', async () => {
    const license = new License('tenant');
    const boom = new Error('listener broke');
    license.onRevoke(() => {
      throw boom;
    });
    const { clock, sequence } = setup(engine, { Slow: { run: (_: unknown, ctx: RunContext) => untilAborted(ctx.signal) } });
    const running = sequence.assign('Slow', null, { license });
    await clock.advance(0);
    let thrown: unknown;
    try {
      license.revoke();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AggregateError);
    expect((thrown as AggregateError).errors).toEqual([boom]);
    await drain(clock);
    expect(await rejection(running.result)).toBeInstanceOf(LicenseError);
  });

  it('a throwing onError goes to the last resort (never an uncaught exception); the Sequence keeps working', async () => {
    const lastResort: unknown[] = [];
    const boom = new Error('subscriber broke');
    const broken = new Error('onError broke');
    const { clock, sequence } = setup(
      engine,
      { Work: { run: async () => 'ok' } },
      {
        onError: () => {
          throw broken;
        },
        lastResort: (error) => void lastResort.push(error),
      },
    );
    sequence.events$.subscribe((event) => {
      if (event.type === 'done') throw boom;
    });
    const handle = sequence.assign('Work');
    await drain(clock);
    expect(await handle.result).toBe('ok');
    expect(lastResort).toHaveLength(1);
    expect(lastResort[0]).toMatchObject({ cause: broken });
    const next = sequence.assign('Work');
    await drain(clock);
    expect(await next.result).toBe('ok');
    expect(lastResort).toHaveLength(2);
    await afterRxjsReports();
    expect(unhandled).toEqual([]);
  });
});

describe('the last resort by default', () => {
  it('is process.emitWarning, named EchoWarning', async () => {
    const { emitted, restore } = captureWarnings();
    try {
      const { clock, sequence } = setup('table', { Work: { run: async () => 'ok' } }, {
        onError: () => {
          throw new Error('onError broke');
        },
      });
      sequence.events$.subscribe((event) => {
        if (event.type === 'done') throw new Error('subscriber broke');
      });
      const handle = sequence.assign('Work');
      await drain(clock);
      expect(await handle.result).toBe('ok');
      expect(emitted).toHaveLength(1);
      expect(emitted[0]).toMatchObject({ name: 'EchoWarning' });
    } finally {
      restore();
    }
  });
});

/** Replaces process.emitWarning for one test, so the warning is asserted, not printed. */
function captureWarnings(): { emitted: Error[]; restore(): void } {
  const original = process.emitWarning;
  const emitted: Error[] = [];
  process.emitWarning = ((warning: string | Error, options?: { type?: string } | string) => {
    const error = typeof warning === 'string' ? new Error(warning) : warning;
    const type = typeof options === 'string' ? options : options?.type;
    if (type !== undefined) error.name = type;
    emitted.push(error);
  }) as typeof process.emitWarning;
  return { emitted, restore: () => void (process.emitWarning = original) };
}
