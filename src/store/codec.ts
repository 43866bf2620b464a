/**
 * Echo's versioned JSON codec: one encoding for everything that crosses a process
 * or a disk: actions, retry policies, attempt histories, results, errors with
 * their cause chains, and action snapshots. Decoding validates with valibot
 * (through Standard Schema) and answers a SerializationError naming the path of
 * the bad field; encoding refuses what JSON cannot carry exactly, with its path.
 * @example
 * const text = JSON.stringify(encodeRetryPolicy(policy));
 * const same = decodeRetryPolicy(JSON.parse(text));
 */
import type * as v from 'valibot';
import type { ActionContext, AttemptRecord, Priority } from '../../machines/actionTypes.js';
import type { Provenance } from '../action/ActionRun.js';
import { reviveError, serializeError, SerializationError, type SerializedError } from '../errors.js';
import { resolveRetryPolicy, type RetryPolicy } from '../retryPolicy.js';
import { decodeWith, parseJson } from './decode.js';
import { assertEncodable } from './encodable.js';
import { actionSchema, attemptsSchema, errorSchema, resultSchema, retryPolicySchema, snapshotSchema } from './schemas.js';

/** The codec's version, written in every payload as `codec`. */
export const CODEC_VERSION = 1;

/** A stored action (codec version 1). */
export type EncodedAction = v.InferOutput<typeof actionSchema>;
/** A stored result: how an action settled, with its whole attempt history. */
export type EncodedResult = v.InferOutput<typeof resultSchema>;
/** A stored action snapshot: the machine's id and version, its state and context. */
export type EncodedSnapshot = v.InferOutput<typeof snapshotSchema>;

/** What an action is made of, as the codec takes it (an ActionRun has these fields). */
export interface ActionFields {
  readonly id: string;
  readonly name: string;
  readonly content: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly priority: Priority;
  readonly queue: string;
  readonly license: { readonly name: string; readonly error: Error | null } | null;
  readonly followUps: readonly { readonly name: string; readonly content?: unknown; readonly contentFrom?: unknown; readonly metadata?: Readonly<Record<string, unknown>>; readonly priority?: Priority }[];
  readonly idempotencyKey: string | undefined;
  readonly policy: RetryPolicy;
  readonly createdAt: number;
  readonly startDelay: number;
  readonly attemptTimeout: number | null;
  readonly totalTimeout: number | null;
  readonly cancelGrace: number;
  /** The action that assigned it (a follow-up's parent); also given as `encodeAction`'s second argument. */
  readonly parentId?: string | null;
  /** Where it came from (a record, `again`, a redriven dead letter); absent or null for none. */
  readonly provenance?: Provenance | null;
}

/** Follow-ups of an action that has none (the common case: nothing to encode). */
const NO_FOLLOW_UPS: EncodedAction['followUps'] = Object.freeze([]) as never;

/**
 * Encodes an action (a follow-up's parent given as `parentId`, or in the fields),
 * or throws a SerializationError naming what cannot be encoded (`content.when`,
 * `then[0].contentFrom`). Built without object spreads: it runs on every durable `assign`.
 */
export function encodeAction(action: ActionFields, parentId: string | null = action.parentId ?? null): EncodedAction {
  assertEncodable(action.content, 'content');
  assertEncodable(action.metadata, 'metadata');
  const followUps = action.followUps.length === 0 ? NO_FOLLOW_UPS : action.followUps.map(encodeFollowUp);
  const license = action.license;
  const encoded: EncodedAction = {
    codec: CODEC_VERSION,
    kind: 'action',
    id: action.id,
    name: action.name,
    metadata: action.metadata as Record<string, unknown>,
    priority: action.priority,
    queue: action.queue,
    license: license === null ? null : { name: license.name, revoked: license.error === null ? null : encodeError(license.error) },
    followUps,
    idempotencyKey: action.idempotencyKey ?? null,
    policy: encodeRetryPolicy(action.policy),
    createdAt: action.createdAt,
    startDelay: action.startDelay,
    notBefore: action.startDelay > 0 ? action.createdAt + action.startDelay : null,
    attemptTimeout: action.attemptTimeout,
    totalTimeout: action.totalTimeout,
    cancelGrace: action.cancelGrace,
    parentId,
  };
  if (action.content !== undefined) encoded.content = action.content;
  if (action.provenance != null) encoded.provenance = encodeProvenance(action.provenance);
  return encoded;
}

