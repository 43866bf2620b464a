/**
 * The phases of one action's user code (its before-hooks, each attempt, its
 * after-hooks), one at a time: a token per phase, so a late answer of an
 * abandoned phase is ignored, and the AbortSignal of the phase that runs now,
 * made only when user code reads it. `ActionRun` is one (the same object: a run
 * costs no extra allocation for it).
 * @internal
 */
/** A run's abort state, made when its signal is first read or a phase is first aborted. */
interface AbortState {
  controller: AbortController | null;
  /** The current phase's abort reason (undefined: not aborted). */
  reason: unknown;
  /** The last phase that was aborted, and why: a function that reads its signal late still learns the real reason. */
  aborted: { readonly phase: number; readonly reason: unknown } | null;
}

export class PhaseSignal {
  #phase = 0;
  /** Null until the first signal read or abort: a run whose code never looks costs one slot. */
  #abort: AbortState | null = null;

  /** Starts a new phase (hooks or an attempt): earlier phases' late answers are ignored from now on. */
  beginPhase(): number {
    const state = this.#abort;
    if (state !== null) {
      state.controller = null;
      state.reason = undefined;
    }
    return ++this.#phase;
  }

  /** True while `token` is the current phase. */
  isPhase(token: number): boolean {
    return token === this.#phase;
  }

  /** Abandons the current phase: its late answer will be ignored. */
  endPhase(): void {
    this.#phase++;
  }

  #state(): AbortState {
    return (this.#abort ??= { controller: null, reason: undefined, aborted: null });
  }

  /** The current phase's signal, made on first use (a function that never reads it costs no AbortController). */
  signal(): AbortSignal {
    const state = this.#state();
    if (state.controller === null) {
      state.controller = new AbortController();
      if (state.reason !== undefined) state.controller.abort(state.reason);
    }
    return state.controller.signal;
  }

  /** Aborts the current phase's signal with `reason` (the first reason stays). */
  abort(reason: unknown): void {
    const state = this.#state();
    if (state.reason !== undefined) return;
    state.reason = reason;
    state.aborted = { phase: this.#phase, reason };
    state.controller?.abort(reason);
  }

  /** Why phase `token` was aborted, or undefined when it was not (or is too old to tell). */
  abortReasonOf(token: number): unknown {
    const aborted = this.#abort?.aborted;
    return aborted?.phase === token ? aborted.reason : undefined;
  }
}
