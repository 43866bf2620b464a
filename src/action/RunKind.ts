/**
 * What the runs of one Plan entry assigned the same way share: its name and definition,
 * its resolved retry policy and hook chains, and its timeouts. Assignments
 * without per-action overrides resolve to the very same values (`resolvedFor`
 * caches them per entry and Life), so their runs hold one shared RunKind instead
 * of eight fields each (bytes per action are a goal of the bench: `bench/memory.ts`).
 * @internal
 */
import type { ActionDefinition } from '../Plan.js';
import type { RetryPolicy } from '../retryPolicy.js';
import type { NamedHook } from './hooks.js';
import type { RunInit } from './runTypes.js';

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

  constructor(init: RunInit) {
    this.name = init.name;
    this.definition = init.definition;
    this.policy = init.policy;
    this.before = init.before;
    this.after = init.after;
    this.attemptTimeout = init.attemptTimeout;
    this.totalTimeout = init.totalTimeout;
    this.cancelGrace = init.cancelGrace;
  }

  /** Whether `init` resolves to exactly these values. */
  fits(init: RunInit): boolean {
    return (
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

/** Per Plan entry, the kind last made for it (a cache, like `resolvedFor`'s: the entry owns it, nothing else). */
const lastKind = new WeakMap<ActionDefinition, RunKind>();

/** The shared kind of a run assigned as `init` (made anew when its values differ from the entry's last one). */
export function kindOf(init: RunInit): RunKind {
  const last = lastKind.get(init.definition);
  if (last !== undefined && last.fits(init)) return last;
  const made = new RunKind(init);
  lastKind.set(init.definition, made);
  return made;
}
