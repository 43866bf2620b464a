/**
 * Lays out a statechart with elkjs (the layered algorithm, hierarchy handled as
 * one graph): compound and parallel states become containers, their regions and
 * children nested inside, initial and history pseudo-states small circles, and
 * every transition an edge routed across the hierarchy with its label placed by
 * ELK. Pure and asynchronous (ELK runs off the render), so it is tested in Node.
 * Coordinates come back absolute (`elk.json.shapeCoords`/`edgeCoords: ROOT`).
 */
import ElkBundled from 'elkjs/lib/elk.bundled.js';
import type { ELK, ElkExtendedEdge, ElkLabel, ElkNode } from 'elkjs/lib/elk-api.js';
import type { WireMachine, WireStateNode } from '../../../src/inspect/protocol.js';

export type ChartNodeKind = 'state' | 'compound' | 'parallel' | 'region' | 'initial' | 'history' | 'any';

export interface ChartNode {
  id: string;
  label: string;
  kind: ChartNodeKind;
  final: boolean;
  /** Names of the actors this state invokes, shown inside it. */
  invoke: string[];
  /** Nesting depth (the machine's top-level states are 0). */
  depth: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ChartEdge {
  id: string;
  source: string;
  target: string;
  /**
   * The event types of the transitions this edge draws (`''` for eventless, `init`
   * for an initial arrow): transitions between the same two states share one edge.
   */
  events: string[];
  /** One line per transition: `START`, `after backoff`, `ATTEMPT_FAILED [retryPlanned]`. */
  lines: string[];
  points: Array<{ x: number; y: number }>;
  labelBox: { x: number; y: number; width: number; height: number } | null;
}

export interface ChartLayout {
  width: number;
  height: number;
  /** Containers first (outer before inner), so states are drawn over them. */
  nodes: ChartNode[];
  edges: ChartEdge[];
}

/** The pseudo-node that root-level (`on` of the machine) transitions start from. */
export const ANY_STATE = '__any__';
const FONT = 11;
const CHAR = 6.3;
const STATE_HEIGHT = 24;
const HEADER = 20;
/** Height of one row of an edge label. */
export const LINE = 12;

/** The rows a transition's label is drawn in: the event, then its guard. */
export function labelRows(line: string): string[] {
  const guard = line.indexOf(' [');
  return guard < 0 ? [line] : [line.slice(0, guard), line.slice(guard + 1)];
}

/** A short label for an event type: `after 200ms`, `done: fetch`, `always`. */
export function eventLabel(event: string, delay?: number | string): string {
  if (event === '') return 'always';
  if (event.startsWith('xstate.after.')) return `after ${typeof delay === 'number' ? `${delay}ms` : (delay ?? event.split('.')[2])}`;
  if (event.startsWith('xstate.done.actor.')) return `done: ${event.slice(18)}`;
  if (event.startsWith('xstate.error.actor.')) return `error: ${event.slice(19)}`;
  if (event.startsWith('xstate.done.state.')) return 'done';
  return event;
}

const textWidth = (text: string): number => Math.ceil(text.length * CHAR) + 12;

const LAYOUT_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.spacing.nodeNodeBetweenLayers': '18',
  'elk.spacing.nodeNode': '16',
  'elk.spacing.edgeNode': '10',
  'elk.spacing.edgeEdge': '6',
  'elk.spacing.edgeLabel': '2',
  'elk.spacing.componentComponent': '16',
  'elk.layered.spacing.edgeNodeBetweenLayers': '8',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '6',
  'elk.edgeLabels.inline': 'true',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  // States are declared in the order they are usually visited: transitions back up (retry → queued) are the loops.
  'elk.layered.cycleBreaking.strategy': 'MODEL_ORDER',
  'elk.layered.wrapping.strategy': 'OFF',
  'elk.padding': '[top=8,left=8,bottom=8,right=8]',
  'elk.json.shapeCoords': 'ROOT',
  'elk.json.edgeCoords': 'ROOT',
};

