/**
 * A table actor's delayed transitions (`after`), through its injected clock:
 * scheduled when their state is entered, cancelled when it is left (XState's
 * `xstate.after.<delay>.<state id>` events); a non-finite delay is never scheduled.
 * The timers of one actor are a map by event type, made on the first delay.
 * @internal
 */
import type { Clock } from '../clock.js';
import type { CompiledDelay } from './compileMachine.js';

/** An actor's scheduled delayed events: event type → the clock's timer handle. */
export type DelayedEvents = Map<string, unknown>;

/** Schedules `after`'s delays (read with `context` and the entering `event`); returns the map holding their timers (made if needed). */
export function armDelays<TContext>(
  timers: DelayedEvents | null,
  after: readonly CompiledDelay<TContext>[],
  context: TContext,
  event: { type: string },
  clock: Clock,
  target: { send(event: { type: string }): void },
): DelayedEvents | null {
  for (const delayed of after) {
    const ms = delayed.delay(context, event);
    if (!Number.isFinite(ms)) continue;
    const type = delayed.eventType;
    const map = (timers ??= new Map());
    const handle = clock.setTimeout(() => {
      map.delete(type);
      target.send({ type });
    }, ms);
    map.set(type, handle);
  }
  return timers;
}

/** Cancels the timers of `after` (its state was left). */
export function disarmDelays<TContext>(timers: DelayedEvents | null, after: readonly CompiledDelay<TContext>[], clock: Clock): void {
  if (timers === null) return;
  for (const delayed of after) {
    const handle = timers.get(delayed.eventType);
    if (handle === undefined) continue;
    clock.clearTimeout(handle);
    timers.delete(delayed.eventType);
  }
}

/** Cancels every timer (the actor is done or stopped). */
export function clearDelays(timers: DelayedEvents | null, clock: Clock): void {
  if (timers !== null) for (const handle of timers.values()) clock.clearTimeout(handle);
}
