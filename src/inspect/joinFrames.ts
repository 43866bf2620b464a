/**
 * A joining viewer's actor frames: a `full` frame, then `delta`s that add the
 * rest, at most `chunk` actors each, read as each frame is asked for (a joining
 * viewer costs one chunk of memory at a time).
 * @internal
 */
import type { Clock } from '../clock.js';
import { materialize, type Entry } from './entry.js';
import type { SourceMessage, SourceStats, WireActor } from './protocol.js';
import type { SanitizeOptions } from './sanitize.js';

/** The current actors of `entries` in frames of at most `chunk`; a frame's actors are the entries' own records. */
export function* actorFrames(
  source: string,
  entries: Map<string, Entry>,
  chunk: number,
  limits: Required<SanitizeOptions>,
  clock: Clock,
  stats: () => SourceStats,
): Generator<SourceMessage> {
  let batch: WireActor[] = [];
  let first = true;
  const frame = (): SourceMessage =>
    first
      ? { type: 'full', source, at: clock.now(), actors: batch, stats: stats() }
      : { type: 'delta', source, at: clock.now(), ops: batch.map((actor) => ({ op: 'add', actor })), stats: stats() };
  // A Map iterates live: actors evicted meanwhile are skipped, new ones come at the end.
  for (const entry of entries.values()) {
    batch.push(materialize(entry, limits));
    if (batch.length < chunk) continue;
    yield frame();
    first = false;
    batch = [];
  }
  if (first || batch.length > 0) yield frame();
}
