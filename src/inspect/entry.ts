/**
 * The adapter's record of one actor: its wire form, and its raw context diffed
 * lazily (top-level keys by reference; contexts are immutable) and sanitized
 * only when a flush or a reader needs it.
 * @internal
 */
import { isRecord, markKey, type Pending } from './deltaOps.js';
import type { Json, WireActor } from './protocol.js';
import { sanitize, type SanitizeOptions } from './sanitize.js';
import type { PullableRef } from './target.js';

export interface Entry {
  actor: WireActor;
  /** The last raw context: top-level keys are diffed by reference (contexts are immutable in XState). */
  raw: unknown;
  /** Keys of `raw` not yet sanitized into `actor.context` (sanitizing waits for a flush or a reader). */
  stale: Set<string> | 'whole' | null;
  /** The newest raw context, not yet diffed against `raw` (diffing waits for a flush or a reader too). */
  latest: unknown;
  /** What changed since the last flush, while the entry is in `pending`. */
  change: Pending | null;
  /** A pulled actor that changed since it was last read (read at the next flush). */
  pulled: PullableRef | null;
  /** The adapter that made it (an actor's `pullSlot` may hold an entry of an earlier adapter). */
  readonly owner: object;
  /** No longer in `entries` (an old finished actor, evicted). */
  evicted: boolean;
}

/** Notes which top-level keys changed; sanitizing them waits for `materialize` (once per flush, not per snapshot). */
function diffContext(entry: Entry, raw: unknown, change: Pending | null): void {
  const before = entry.raw;
  entry.raw = raw;
  if (!isRecord(raw) || !isRecord(before) || entry.stale === 'whole' || !isRecord(entry.actor.context)) {
    entry.stale = 'whole';
    if (change) change.whole = true;
    return;
  }
  let stale = entry.stale;
  for (const key of Object.keys(raw)) {
    if (raw[key] === before[key]) continue;
    (stale ??= new Set()).add(key);
    if (change) markKey(change, key);
  }
  for (const key of Object.keys(before)) {
    if (key in raw) continue;
    (stale ??= new Set()).add(key);
    if (change) markKey(change, key);
  }
  entry.stale = stale;
}

/** Brings `actor.context` up to date with the newest raw context, noting changed keys in `change`. */
export function materialize(entry: Entry, limits: Required<SanitizeOptions>, change: Pending | null = null): WireActor {
  if (entry.latest !== entry.raw) diffContext(entry, entry.latest, change);
  const stale = entry.stale;
  if (stale === null) return entry.actor;
  entry.stale = null;
  const raw = entry.raw;
  if (stale === 'whole' || !isRecord(raw) || !isRecord(entry.actor.context)) {
    entry.actor.context = sanitize(raw, limits);
    return entry.actor;
  }
  const next: Record<string, Json> = { ...entry.actor.context };
  for (const key of stale) {
    if (key in raw) next[key] = sanitize(raw[key], limits);
    else delete next[key];
  }
  entry.actor.context = next;
  return entry.actor;
}
