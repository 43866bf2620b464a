/**
 * One phase of an action's user code (its before-hooks, an attempt, its
 * after-hooks), owned by the invocation of the state it runs in: its answers go to
 * that invocation's receiver, and once the invocation stopped (the state was left)
 * there is none, so a late answer is dropped. It also holds the phase's
 * AbortSignal, made only when user code reads it.
 * @internal
 */
import type { ActionEvent } from '../../machines/actionTypes.js';
import type { InvocationHandle, InvocationReceiver, InvocationScope } from '../../machines/positional.js';

/** Where a phase answers: the invocation that owns it. */
export type PhaseReceiver = InvocationReceiver<ActionEvent>;

export class Phase implements InvocationHandle {
  /** The invocation it answers to; null once none owns it (its late answers are dropped). */
  receiver: PhaseReceiver | null;
  /** Its AbortController once its signal was read, or why it was aborted before that (undefined: neither). */
  #abort: AbortController | { readonly reason: unknown } | undefined = undefined;

  /** Made during its invocation's start: it holds the invocation's receiver with itself as the fence (its `end()` drops late answers). */
  constructor(scope: InvocationScope<ActionEvent>) {
    // The field exists before `this` is handed to `hold` (which keeps it as the fence), so every phase has one shape.
    this.receiver = null;
    this.receiver = scope.hold(this);
  }

  /** True once no invocation owns it. */
  get over(): boolean {
    return this.receiver === null;
  }

  /** Its invocation stopped (XState's callback cleanup): a late answer is dropped from now on. */
  end(): void {
    this.receiver = null;
  }

  /** Sends `event` to its invocation, unless it is over. */
  answer(event: ActionEvent): void {
    this.receiver?.send(event);
  }

  /**
   * Its signal, made on first use; null when first read after the phase is over
   * without having been aborted (the reader then gives an aborted signal saying so).
   */
  signal(): AbortSignal | null {
    const abort = this.#abort;
    if (abort instanceof AbortController) return abort.signal;
    if (abort === undefined && this.receiver === null) return null;
    const controller = new AbortController();
    if (abort !== undefined) controller.abort(abort.reason);
    this.#abort = controller;
    return controller.signal;
  }

  /** Aborts its signal with `reason` (the first reason stays). */
  abort(reason: unknown): void {
    const abort = this.#abort;
    if (abort === undefined) this.#abort = { reason };
    else if (abort instanceof AbortController && !abort.signal.aborted) abort.abort(reason);
  }
}