function encodeFollowUp(next: ActionFields['followUps'][number], i: number): EncodedAction['followUps'][number] {
  if (next.contentFrom !== undefined) {
    throw new SerializationError(`Expected \`then[${i}].contentFrom\` to be absent: a function cannot be stored; give \`content\` (or none, for the output)`, { path: `then[${i}].contentFrom` });
  }
  assertEncodable(next.content, `then[${i}].content`);
  if (next.metadata !== undefined) assertEncodable(next.metadata, `then[${i}].metadata`);
  return {
    name: next.name,
    ...(next.content !== undefined && { content: next.content }),
    ...(next.metadata !== undefined && { metadata: next.metadata as Record<string, unknown> }),
    ...(next.priority !== undefined && { priority: next.priority }),
  };
}

/** Provenance as JSON: only the fields that are set. */
function encodeProvenance(provenance: Provenance): NonNullable<EncodedAction['provenance']> {
  return {
    ...(provenance.recordOf !== undefined && { recordOf: provenance.recordOf }),
    ...(provenance.againOf !== undefined && { againOf: provenance.againOf }),
    ...(provenance.redriveOf !== undefined && { redriveOf: provenance.redriveOf }),
  };
}

/** Decodes a stored action; a SerializationError names the bad field. */
export function decodeAction(json: unknown): EncodedAction {
  const action = decodeWith(actionSchema, json);
  decodeRetryPolicy(action.policy, 'policy');
  return action;
}

/** A stored retry policy. */
export type EncodedRetryPolicy = v.InferOutput<typeof retryPolicySchema>;

/** Encoded policies by the policy they encode: the actions of one Plan entry share one frozen copy. */
const encodedPolicies = new WeakMap<RetryPolicy, EncodedRetryPolicy>();

/** A retry policy as JSON (it already is: the copy drops nothing), the same frozen object for the same policy. */
export function encodeRetryPolicy(policy: RetryPolicy): EncodedRetryPolicy {
  let encoded = encodedPolicies.get(policy);
  if (encoded === undefined) {
    encoded = Object.freeze({ ...policy, nonRetryable: Object.freeze([...policy.nonRetryable]) }) as EncodedRetryPolicy;
    encodedPolicies.set(policy, encoded);
  }
  return encoded;
}

/** Decodes a retry policy into a frozen RetryPolicy. */
export function decodeRetryPolicy(json: unknown, root = ''): RetryPolicy {
  const checked = decodeWith(retryPolicySchema, json, root);
  try {
    return resolveRetryPolicy(checked);
  } catch (error) {
    throw new SerializationError(`Invalid \`${root || 'policy'}\`: ${(error as Error).message}`, { path: root, cause: error });
  }
}

/** An error (anything thrown) as JSON, its cause chain kept. */
export function encodeError(error: unknown): SerializedError {
  return serializeError(error, Infinity);
}

/** Decodes an error into the same class (Echo's typed errors, TypeError…), its cause chain revived. */
export function decodeError(json: unknown, root = ''): Error {
  decodeWith(errorSchema, json, root);
  try {
    return reviveError(json);
  } catch (error) {
    if (error instanceof SerializationError && root !== '') throw new SerializationError(error.message.replace('`', `\`${root}.`), { path: `${root}.${error.path}`, cause: error });
    throw error;
  }
}

/** An attempt history as JSON (attempt records already are JSON). */
export function encodeAttempts(attempts: readonly AttemptRecord[]): AttemptRecord[] {
  return attempts.map((attempt) => ({ ...attempt }));
}

/** Decodes an attempt history (numbered 1, 2, 3… in order). */
export function decodeAttempts(json: unknown, root = ''): AttemptRecord[] {
  return decodeWith(attemptsSchema, json, root) as AttemptRecord[];
}

/** How an action settled. */
export interface ResultFields {
  readonly id: string;
  readonly status: 'done' | 'failed' | 'cancelled';
  readonly output: unknown;
  readonly error: SerializedError | null;
  readonly settledAt: number;
  readonly attempts: readonly AttemptRecord[];
}

