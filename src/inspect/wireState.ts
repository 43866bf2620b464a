/**
 * What the wire's ops mean for an actor's state (a context patch, a `state` op), how a
 * full state is framed, and a state value as one line. Pure, no Node imports: shared
 * by the server, the mirror of a remote source and the web app.
 */
import type { ContextPatch, DeltaOp, FullState, Json, SourceMessage, WireActor } from './protocol.js';

/** Applies a top-level context patch without changing `context`. */
export function applyContextPatch(context: Json, patch: ContextPatch): Json {
  const base: Record<string, Json> =
    context !== null && typeof context === 'object' && !Array.isArray(context) ? { ...context } : {};
  if (patch.unset) for (const key of patch.unset) delete base[key];
  if (patch.set) Object.assign(base, patch.set);
  return base;
}

/** The actor after a `state` op (a new object; `actor` is not changed). */
export function applyStateOp(actor: WireActor, op: Extract<DeltaOp, { op: 'state' }>): WireActor {
  const next: WireActor = { ...actor, value: op.value, status: op.status, updatedAt: op.at };
  if (op.context !== undefined) next.context = op.context;
  else if (op.patch !== undefined) next.context = applyContextPatch(actor.context, op.patch);
  if (op.output !== undefined) next.output = op.output;
  if (op.error !== undefined) next.error = op.error;
  if (op.parentId !== undefined) next.parentId = op.parentId;
  return next;
}

/**
 * Splits a full state into frames of at most `chunk` actors: a `full` with the
 * first ones, then `delta`s that add the rest. A viewer sees the first actors at
 * once instead of waiting for one huge frame, and no frame outgrows the limits.
 */
export function splitFullState(full: FullState, chunk = 2000): SourceMessage[] {
  if (full.actors.length <= chunk) return [full];
  const out: SourceMessage[] = [{ ...full, actors: full.actors.slice(0, chunk) }];
  for (let i = chunk; i < full.actors.length; i += chunk) {
    const ops: DeltaOp[] = full.actors.slice(i, i + chunk).map((actor) => ({ op: 'add', actor }));
    out.push({ type: 'delta', source: full.source, at: full.at, ops, stats: full.stats });
  }
  return out;
}

/** A state value as one line: `'running'`, `'running.attempt'`, `'(a.x, b.y)'` for parallel states. */
export function stateValueToString(value: Json): string {
  if (value === null) return '';
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return value.map(stateValueToString).join(',');
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [key, child] = entries[0]!;
    const inner = stateValueToString(child);
    return inner === '' ? key : `${key}.${inner}`;
  }
  return `(${entries.map(([key, child]) => stateValueToString({ [key]: child })).join(', ')})`;
}
