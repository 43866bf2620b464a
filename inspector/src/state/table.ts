/**
 * An immutable map of actors that is cheap to change: keys are spread over 64
 * segments and a batch copies only the segments it touches, so one state change
 * among 100k actors copies ~1.5k entries instead of 100k. Every actor keeps the
 * `seq` of its arrival, which orders lists (newest first) and queues.
 */

const SEGMENTS = 64;

function segmentOf(key: string): number {
  // FNV-1a over the key: stable and fast enough for ids.
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % SEGMENTS;
}

/** One iterator over the segments' iterators (a generator with `yield*` is several times slower at 100k). */
function chain<S, T>(segments: readonly S[], open: (segment: S) => Iterator<T>): IterableIterator<T> {
  let index = 0;
  let current = open(segments[0]!);
  const done: IteratorResult<T> = { done: true, value: undefined };
  return {
    next(): IteratorResult<T> {
      for (;;) {
        const result = current.next();
        if (!result.done) return result;
        if (++index >= segments.length) return done;
        current = open(segments[index]!);
      }
    },
    [Symbol.iterator]() {
      return this;
    },
  };
}

export class ActorTable<V extends { key: string }> {
  readonly #segments: ReadonlyArray<ReadonlyMap<string, V>>;
  readonly size: number;

  private constructor(segments: ReadonlyArray<ReadonlyMap<string, V>>, size: number) {
    this.#segments = segments;
    this.size = size;
  }

  static empty<V extends { key: string }>(): ActorTable<V> {
    return new ActorTable<V>(Array.from({ length: SEGMENTS }, () => new Map<string, V>()), 0);
  }

  get(key: string): V | undefined {
    return this.#segments[segmentOf(key)]!.get(key);
  }

  has(key: string): boolean {
    return this.#segments[segmentOf(key)]!.has(key);
  }

  values(): IterableIterator<V> {
    return chain(this.#segments, (segment) => segment.values());
  }

  keys(): IterableIterator<string> {
    return chain(this.#segments, (segment) => segment.keys());
  }

  /** A draft for one batch of changes; `finish()` returns the new table (this one is unchanged). */
  edit(): ActorTableDraft<V> {
    return new ActorTableDraft(this.#segments, this.size, (segments, size) => new ActorTable(segments, size), false);
  }

  /**
   * A draft that changes this table's segments in place (nothing is copied); `finish()`
   * returns a new table object over them. Only for a table nobody reads again.
   */
  editInPlace(): ActorTableDraft<V> {
    return new ActorTableDraft(this.#segments, this.size, (segments, size) => new ActorTable(segments, size), true);
  }
}

export class ActorTableDraft<V extends { key: string }> {
  readonly #base: ReadonlyArray<ReadonlyMap<string, V>>;
  readonly #segments: Array<ReadonlyMap<string, V>>;
  readonly #copied = new Set<number>();
  readonly #make: (segments: ReadonlyArray<ReadonlyMap<string, V>>, size: number) => ActorTable<V>;
  size: number;

  readonly #inPlace: boolean;

  constructor(base: ReadonlyArray<ReadonlyMap<string, V>>, size: number, make: (segments: ReadonlyArray<ReadonlyMap<string, V>>, size: number) => ActorTable<V>, inPlace: boolean) {
    this.#base = base;
    this.#segments = [...base];
    this.size = size;
    this.#make = make;
    this.#inPlace = inPlace;
  }

  #writable(index: number): Map<string, V> {
    if (!this.#inPlace && !this.#copied.has(index)) {
      this.#segments[index] = new Map(this.#base[index]);
      this.#copied.add(index);
    }
    return this.#segments[index] as Map<string, V>;
  }

  get(key: string): V | undefined {
    return this.#segments[segmentOf(key)]!.get(key);
  }

  set(value: V): void {
    const segment = this.#writable(segmentOf(value.key));
    if (!segment.has(value.key)) this.size++;
    segment.set(value.key, value);
  }

  delete(key: string): boolean {
    const index = segmentOf(key);
    if (!this.#segments[index]!.has(key)) return false;
    this.#writable(index).delete(key);
    this.size--;
    return true;
  }

  values(): IterableIterator<V> {
    return chain(this.#segments, (segment) => segment.values());
  }

  finish(): ActorTable<V> {
    return this.#make(this.#segments, this.size);
  }
}
