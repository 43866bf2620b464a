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

/** A node of the shape trie: the shapes whose key lists start with the keys on the way here. */
class ShapeNode {
  /** The shape whose key list ends here, or -1. */
  index = -1;
  readonly next = new Map<string, ShapeNode>();
}

/** Whether JSON keeps a member of this value (it leaves out `undefined`, functions and symbols). */
function isKept(value: unknown): boolean {
  return value !== undefined && typeof value !== 'function' && typeof value !== 'symbol';
}

/** Packs `actors` (sanitized wire actors: JSON only; anything else as `JSON.stringify` would send it). */
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
  // Shapes found by walking their keys down a trie: no key list joined into a string per object.
  const root = new ShapeNode();
  const pack = (value: unknown): PackedValue => {
    switch (typeof value) {
      case 'string':
        return refer(value);
      case 'number':
        if (!Number.isInteger(value)) return Number.isFinite(value) ? value : null;
        if (value >= LARGE) return refer(value);
        return value < 0 ? { n: value } : value;
      case 'boolean':
        return value;
      case 'object': {
        if (value === null) return null;
        if (Array.isArray(value)) return { a: value.map((item: unknown) => (isKept(item) ? pack(item) : null)) };
        const record = value as Record<string, unknown>;
        if (typeof record.toJSON === 'function') return pack((record.toJSON as () => unknown)());
        const packed: PackedValue[] = [0];
        let node = root;
        for (const key of Object.keys(record)) {
          const member = record[key];
          if (!isKept(member)) continue;
          let child = node.next.get(key);
          if (child === undefined) {
            child = new ShapeNode();
            node.next.set(key, child);
          }
          node = child;
          packed.push(pack(member));
        }
        if (node.index < 0) {
          node.index = shapes.length;
          shapes.push(Object.keys(record).filter((key) => isKept(record[key])));
        }
        packed[0] = node.index;
        return packed;
      }
      default:
        // Not JSON (the adapter sanitizes everything it sends): as JSON.stringify sends it, null.
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
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const member = unpack(value[i + 1]!);
        // A `__proto__` key is a field as JSON.parse makes it, not the record's prototype.
        if (key === '__proto__') Object.defineProperty(record, key, { value: member, enumerable: true, writable: true, configurable: true });
        else record[key] = member;
      }
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
