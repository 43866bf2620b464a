/**
 * The in-memory Store: the same contract as the SQLite one, nothing survives the
 * process. For tests and for Sequences that want results by id and dead letters
 * without a file.
 * @example
 * const sequence = new Sequence({ plan, store: memoryStore() });
 */
import type { AttemptRecord } from '../../machines/actionTypes.js';
import type { ActivityContext } from '../action/ActionActivity.js';
import type { EncodedAction, EncodedResult } from './codec.js';
import type { DeadLetter, DeadLetterPage, DeadLetterQuery, RetentionOptions, Store, StoredByKey, StoredLiveAction, StoredSchedule } from './Store.js';
import { resolveDeadLetterQuery, StoreError } from './Store.js';

interface Row {
  /** Its place in assignment order (the dead letters' page cursor). */
  readonly seq: number;
  readonly action: EncodedAction;
  activity: ActivityContext | null;
  attempts: readonly AttemptRecord[];
  retryAt: number | null;
  state: 'live' | 'settled' | 'dead' | 'redriven';
  result: EncodedResult | undefined;
  settledAt: number | null;
}

class MemoryStore implements Store {
  readonly durable = false;
  readonly session = 1;
  readonly #rows = new Map<string, Row>();
  readonly #byKey = new Map<string, string>();
  readonly #schedules = new Map<string, StoredSchedule>();
  #seq = 0;
  #closed = false;

  live(): StoredLiveAction[] {
    const live: StoredLiveAction[] = [];
    for (const row of this.#rows.values()) if (row.state === 'live') live.push({ action: row.action, attempts: row.attempts, retryAt: row.retryAt, activity: row.activity });
    return live;
  }

  assigned(action: EncodedAction): void {
    this.#open();
    this.#rows.set(action.id, { seq: ++this.#seq, action, activity: null, attempts: [], retryAt: null, state: 'live', result: undefined, settledAt: null });
    if (action.idempotencyKey !== null) this.#byKey.set(action.idempotencyKey, action.id);
  }

  attemptStarted(id: string, attempts: readonly AttemptRecord[]): void {
    this.#update(id, (row) => {
      row.attempts = attempts;
      row.retryAt = null;
    });
  }

  attemptEnded(id: string, attempts: readonly AttemptRecord[]): void {
    this.#update(id, (row) => (row.attempts = attempts));
  }

  backoffChosen(id: string, attempts: readonly AttemptRecord[], retryAt: number): void {
    this.#update(id, (row) => {
      row.attempts = attempts;
      row.retryAt = retryAt;
    });
  }

  activityChanged(id: string, activity: ActivityContext): void {
    this.#update(id, (row) => (row.activity = activity));
  }

  settled(result: EncodedResult): void {
    this.#finish(result, 'settled', result.settledAt);
  }

  deadLettered(result: EncodedResult, at: number): void {
    this.#finish(result, 'dead', at);
  }

  redriven(ids: readonly string[]): void {
    for (const id of ids) this.#update(id, (row) => row.state === 'dead' && (row.state = 'redriven'));
  }

  result(id: string): EncodedResult | undefined {
    return this.#rows.get(id)?.result;
  }

  byIdempotencyKey(key: string): StoredByKey | undefined {
    const id = this.#byKey.get(key);
    const row = id === undefined ? undefined : this.#rows.get(id);
    return row === undefined ? undefined : { id: row.action.id, action: row.action, result: row.result };
  }

  deadLetters(query?: DeadLetterQuery): DeadLetterPage {
    const { limit, after, newestFirst } = resolveDeadLetterQuery(query);
    const dead = [...this.#rows.values()].filter((row) => row.state === 'dead');
    if (newestFirst) dead.reverse();
    const start = after === null ? 0 : dead.findIndex((row) => (newestFirst ? row.seq < after : row.seq > after));
    const page = start === -1 ? [] : dead.slice(start, start + limit);
    const more = start !== -1 && start + limit < dead.length;
    const letters = page.map((row): DeadLetter => ({ action: row.action, result: row.result!, deadAt: row.settledAt! }));
    return { letters, next: more ? String(page[page.length - 1]!.seq) : null, total: dead.length };
  }

  prune(retention: RetentionOptions, now: number): number {
    const maxAge = retention.maxAge ?? Infinity;
    const maxCount = retention.maxCount ?? Infinity;
    const settled = [...this.#rows.values()].filter((row) => row.state === 'settled' || row.state === 'redriven').sort((a, b) => b.settledAt! - a.settledAt!);
    let dropped = 0;
    settled.forEach((row, index) => {
      if (index >= maxCount || now - row.settledAt! > maxAge) {
        this.#rows.delete(row.action.id);
        if (row.action.idempotencyKey !== null && this.#byKey.get(row.action.idempotencyKey) === row.action.id) this.#byKey.delete(row.action.idempotencyKey);
        dropped++;
      }
    });
    return dropped;
  }

  scheduleSaved(state: StoredSchedule): void {
    this.#open();
    this.#schedules.set(state.id, state);
  }

  scheduleRemoved(id: string): void {
    this.#open();
    this.#schedules.delete(id);
  }

  schedules(): StoredSchedule[] {
    return [...this.#schedules.values()];
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {
    this.#closed = true;
  }

  #finish(result: EncodedResult, state: 'settled' | 'dead', at: number): void {
    this.#update(result.id, (row) => {
      row.state = state;
      row.result = result;
      row.attempts = result.attempts;
      row.retryAt = null;
      row.settledAt = at;
    });
  }

  #update(id: string, change: (row: Row) => unknown): void {
    this.#open();
    const row = this.#rows.get(id);
    if (row !== undefined) change(row);
  }

  #open(): void {
    if (this.#closed) throw new StoreError('The in-memory store is closed', { code: 'closed', file: ':memory:' });
  }
}

/**
 * Creates an in-memory Store.
 * @example
 * const store = memoryStore();
 */
export function memoryStore(): Store {
  return new MemoryStore();
}
