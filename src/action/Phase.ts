/**
 * One phase of an action's user code (its before-hooks, an attempt, its
 * after-hooks), owned by the invocation of the state it runs in: its answers go to
 * that invocation's receiver, and once the invocation stopped (the state was left)
 * there is none, so a late answer is dropped. It also holds the phase's
 * AbortSignal, made only when user code reads it.
 * @internal
 */
import type { ActionEvent } from '../../machines/actionTypes.js';
import type { InvocationHandle, InvocationReceiver } from '../../machines/positional.js';

/** Where a phase answers: the invocation that owns it. */
export type PhaseReceiver = InvocationReceiver<ActionEvent>;

export class Phase implements InvocationHandle {
  /** The invocation it answers to; null once none owns it (its late answers are dropped). */
  receiver: PhaseReceiver | null;
  /** Null until its signal is first read: code that never looks costs no AbortController. */
  #controller: AbortController | null = null;
  /** Why it was aborted (undefined: it was not). */
  #reason: unknown = undefined;

  constructor(receiver: PhaseReceiver) {
    this.receiver = receiver;
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
    if (this.#controller !== null) return this.#controller.signal;
    if (this.#reason === undefined && this.receiver === null) return null;
    this.#controller = new AbortController();
    if (this.#reason !== undefined) this.#controller.abort(this.#reason);
    return this.#controller.signal;
  }

  /** Aborts its signal with `reason` (the first reason stays). */
  abort(reason: unknown): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
