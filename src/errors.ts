/**
 * Echo's typed errors: `Error` subclasses with a stable `name`, a `cause`, and a
 * versioned JSON form that {@link reviveError} turns back into the same class.
 *
 * This module gathers them (one concept per file under `errors/`) so every importer keeps one path:
 * the base class ({@link EchoError}), the typed classes, their revival, and the thrown-value
 * helpers of `serializeError.ts`.
 */
export { EchoError, isEchoError, isInstance, type EchoErrorOptions } from './errors/EchoError.js';
export * from './errors/typedErrors.js';
export { reviveError } from './errors/reviveError.js';
export { describeThrown, messageOf, serializeError, toError, type SerializedError } from './serializeError.js';
export type { CancellationReason } from '../machines/actionConstants.js';
