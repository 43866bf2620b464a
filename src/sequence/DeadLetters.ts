/**
 * The Sequence's dead letters (failed actions its store set aside with their
 * whole history): listed, redriven as new actions, and watched by the inspector.
 * @internal
 */
import type { ActionHandle } from '../action/ActionHandle.js';
import type { Clock } from '../clock.js';
import type { EncodedAction } from '../store/codec.js';
import type { Journal } from '../store/journal.js';
import type { DeadLetter, DeadLetterPage, DeadLetterQuery } from '../store/Store.js';

export class DeadLetters {
  readonly #journal: Journal | null;
  readonly #clock: Clock;
  /** Listeners of the dead-letter list (the inspector's), told when it may have changed. */
  readonly #listeners = new Set<() => void>();

  constructor(journal: Journal | null, clock: Clock) {
    this.#journal = journal;
    this.#clock = clock;
  }

  /** One page of the dead letters in the store; a TypeError without a store. */
  page(query?: DeadLetterQuery): DeadLetterPage {
    return this.#requireJournal('deadLetters').deadLetters(query);
  }

  /** Assigns the chosen dead letters again with `assign`; they leave the list. */
  redrive(selection: readonly string[] | ((dead: DeadLetter) => boolean), assign: (action: EncodedAction) => ActionHandle): ActionHandle[] {
    const journal = this.#requireJournal('redrive');
    const dead = journal.allDeadLetters();
    let chosen: DeadLetter[];
    if (typeof selection === 'function') chosen = dead.filter(selection);
    else if (Array.isArray(selection)) {
      const byId = new Map(dead.map((letter) => [letter.action.id, letter]));
      const unknown = selection.filter((id) => !byId.has(id));
      if (unknown.length > 0) throw new TypeError(`Expected ids of dead letters, got ${unknown.map((id) => JSON.stringify(id)).join(', ')}`);
      chosen = selection.map((id) => byId.get(id)!);
    } else throw new TypeError(`Expected \`redrive\` to take an array of ids or a filter function, got ${String(selection)} (${typeof selection})`);
    const handles = chosen.map(({ action }) => assign(action));
    journal.store.redriven(chosen.map((letter) => letter.action.id), this.#clock.now());
    this.changed();
    return handles;
  }

  /** Calls `listener` when the list may have changed; null without a store. */
  subscribe(listener: () => void): (() => void) | null {
    if (this.#journal === null) return null;
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The list may have changed (an action failed, a restore dead-lettered one, a redrive). */
  changed(): void {
    for (const listener of this.#listeners) listener();
  }

  #requireJournal(method: string): Journal {
    if (this.#journal === null) throw new TypeError(`\`${method}\` needs a store: new Sequence({ plan, store: sqliteStore('echo.db') })`);
    return this.#journal;
  }
}
