/**
 * What a table actor keeps for the puller that inspects it (`InspectionSink.pull`):
 * whether its next change asks the puller (armed), only extends its trail (the puller
 * will read it), or is ignored (the puller declined it until its next read), the
 * steps since the last read, and the puller's own record of the actor (its `slot`).
 * Made on the first change a puller sees (or when the puller keeps a record), so an
 * actor nobody inspects keeps none.
 * @internal
 */
import type { Clock } from '../clock.js';

/** The most steps a trail keeps between two reads (the oldest are dropped). */
const MAX_TRAIL = 16;

const ARMED = 0;
const READING = 1;
const DECLINED = 2;

/** One step of a trail: [state, time, event type]. */
export type TrailStep = [string, number, string];

const NO_TRAIL: ReadonlyArray<readonly [string, number, string]> = Object.freeze([]);

/** The puller's state for one actor, and the steps it has not read yet. */
export class PullTrail {
  /** Free slot for the puller (its record of this actor; the actor's `pullSlot`). */
  slot: unknown = undefined;
  #state: typeof ARMED | typeof READING | typeof DECLINED = ARMED;
  #steps: TrailStep[] | null = null;

  /** The actor (now in `key`) changed on `eventType`: asks `pull` when armed, else extends the trail, unless declined. */
  note<TActor>(actor: TActor, pull: (actor: TActor) => boolean | void, key: string, clock: Clock, eventType: string): void {
    const state = this.#state;
    if (state === DECLINED) return;
    if (state === ARMED) {
      // Asked first, so a declined actor costs no trail at all.
      this.#state = READING;
      if (pull(actor) === false) {
        this.#state = DECLINED;
        this.#steps = null;
        return;
      }
      if ((this.#state as number) === ARMED) return; // read at once: the puller saw this step's snapshot
    }
    const step: TrailStep = [key, clock.now(), eventType];
    const steps = this.#steps;
    if (steps === null) {
      this.#steps = [step];
      return;
    }
    if (steps.length >= MAX_TRAIL) steps.shift();
    steps.push(step);
  }

  /** The steps since the last read, oldest first; clears them and re-arms the next `pull` (also after a decline). */
  take(): ReadonlyArray<readonly [string, number, string]> {
    const steps = this.#steps ?? NO_TRAIL;
    this.#steps = null;
    this.#state = ARMED;
    return steps;
  }
}

/** The trail of an actor no puller has seen. */
export const EMPTY_TRAIL: ReadonlyArray<readonly [string, number, string]> = NO_TRAIL;
