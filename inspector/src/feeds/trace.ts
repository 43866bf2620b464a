/**
 * The recorded feed: a trace file replayed through the same reducer, with a
 * scrubber. States are checkpointed every few hundred messages so seeking
 * backwards does not replay the whole trace.
 */
import type { Trace } from '../../../src/inspect/protocol.js';
import { initialState, reduce, type AppState, type Limits } from '../state/model.js';
import type { Feed } from './feed.js';

export interface TracePlayer extends Feed {
  readonly length: number;
  readonly startedAt: number;
  /** Wall-clock time of entry `index`. */
  timeAt(index: number): number;
  /** Shows the state after entry `index` (inclusive). */
  seek(index: number): void;
  readonly position: number;
}

const CHECKPOINT_EVERY = 256;

/** The app state after entries `0..index` of a trace (pure; used by the player and by tests). */
export function stateAtIndex(trace: Trace, index: number, from: { index: number; state: AppState } = { index: -1, state: initialState() }): AppState {
  let state = from.state;
  for (let i = from.index + 1; i <= index && i < trace.entries.length; i++) {
    const entry = trace.entries[i]!;
    state = reduce(state, { type: 'receive', messages: [entry.m], receivedAt: entry.t });
  }
  return state;
}

export function createTracePlayer(trace: Trace, limits: Partial<Limits> = {}): TracePlayer {
  const base: AppState = { ...initialState(limits), connection: 'trace' };
  const checkpoints: Array<{ index: number; state: AppState }> = [{ index: -1, state: base }];
  let dispatch: Parameters<Feed['start']>[0] = () => undefined;
  let position = -1;
  let current = base;

  const checkpointBefore = (index: number): { index: number; state: AppState } => {
    // Extend checkpoints lazily up to `index`.
    let last = checkpoints.at(-1)!;
    while (last.index + CHECKPOINT_EVERY <= index) {
      last = { index: last.index + CHECKPOINT_EVERY, state: stateAtIndex(trace, last.index + CHECKPOINT_EVERY, last) };
      checkpoints.push(last);
    }
    let best = checkpoints[0]!;
    for (const checkpoint of checkpoints) if (checkpoint.index <= index) best = checkpoint;
    return best;
  };

  return {
    kind: 'trace',
    length: trace.entries.length,
    startedAt: trace.header.startedAt,
    get position() {
      return position;
    },
    timeAt: (index) => trace.entries[Math.max(0, Math.min(index, trace.entries.length - 1))]?.t ?? trace.header.startedAt,
    start(next) {
      dispatch = next;
      this.seek(trace.entries.length - 1);
    },
    seek(index) {
      const target = Math.max(-1, Math.min(index, trace.entries.length - 1));
      const from = target >= position && position >= 0 ? { index: position, state: current } : checkpointBefore(target);
      const reduced = stateAtIndex(trace, target, from);
      current = reduced;
      position = target;
      dispatch({ type: 'replace', state: reduced });
    },
    control: () => null,
    onMessage: () => () => undefined,
    stop() {
      dispatch = () => undefined;
    },
  };
}
