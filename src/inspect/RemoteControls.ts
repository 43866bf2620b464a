/**
 * Control commands sent to remote producers and waiting for their `ack`: each
 * settles exactly once, by the producer's answer, by its timeout, or when the
 * inspector closes.
 */
import type { Clock } from '../clock.js';
import type { ControlCommand } from './protocol.js';

interface PendingControl {
  resolve: () => void;
  reject: (error: Error) => void;
  timer: unknown;
}

/** The control commands in flight to remote producers, keyed by the `ref` their `ack` names. */
export class RemoteControls {
  readonly #pending = new Map<string, PendingControl>();
  readonly #clock: Clock;
  readonly #timeout: number;
  readonly #nextId: () => number;

  /** `nextId` numbers the refs (the server shares one counter with its other ids). */
  constructor(clock: Clock, timeout: number, nextId: () => number) {
    this.#clock = clock;
    this.#timeout = timeout;
    this.#nextId = nextId;
  }

  /** Sends `command` through `send` under a fresh ref; settles on the producer's `ack` or after the timeout. */
  request(command: ControlCommand, send: (ref: string, command: ControlCommand) => void): Promise<void> {
    const ref = `c${this.#nextId()}`;
    return new Promise<void>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        this.#pending.delete(ref);
        reject(new Error(`The producer did not answer within ${this.#timeout} ms`));
      }, this.#timeout);
      this.#pending.set(ref, { resolve, reject, timer });
      send(ref, command);
    });
  }

  /** A producer's `ack`: settles the command it names (an unknown or already settled ref is ignored). */
  acknowledge(ack: { readonly ref: string; readonly ok: boolean; readonly error?: string }): void {
    const pending = this.#pending.get(ack.ref);
    if (!pending) return;
    this.#pending.delete(ack.ref);
    this.#clock.clearTimeout(pending.timer);
    if (ack.ok) pending.resolve();
    else pending.reject(new Error(ack.error ?? 'The producer refused the command'));
  }

  /** Rejects every command still waiting (the inspector closed). */
  rejectAll(reason: string): void {
    for (const pending of this.#pending.values()) {
      this.#clock.clearTimeout(pending.timer);
      pending.reject(new Error(reason));
    }
    this.#pending.clear();
  }
}
