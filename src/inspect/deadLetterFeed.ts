/**
 * A durable runtime's dead letters as wire messages: read from the target when they
 * may have changed, at most once per `interval` ms (reading them is a store query),
 * as one page: the newest `max` of them, sent whole with their total (never the
 * whole list: a store may hold millions). Only while someone listens.
 * @internal
 */
import type { Clock } from '../clock.js';
import type { DeadLetter } from '../store/Store.js';
import type { DeadLettersMessage, Json, WireAttempt, WireDeadLetter, WireError } from './protocol.js';
import { sanitize, type SanitizeOptions } from './sanitize.js';
import type { InspectorTarget } from './target.js';

/** Bounds of a dead-letter feed. */
export interface DeadLetterFeedOptions {
  readonly clock: Clock;
  /** Least time between two reads of the dead letters, ms. */
  readonly interval: number;
  /** Dead letters sent at most (the newest). */
  readonly max: number;
  readonly limits: Required<SanitizeOptions>;
}

export interface DeadLetterFeed {
  /** The current dead letters, for a viewer that joins now (null: the target keeps none). */
  current(): DeadLettersMessage | null;
  subscribe(listener: (message: DeadLettersMessage) => void): () => void;
  dispose(): void;
}

/** The wire form of one dead letter (user values and errors sanitized like any context). */
export function toWireDeadLetter(letter: DeadLetter, limits: Required<SanitizeOptions>): WireDeadLetter {
  const { action, result } = letter;
  const wire: WireDeadLetter = {
    id: action.id,
    name: action.name,
    queue: action.queue,
    deadAt: letter.deadAt,
    content: sanitize(action.content, limits),
    error: sanitize(result.error, limits) as unknown as WireError | null,
    attempts: sanitize(result.attempts, limits) as unknown as WireAttempt[],
  };
  const redriveOf = (action.provenance as { redriveOf?: Json } | undefined)?.redriveOf;
  if (typeof redriveOf === 'string') wire.redriveOf = redriveOf;
  return wire;
}

/** A feed of `target`'s dead letters; null when the target keeps none. */
export function createDeadLetterFeed(source: string, target: Pick<InspectorTarget, 'subscribeDeadLetters' | 'deadLetters'>, options: DeadLetterFeedOptions): DeadLetterFeed | null {
  const listeners = new Set<(message: DeadLettersMessage) => void>();
  let latest: DeadLettersMessage | null = null;
  let dirty = true;
  let readAt = -Infinity;
  let timer: unknown = null;
  const { clock } = options;

  const read = (): DeadLettersMessage => {
    dirty = false;
    readAt = clock.now();
    const page = target.deadLetters?.({ limit: options.max, newestFirst: true });
    // The page is newest first; the message lists them oldest first.
    const letters = (page?.letters ?? []).map((letter) => toWireDeadLetter(letter, options.limits)).reverse();
    latest = { type: 'dead-letters', source, at: readAt, letters, total: page?.total ?? 0 };
    return latest;
  };
  const publish = (): void => {
    timer = null;
    if (!dirty || listeners.size === 0) return;
    const message = read();
    for (const listener of listeners) listener(message);
  };
  const changed = (): void => {
    dirty = true;
    if (listeners.size === 0 || timer !== null) return;
    timer = clock.setTimeout(publish, Math.max(0, readAt + options.interval - clock.now()));
  };
  const unsubscribe = target.subscribeDeadLetters?.(changed) ?? null;
  if (unsubscribe === null) return null;
  return {
    current: () => (dirty || latest === null ? read() : latest),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      unsubscribe();
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      listeners.clear();
    },
  };
}
