/**
 * A statechart drawn from its machine definition: dagre lays out states (nested
 * states as clusters) and transitions; the current state is highlighted and the
 * states this actor went through are marked. The layout is computed once per
 * machine, not per snapshot.
 */
import { Graph, layout } from '@dagrejs/dagre';
import { h } from 'preact';
import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Json, WireMachine, WireStateNode } from '../../../src/inspect/protocol.js';

interface LaidNode {
  id: string;
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
  kind: 'state' | 'cluster' | 'initial' | 'any';
  final: boolean;
}
interface LaidEdge {
  points: Array<{ x: number; y: number }>;
  label: string;
  x: number;
  y: number;
}
export interface ChartLayout {
  width: number;
  height: number;
  nodes: LaidNode[];
  edges: LaidEdge[];
}

const ANY = '__any__';

/** A short label for an event type: `after 200ms`, `done: fetch`, `always`. */
export function eventLabel(event: string, delay?: number | string): string {
  if (event === '') return 'always';
  if (event.startsWith('xstate.after.')) return `after ${typeof delay === 'number' ? `${delay}ms` : (delay ?? event.split('.')[2])}`;
  if (event.startsWith('xstate.done.actor.')) return `done: ${event.slice(18)}`;
  if (event.startsWith('xstate.error.actor.')) return `error: ${event.slice(19)}`;
  return event;
}

/** Lays out a machine; pure, so it can be tested without a browser. */
export function layoutMachine(machine: WireMachine): ChartLayout {
  const graph = new Graph({ compound: true, multigraph: true });
  graph.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 44, edgesep: 12, marginx: 12, marginy: 12 });
  graph.setDefaultEdgeLabel(() => ({}));
  const kinds = new Map<string, LaidNode['kind']>();
  const finals = new Set<string>();
  const labels = new Map<string, string>();

  const addState = (node: WireStateNode, parent: string | undefined): void => {
    const cluster = node.states.length > 0;
    labels.set(node.id, node.key);
    kinds.set(node.id, cluster ? 'cluster' : 'state');
    if (node.type === 'final') finals.add(node.id);
    graph.setNode(node.id, cluster ? { label: node.key, paddingTop: 24 } : { label: node.key, width: Math.max(84, node.key.length * 7.4 + 28), height: 34 });
    if (parent !== undefined) graph.setParent(node.id, parent);
    for (const child of node.states) addState(child, cluster ? node.id : parent);
    if (cluster && node.initial.length > 0) {
      const initial = `${node.id}.__initial__`;
      graph.setNode(initial, { width: 10, height: 10 });
      kinds.set(initial, 'initial');
      graph.setParent(initial, node.id);
      for (const target of node.initial) graph.setEdge(initial, target, { width: 0, height: 0 }, `init:${target}`);
    }
  };
  const root = machine.root;
  for (const child of root.states) addState(child, undefined);
  if (root.initial.length > 0) {
    graph.setNode('__initial__', { width: 10, height: 10 });
    kinds.set('__initial__', 'initial');
    for (const target of root.initial) graph.setEdge('__initial__', target, { width: 0, height: 0 }, `init:${target}`);
  }
  let n = 0;
  const addTransitions = (node: WireStateNode, from: string): void => {
    for (const transition of node.transitions) {
      const label = eventLabel(transition.event, transition.delay) + (transition.guard ? ` [${transition.guard}]` : '');
      for (const target of transition.targets) {
        if (!graph.hasNode(target)) continue;
        graph.setEdge(from, target, { label, width: label.length * 6.2 + 8, height: 16, labelpos: 'c' }, `t${n++}`);
      }
    }
    for (const child of node.states) addTransitions(child, child.id);
  };
  if (root.transitions.some((t) => t.targets.length > 0)) {
    graph.setNode(ANY, { width: 64, height: 24 });
    kinds.set(ANY, 'any');
    labels.set(ANY, 'any state');
  }
  addTransitions({ ...root, states: [] }, ANY);
  for (const child of root.states) addTransitions(child, child.id);
  layout(graph);

  const nodes: LaidNode[] = graph.nodes().map((id: string) => {
    const data = graph.node(id) as { x: number; y: number; width: number; height: number };
    return { id, label: labels.get(id) ?? '', x: data.x, y: data.y, width: data.width, height: data.height, kind: kinds.get(id) ?? 'state', final: finals.has(id) };
  });
  // Clusters first, so states are drawn over them.
  nodes.sort((a, b) => Number(b.kind === 'cluster') - Number(a.kind === 'cluster'));
  const edges: LaidEdge[] = graph.edges().map((edge: { v: string; w: string; name?: string }) => {
    const data = graph.edge(edge) as { points?: Array<{ x: number; y: number }>; label?: string; x?: number; y?: number };
    return { points: data.points ?? [], label: data.label ?? '', x: data.x ?? 0, y: data.y ?? 0 };
  });
  const size = graph.graph() as { width?: number; height?: number };
  return { width: size.width ?? 100, height: size.height ?? 100, nodes, edges };
}

