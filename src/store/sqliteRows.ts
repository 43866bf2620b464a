/**
 * An action's row in the SQLite layout (see sqliteLayout.ts), both ways: what is
 * written for an encoded action and its result, and how a row read back becomes
 * them again, every part validated by its valibot schema (a SerializationError
 * names the path of the bad field).
 * @internal
 */
import { ATTEMPT_OUTCOMES } from '../../machines/actionConstants.js';
import type { AttemptRecord } from '../../machines/actionTypes.js';
import type { ActivityContext } from '../action/ActionActivity.js';
import { decodeAttempts, decodeResult, decodeRetryPolicy, type EncodedAction, type EncodedResult } from './codec.js';
import { decodeWith, parseJson } from './decode.js';
import { actionColumnsSchema, actionExtrasSchema, actionShapeSchema, activitySchema } from './schemas.js';

/** What the actions of one Plan entry share (a row of `shapes`). */
export type Shape = Pick<EncodedAction, 'name' | 'priority' | 'queue' | 'startDelay' | 'attemptTimeout' | 'totalTimeout' | 'cancelGrace' | 'policy'>;
/** The fields of an action that differ from their usual value. */
type Extras = Partial<Pick<EncodedAction, 'metadata' | 'license' | 'followUps' | 'parentId' | 'provenance'>>;

/** A row as read, in the order of `ROW_COLUMNS`. */
export type Row = [
  id: string,
  shape: number,
  content: string | null,
  createdAt: number,
  extra: string | null,
  idem: string | null,
  attempts: string,
  retryAt: number | null,
  activity: string | null,
  status: string | null,
  output: string | null,
  error: string | null,
  settledAt: number | null,
  seq: number,
];

/** The `attempts` text of an action that has made none. */
export const NO_ATTEMPTS = '[]';

/** The shape of `action`. */
export function shapeOf(action: EncodedAction): Shape {
  const { name, priority, queue, startDelay, attemptTimeout, totalTimeout, cancelGrace, policy } = action;
  return { name, priority, queue, startDelay, attemptTimeout, totalTimeout, cancelGrace, policy };
}

/** A key telling apart the shapes of one policy object without making their JSON. */
export function shapeKey(action: EncodedAction): string {
  return `${action.name}\u0000${action.priority}\u0000${action.queue}\u0000${action.startDelay}\u0000${action.attemptTimeout}\u0000${action.totalTimeout}\u0000${action.cancelGrace}`;
}

/** Whether two actions have one shape (the same policy object and the same other fields). */
export function sameShape(a: EncodedAction, b: EncodedAction): boolean {
  return a.policy === b.policy && a.name === b.name && a.priority === b.priority && a.queue === b.queue && a.startDelay === b.startDelay && a.attemptTimeout === b.attemptTimeout && a.totalTimeout === b.totalTimeout && a.cancelGrace === b.cancelGrace;
}

/** Decodes a row of `shapes`. */
export function decodeShape(text: string): Shape {
  const shape = decodeWith(actionShapeSchema, parseJson(text, 'shape'), 'shape');
  decodeRetryPolicy(shape.policy, 'policy');
  return shape;
}

/** The `extra` column of `action`: JSON of its fields that differ from their usual value, or null. */
export function extraText(action: EncodedAction): string | null {
  const emptyMetadata = isEmpty(action.metadata);
  if (emptyMetadata && action.license === null && action.followUps.length === 0 && action.parentId === null && action.provenance === undefined) return null;
  const extras: Extras = {
    ...(!emptyMetadata && { metadata: action.metadata }),
    ...(action.license !== null && { license: action.license }),
    ...(action.followUps.length > 0 && { followUps: action.followUps }),
    ...(action.parentId !== null && { parentId: action.parentId }),
    ...(action.provenance !== undefined && { provenance: action.provenance }),
  };
  return JSON.stringify(extras);
}

function isEmpty(object: object): boolean {
  for (const _ in object) return false;
  return true;
}

/** JSON text of an optional value (null for absent). */
export function optionalText(value: unknown): string | null {
  if (value === undefined) return null;
  // A finite number's JSON is its string (-0 included): the usual content, without JSON.stringify's fixed cost.
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : JSON.stringify(value);
}

