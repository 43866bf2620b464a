/**
 * Checks what arrives on the inspector's WebSocket before anything acts on it.
 * Each check returns the typed message, or a string that says what was expected
 * and what came (it becomes an error frame).
 */
import {
  MAX_BULK_IDS,
  PROTOCOL_VERSION,
  type AckMessage,
  type ControlCommand,
  type ProducerMessage,
  type SourceMessage,
  type ViewerMessage,
} from './protocol.js';

type Checked<T> = T | string;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shortString(value: unknown, max = 256): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

/** Checks a control command (`cancel`/`retry` need an `actionId`). */
export function checkCommand(value: unknown): Checked<ControlCommand> {
  if (!isObject(value)) return `Expected \`command\` to be an object, got ${describe(value)}`;
  switch (value.type) {
    case 'pause':
    case 'resume':
      return { type: value.type };
    case 'cancel':
    case 'retry':
      if (!shortString(value.actionId, 1024)) return `Expected \`command.actionId\` to be a non-empty string, got ${describe(value.actionId)}`;
      return { type: value.type, actionId: value.actionId };
    case 'cancel-many':
    case 'retry-many':
    case 'redrive': {
      const ids = value.actionIds;
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_BULK_IDS) {
        return `Expected \`command.actionIds\` to be an array of 1 to ${MAX_BULK_IDS} ids, got ${Array.isArray(ids) ? `${ids.length} ids` : describe(ids)}`;
      }
      const bad = ids.findIndex((id) => !shortString(id, 1024));
      if (bad !== -1) return `Expected \`command.actionIds[${bad}]\` to be a non-empty string, got ${describe(ids[bad])}`;
      return { type: value.type, actionIds: [...(ids as string[])] };
    }
    default:
      return `Expected \`command.type\` to be one of cancel, retry, pause, resume, cancel-many, retry-many, redrive, got ${describe(value.type)}`;
  }
}

/** Checks a message from a viewer (the web app). */
export function checkViewerMessage(value: unknown): Checked<ViewerMessage> {
  if (!isObject(value)) return `Expected a message object, got ${describe(value)}`;
  const token = value.token === undefined || typeof value.token === 'string' ? (value.token as string | undefined) : null;
  if (token === null) return `Expected \`token\` to be a string, got ${describe(value.token)}`;
  switch (value.type) {
    case 'subscribe':
      if (value.version !== PROTOCOL_VERSION) return `Expected \`version\` ${PROTOCOL_VERSION}, got ${describe(value.version)}`;
      return token === undefined ? { type: 'subscribe', version: PROTOCOL_VERSION } : { type: 'subscribe', version: PROTOCOL_VERSION, token };
    case 'control': {
      if (!shortString(value.ref)) return `Expected \`ref\` to be a non-empty string, got ${describe(value.ref)}`;
      if (!shortString(value.source, 1024)) return `Expected \`source\` to be a non-empty string, got ${describe(value.source)}`;
      const command = checkCommand(value.command);
      if (typeof command === 'string') return command;
      const message: ViewerMessage = { type: 'control', ref: value.ref, source: value.source, command };
      if (token !== undefined) message.token = token;
      return message;
    }
    default:
      return `Expected \`type\` to be subscribe or control, got ${describe(value.type)}`;
  }
}

/** Checks a message from a producer (another runtime process streaming its source). */
export function checkProducerMessage(value: unknown): Checked<ProducerMessage> {
  if (!isObject(value)) return `Expected a message object, got ${describe(value)}`;
  switch (value.type) {
    case 'produce': {
      if (value.version !== PROTOCOL_VERSION) return `Expected \`version\` ${PROTOCOL_VERSION}, got ${describe(value.version)}`;
      const source = value.source;
      if (!isObject(source) || !shortString(source.id, 1024) || !shortString(source.name, 1024)) {
        return `Expected \`source\` to be { id: string, name: string }, got ${describe(source)}`;
      }
      if (value.token !== undefined && typeof value.token !== 'string') return `Expected \`token\` to be a string, got ${describe(value.token)}`;
      const produce: ProducerMessage = { type: 'produce', version: PROTOCOL_VERSION, source: { id: source.id, name: source.name } };
      if (typeof value.token === 'string') produce.token = value.token;
      return produce;
    }
    case 'full':
      if (!Array.isArray(value.actors) || !isObject(value.stats) || typeof value.at !== 'number') {
        return 'Expected a full state with `actors` (array), `stats` and `at`';
      }
      return value as unknown as SourceMessage;
    case 'delta':
      if (!Array.isArray(value.ops) || !isObject(value.stats) || typeof value.at !== 'number') {
        return 'Expected a delta with `ops` (array), `stats` and `at`';
      }
      if (!value.ops.every((op) => isObject(op) && typeof op.op === 'string')) return 'Expected every delta op to have an `op`';
      return value as unknown as SourceMessage;
    case 'dead-letters':
      if (!Array.isArray(value.letters) || typeof value.total !== 'number' || typeof value.at !== 'number') {
        return 'Expected dead letters with `letters` (array), `total` and `at`';
      }
      if (!value.letters.every((letter) => isObject(letter) && shortString(letter.id, 1024))) return 'Expected every dead letter to have an `id`';
      return value as unknown as SourceMessage;
    case 'machine':
      if (!isObject(value.machine) || !shortString(value.machine.id, 1024) || !isObject(value.machine.root)) {
        return 'Expected a machine message with `machine.id` and `machine.root`';
      }
      return value as unknown as SourceMessage;
    case 'ack':
      if (!shortString(value.ref) || typeof value.ok !== 'boolean') return 'Expected an ack with `ref` and `ok`';
      return value as unknown as AckMessage;
    default:
      return `Expected \`type\` to be produce, full, delta, machine or ack, got ${describe(value.type)}`;
  }
}

/** Whether a message comes from `@statelyai/inspect` (its events carry a `_version` string). */
export function isStatelyMessage(value: unknown): value is { type: string; sessionId: string; _version: string } & Record<string, unknown> {
  return (
    isObject(value) &&
    typeof value.type === 'string' &&
    value.type.startsWith('@xstate.') &&
    typeof value._version === 'string' &&
    typeof value.sessionId === 'string'
  );
}
