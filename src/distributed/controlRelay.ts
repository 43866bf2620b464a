/**
 * The control relay between processes sharing a BullMQ queue, on Redis pub/sub: a cancel of a
 * running action reaches the process that runs it (BullMQ's `cancelJob` aborts only inside that
 * process), and a revoked License reaches its holders everywhere. Each request is also written to
 * a key, so a process that claims the job a moment after the message went out still learns of it
 * when it checks the key (pub/sub alone is fire-and-forget).
 * @internal
 */
import type { Redis } from 'ioredis';
import type { CancellationReason } from '../errors.js';

/** A request sent to every process. */
export type ControlMessage =
  | { readonly type: 'cancel'; readonly id: string; readonly reason: CancellationReason; readonly message: string }
  | { readonly type: 'license'; readonly name: string; readonly message: string };

/** A cancel request as kept in its key. */
export interface CancelRequest {
  readonly reason: CancellationReason;
  readonly message: string;
}

/** Cancel requests are kept this long (s): longer than any job waits to be claimed in practice. */
const CANCEL_KEY_TTL = 7 * 24 * 3600;

export class ControlRelay {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;
  readonly #keys: string;
  #closed = false;

  /** `base` is `<prefix>:<queue>`; the two connections are this relay's own. */
  constructor(publisher: Redis, subscriber: Redis, base: string, onMessage: (message: ControlMessage) => void, report: (error: unknown) => void) {
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#channel = `${base}:echo:control`;
    this.#keys = `${base}:echo`;
    subscriber.on('message', (channel: string, text: string) => {
      if (channel !== this.#channel) return;
      try {
        onMessage(JSON.parse(text) as ControlMessage);
      } catch (error) {
        report(error);
      }
    });
  }

  /** Resolves once this process receives requests. */
  async listen(): Promise<void> {
    await this.#subscriber.subscribe(this.#channel);
  }

  /** Records a cancel request for `id` (the first one wins), then tells every process. */
  async cancel(id: string, request: CancelRequest): Promise<void> {
    await this.#publisher.set(this.cancelKey(id), JSON.stringify(request), 'EX', CANCEL_KEY_TTL, 'NX');
    await this.#publish({ type: 'cancel', id, ...request });
  }

  /** Records a cancel request without telling anyone (the job was removed before anyone claimed it). */
  async recordCancel(id: string, request: CancelRequest): Promise<void> {
    await this.#publisher.set(this.cancelKey(id), JSON.stringify(request), 'EX', CANCEL_KEY_TTL, 'NX');
  }

  /** The cancel request made for `id`, if any. */
  async cancelRequested(id: string): Promise<CancelRequest | null> {
    const text = await this.#publisher.get(this.cancelKey(id));
    return text === null ? null : (JSON.parse(text) as CancelRequest);
  }

  /** Records that License `name` is revoked (for good), then tells every process. */
  async revokeLicense(name: string, message: string): Promise<void> {
    await this.#publisher.hsetnx(`${this.#keys}:licenses`, name, message);
    await this.#publish({ type: 'license', name, message });
  }

  /** Why License `name` was revoked, or null while it is valid. */
  licenseRevoked(name: string): Promise<string | null> {
    return this.#publisher.hget(`${this.#keys}:licenses`, name);
  }

  /** Stops listening and closes both connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([this.#subscriber.quit(), this.#publisher.quit()]);
  }

  async #publish(message: ControlMessage): Promise<void> {
    await this.#publisher.publish(this.#channel, JSON.stringify(message));
  }

  /** The key a cancel request for `id` is kept in. */
  cancelKey(id: string): string {
    return `${this.#keys}:cancel:${id}`;
  }
}
