/**
 * A revocable, shareable authorization. Actions that hold a License check it
 * before every attempt; revoking it fails every queued or retrying holder with a
 * `LicenseError` and aborts a running attempt through its AbortSignal.
 * @example
 * const license = new License('tenant-42');
 * sequence.assign('Read', 'a.txt', { license });
 * license.revoke('tenant deleted'); // the action fails with LicenseError
 */
import { LicenseError } from './errors.js';

export type LicenseListener = (error: LicenseError) => void;

export class License {
  readonly name: string;
  #revoked: LicenseError | null = null;
  #listeners = new Set<LicenseListener>();

  constructor(name = 'license') {
    if (typeof name !== 'string') throw new TypeError(`Expected \`name\` to be a string, got ${String(name)} (${typeof name})`);
    this.name = name;
  }

  /** True once revoked; a License never becomes valid again. */
  get revoked(): boolean {
    return this.#revoked !== null;
  }

  /** The error holders fail with, once revoked. */
  get error(): LicenseError | null {
    return this.#revoked;
  }

  /** Revokes the License and tells every holder. Revoking twice does nothing more. */
  revoke(reason = 'revoked'): void {
    if (this.#revoked !== null) return;
    this.#revoked = new LicenseError(`License "${this.name}" was revoked: ${reason}`);
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) listener(this.#revoked);
  }

  /** Throws the LicenseError when revoked. */
  check(): void {
    if (this.#revoked !== null) throw this.#revoked;
  }

  /** Listens for revocation (called at once when already revoked); returns the unsubscribe function. */
  onRevoke(listener: LicenseListener): () => void {
    if (this.#revoked !== null) {
      listener(this.#revoked);
      return noop;
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** How many holders listen now (for leak checks). */
  get holders(): number {
    return this.#listeners.size;
  }
}

const noop = (): void => {};