interface Meta {
  label: string;
  kind: ChartNodeKind;
  final: boolean;
  invoke: string[];
  depth: number;
}

interface EdgeMeta {
  source: string;
  target: string;
  events: string[];
  lines: string[];
}

/** The ELK graph of a machine, with what the drawing needs beside each id. */
export function elkGraph(machine: WireMachine): { graph: ElkNode; meta: Map<string, Meta>; edgeMeta: Map<string, EdgeMeta> } {
  const meta = new Map<string, Meta>();
  const edgeMeta = new Map<string, EdgeMeta>();
  const known = new Set<string>();
  const edges: ElkExtendedEdge[] = [];
  const byEnds = new Map<string, EdgeMeta>();
  const addEdge = (source: string, target: string, event: string, label: string): void => {
    const ends = `${source}\u0000${target}`;
    const existing = byEnds.get(ends);
    if (existing) {
      existing.events.push(event);
      if (label !== '') existing.lines.push(label);
      return;
    }
    const created: EdgeMeta = { source, target, events: [event], lines: label === '' ? [] : [label] };
    byEnds.set(ends, created);
  };

  const collect = (node: WireStateNode): void => {
    known.add(node.id);
    for (const child of node.states) collect(child);
  };
  collect(machine.root);

  const build = (node: WireStateNode, depth: number, parentType: WireStateNode['type']): ElkNode => {
    const container = node.states.length > 0;
    const kind: ChartNodeKind =
      node.type === 'history' ? 'history' : !container ? 'state' : parentType === 'parallel' ? (node.type === 'parallel' ? 'parallel' : 'region') : node.type === 'parallel' ? 'parallel' : 'compound';
    meta.set(node.id, { label: node.key, kind, final: node.type === 'final', invoke: node.invoke, depth });
    if (kind === 'history') return { id: node.id, width: 22, height: 22 };
    if (!container) {
      const invokeLines = node.invoke.map((name) => `invoke ${name}`);
      const width = Math.max(64, ...[node.key, ...invokeLines].map(textWidth));
      return { id: node.id, width, height: STATE_HEIGHT + invokeLines.length * (FONT + 3) };
    }
    const children = node.states.map((child) => build(child, depth + 1, node.type));
    if (node.type !== 'parallel' && node.initial.length > 0) {
      const initial = `${node.id}.__initial__`;
      meta.set(initial, { label: '', kind: 'initial', final: false, invoke: [], depth: depth + 1 });
      children.unshift({ id: initial, width: 10, height: 10 });
      for (const target of node.initial) if (known.has(target)) addEdge(initial, target, 'init', '');
    }
    const header = HEADER + node.invoke.length * (FONT + 3);
    return {
      id: node.id,
      children,
      labels: [{ text: node.key, width: textWidth(node.key), height: FONT + 4 }],
      layoutOptions: {
        'elk.padding': `[top=${header + 4},left=8,bottom=8,right=8]`,
        // Regions of a parallel state side by side; states within a region top to bottom.
        ...(node.type === 'parallel' ? { 'elk.direction': 'RIGHT' } : {}),
        'elk.nodeSize.constraints': 'MINIMUM_SIZE NODE_LABELS',
        'elk.nodeSize.minimum': `(${Math.max(textWidth(node.key), ...node.invoke.map((name) => textWidth(`invoke ${name}`))) + 16},40)`,
        'elk.nodeLabels.placement': 'INSIDE V_TOP H_LEFT',
      },
    };
  };

  const root = machine.root;
  const children = root.states.map((child) => build(child, 0, root.type));
  if (root.type !== 'parallel' && root.initial.length > 0) {
    meta.set('__initial__', { label: '', kind: 'initial', final: false, invoke: [], depth: 0 });
    children.unshift({ id: '__initial__', width: 10, height: 10 });
    for (const target of root.initial) if (known.has(target)) addEdge('__initial__', target, 'init', '');
  }
  if (root.transitions.some((t) => t.targets.some((target) => known.has(target)))) {
    meta.set(ANY_STATE, { label: 'any state', kind: 'any', final: false, invoke: [], depth: 0 });
    // First in model order, so its transitions point forward (down) like the others.
    children.splice(root.initial.length > 0 ? 1 : 0, 0, { id: ANY_STATE, width: 70, height: 20 });
  }
  const addTransitions = (node: WireStateNode, from: string): void => {
    for (const transition of node.transitions) {
      const label = eventLabel(transition.event, transition.delay) + (transition.guard ? ` [${transition.guard}]` : '');
      for (const target of transition.targets) if (known.has(target) && target !== root.id) addEdge(from, target, transition.event, label);
    }
  };
  addTransitions(root, ANY_STATE);
  const walk = (node: WireStateNode): void => {
    for (const child of node.states) {
      addTransitions(child, child.id);
      walk(child);
    }
  };
  walk(root);
  let n = 0;
  for (const info of byEnds.values()) {
    const id = `e${n++}`;
    // Two rows per guarded transition (event, then guard), so labels stay narrow.
    const rows = info.lines.flatMap(labelRows);
    const labels: ElkLabel[] = rows.length === 0 ? [] : [{ id: `${id}.label`, text: rows.join('\n'), width: Math.max(...rows.map(textWidth)) - 6, height: rows.length * LINE + 3 }];
    edges.push({ id, sources: [info.source], targets: [info.target], labels });
    edgeMeta.set(id, info);
  }
  return { graph: { id: '__root__', layoutOptions: LAYOUT_OPTIONS, children, edges }, meta, edgeMeta };
}

