/**
 * A Site: a worker that takes actions from the Productions it serves and runs
 * each action's statechart, up to its concurrency. Idle Sites park in their
 * Productions and are woken by the next enqueue; nothing polls.
 *
 * An optional behaviour (the seed's `Site::Receive`) sees each action before it
 * runs and may update its metadata or redirect it to another queue. A behaviour
 * that throws crashes the Site: the crash is contained and reported, the action
 * goes back to its queue (after `maxSiteCrashes` crashes on it, it fails), and
 * the Site restarts after `restartDelay`.
 * @internal
 */
import { produce, type Draft } from 'immer';
import type { ActionRun } from '../action/ActionRun.js';
import type { Clock } from '../clock.js';
import type { Life } from '../Life.js';
import type { Production, ProductionSeat } from './Production.js';
import type { SiteView } from './SiteView.js';

/** What a Site behaviour sees of an action. */
export interface ReceivedAction {
  readonly id: string;
  readonly name: string;
  readonly content: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly priority: string;
  readonly queue: string;
}

/** What a Site behaviour can do. */
export interface ReceiveContext {
  readonly site: string;
  readonly life: Life;
  /** Sends the action to another named queue instead of running it here. */
  redirect(queue: string): void;
  /** Updates the action's (frozen) metadata with an immer recipe. */
  updateMetadata(recipe: (draft: Draft<Record<string, unknown>>) => void): void;
}

/** A Site behaviour: wraps or redirects an action before it runs. */
export type SiteBehavior = (action: ReceivedAction, context: ReceiveContext) => void | Promise<void>;

/**
 * Flow limits every Site honours (rate and concurrency limits, see `src/flow/FlowControl.ts`):
 * a closed queue is not taken from, and an action its gate holds back is not started here.
 */
export interface SiteGate {
  /** Whether the Site may take from `queue` now. */
  open(queue: string): boolean;
  /** Wakes the Site once `queue` opens. */
  park(queue: string, siteId: string, wake: () => void): void;
  unpark(siteId: string): void;
  /** True: start `run` now; false: the gate keeps it (and sends it back to its queue later). */
  admit(run: ActionRun): boolean;
  /** The Site gave `run`'s slot back. */
  released(run: ActionRun): void;
}

/** What a Site needs from its Sequence. */
export interface SiteHost {
  /** Flow limits, when the Sequence has any. */
  readonly gate?: SiteGate | undefined;
  readonly life: Life;
  readonly clock: Clock;
  now(): number;
  /** The time of a START sent now: the current step's own reading when one was lent (see `StepTime`), else the clock's. */
  startTime(): number;
  /** A Site behaviour (user code) is about to run: no reading is lent across it. */
  userCode(): void;
  /** The Site's XState actor, to report a lifecycle change (PAUSE after a restart; CRASH goes through `crashed`). */
  report(site: Site, event: { type: string; [key: string]: unknown }): void;
  /** Places `run`'s actor under the Site in the actor tree, as its engine does it. */
  adopt(site: Site, run: ActionRun): void;
  /** The number of actions running on `site` changed (its load, which the inspector reads as data). */
  loadChanged(site: Site): void;
  crashed(site: Site, run: ActionRun, error: unknown): void;
  redirect(site: Site, run: ActionRun, queue: string): void;
}

export class Site {
  readonly id: string;
  readonly concurrency: number;
  readonly productions: readonly Production<ActionRun>[];
  readonly behavior: SiteBehavior | undefined;
  /** The Site's ref in the actor tree (set once its XState actor is spawned). */
  ref: { readonly sessionId: string } | undefined = undefined;
  /** What the inspector reads of it: its actor's state and its load (set with `ref`). */
  view: SiteView | undefined = undefined;

