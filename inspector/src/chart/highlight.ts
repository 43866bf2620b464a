/**
 * What a chart highlights, from an actor's state and history: the active state
 * nodes, the last transition taken, and the path it took (each step matched to
 * the edge between the states it left and entered). Pure.
 */
import type { Json } from '../../../src/inspect/protocol.js';
import { ANY_STATE, type ChartEdge } from './layout.js';

/** Ids of the active state nodes for a state value (`{ a: 'b' }` → `m.a`, `m.a.b`). */
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

/**
 * Ids of the active nodes for a state written as a string (`running`,
 * `a.b`, `(a.x, b.y)`), as the history keeps it.
 */
export function activeIdsOfString(machineId: string, state: string): Set<string> {
  const out = new Set<string>();
  const parallel = state.startsWith('(') && state.endsWith(')');
  const parts = parallel ? splitTop(state.slice(1, -1)) : [state];
  for (const part of parts) {
    if (part.startsWith('(')) {
      // A nested parallel state inside a region: `key.(x, y)` is written as `key.(…)`.
      for (const id of activeIdsOfString(machineId, part)) out.add(id);
      continue;
    }
    const dot = part.indexOf('.(');
    if (dot >= 0) {
      const head = part.slice(0, dot);
      let prefix = machineId;
      for (const key of head.split('.')) out.add((prefix = `${prefix}.${key}`));
      for (const id of activeIdsOfString(prefix, part.slice(dot + 1))) out.add(id);
      continue;
    }
    let prefix = machineId;
    for (const key of part.split('.')) if (key !== '') out.add((prefix = `${prefix}.${key}`));
  }
  return out;
}

function splitTop(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out.filter((part) => part !== '');
}

/** True when `id` is `ancestor` or below it. */
const within = (id: string, ancestor: string): boolean => id === ancestor || id.startsWith(`${ancestor}.`);

/**
 * The edges that explain a step from `before` to `after` (sets of active ids):
 * an edge whose source was active before (or is any state) and whose target is
 * active after, and whose target was not already active (or it is a self loop).
 * With `event`, edges of that event are preferred.
 */
export function stepEdges(edges: readonly ChartEdge[], before: ReadonlySet<string>, after: ReadonlySet<string>, event?: string): ChartEdge[] {
  const entered = [...after].filter((id) => !before.has(id));
  const candidates = edges.filter((edge) => {
    if (edge.events.includes('init')) return false;
    const fromActive = edge.source === ANY_STATE || before.has(edge.source);
    if (!fromActive) return false;
    if (entered.length === 0) return edge.source === edge.target && after.has(edge.target) && (event === undefined || edge.events.includes(event));
    return entered.some((id) => within(id, edge.target) || within(edge.target, id));
  });
  if (event !== undefined) {
    const matching = candidates.filter((edge) => edge.events.includes(event));
    if (matching.length > 0) return matching;
  }
  // Prefer a transition from the deepest active state over one from an ancestor or any state.
  const direct = candidates.filter((edge) => edge.source !== ANY_STATE);
  return direct.length > 0 ? direct : candidates;
}

/** The path a state history took, as `[state, time, event?]` entries. */
export interface PathStep {
  /** 1-based step number along the path. */
  step: number;
  edge: ChartEdge;
}

/** The path through the chart: each consecutive pair of history states matched to its edges. */
export function pathEdges(machineId: string, history: ReadonlyArray<readonly [string, ...unknown[]]>, edges: readonly ChartEdge[]): PathStep[] {
  const out: PathStep[] = [];
  for (let i = 1; i < history.length; i++) {
    const before = activeIdsOfString(machineId, history[i - 1]![0]);
    const after = activeIdsOfString(machineId, history[i]![0]);
    const event = history[i]![2];
    // In a parallel state one event can move several regions: each region's edge is a step.
    const found = stepEdges(edges, before, after, typeof event === 'string' ? event : undefined);
    const regions = new Set<string>();
    for (const edge of found) {
      const region = edge.target.slice(0, edge.target.lastIndexOf('.'));
      if (regions.has(region)) continue;
      regions.add(region);
      out.push({ step: i, edge });
    }
  }
  return out;
}
