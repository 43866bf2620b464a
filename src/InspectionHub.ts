/**
 * Fans XState v5 inspection events of one runtime out to observers. While no
 * observer listens, `enabled` is false and the table engine builds no events.
 * @internal
 */
import type { InspectionEvent } from 'xstate';

export type InspectionObserver = (event: InspectionEvent) => void;

export class InspectionHub {
  readonly #observers = new Set<InspectionObserver>();
  readonly #onError: (error: unknown) => void;
  enabled = false;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  subscribe(observer: InspectionObserver): () => void {
    this.#observers.add(observer);
    this.enabled = true;
    return () => {
      this.#observers.delete(observer);
      this.enabled = this.#observers.size > 0;
    };
  }

  /** Sends `event` to every observer; an observer that throws is reported, never breaks the runtime. */
  emit(event: unknown): void {
    if (!this.enabled) return;
    for (const observer of this.#observers) {
      try {
        observer(event as InspectionEvent);
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}
