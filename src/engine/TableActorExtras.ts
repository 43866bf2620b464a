/**
 * What only some table actors hold: their session id string once read, their
 * snapshot listeners, the puller's trail, and the internal events of nested final
 * states (`xstate.done.state.*`) during a macrostep. An actor makes it on first
 * need, so an unobserved actor of a flat chart (a plain running action) stays a
 * small object (bytes per action are a goal of the bench: `bench/memory.ts`).
 * @internal
 */
import type { PullTrail } from './pullTrail.js';

export class TableActorExtras<TListener> {
  sessionId: string | undefined = undefined;
  listeners: TListener[] | null = null;
  /** What the puller that inspects it needs (made on the first change a puller sees, or when the puller keeps its record). */
  pull: PullTrail | null = null;
  /** Events raised inside a macrostep, processed before the mailbox. */
  internal: { type: string }[] | null = null;

  /** Adds a snapshot listener; returns the unsubscribe function. */
  listen(listener: TListener): { unsubscribe(): void } {
    (this.listeners ??= []).push(listener);
    return {
      unsubscribe: () => {
        const index = this.listeners?.indexOf(listener) ?? -1;
        if (index >= 0) this.listeners!.splice(index, 1);
      },
    };
  }
}