type ElkConstructor = new () => ELK;
// A CommonJS module: its constructor is the default export under a bundler, `.default` of it under Node.
const ElkClass = ((ElkBundled as unknown as { default?: ElkConstructor }).default ?? ElkBundled) as unknown as ElkConstructor;
let engine: ELK | undefined;

/** Lays out a machine (one shared ELK instance, created on first use). */
export async function layoutMachine(machine: WireMachine): Promise<ChartLayout> {
  const { graph, meta, edgeMeta } = elkGraph(machine);
  engine ??= new ElkClass();
  const laid = await engine.layout(graph);
  const nodes: ChartNode[] = [];
  const visit = (node: ElkNode): void => {
    const info = meta.get(node.id);
    if (info) nodes.push({ id: node.id, ...info, x: node.x ?? 0, y: node.y ?? 0, width: node.width ?? 0, height: node.height ?? 0 });
    for (const child of node.children ?? []) visit(child);
  };
  for (const child of laid.children ?? []) visit(child);
  const container = (kind: ChartNodeKind): boolean => kind === 'compound' || kind === 'parallel' || kind === 'region';
  nodes.sort((a, b) => Number(container(b.kind)) - Number(container(a.kind)) || (container(a.kind) ? a.depth - b.depth : 0));
  const edges: ChartEdge[] = [];
  const collectEdges = (node: ElkNode): void => {
    for (const edge of node.edges ?? []) {
      const info = edgeMeta.get(edge.id);
      if (!info) continue;
      const points: Array<{ x: number; y: number }> = [];
      for (const section of edge.sections ?? []) {
        points.push(section.startPoint, ...(section.bendPoints ?? []), section.endPoint);
      }
      const label = edge.labels?.[0];
      edges.push({
        id: edge.id,
        ...info,
        points,
        labelBox: label ? { x: label.x ?? 0, y: label.y ?? 0, width: label.width ?? 0, height: label.height ?? 0 } : null,
      });
    }
    for (const child of node.children ?? []) collectEdges(child);
  };
  collectEdges(laid);
  return { width: laid.width ?? 100, height: laid.height ?? 100, nodes, edges };
}
