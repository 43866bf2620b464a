/**
 * Wire format 3's packed actor frames: a joining viewer's `full` frame and the `delta`s
 * that add the rest carry their actors packed instead of as JSON objects. Each object
 * becomes an array `[shape, ...values]` (a shape is its key list, sent once per frame)
 * and each string an index into the frame's string table (sent once per frame), so the
 * keys and the ids, names, states and queues that thousands of actors share are not
 * repeated: 90k held actions went from ~56 MB to a small fraction of it. Pure, no Node
 * imports: the server packs, the web app and test viewers unpack (see {@link unpackFrame}).
 *
 * A packed value is: a number, boolean or null as it is, except a negative integer, which is
 * an entry of the frame's table (`-1 - index` into `shared`: a string, or a large integer such
 * as a timestamp, which actors share too); an array, which is an object (`[shape, ...values]`);
 * `{ a: [...] }`, an array of packed values; `{ n: number }`, a negative integer.
 */
import type { DeltaOp, Json, ServerMessage, SourceStats, WireActor } from './protocol.js';

/** Actors packed together, sharing their string table and shapes. */
export interface PackedActors {
  /** Every string of the actors (keys are in `shapes`) and every large integer (timestamps), each once. */
  readonly shared: Array<string | number>;
  /** Key lists of the objects, each once; an object refers to its shape by index. */
  readonly shapes: string[][];
  /** One packed value per actor. */
  readonly actors: PackedValue[];
}

/** A packed JSON value (see the module's description). */
export type PackedValue = number | boolean | null | PackedValue[] | { a: PackedValue[] } | { n: number };

/** A `full` frame whose actors are packed. */
export interface PackedFullFrame {
  type: 'full';
  source: string;
  at: number;
  packed: PackedActors;
  stats: SourceStats;
}

/** A `delta` frame of `add` ops (no trails) whose actors are packed. */
export interface PackedAddsFrame {
  type: 'delta';
  source: string;
  at: number;
  packed: PackedActors;
  stats: SourceStats;
}

/** What a viewer may receive: a message, or a frame of packed actors standing for one. */
export type ServerFrame = ServerMessage | PackedFullFrame | PackedAddsFrame;

/** Integers from here on (timestamps) go in the shared table: they repeat across an action's fields and across actors. */
const LARGE = 1e9;

/** Packs `actors` (sanitized wire actors: JSON only). */
export function packActors(actors: readonly WireActor[]): PackedActors {
  const shared: Array<string | number> = [];
  const sharedIndex = new Map<string | number, number>();
  const refer = (value: string | number): number => {
    let index = sharedIndex.get(value);
    if (index === undefined) {
      index = shared.length;
      shared.push(value);
      sharedIndex.set(value, index);
    }
    return -1 - index;
  };
  const shapes: string[][] = [];
  const shapeIndex = new Map<string, number>();
  const pack = (value: unknown): PackedValue => {
    switch (typeof value) {
      case 'string':
        return refer(value);
      case 'number':
        if (!Number.isInteger(value)) return value;
        if (value >= LARGE) return refer(value);
        return value < 0 ? { n: value } : value;
      case 'boolean':
        return value;
      case 'object': {
        if (value === null) return null;
        if (Array.isArray(value)) return { a: value.map(pack) };
        const record = value as Record<string, unknown>;
        const keys: string[] = [];
        for (const key in record) if (record[key] !== undefined) keys.push(key);
        const signature = keys.join('\u0000');
        let shape = shapeIndex.get(signature);
        if (shape === undefined) {
          shape = shapes.length;
          shapes.push(keys);
          shapeIndex.set(signature, shape);
        }
        const packed: PackedValue[] = [shape];
        for (const key of keys) packed.push(pack(record[key]));
        return packed;
      }
      default:
        // Not JSON (the adapter sanitizes everything it sends): dropped, as JSON.stringify drops it.
        return null;
    }
  };
  return { shared, shapes, actors: actors.map(pack) };
}

/** The actors of {@link packActors}, as they were. */
export function unpackActors(packed: PackedActors): WireActor[] {
  const { shared, shapes } = packed;
  const unpack = (value: PackedValue): Json => {
    if (typeof value === 'number') return Number.isInteger(value) && value < 0 ? shared[-1 - value]! : value;
    if (value === null || typeof value === 'boolean') return value;
    if (Array.isArray(value)) {
      const keys = shapes[value[0] as number]!;
      const record: Record<string, Json> = {};
      for (let i = 0; i < keys.length; i++) record[keys[i]!] = unpack(value[i + 1]!);
      return record;
    }
    if ('a' in value) return value.a.map(unpack);
    return value.n;
  };
  return packed.actors.map((actor) => unpack(actor) as unknown as WireActor);
}

/** Whether every op of `ops` adds an actor without a trail (a join's frame). */
function onlyPlainAdds(ops: readonly DeltaOp[]): ops is Array<Extract<DeltaOp, { op: 'add' }>> {
  for (const op of ops) if (op.op !== 'add' || op.trail !== undefined) return false;
  return true;
}

/**
 * The frame the server sends for `message`: a `full` state, or a `delta` that only adds
 * actors, with its actors packed; any other message as it is.
 */
export function packFrame(message: ServerMessage): ServerFrame {
  if (message.type === 'full') {
    const { actors, ...rest } = message;
    return { ...rest, packed: packActors(actors) };
  }
  if (message.type === 'delta' && message.ops.length > 1 && onlyPlainAdds(message.ops)) {
    const { ops, ...rest } = message;
    return { ...rest, packed: packActors(ops.map((op) => op.actor)) };
  }
  return message;
}

/** The message a received frame stands for (a packed one unpacked; any other as it is). */
export function unpackFrame(frame: ServerFrame): ServerMessage {
  if ((frame.type !== 'full' && frame.type !== 'delta') || !('packed' in frame)) return frame as ServerMessage;
  const { packed, ...rest } = frame;
  const actors = unpackActors(packed);
  return frame.type === 'full'
    ? { ...(rest as Omit<PackedFullFrame, 'packed'>), actors }
    : { ...(rest as Omit<PackedAddsFrame, 'packed'>), ops: actors.map((actor) => ({ op: 'add', actor })) };
}