/** Ids of the active state nodes for a state value. */
export function activeIds(machineId: string, value: Json): Set<string> {
  const out = new Set<string>();
  const walk = (prefix: string, current: Json): void => {
    if (typeof current === 'string') out.add(`${prefix}.${current}`);
    else if (current !== null && typeof current === 'object' && !Array.isArray(current)) {
      for (const [key, child] of Object.entries(current)) {
        out.add(`${prefix}.${key}`);
        walk(`${prefix}.${key}`, child);
      }
    }
  };
  walk(machineId, value);
  return out;
}

function pathOf(points: Array<{ x: number; y: number }>): string {
  if (points.length === 0) return '';
  let d = `M${points[0]!.x},${points[0]!.y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i]!;
    const q = points[i + 1]!;
    d += ` Q${p.x},${p.y} ${(p.x + q.x) / 2},${(p.y + q.y) / 2}`;
  }
  const end = points.at(-1)!;
  return `${d} L${end.x},${end.y}`;
}

export function Statechart(props: { machine: WireMachine; value: Json; visited: readonly string[] }) {
  const chart = useMemo(() => layoutMachine(props.machine), [props.machine]);
  const active = activeIds(props.machine.id, props.value);
  const visited = new Set(props.visited.flatMap((state) => [...activeIds(props.machine.id, state)]));
  const scroller = useRef<HTMLDivElement>(null);
  const [fit, setFit] = useState(false);
  const focus = chart.nodes.filter((node) => active.has(node.id) && node.kind === 'state').at(-1);
  // Drawn at its natural size (readable), scrolled so that the current state is in view.
  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element || !focus) return;
    element.scrollLeft = Math.max(0, focus.x - element.clientWidth / 2);
    element.scrollTop = Math.max(0, focus.y - element.clientHeight / 2);
  }, [focus?.id, chart, fit]);
  return h(
    'div',
    { class: `chart-scroll ${fit ? 'fit' : ''}`, ref: scroller },
    h('button', { class: 'btn small chart-toggle', onClick: () => setFit(!fit), title: fit ? 'Actual size' : 'Fit the whole chart' }, fit ? '1:1' : 'Fit'),
    h(
      'svg',
      { class: 'statechart', viewBox: `0 0 ${chart.width} ${chart.height}`, width: chart.width, height: chart.height, role: 'img', 'aria-label': `Statechart of ${props.machine.id}` },
      h('defs', null, h('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, h('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))),
      chart.nodes.map((node) => {
        const x = node.x - node.width / 2;
        const y = node.y - node.height / 2;
        if (node.kind === 'initial') return h('circle', { key: node.id, cx: node.x, cy: node.y, r: 5, class: 'initial' });
        const classes = ['node', node.kind, active.has(node.id) ? 'active' : '', visited.has(node.id) && !active.has(node.id) ? 'visited' : '', node.final ? 'final' : ''].join(' ');
        return h(
          'g',
          { key: node.id, class: classes, 'data-state': node.id },
          h('rect', { x, y, width: node.width, height: node.height, rx: node.kind === 'cluster' ? 10 : 8 }),
          node.final ? h('rect', { x: x + 3, y: y + 3, width: node.width - 6, height: node.height - 6, rx: 6, class: 'inner' }) : null,
          h('text', { x: node.kind === 'cluster' ? x + 10 : node.x, y: node.kind === 'cluster' ? y + 16 : node.y + 4, 'text-anchor': node.kind === 'cluster' ? 'start' : 'middle' }, node.label),
        );
      }),
      chart.edges.map((edge, i) =>
        h(
          'g',
          { key: `e${i}`, class: 'edge' },
          h('path', { d: pathOf(edge.points), 'marker-end': 'url(#arrow)' }),
          edge.label ? h('text', { x: edge.x, y: edge.y + 4, 'text-anchor': 'middle' }, edge.label) : null,
        ),
      ),
    ),
  );
}
