/**
 * A Production's options, declared once with their defaults, the checks that read them (naming
 * the option that is wrong), and the shape of its stats.
 * @internal
 */
import type { RandomSource } from '../clock.js';
import type { Priority } from '../../machines/actionConstants.js';
import type { TicketSlot } from './ticketBook.js';
import { invalid, withoutUndefined } from '../validate.js';

/** Options of a {@link Production}. */
export interface ProductionOptions {
  /** The queue's name, used in errors and stats. @default 'default' */
  readonly name?: string;
  /** Max live items (global + local). @default Infinity */
  readonly capacity?: number;
  /** How many items a Site moves from the global lanes to its local deque at once. @default 32 */
  readonly batchSize?: number;
  /** A non-empty lower lane passed over this many consecutive takes gets the next take (no starvation). @default 8 */
  readonly agingLimit?: number;
  /** Picks the first peer to steal from. @default Math.random */
  readonly random?: RandomSource;
  /**
   * Where each live item's ticket is kept: a field on the item (0 = not queued)
   * saves a hash insert and delete per item. An item may be live in one
   * Production at a time. @default a Map inside the Production
   */
  readonly ticket?: TicketSlot<unknown>;
}

/** A snapshot of a Production: live items per global lane and per Site, batch and steal counters. */
export interface ProductionStats {
  readonly size: number;
  readonly lanes: Record<Priority, number>;
  readonly local: Record<string, number>;
  readonly batches: number;
  readonly steals: number; // successful steals
  readonly stolenItems: number;
}

const defaultOptions = {
  name: 'default', capacity: Infinity, batchSize: 32, agingLimit: 8, random: Math.random,
  ticket: undefined as TicketSlot<unknown> | undefined,
} satisfies Record<keyof ProductionOptions, unknown>;

/** A Production's options over their defaults, each checked: a bad one is a TypeError naming it. */
export function readProductionOptions(options: ProductionOptions): Required<Omit<ProductionOptions, 'ticket'>> & Pick<ProductionOptions, 'ticket'> {
  const read = { ...defaultOptions, ...withoutUndefined(options) };
  const { name, capacity, batchSize, agingLimit, random } = read;
  expect('name', name, typeof name === 'string' && name !== '', 'a non-empty string');
  expect('capacity', capacity, typeof capacity === 'number' && capacity >= 1, 'a number >= 1');
  expect('capacity', capacity, Number.isInteger(capacity) || capacity === Infinity, 'an integer >= 1 or Infinity');
  expect('batchSize', batchSize, Number.isInteger(batchSize) && batchSize >= 1, 'an integer >= 1');
  expect('agingLimit', agingLimit, Number.isInteger(agingLimit) && agingLimit >= 1, 'an integer >= 1');
  expect('random', random, typeof random === 'function', 'a function');
  return read;
}

function expect(name: string, value: unknown, ok: boolean, expected: string): void {
  if (!ok) throw invalid(name, expected, value);
}