/** The JSON text of each outcome, quoted. */
const OUTCOME_TEXT = new Map<string, string>(ATTEMPT_OUTCOMES.map((outcome) => [outcome, JSON.stringify(outcome)]));

/** The six fields of an attempt record (what `attemptsText` writes). */
const ATTEMPT_FIELDS = 6;

/**
 * The `attempts` text of a history: the same JSON as `JSON.stringify(attempts)`,
 * made field by field (a few times faster on every settlement). A record it does not
 * know field for field (another prototype, another field, a number that is not finite,
 * an unknown outcome) goes through JSON.stringify, so nothing is written otherwise.
 */
export function attemptsText(attempts: readonly AttemptRecord[]): string {
  if (attempts.length === 0) return NO_ATTEMPTS;
  let text = '[';
  for (let i = 0; i < attempts.length; i++) {
    const attempt = attempts[i];
    if (typeof attempt !== 'object' || attempt === null) return JSON.stringify(attempts);
    const { number, startedAt, endedAt, error, backoff } = attempt;
    const outcome = OUTCOME_TEXT.get(attempt.outcome);
    if (
      outcome === undefined || !Number.isFinite(number) || !Number.isFinite(startedAt) || (endedAt !== null && !Number.isFinite(endedAt)) ||
      (backoff !== null && !Number.isFinite(backoff)) || Object.getPrototypeOf(attempt) !== Object.prototype || fieldCount(attempt) !== ATTEMPT_FIELDS
    ) {
      return JSON.stringify(attempts);
    }
    text += `${i === 0 ? '' : ','}{"number":${number},"startedAt":${startedAt},"endedAt":${endedAt},"outcome":${outcome},"error":${error === null ? 'null' : JSON.stringify(error)},"backoff":${backoff}}`;
  }
  return text + ']';
}

function fieldCount(object: object): number {
  let count = 0;
  for (const _ in object) count++;
  return count;
}

/** The action of a row, its shape decoded already. */
export function decodeRowAction(row: Row, shape: Shape): EncodedAction {
  const [id, , content, createdAt, extra, idem] = row;
  const columns = decodeWith(actionColumnsSchema, content === null ? { id, createdAt, idempotencyKey: idem } : { id, content: parseJson(content, 'content'), createdAt, idempotencyKey: idem });
  const extras: Extras = extra === null ? {} : decodeWith(actionExtrasSchema, parseJson(extra, 'extra'));
  return {
    codec: 1,
    kind: 'action',
    id: columns.id,
    name: shape.name,
    ...(columns.content !== undefined && { content: columns.content }),
    metadata: extras.metadata ?? {},
    priority: shape.priority,
    queue: shape.queue,
    license: extras.license ?? null,
    followUps: extras.followUps ?? [],
    idempotencyKey: columns.idempotencyKey,
    policy: shape.policy,
    createdAt: columns.createdAt,
    startDelay: shape.startDelay,
    // As the encoder makes it: derived, so not stored.
    notBefore: shape.startDelay > 0 ? columns.createdAt + shape.startDelay : null,
    attemptTimeout: shape.attemptTimeout,
    totalTimeout: shape.totalTimeout,
    cancelGrace: shape.cancelGrace,
    parentId: extras.parentId ?? null,
    ...(extras.provenance !== undefined && { provenance: extras.provenance }),
  };
}

/** The attempt history of a row. */
export function decodeRowAttempts(row: Row): AttemptRecord[] {
  return row[6] === NO_ATTEMPTS ? [] : decodeAttempts(parseJson(row[6], 'attempts'), 'attempts');
}

/** The activity of a row (null when its function reported nothing). */
export function decodeRowActivity(row: Row): ActivityContext | null {
  return row[8] === null ? null : (decodeWith(activitySchema, parseJson(row[8], 'activity'), 'activity') as ActivityContext);
}

/** The result of a settled row, undefined for a live one. */
export function decodeRowResult(row: Row): EncodedResult | undefined {
  const [id, , , , , , attempts, , , status, output, error, settledAt] = row;
  if (status === null) return undefined;
  return decodeResult({
    codec: 1,
    kind: 'result',
    id,
    status,
    ...(output !== null && { output: parseJson(output, 'output') }),
    error: error === null ? null : parseJson(error, 'error'),
    settledAt,
    attempts: parseJson(attempts, 'attempts'),
  });
}