  #host: SiteHost;
  /** Its seat in each of its Productions, in the same order. */
  readonly #seats: ProductionSeat<ActionRun>[];
  #active = 0;
  #paused = false;
  #stopped = false;
  #crashed = false;
  #pumping = false;
  #again = false;
  #parked = false;
  #next = 0;
  readonly #wake = (): void => {
    this.#unparkAll();
    this.pump();
  };

  constructor(init: { id: string; concurrency: number; productions: readonly Production<ActionRun>[]; behavior?: SiteBehavior | undefined; host: SiteHost }) {
    this.id = init.id;
    this.concurrency = init.concurrency;
    this.productions = init.productions;
    this.behavior = init.behavior;
    this.#host = init.host;
    this.#seats = this.productions.map((production) => production.attach(this.id));
  }

  /** Actions running on this Site now. */
  get active(): number {
    return this.#active;
  }

  /** Takes and starts actions while there is room and work. Re-entrant calls are folded into the running loop. */
  pump(): void {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        while (this.#active < this.concurrency && !this.#paused && !this.#stopped && !this.#crashed) {
          const run = this.#take();
          if (run === undefined) {
            this.#park();
            break;
          }
          this.#begin(run);
        }
      } while (this.#again);
    } finally {
      this.#pumping = false;
    }
  }

  /** Gives back the slot of `run` (it settled, or waits for a retry). */
  release(run: ActionRun): void {
    if (!run.releasedBy(this)) return;
    const attempt = run.attempt;
    if (attempt === null || attempt.stopped) {
      this.#free(run);
      return;
    }
    // Concurrency is a promise: the slot stays taken while the abandoned function still runs, up to its cancel grace.
    attempt.whenStoppedOrAbandoned(this.#host.clock, run.cancelGrace, () => this.#free(run));
  }

  #free(run: ActionRun): void {
    this.#active--;
    this.#host.loadChanged(this);
    this.#host.gate?.released(run);
    this.pump();
  }

  pause(): void {
    this.#paused = true;
    this.#unparkAll();
  }

  /**
   * Takes work again. A pause ends a crash too: the Site actor leaves `crashed` for
   * `paused` (its restart timer dropped) and `paused` for `open`, so the Site must
   * take work again as its actor says, or its queued actions would wait for ever.
   */
  resume(): void {
    this.#paused = false;
    this.#crashed = false;
    this.pump();
  }

  /** After a crash: take work again (a paused Site shows `paused` and waits for resume). */
  restart(): void {
    this.#crashed = false;
    if (this.#paused) this.#host.report(this, { type: 'PAUSE' });
    this.pump();
  }

  /** Stops taking work for good; its local queue goes back to the global lanes. */
  stop(): void {
    this.#stopped = true;
    this.#unparkAll();
    for (const production of this.productions) production.detach(this.id);
  }

  #take(): ActionRun | undefined {
    const productions = this.productions;
    const gate = this.#host.gate;
    for (let i = 0; i < productions.length; i++) {
      const index = i === 0 ? this.#next : (this.#next + i) % productions.length;
      const production = productions[index]!;
      if (gate !== undefined && !gate.open(production.name)) continue;
      const run = production.takeFor(this.#seats[index]!);
      if (run === undefined) continue;
      if (gate !== undefined && !gate.admit(run)) {
        i--; // held back by a limit of its name: take the next one from the same queue
        continue;
      }
      this.#next = index + 1 === productions.length ? 0 : index + 1;
      return run;
    }
    return undefined;
  }

  #park(): void {
    if (this.#parked) return;
    const gate = this.#host.gate;
    const productions = this.productions;
    for (let index = 0; index < productions.length; index++) {
      const production = productions[index]!;
      if (gate !== undefined && !gate.open(production.name)) {
        gate.park(production.name, this.id, this.#wake); // its work waits for a slot, not for an enqueue
        continue;
      }
      if (!production.parkFor(this.#seats[index]!, this.#wake)) {
        gate?.unpark(this.id);
        // Work arrived in this one: withdraw from those that accepted, and take again.
        for (let before = 0; before < index; before++) productions[before]!.unparkFor(this.#seats[before]!);
        this.#again = true;
        return;
      }
    }
    this.#parked = true;
  }

  #unparkAll(): void {
    if (!this.#parked) return;
    this.#parked = false;
    for (let index = 0; index < this.productions.length; index++) this.productions[index]!.unparkFor(this.#seats[index]!);
    this.#host.gate?.unpark(this.id);
  }

  #begin(run: ActionRun): void {
    if (run.settled) return;
    this.#active++;
    this.#host.loadChanged(this);
    run.takenBy(this);
    this.#host.adopt(this, run);
    if (this.behavior === undefined) {
      run.actor.send({ type: 'START', site: this.id, at: this.#host.startTime(), noHooks: run.nothingBefore });
      return;
    }
    this.#host.userCode();
    this.#receive(run, this.behavior);
  }

  #receive(run: ActionRun, behavior: SiteBehavior): void {
    let redirect: string | null = null;
    const context: ReceiveContext = {
      site: this.id,
      life: this.#host.life,
      redirect: (queue) => {
        redirect = queue;
      },
      updateMetadata: (recipe) => {
        run.receiveMetadata(produce(run.metadata as Record<string, unknown>, recipe));
      },
    };
    const view: ReceivedAction = { id: run.id, name: run.name, content: run.content, metadata: run.metadata, priority: run.priority, queue: run.queue };
    // Named while it runs, so a shutdown that has to abandon it can say so.
    const working = { piece: 'site-behaviour', name: this.id } as const;
    const settled = (): void => {
      run.workEnded(working);
    };
    run.workStarted(working);
    const received = run.metadata;
    const proceed = (): void => {
      settled();
      if (run.site !== this) return; // settled (cancelled) while the behaviour ran
      if (redirect !== null) {
        this.release(run);
        this.#host.redirect(this, run, redirect);
        return;
      }
      // The action's snapshot shows what the behaviour changed (only then: no event otherwise).
      if (run.metadata !== received) run.actor.send({ type: 'RECEIVED', metadata: run.metadata, queue: run.queue, at: this.#host.now() });
      run.actor.send({ type: 'START', site: this.id, at: this.#host.now(), noHooks: run.nothingBefore });
    };
    let result: unknown;
    let thenable: boolean;
    try {
      result = behavior(view, context);
      // Reading `then` runs user code too (a getter, a Proxy trap): inside the same guard.
      thenable = (typeof result === 'object' || typeof result === 'function') && result !== null && typeof (result as { then?: unknown }).then === 'function';
    } catch (error) {
      settled();
      this.#crash(run, error);
      return;
    }
    if (!thenable) {
      proceed();
      return;
    }
    // A promise's resolve adopts the thenable and turns a `then` that throws into a rejection,
    // so no thenable, however hostile, can throw here or leave the Site waiting on its call.
    new Promise<void>((resolve) => resolve(result as PromiseLike<void>)).then(proceed, (error: unknown) => {
      settled();
      this.#crash(run, error);
    });
  }

  #crash(run: ActionRun, error: unknown): void {
    if (run.releasedBy(this)) {
      this.#active--;
      this.#host.loadChanged(this);
    }
    this.#crashed = true;
    this.#host.crashed(this, run, error);
  }
}
