/**
 * What the runs of one Plan entry assigned the same way share: its name and
 * definition, its resolved retry policy and hook chains, its timeouts, and the
 * priority and queue it was assigned with. Assignments without per-action
 * overrides resolve to the very same values (`resolvedFor` caches them per entry
 * and Life), so their runs hold one shared RunKind instead of ten fields each
 * (bytes per action are a goal of the bench: `bench/memory.ts`).
 * @internal
 */
import type { Priority } from '../../machines/actionTypes.js';
import type { ActionDefinition } from '../Plan.js';
import type { RetryPolicy } from '../retryPolicy.js';
import type { NamedHook } from './hooks.js';
import type { RunInit } from './runTypes.js';

/** How many kinds an entry keeps (the most recently made first): a few priorities and queues, mixed, each keep theirs. */
const KINDS_PER_ENTRY = 8;

export class RunKind {
  /** The Plan entry's name. */
  readonly name: string;
  readonly definition: ActionDefinition;
  readonly policy: RetryPolicy;
  readonly before: readonly NamedHook[];
  readonly after: readonly NamedHook[];
  readonly attemptTimeout: number | null;
  readonly totalTimeout: number | null;
  readonly cancelGrace: number;
  readonly priority: Priority;
  /** The queue it was assigned to (a Site behaviour may route a run elsewhere: `ActionRun.route`). */
  readonly queue: string;
  /** The kind made before it for the same entry, while the entry keeps it. */
  next: RunKind | null;

  constructor(init: RunInit, next: RunKind | null) {
    this.name = init.name;
    this.definition = init.definition;
    this.policy = init.policy;
    this.before = init.before;
    this.after = init.after;
    this.attemptTimeout = init.attemptTimeout;
    this.totalTimeout = init.totalTimeout;
    this.cancelGrace = init.cancelGrace;
    this.priority = init.priority;
    this.queue = init.queue;
    this.next = next;
  }

  /** Whether `init` resolves to exactly these values. */
  fits(init: RunInit): boolean {
    return (
      this.priority === init.priority &&
      this.queue === init.queue &&
      this.name === init.name &&
      this.policy === init.policy &&
      this.before === init.before &&
      this.after === init.after &&
      this.attemptTimeout === init.attemptTimeout &&
      this.totalTimeout === init.totalTimeout &&
      this.cancelGrace === init.cancelGrace
    );
  }
}

/** Per Plan entry, the kinds last made for it, newest first (a cache, like `resolvedFor`'s: the entry owns it, nothing else). */
const kinds = new WeakMap<ActionDefinition, RunKind>();

/** The shared kind of a run assigned as `init` (made anew when none of the entry's last kinds fits). */
export function kindOf(init: RunInit): RunKind {
  const first = kinds.get(init.definition) ?? null;
  let count = 0;
  let keptLast: RunKind | null = null;
  for (let kind = first; kind !== null; kind = kind.next) {
    if (kind.fits(init)) return kind;
    if (++count === KINDS_PER_ENTRY - 1) keptLast = kind;
  }
  if (keptLast !== null) keptLast.next = null; // the oldest goes (its runs keep it)
  const made = new RunKind(init, first);
  kinds.set(init.definition, made);
  return made;
}
