/**
 * The inspector app's state as it follows a real Sequence: the adapter's full state
 * first, then every message it streams, reduced by the app's own model.
 */
import type { Clock } from '../../src/clock.js';
import { createInspectionAdapter } from '../../src/inspect/adapter.js';
import type { AnySequence } from '../../src/Sequence.js';
import { initialState, reduce, type AppState } from '../../inspector/src/state/model.js';

export interface InspectorApp {
  /** The app's state now. */
  readonly state: AppState;
  dispose(): void;
}

/** Follows `sequence` as the inspector app does, on `clock` (flushing every 10 ms). */
export function followInApp(sequence: AnySequence, clock: Clock): InspectorApp {
  const adapter = createInspectionAdapter(sequence.id, sequence, { clock, flushInterval: 10 });
  let state: AppState = reduce(initialState(), {
    type: 'receive',
    messages: [{ type: 'sources', sources: [{ id: sequence.id, name: sequence.name, kind: 'echo', controllable: true, connected: true }] }, ...adapter.machines(), adapter.fullState()],
    receivedAt: 0,
  });
  adapter.subscribe((message) => {
    state = reduce(state, { type: 'receive', messages: [message], receivedAt: clock.now() });
  });
  return {
    get state() {
      return state;
    },
    dispose: () => adapter.dispose(),
  };
}
