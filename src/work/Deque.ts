/**
 * A double-ended queue on a growable ring buffer, with one number ("tag") kept
 * beside each item in a parallel `Float64Array`. Production uses the tag as the
 * item's enqueue ticket, so a stale copy of a discarded item can be told apart
 * from a live copy of the same item without a wrapper object per item.
 *
 * Every end operation is O(1) amortized; the buffer doubles when full and halves
 * when less than a quarter is used, so a burst does not pin memory for ever.
 * @internal
 */

const MIN_CAPACITY = 16;

/**
 * A ring-buffer deque of `T`, each item paired with a numeric tag.
 * @example
 * const deque = new Deque<string>();
 * deque.pushBack('b', 2);
 * deque.pushFront('a', 1);
 * deque.shift(); // 'a'
 */
export class Deque<T> {
  #items: (T | undefined)[];
  #tags: Float64Array;
  #mask: number;
  #head = 0;
  #length = 0;
  /** The capacity it never shrinks below (its initial one). */
  readonly #floor: number;

  /**
   * `initialCapacity` is also the floor it never shrinks below: a deque that is filled
   * with a batch and emptied again and again (a Site's local lane) keeps its buffer
   * instead of growing and halving it with every batch.
   */
  constructor(initialCapacity = MIN_CAPACITY) {
    let capacity = MIN_CAPACITY;
    while (capacity < initialCapacity) capacity *= 2;
    this.#items = [];
    this.#tags = new Float64Array(capacity);
    this.#mask = capacity - 1;
    this.#floor = capacity;
  }

  /** How many items the deque holds. */
  get length(): number {
    return this.#length;
  }

  /** Adds `item` at the back. */
  pushBack(item: T, tag = 0): void {
    if (this.#length > this.#mask) this.#resize((this.#mask + 1) * 2);
    const index = (this.#head + this.#length) & this.#mask;
    this.#items[index] = item;
    this.#tags[index] = tag;
    this.#length++;
  }

  /** Adds `item` at the front. */
  pushFront(item: T, tag = 0): void {
    if (this.#length > this.#mask) this.#resize((this.#mask + 1) * 2);
    // Writing at the far end of a short items array would make it sparse: pad it first.
    while (this.#items.length <= this.#mask) this.#items.push(undefined);
    this.#head = (this.#head - 1) & this.#mask;
    this.#items[this.#head] = item;
    this.#tags[this.#head] = tag;
    this.#length++;
  }

  /** The front item, or `undefined` when empty. */
  peekFront(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  /** The front item's tag (meaningless when empty). */
  frontTag(): number {
    return this.#tags[this.#head]!;
  }

  /** The back item, or `undefined` when empty. */
  peekBack(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[(this.#head + this.#length - 1) & this.#mask];
  }

  /** The back item's tag (meaningless when empty). */
  backTag(): number {
    return this.#tags[(this.#head + this.#length - 1) & this.#mask]!;
  }

  /** Removes and returns the front item. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined; // let the item be collected
    this.#head = (this.#head + 1) & this.#mask;
    this.#length--;
    this.#maybeShrink();
    return item;
  }

  /** Removes and returns the back item. */
  pop(): T | undefined {
    if (this.#length === 0) return undefined;
    const index = (this.#head + this.#length - 1) & this.#mask;
    const item = this.#items[index];
    this.#items[index] = undefined;
    this.#length--;
    this.#maybeShrink();
    return item;
  }

  /** The item at position `i` from the front (0-based), or `undefined` out of range. */
  at(i: number): T | undefined {
    return i >= 0 && i < this.#length ? this.#items[(this.#head + i) & this.#mask] : undefined;
  }

  /** The tag at position `i` from the front (meaningless out of range). */
  tagAt(i: number): number {
    return this.#tags[(this.#head + i) & this.#mask]!;
  }

  /** Removes front items while `drop` holds for them; returns how many were removed. */
  dropFrontWhile(drop: (item: T, tag: number) => boolean): number {
    let removed = 0;
    while (this.#length > 0 && drop(this.#items[this.#head] as T, this.#tags[this.#head]!)) {
      this.shift();
      removed++;
    }
    return removed;
  }

  /** How many items satisfy `test`. */
  count(test: (item: T, tag: number) => boolean): number {
    let count = 0;
    for (let i = 0; i < this.#length; i++) {
      const index = (this.#head + i) & this.#mask;
      if (test(this.#items[index] as T, this.#tags[index]!)) count++;
    }
    return count;
  }

  /** The highest tag held by a copy of `item` (SameValueZero), or 0 when none. */
  maxTagOf(item: T): number {
    let max = 0;
    for (let i = 0; i < this.#length; i++) {
      const index = (this.#head + i) & this.#mask;
      const other = this.#items[index];
      if (other === item || (other !== other && item !== item)) max = Math.max(max, this.#tags[index]!);
    }
    return max;
  }

  /** Keeps only the items for which `keep` holds, in order; returns how many were removed. */
  retain(keep: (item: T, tag: number) => boolean): number {
    const mask = this.#mask;
    const head = this.#head;
    let kept = 0;
    for (let i = 0; i < this.#length; i++) {
      const from = (head + i) & mask;
      const item = this.#items[from] as T;
      const tag = this.#tags[from]!;
      if (!keep(item, tag)) continue;
      const to = (head + kept) & mask;
      this.#items[to] = item;
      this.#tags[to] = tag;
      kept++;
    }
    for (let i = kept; i < this.#length; i++) this.#items[(head + i) & mask] = undefined;
    const removed = this.#length - kept;
    this.#length = kept;
    this.#maybeShrink();
    return removed;
  }

  /** Removes every item. */
  clear(): void {
    this.#items = [];
    this.#tags = new Float64Array(this.#floor);
    this.#mask = this.#floor - 1;
    this.#head = 0;
    this.#length = 0;
  }

  #maybeShrink(): void {
    const capacity = this.#mask + 1;
    if (capacity > this.#floor && this.#length * 4 < capacity) this.#resize(capacity / 2);
  }

  /**
   * The items array may be shorter than the capacity: slots past its end are filled
   * by appends (pushBack lands exactly at the end until the ring wraps), which keeps
   * growth to a memcpy of the tags and the array packed.
   */
  #resize(capacity: number): void {
    const head = this.#head;
    const end = Math.min(head + this.#length, this.#mask + 1);
    const wrapped = head + this.#length - end;
    if (head !== 0 || capacity < this.#items.length) {
      const items = this.#items.slice(head, end);
      this.#items = wrapped === 0 ? items : items.concat(this.#items.slice(0, wrapped));
    }
    const tags = new Float64Array(capacity);
    tags.set(this.#tags.subarray(head, end));
    tags.set(this.#tags.subarray(0, wrapped), end - head);
    this.#tags = tags;
    this.#mask = capacity - 1;
    this.#head = 0;
  }
}
