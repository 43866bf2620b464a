/**
 * A wrapper error (an `ExecutionError` around what an action threw, a `HookError` around what a
 * hook threw) is built without capturing a stack when its cause carries one.
 *
 * Capturing a stack is most of what building an `Error` costs (V8 walks the frames when the error
 * is made), and a wrapper's own frames are the runtime's, not the user's: they say nothing the
 * cause's do not. So such a wrapper's `stack` is its header alone (`ExecutionError: ...`, formatted
 * by V8 on first read, with the name the class gave it), and the frames of the code that threw are
 * the cause's, shown beside it wherever the error is shown: `util.inspect`'s `[cause]`, the
 * serialized form's `cause.stack`, the inspector's cause chain.
 *
 * (A getter copying the cause's frames into the wrapper's `stack` was tried: V8's own `stack`
 * cannot be redefined in place, so every wrapper became a dictionary-mode object, and the retry
 * path ran slower than with the capture.)
 * @internal
 */

/**
 * Turns stack capture off for the `Error` constructor about to run when `cause` carries a stack,
 * and answers the limit to give back to {@link restoreCapture}; null when capture stays as it is.
 * Nothing may throw between the two calls: the caller reads the message and the cause before.
 */
export function suspendCapture(cause: unknown): number | null {
  if (!hasStack(cause)) return null;
  const limit = Error.stackTraceLimit;
  // A limit the user turned off or made odd stays theirs: nothing to save there.
  if (typeof limit !== 'number' || limit <= 0) return null;
  Error.stackTraceLimit = 0;
  return limit;
}

/** Gives the `Error` constructor back the stack limit {@link suspendCapture} saved. */
export function restoreCapture(limit: number): void {
  Error.stackTraceLimit = limit;
}

function hasStack(value: unknown): boolean {
  try {
    return typeof value === 'object' && value !== null && 'stack' in value;
  } catch {
    // A Proxy whose `has` trap throws: no stack we can point to, so the wrapper captures its own.
    return false;
  }
}