/** Encodes a result; an output that cannot be encoded is refused with its path (`output.when`). */
export function encodeResult(result: ResultFields): EncodedResult {
  assertEncodable(result.output, 'output');
  // Built without a spread: it runs on every durable settlement.
  const encoded: EncodedResult = {
    codec: CODEC_VERSION,
    kind: 'result',
    id: result.id,
    status: result.status,
    error: result.error as EncodedResult['error'],
    settledAt: result.settledAt,
    attempts: encodeAttempts(result.attempts),
  };
  if (result.output !== undefined) encoded.output = result.output;
  return encoded;
}

/** Decodes a stored result. */
export function decodeResult(json: unknown): EncodedResult {
  const result = decodeWith(resultSchema, json);
  if (result.error !== null) decodeError(result.error, 'error');
  return result;
}

/** The machine a snapshot was written by. */
export interface MachineVersion {
  readonly id: string;
  readonly version: number;
}

/** Turns a snapshot written by an older version of the machine into the current shape. */
export type SnapshotMigration = (snapshot: EncodedSnapshot, from: MachineVersion) => unknown;

/** The Action statechart's id and version, written in every snapshot. */
export const ACTION_MACHINE: MachineVersion = Object.freeze({ id: 'echo.action', version: 1 });

/** Encodes an action's snapshot (state value, status and context) with its machine's id and version. */
export function encodeSnapshot(
  snapshot: { readonly value: unknown; readonly status: string; readonly context: ActionContext },
  machine: MachineVersion = ACTION_MACHINE,
): EncodedSnapshot {
  const context = snapshot.context;
  assertEncodable(context.content, 'context.content');
  assertEncodable(context.metadata, 'context.metadata');
  assertEncodable(context.output, 'context.output');
  const { content, output, ...rest } = context;
  return {
    codec: CODEC_VERSION,
    kind: 'snapshot',
    machine: { id: machine.id, version: machine.version },
    value: String(snapshot.value),
    status: snapshot.status as EncodedSnapshot['status'],
    context: { ...(rest as Omit<EncodedSnapshot['context'], 'content' | 'output'>), attempts: encodeAttempts(context.attempts), ...(content !== undefined && { content }), ...(output !== undefined && { output }) },
  };
}

/**
 * Decodes a snapshot for `machine`. A snapshot of an older version goes through
 * `migrate` (without one it is refused); one of another machine or a newer version is refused.
 */
export function decodeSnapshot(json: unknown, options: { readonly machine?: MachineVersion; readonly migrate?: SnapshotMigration } = {}): EncodedSnapshot {
  const machine = options.machine ?? ACTION_MACHINE;
  let snapshot = decodeWith(snapshotSchema, json);
  if (snapshot.machine.id !== machine.id) {
    throw new SerializationError(`Expected \`machine.id\` to be "${machine.id}", got "${snapshot.machine.id}"`, { path: 'machine.id' });
  }
  const from = snapshot.machine.version;
  if (from > machine.version) {
    throw new SerializationError(`Expected \`machine.version\` to be at most ${machine.version} (this machine), got ${from}: written by a newer version`, { path: 'machine.version' });
  }
  if (from < machine.version) {
    if (options.migrate === undefined) {
      throw new SerializationError(`Expected \`machine.version\` ${machine.version}, got ${from}; give a \`migrate\` hook to read older snapshots`, { path: 'machine.version' });
    }
    snapshot = decodeWith(snapshotSchema, options.migrate(snapshot, { id: snapshot.machine.id, version: from }));
    if (snapshot.machine.version !== machine.version) {
      throw new SerializationError(`Expected \`migrate\` to return a snapshot of version ${machine.version}, got ${snapshot.machine.version}`, { path: 'machine.version' });
    }
  }
  return snapshot;
}

/** JSON text of a payload. */
export function toText(payload: unknown): string {
  return JSON.stringify(payload);
}

/** Parses and decodes `text` with `decode`; bad JSON is a SerializationError too. */
export function fromText<T>(text: string, decode: (json: unknown) => T): T {
  return decode(parseJson(text, ''));
}
