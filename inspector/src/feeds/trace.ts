/**
 * The recorded feed: a trace file replayed through the same reducer, with a
 * scrubber. A trace opens at its start: step 0 is the recorded starting state
 * (the leading `hello`/`sources`/`machine`/`full` messages a recording or a
 * joining viewer begins with), step N the state after N more messages. States
 * are checkpointed every few hundred messages so seeking backwards does not
 * replay the whole trace.
 */
import type { Trace } from '../../../src/inspect/protocol.js';
import { initialState, reduce, type AppState, type Limits } from '../state/model.js';
import type { Feed } from './feed.js';

export interface TracePlayer extends Feed {
  /** Steps: 1 (the starting state) + the messages after it. */
  readonly length: number;
  readonly startedAt: number;
  /** Wall-clock time of step `step`. */
  timeAt(step: number): number;
  /** Shows the state at step `step` (0 is the recorded starting state). */
  seek(step: number): void;
  readonly position: number;
}

const CHECKPOINT_EVERY = 256;
const STARTING_TYPES = new Set(['hello', 'sources', 'machine', 'full']);

/** Index of the last entry of the recorded starting state (-1 for a trace without one). */
export function startingIndex(trace: Trace): number {
  let index = -1;
  while (index + 1 < trace.entries.length && STARTING_TYPES.has(trace.entries[index + 1]!.m.type)) index++;
  return index;
}

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
  const start = startingIndex(trace);
  const steps = trace.entries.length - start;
  const checkpoints: Array<{ index: number; state: AppState }> = [{ index: -1, state: base }];
  let dispatch: Parameters<Feed['start']>[0] = () => undefined;
  let index = -1;
  let current = base;

  const checkpointBefore = (target: number): { index: number; state: AppState } => {
    // Extend checkpoints lazily up to `target`.
    let last = checkpoints.at(-1)!;
    while (last.index + CHECKPOINT_EVERY <= target) {
      last = { index: last.index + CHECKPOINT_EVERY, state: stateAtIndex(trace, last.index + CHECKPOINT_EVERY, last) };
      checkpoints.push(last);
    }
    let best = checkpoints[0]!;
    for (const checkpoint of checkpoints) if (checkpoint.index <= target) best = checkpoint;
    return best;
  };
  const entryTime = (i: number): number => trace.entries[Math.max(0, Math.min(i, trace.entries.length - 1))]?.t ?? trace.header.startedAt;

  return {
    kind: 'trace',
    length: steps,
    startedAt: trace.header.startedAt,
    get position() {
      return index - start;
    },
    timeAt: (step) => (trace.entries.length === 0 ? trace.header.startedAt : entryTime(start + Math.max(0, Math.min(step, steps - 1)))),
    start(next) {
      dispatch = next;
      this.seek(0);
    },
    seek(step) {
      const target = start + Math.max(0, Math.min(step, steps - 1));
      const from = target >= index && index >= 0 ? { index, state: current } : checkpointBefore(target);
      current = stateAtIndex(trace, target, from);
      index = target;
      dispatch({ type: 'replace', state: current });
    },
    control: () => null,
    onMessage: () => () => undefined,
    stop() {
      dispatch = () => undefined;
    },
  };
}
