/**
 * A statechart drawn from its machine definition, laid out by elkjs (nested,
 * parallel and history states, invoked actors): the current state and the last
 * transition taken are highlighted, and the path the actor took is drawn over
 * the chart with numbered steps. Pan and zoom with the wheel, by dragging, with
 * the buttons or the keyboard. The layout is computed once per machine.
 */
import { h } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Json, WireMachine } from '../../../src/inspect/protocol.js';
import { activeIds, activeIdsOfString, pathEdges, stepEdges } from '../chart/highlight.js';
import { labelRows, layoutMachine, LINE, type ChartEdge, type ChartLayout, type ChartNode } from '../chart/layout.js';
import { usePanZoom } from '../chart/usePanZoom.js';
import type { HistoryEntry } from '../state/model.js';

const layouts = new WeakMap<WireMachine, Promise<ChartLayout>>();

/** The layout of a machine, computed once per definition object. */
function layoutOnce(machine: WireMachine): Promise<ChartLayout> {
  let laid = layouts.get(machine);
  if (!laid) layouts.set(machine, (laid = layoutMachine(machine)));
  return laid;
}

/** An orthogonal route as a path with slightly rounded corners. */
function pathOf(points: ReadonlyArray<{ x: number; y: number }>): string {
  if (points.length === 0) return '';
  let d = `M${points[0]!.x},${points[0]!.y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i - 1]!;
    const c = points[i]!;
    const n = points[i + 1]!;
    const r = Math.min(6, Math.hypot(c.x - p.x, c.y - p.y) / 2, Math.hypot(n.x - c.x, n.y - c.y) / 2);
    const ax = c.x - (Math.sign(c.x - p.x) * r);
    const ay = c.y - (Math.sign(c.y - p.y) * r);
    const bx = c.x + (Math.sign(n.x - c.x) * r);
    const by = c.y + (Math.sign(n.y - c.y) * r);
    d += ` L${ax},${ay} Q${c.x},${c.y} ${bx},${by}`;
  }
  const end = points.at(-1)!;
  return `${d} L${end.x},${end.y}`;
}

/** The middle of a route, for a step badge. */
function midpoint(points: ReadonlyArray<{ x: number; y: number }>): { x: number; y: number } {
  if (points.length === 0) return { x: 0, y: 0 };
  const i = Math.floor((points.length - 1) / 2);
  const a = points[i]!;
  const b = points[Math.min(points.length - 1, i + 1)]!;
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

const CONTAINERS = new Set(['compound', 'parallel', 'region']);

function NodeShape(props: { node: ChartNode; active: boolean; visited: boolean }) {
  const { node } = props;
  const classes = ['node', node.kind, props.active ? 'active' : '', props.visited && !props.active ? 'visited' : '', node.final ? 'final' : ''].join(' ');
  if (node.kind === 'initial') return h('circle', { class: 'initial', cx: node.x + node.width / 2, cy: node.y + node.height / 2, r: 4 });
  if (node.kind === 'history') {
    return h(
      'g',
      { class: classes, 'data-state': node.id },
      h('title', null, node.id),
      h('circle', { cx: node.x + node.width / 2, cy: node.y + node.height / 2, r: node.width / 2 }),
      h('text', { x: node.x + node.width / 2, y: node.y + node.height / 2 + 4, 'text-anchor': 'middle' }, 'H'),
    );
  }
  const container = CONTAINERS.has(node.kind);
  return h(
    'g',
    { class: classes, 'data-state': node.id },
    h('title', null, node.id),
    h('rect', { x: node.x, y: node.y, width: node.width, height: node.height, rx: container ? 8 : 6 }),
    node.final ? h('rect', { class: 'inner', x: node.x + 3, y: node.y + 3, width: node.width - 6, height: node.height - 6, rx: 4 }) : null,
    h('text', { class: 'label', x: container ? node.x + 8 : node.x + node.width / 2, y: container ? node.y + 14 : node.y + 17, 'text-anchor': container ? 'start' : 'middle' }, node.kind === 'any' ? 'any state' : node.label, node.kind === 'parallel' ? h('tspan', { class: 'muted' }, ' ∥') : null),
    node.invoke.map((name, i) =>
      h('text', { key: name, class: 'invoke', x: container ? node.x + 8 : node.x + node.width / 2, y: (container ? node.y + 14 : node.y + 17) + 14 * (i + 1), 'text-anchor': container ? 'start' : 'middle' }, `invoke ${name}`),
    ),
  );
}

function EdgeShape(props: { edge: ChartEdge; last: boolean; onPath: boolean }) {
  const { edge } = props;
  const box = edge.labelBox;
  const rows = edge.lines.flatMap(labelRows);
  return h(
    'g',
    { class: `edge ${props.last ? 'last' : ''} ${props.onPath ? 'on-path' : ''}`, 'data-events': edge.events.join(' '), 'data-source': edge.source, 'data-target': edge.target },
    h('path', { d: pathOf(edge.points), 'marker-end': props.last ? 'url(#arrow-last)' : 'url(#arrow)' }),
    box
      ? h(
          'text',
          { x: box.x + box.width / 2, y: box.y + LINE - 2, 'text-anchor': 'middle' },
          rows.map((row, i) => h('tspan', { key: i, x: box.x + box.width / 2, dy: i === 0 ? 0 : LINE, class: row.startsWith('[') ? 'guard' : undefined }, row)),
        )
      : null,
  );
}

export function Statechart(props: { machine: WireMachine; value: Json; history: readonly HistoryEntry[]; lastEvent?: string | undefined }) {
  const [laid, setLaid] = useState<{ machine: WireMachine; layout: ChartLayout } | { machine: WireMachine; error: string } | null>(null);
  useEffect(() => {
    let current = true;
    layoutOnce(props.machine).then(
      (layout) => current && setLaid({ machine: props.machine, layout }),
      (error: unknown) => current && setLaid({ machine: props.machine, error: error instanceof Error ? error.message : String(error) }),
    );
    return () => {
      current = false;
    };
  }, [props.machine]);
  const layout = laid && laid.machine === props.machine && 'layout' in laid ? laid.layout : null;
  const panZoom = usePanZoom(layout?.width ?? 100, layout?.height ?? 100, `${props.machine.id}:${layout ? 'laid' : 'pending'}`);
  const active = useMemo(() => activeIds(props.machine.id, props.value), [props.machine.id, props.value]);
  const visited = useMemo(() => new Set(props.history.flatMap(([state]) => [...activeIdsOfString(props.machine.id, state)])), [props.machine.id, props.history]);
  const path = useMemo(() => (layout ? pathEdges(props.machine.id, props.history, layout.edges) : []), [layout, props.history]);
  const last = useMemo(() => {
    if (!layout || props.history.length < 2) return null;
    const before = activeIdsOfString(props.machine.id, props.history.at(-2)![0]);
    return stepEdges(layout.edges, before, active, props.lastEvent)[0] ?? null;
  }, [layout, props.history, active, props.lastEvent]);

  if (laid && laid.machine === props.machine && 'error' in laid) {
    return h('p', { class: 'muted small', 'data-testid': 'chart-error' }, `The chart of ${props.machine.id} could not be laid out: ${laid.error}`);
  }
  const onPath = new Set(path.map((step) => step.edge.id));
  const { view } = panZoom;
  return h(
    'div',
    { class: 'chart', 'data-testid': 'chart' },
    h(
      'div',
      { class: 'chart-tools' },
      h('button', { class: 'btn small', onClick: () => panZoom.zoom(0.8), title: 'Zoom out (-)', 'aria-label': 'Zoom out', 'data-testid': 'zoom-out' }, '−'),
      h('span', { class: 'mono small muted', 'data-testid': 'zoom-level' }, `${Math.round(view.scale * 100)}%`),
      h('button', { class: 'btn small', onClick: () => panZoom.zoom(1.25), title: 'Zoom in (+)', 'aria-label': 'Zoom in', 'data-testid': 'zoom-in' }, '+'),
      h('button', { class: 'btn small', onClick: panZoom.fit, title: 'Fit the whole chart (0)', 'data-testid': 'zoom-fit' }, 'Fit'),
      h('button', { class: 'btn small', onClick: panZoom.actual, title: 'Actual size (1)' }, '1:1'),
    ),
    h(
      'div',
      {
        class: 'chart-viewport',
        ref: panZoom.viewport,
        tabIndex: 0,
        role: 'application',
        'aria-label': `Statechart of ${props.machine.id}: arrows pan, + and - zoom, 0 fits`,
        onPointerDown: panZoom.handlers.onPointerDown,
        onPointerMove: panZoom.handlers.onPointerMove,
        onPointerUp: panZoom.handlers.onPointerUp,
        onPointerCancel: panZoom.handlers.onPointerUp,
        onKeyDown: panZoom.handlers.onKeyDown,
      },
      layout
        ? h(
            'svg',
            { class: 'statechart', width: '100%', height: '100%', role: 'img', 'aria-label': `Statechart of ${props.machine.id}` },
            h(
              'defs',
              null,
              h('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' }, h('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' })),
              h('marker', { id: 'arrow-last', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' }, h('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead last' })),
            ),
            h(
              'g',
              { transform: `translate(${view.x},${view.y}) scale(${view.scale})`, 'data-testid': 'chart-content' },
              layout.nodes.map((node) => h(NodeShape, { key: node.id, node, active: active.has(node.id), visited: visited.has(node.id) })),
              layout.edges.map((edge) => h(EdgeShape, { key: edge.id, edge, last: edge.id === last?.id, onPath: onPath.has(edge.id) })),
              h(
                'g',
                { class: 'path-overlay', 'data-testid': 'path-overlay' },
                path.map(({ step, edge }) => {
                  const at = midpoint(edge.points);
                  return h('g', { key: `${step}:${edge.id}`, class: 'path-step', 'data-step': step }, h('path', { d: pathOf(edge.points) }), h('circle', { cx: at.x, cy: at.y, r: 7 }), h('text', { x: at.x, y: at.y + 3.5, 'text-anchor': 'middle' }, String(step)));
                }),
              ),
            ),
          )
        : h('p', { class: 'muted small chart-pending' }, 'Laying out…'),
    ),
  );
}
