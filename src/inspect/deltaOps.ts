/**
 * The pieces of a delta: what changed about one actor within a batch, and the
 * `state` op it becomes. Pure helpers of the adapter.
 * @internal
 */
import type { ActorStatus, ContextPatch, DeltaOp, Json, TrailStep, WireActor } from './protocol.js';
import { sanitize } from './sanitize.js';

/** What changed about one actor since the last flush. */
export interface Pending {
  added: boolean;
  changed: boolean;
  removed: 'evicted' | 'limit' | null;
  keys: Set<string> | null;
  whole: boolean;
  /** The parent changed. */
  moved?: boolean;
  event: string | undefined;
  steps: Array<[Json, number]> | null;
  /** A pulled actor's steps read since the last flush, as its runtime gave them (sent as they are: strings and numbers). */
  trail: TrailStep[] | null;
  /**
   * True while only reads without steps touched it and found its state value and status as they
   * were (a Site's view, pulled for its load): then its op is sent only if its context changed.
   */
  same: boolean;
}

/** The `state` op for an actor that changed. */
export function stateOp(actor: WireActor, change: Pending): DeltaOp {
  const op: Extract<DeltaOp, { op: 'state' }> = {
    op: 'state',
    sessionId: actor.sessionId,
    value: actor.value,
    status: actor.status,
    at: actor.updatedAt,
  };
  if (change.whole || !isRecord(actor.context)) op.context = actor.context;
  else if (change.keys !== null) op.patch = patchOf(actor.context, change.keys);
  if (actor.output !== undefined) op.output = actor.output;
  if (actor.error !== undefined) op.error = actor.error;
  if (change.event !== undefined) op.event = change.event;
  if (change.steps !== null) op.steps = change.steps;
  if (change.trail !== null) op.trail = change.trail;
  if (change.moved === true) op.parentId = actor.parentId;
  return op;
}

export function markKey(change: Pending, key: string): void {
  if (change.keys === null) change.keys = new Set([key]);
  else change.keys.add(key);
}

export function patchOf(context: Record<string, Json>, keys: Set<string>): ContextPatch {
  const patch: ContextPatch = {};
  for (const key of keys) {
    if (key in context) (patch.set ??= {})[key] = context[key]!;
    else (patch.unset ??= []).push(key);
  }
  return patch;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function toStatus(status: unknown): ActorStatus {
  return status === 'done' || status === 'error' || status === 'stopped' ? status : 'active';
}

export function sanitizeValue(value: unknown): Json {
  if (value === undefined) return null;
  return typeof value === 'string' ? value : sanitize(value);
}

export function sameValue(a: Json, b: Json): boolean {
  return a === b || (typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b));
}
