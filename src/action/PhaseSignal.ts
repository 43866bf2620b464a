/**
 * The phases of one action's user code (its before-hooks, each attempt, its
 * after-hooks), one at a time: a token per phase, so a late answer of an
 * abandoned phase is ignored, and the AbortSignal of the phase that runs now,
 * made only when user code reads it. `ActionRun` is one (the same object: a run
 * costs no extra allocation for it).
 * @internal
 */
export class PhaseSignal {
  #phase = 0;
  #controller: AbortController | null = null;
  #abortReason: unknown = undefined;
  /** The last phase that was aborted, and why: a function that reads its signal late still learns the real reason. */
  #aborted: { readonly phase: number; readonly reason: unknown } | null = null;

  /** Starts a new phase (hooks or an attempt): earlier phases' late answers are ignored from now on. */
  beginPhase(): number {
    this.#controller = null;
    this.#abortReason = undefined;
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

  /** The current phase's signal, made on first use (a function that never reads it costs no AbortController). */
  signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#abortReason !== undefined) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  /** Aborts the current phase's signal with `reason` (the first reason stays). */
  abort(reason: unknown): void {
    if (this.#abortReason !== undefined) return;
    this.#abortReason = reason;
    this.#aborted = { phase: this.#phase, reason };
    this.#controller?.abort(reason);
  }

  /** Why phase `token` was aborted, or undefined when it was not (or is too old to tell). */
  abortReasonOf(token: number): unknown {
    return this.#aborted?.phase === token ? this.#aborted.reason : undefined;
  }
}
