/**
 * A revocable, shareable authorization. Actions that hold a License check it
 * before every attempt; revoking it fails every queued or retrying holder with a
 * `LicenseError` and aborts a running attempt through its AbortSignal.
 * @example
 * const license = new License('tenant-42');
 * sequence.assign('Read', 'a.txt', { license });
 * license.revoke('tenant deleted'); // the action fails with LicenseError
 */
import { LicenseError, messageOf } from './errors.js';
import { checkFunction, checkString } from './validate.js';

/** Called with the LicenseError when a License is revoked. */
export type LicenseListener = (error: LicenseError) => void;

/** Options of a License. */
export interface LicenseOptions {
  /**
   * Receives what a revocation listener threw (an Error whose `cause` is the throw).
   * Without it, `revoke()` throws an `AggregateError` of them once every holder was told.
   */
  readonly onError?: (error: Error) => void;
}

/** A revocable authorization: checked before every attempt; revoking it fails waiting holders and aborts running ones. */
export class License {
  readonly name: string;
  #revoked: LicenseError | null = null;
  #listeners = new Set<LicenseListener>();
  readonly #onError: ((error: Error) => void) | undefined;

  constructor(name = 'license', options: LicenseOptions = {}) {
    checkString(name, { field: 'name' });
    if (options.onError !== undefined) checkFunction(options.onError, { field: 'onError' });
    this.name = name;
    this.#onError = options.onError;
  }

  /** True once revoked; a License never becomes valid again. */
  get revoked(): boolean {
    return this.#revoked !== null;
  }

  /** The error holders fail with, once revoked. */
  get error(): LicenseError | null {
    return this.#revoked;
  }

  /**
   * Revokes the License and tells every holder, even when a listener throws: what
   * listeners throw goes to the `onError` option, or (without one) is thrown as an
   * `AggregateError` after all were told. Revoking twice does nothing more.
   */
  revoke(reason = 'revoked'): void {
    if (this.#revoked !== null) return;
    const error = new LicenseError(`License "${this.name}" was revoked: ${reason}`);
    this.#revoked = error;
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    const thrown: unknown[] = [];
    for (const listener of listeners) {
      try {
        listener(error);
      } catch (listenerError) {
        thrown.push(listenerError);
      }
    }
    if (thrown.length === 0) return;
    const onError = this.#onError;
    if (onError === undefined) throw new AggregateError(thrown, `${thrown.length} revocation listener(s) of License "${this.name}" threw`);
    for (const each of thrown) onError(new Error(`A revocation listener of License "${this.name}" threw: ${messageOf(each)}`, { cause: each }));
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
