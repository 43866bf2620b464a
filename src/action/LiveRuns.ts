/**
 * The live runs of a Sequence: an insertion-ordered list linked through the runs
 * themselves, so adding and removing one costs no hashing. Lookups by id are
 * rare (a control command, `get`, `again`): the first one builds an id index,
 * which is kept up to date while lookups go on and dropped once none came for a
 * while, so a busy Sequence that nobody queries by id pays nothing for it.
 * @internal
 */

/** What a run carries to be listed (see `ActionRun`). */
export interface LiveLinked<T> {
  readonly id: string;
  livePrev: T | null;
  liveNext: T | null;
}

/** Changes after the last lookup before the index is dropped: twice the live count, at least this many. */
const INDEX_MIN_LIFETIME = 1024;

export class LiveRuns<T extends LiveLinked<T>> {
  #head: T | null = null;
  #tail: T | null = null;
  #size = 0;
  #index: Map<string, T> | null = null;
  #changesSinceLookup = 0;

  get size(): number {
    return this.#size;
  }

  add(run: T): void {
    run.livePrev = this.#tail;
    run.liveNext = null;
    if (this.#tail === null) this.#head = run;
    else this.#tail.liveNext = run;
    this.#tail = run;
    this.#size++;
    this.#noteChange();
    this.#index?.set(run.id, run);
  }

  /** Removes `run` (a run not listed is ignored). */
  delete(run: T): void {
    if (run.livePrev === null && this.#head !== run) return;
    const { livePrev: prev, liveNext: next } = run;
    if (prev === null) this.#head = next;
    else prev.liveNext = next;
    if (next === null) this.#tail = prev;
    else next.livePrev = prev;
    run.livePrev = null;
    run.liveNext = null;
    this.#size--;
    this.#noteChange();
    this.#index?.delete(run.id);
  }

  get(id: string): T | undefined {
    this.#changesSinceLookup = 0;
    if (this.#index === null) {
      this.#index = new Map();
      for (let run = this.#head; run !== null; run = run.liveNext) this.#index.set(run.id, run);
    }
    return this.#index.get(id);
  }

  /** The runs in the order they were added; removing the current one while iterating is safe. */
  *values(): IterableIterator<T> {
    for (let run = this.#head; run !== null; ) {
      const next = run.liveNext;
      yield run;
      run = next;
    }
  }

  /** Drops the index once no lookup came for a while. */
  #noteChange(): void {
    if (this.#index !== null && ++this.#changesSinceLookup > Math.max(INDEX_MIN_LIFETIME, 2 * this.#size)) this.#index = null;
  }
}
