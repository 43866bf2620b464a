/**
 * How a Sequence reports errors that belong to no action (observers, follow-ups,
 * notices): to `onError`, later, and to `lastResort` when `onError` itself throws.
 * @internal
 */
import { messageOf } from '../errors.js';

/** The Sequence's one reporting function. */
export function createReporter(name: string, options: { readonly onError: (error: unknown) => void; readonly lastResort: (warning: Error) => void }): (error: unknown) => void {
  const { onError, lastResort } = options;
  return (error) => {
    // Errors of observers and follow-ups must never break the runtime; they are reported here, later.
    queueMicrotask(() => {
      try {
        onError(error);
      } catch (thrown) {
        const warning = new Error(`onError of Sequence "${name}" threw while reporting "${messageOf(error)}": ${messageOf(thrown)}`, { cause: thrown });
        warning.name = 'EchoWarning';
        try {
          lastResort(warning);
        } catch {
          // The last resort itself threw: there is nobody left to tell, and the runtime must go on.
        }
      }
    });
  };
}
