/**
 * The named Productions of a Sequence (the seed's Karma) and what overflows
 * them: an action that finds its queue full (a retry, a delayed start, or an
 * assignment with `overflow: 'wait'`) waits here, in order, and is admitted as
 * soon as the Production has room. Nothing is dropped.
 * @internal
 */
import type { ActionRun } from '../action/ActionRun.js';
import type { RandomSource } from '../clock.js';
import { Production, type ProductionOptions, type ProductionStats } from './Production.js';
import type { TicketSlot } from './ticketBook.js';

/** Production tickets live on the runs themselves: no hashing per queued action. */
const RUN_TICKET: TicketSlot<ActionRun> = {
  get: (run) => run.productionTicket,
  set: (run, ticket) => {
    run.productionTicket = ticket;
  },
};

export class Queues {
  readonly productions = new Map<string, Production<ActionRun>>();
  /** Queue names at least one Site serves. */
  readonly served: ReadonlySet<string>;
  readonly #overflow = new Map<string, ActionRun[]>();
  /** Whether any action ever waited in line behind a full queue (until then enqueue skips the line). */
  #overflowed = false;
  readonly #report: (error: unknown) => void;

  constructor(
    queues: Readonly<Record<string, Omit<ProductionOptions, 'name' | 'random'>>>,
    served: Iterable<string>,
    random: RandomSource,
    report: (error: unknown) => void,
  ) {
    for (const [name, options] of Object.entries(queues)) {
      this.productions.set(name, new Production<ActionRun>({ ...options, name, random, ticket: RUN_TICKET as TicketSlot<unknown> }));
    }
    this.served = new Set(served);
    this.#report = report;
  }

  /** Actions waiting for room in `queue`. */
  waiting(queue: string): number {
    return this.#overflow.get(queue)?.length ?? 0;
  }

  /** True when `queue` exists and a Site serves it. */
  routable(queue: string): boolean {
    return this.productions.has(queue) && this.served.has(queue);
  }

  /** Puts `run` in its queue, or in line behind the queue when it is full. */
  enqueue(run: ActionRun): void {
    const production = this.productions.get(run.queue)!;
    // Until a queue first overflowed no line exists: skip looking one up.
    const waiting = this.#overflowed ? this.#overflow.get(run.queue) : undefined;
    if ((waiting === undefined || waiting.length === 0) && production.tryEnqueue(run, run.priority)) return;
    this.#overflowed = true;
    if (waiting === undefined) this.#overflow.set(run.queue, [run]);
    else waiting.push(run);
    if (waiting === undefined || waiting.length === 1) this.#admitWhenSpace(run.queue, production);
  }

  /** Takes a settled run out of its queue (lazily; it is skipped when met). */
  discard(run: ActionRun): void {
    this.productions.get(run.queue)?.discard(run);
  }

  stats(): Record<string, ProductionStats> {
    const stats: Record<string, ProductionStats> = {};
    for (const [name, production] of this.productions) stats[name] = production.stats();
    return stats;
  }

  #admitWhenSpace(queue: string, production: Production<ActionRun>): void {
    production.whenSpace().then(() => {
      const waiting = this.#overflow.get(queue) ?? [];
      while (waiting.length > 0 && !production.isFull) {
        const next = waiting.shift()!;
        if (!next.settled) production.enqueue(next, next.priority);
      }
      if (waiting.length > 0) this.#admitWhenSpace(queue, production);
    }, this.#report);
  }
}
