/**
 * Statechart definitions for drawing: an XState v5 machine (its resolved `root`
 * state node) becomes a {@link WireMachine}.
 */
import type { AnyStateMachine } from 'xstate';
import type { WireMachine, WireStateNode, WireTransition } from './protocol.js';

interface StateNodeLike {
  id: string;
  key: string;
  type: WireStateNode['type'];
  states: Record<string, StateNodeLike>;
  transitions: Map<string, TransitionLike[]>;
  always?: TransitionLike[] | undefined;
  initial?: { target?: ReadonlyArray<{ id: string }> } | undefined;
  invoke?: ReadonlyArray<{ src?: unknown; id?: string }>;
  tags?: readonly string[];
  description?: string | undefined;
}

interface TransitionLike {
  eventType: string;
  target?: ReadonlyArray<{ id: string }> | undefined;
  guard?: unknown;
  delay?: unknown;
}

/** Whether a logic object is an XState machine (has a resolved root state node). */
export function isStateMachine(logic: unknown): logic is AnyStateMachine {
  const root = (logic as { root?: { transitions?: unknown } } | null)?.root;
  return typeof logic === 'object' && logic !== null && root instanceof Object && root.transitions instanceof Map;
}

/**
 * Describes a machine's states and transitions.
 * @example
 * describeMachine(createMachine({ id: 'm', initial: 'a', states: { a: { on: { GO: 'b' } }, b: {} } })).root.states.length; // 2
 */
export function describeMachine(machine: AnyStateMachine): WireMachine {
  return { id: machine.id, root: describeNode(machine.root as unknown as StateNodeLike) };
}

function describeNode(node: StateNodeLike): WireStateNode {
  const transitions: WireTransition[] = [];
  for (const list of node.transitions.values()) for (const transition of list) transitions.push(describeTransition(transition));
  for (const transition of node.always ?? []) transitions.push({ ...describeTransition(transition), event: '' });
  const out: WireStateNode = {
    id: node.id,
    key: node.key,
    type: node.type,
    initial: (node.initial?.target ?? []).map((target) => target.id),
    states: Object.values(node.states).map(describeNode),
    transitions,
    invoke: (node.invoke ?? []).map(invokeName),
    tags: [...(node.tags ?? [])],
  };
  if (typeof node.description === 'string') out.description = node.description;
  return out;
}

/** An invoke's own id when it was given one (XState makes `0.machine.state` otherwise), else its logic's name. */
function invokeName(definition: { src?: unknown; id?: string }): string {
  if (typeof definition.id === 'string' && !/^\d+\./.test(definition.id)) return definition.id;
  const src = nameOf(definition.src);
  return src === undefined || src.startsWith('xstate.invoke.') ? (definition.id ?? 'actor') : src;
}

function describeTransition(transition: TransitionLike): WireTransition {
  const out: WireTransition = {
    event: String(transition.eventType ?? ''),
    targets: (transition.target ?? []).map((target) => target.id),
  };
  const guard = nameOf(transition.guard);
  if (guard !== undefined) out.guard = guard;
  if (typeof transition.delay === 'number' || typeof transition.delay === 'string') out.delay = transition.delay;
  return out;
}

function nameOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'function') return value.name || 'inline';
  const type = (value as { type?: unknown }).type;
  if (typeof type === 'string') return type;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' ? id : 'inline';
}
