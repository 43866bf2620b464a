/**
 * A table-engine actor's snapshot: the shape XState's snapshots share
 * (`value`, `status`, `context`, `output`, `matches`), made on demand and
 * cached until the actor's next step.
 * @internal
 */
import { matchesState, type StateValue } from 'xstate';

/** The snapshot shape shared with XState's (`value`, `status`, `context`, `output`). */
export interface TableSnapshot<TContext> {
  readonly value: StateValue;
  readonly status: 'active' | 'done' | 'stopped';
  readonly context: TContext;
  readonly output: unknown;
  readonly error: undefined;
  readonly children: Readonly<Record<string, never>>;
  matches(value: StateValue): boolean;
}

const EMPTY_CHILDREN: Readonly<Record<string, never>> = Object.freeze({});

/** The snapshot object a TableActor hands out. */
export class TableActorSnapshot<TContext> implements TableSnapshot<TContext> {
  readonly error = undefined;
  readonly children = EMPTY_CHILDREN;
  constructor(
    readonly value: StateValue,
    readonly status: 'active' | 'done' | 'stopped',
    readonly context: TContext,
    readonly output: unknown,
  ) {}
  matches(value: StateValue): boolean {
    return this.value === value || (typeof this.value !== 'string' && matchesState(value, this.value));
  }
  toJSON(): object {
    return { value: this.value, status: this.status, context: this.context, output: this.output };
  }
}
