/**
 * Views computed from the app state: the actor tree with state counts, the
 * filtered action list, queue positions, and "waiting because…" for one action.
 * Pure functions of the state (and of `now`, in source-clock ms, where time matters).
 */
import { stateValueToString, type Json, type WaitingForFlow } from '../../../src/inspect/protocol.js';
import { actionContext, nameOf, type ActorView, type AppState, type Filters } from './model.js';

export interface TreeNode {
  actor: ActorView;
  /** Children that are containers (sites), shown in the tree. */
  groups: TreeNode[];
  /** Leaf count by state, over all descendants that are actions (or leaf actors). */
  counts: Record<string, number>;
  total: number;
}

export interface SourceTree {
  source: string;
  roots: TreeNode[];
}

const isLeaf = (actor: ActorView): boolean => actor.kind === 'action' || actor.kind === 'actor';

/** Sequence → Sites (→ any nested containers), with the state counts of the leaves below each. One pass over the actors. */
export function buildTree(state: AppState): SourceTree[] {
  const containers = new Map<string, ActorView[]>();
  const leafCounts = new Map<string, Map<string, number>>();
  const orphans: ActorView[] = [];
  for (const actor of state.actors.values()) {
    const parent = actor.parentId === null ? null : `${actor.source}|${actor.parentId}`;
    const leaf = isLeaf(actor);
    if (parent === null || !state.actors.has(parent)) {
      if (!leaf || parent === null) orphans.push(actor);
      continue;
    }
    if (leaf) {
      let counts = leafCounts.get(parent);
      if (!counts) leafCounts.set(parent, (counts = new Map()));
      const value = typeof actor.value === 'string' ? actor.value : stateValueToString(actor.value) || actor.status;
      counts.set(value, (counts.get(value) ?? 0) + 1);
    } else {
      let list = containers.get(parent);
      if (!list) containers.set(parent, (list = []));
      list.push(actor);
    }
  }
  const node = (actor: ActorView, depth: number): TreeNode => {
    const created: TreeNode = { actor, groups: [], counts: {}, total: 0 };
    for (const [value, count] of leafCounts.get(actor.key) ?? []) {
      created.counts[value] = count;
      created.total += count;
    }
    // Depth is bounded: a cycle in parent ids (a broken producer) cannot recurse forever.
    if (depth > 16) return created;
    for (const child of containers.get(actor.key) ?? []) {
      const group = node(child, depth + 1);
      created.groups.push(group);
      for (const [value, count] of Object.entries(group.counts)) created.counts[value] = (created.counts[value] ?? 0) + count;
      created.total += group.total;
    }
    return created;
  };
  const trees = new Map<string, SourceTree>();
  for (const source of state.sources) trees.set(source.id, { source: source.id, roots: [] });
  const bySeq = (a: ActorView, b: ActorView): number => a.seq - b.seq;
  for (const list of containers.values()) list.sort(bySeq);
  for (const actor of orphans.sort(bySeq)) {
    let tree = trees.get(actor.source);
    if (!tree) trees.set(actor.source, (tree = { source: actor.source, roots: [] }));
    tree.roots.push(node(actor, 0));
  }
  return [...trees.values()];
}

/** The actions (leaf actors) passing the filters, newest first. */
export function filterActions(state: AppState, filters: Filters = state.filters): ActorView[] {
  const search = filters.search.trim().toLowerCase();
  const parentIds = filters.parent !== null ? descendantsOf(state, filters.parent) : null;
  const out: ActorView[] = [];
  for (const actor of state.actors.values()) {
    if (!isLeaf(actor)) continue;
    if (filters.source !== null && actor.source !== filters.source) continue;
    if (parentIds !== null && !parentIds.has(`${actor.source}|${actor.parentId}`)) continue;
    if (filters.state !== null && (stateValueToString(actor.value) || actor.status) !== filters.state) continue;
    const name = nameOf(actor);
    if (filters.name !== null && name !== filters.name) continue;
    if (search !== '' && !matches(actor, name, search)) continue;
    out.push(actor);
  }
  return out.sort((a, b) => b.seq - a.seq);
}

function descendantsOf(state: AppState, key: string): Set<string> {
  const keys = new Set([key]);
  // Containers are few (sequence, sites): a fixed point over them is cheap.
  let grew = true;
  while (grew) {
    grew = false;
    for (const actor of state.actors.values()) {
      if (isLeaf(actor) || keys.has(actor.key) || actor.parentId === null) continue;
      if (keys.has(`${actor.source}|${actor.parentId}`)) {
        keys.add(actor.key);
        grew = true;
      }
    }
  }
  return keys;
}

/**
 * The lower-cased text a search looks in (name, actor id, action id), kept per
 * actor object: views are never changed in place (a change makes a new object),
 * so a keystroke at 100k actors costs one `includes` each instead of three
 * `toLowerCase`s.
 */
const searchText = new WeakMap<ActorView, string>();

function matches(actor: ActorView, name: string, search: string): boolean {
  let text = searchText.get(actor);
  if (text === undefined) {
    const id = actionContext(actor).id;
    text = `${name}\u0000${actor.id}\u0000${typeof id === 'string' ? id : ''}`.toLowerCase();
    searchText.set(actor, text);
  }
  return text.includes(search);
}

/** Every action name and state value present, for the filter menus. */
export function facets(state: AppState): { names: string[]; states: string[] } {
  const names = new Set<string>();
  const states = new Set<string>();
  for (const actor of state.actors.values()) {
    if (!isLeaf(actor)) continue;
    names.add(nameOf(actor));
    states.add(stateValueToString(actor.value) || actor.status);
  }
  return { names: [...names].sort(), states: [...states].sort() };
}

const PRIORITY: Record<string, number> = { high: 0, normal: 1, low: 2 };

/**
 * Position (1-based) and queue length of every queued action, by actor key: by
 * priority, then in arrival order.
 */
export function queuePositions(state: AppState): Map<string, { position: number; of: number; queue: string }> {
  const queues = new Map<string, [ActorView[], ActorView[], ActorView[]]>();
  for (const actor of state.actors.values()) {
    if (actor.value !== 'queued' || actor.kind !== 'action') continue;
    const context = actionContext(actor);
    const queue = `${actor.source}|${context.queue ?? ''}`;
    let lanes = queues.get(queue);
    if (!lanes) queues.set(queue, (lanes = [[], [], []]));
    lanes[PRIORITY[context.priority ?? 'normal'] ?? 1]!.push(actor);
  }
  const out = new Map<string, { position: number; of: number; queue: string }>();
  for (const lanes of queues.values()) {
    for (const lane of lanes) lane.sort((a, b) => a.seq - b.seq);
    const of = lanes[0].length + lanes[1].length + lanes[2].length;
    let position = 0;
    for (const lane of lanes) {
      for (const actor of lane) out.set(actor.key, { position: ++position, of, queue: actionContext(actor).queue ?? '' });
    }
  }
  return out;
}

/** Milliseconds as a short human duration: `850 ms`, `1.2 s`, `3 min 5 s`. */
export function formatDuration(ms: number): string {
  const value = Math.max(0, ms);
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(1)} s`;
  const minutes = Math.floor(value / 60_000);
  return `${minutes} min ${Math.round((value % 60_000) / 1000)} s`;
}

/**
 * Why an action is not running now, from its state and context (and its
 * parents' state: a paused Sequence, a Site at its concurrency limit).
 * `now` is in the source's clock.
 */
export function waitingBecause(state: AppState, actor: ActorView, now: number, position?: { position: number; of: number; queue: string }): string | null {
  if (actor.kind !== 'action') return null;
  const context = actionContext(actor);
  const attempts = context.attempts ?? [];
  const last = attempts.at(-1);
  const paused = pausedAncestor(state, actor);
  if (typeof context.waitingFor === 'string') return context.waitingFor;
  const flow = flowWait(context.waitingFor);
  if (flow !== null && stateValueToString(actor.value) === 'queued') {
    const next = flow.until === null ? 'until a running one finishes' : `next slot in ${formatDuration(flow.until - now)}`;
    return `waiting because ${flow.reason} on ${flow.key} (${next})`;
  }
  switch (stateValueToString(actor.value)) {
    case 'delayed':
      return context.notBefore != null ? `start delay: starts in ${formatDuration(context.notBefore - now)}` : `start delay of ${formatDuration(context.startDelay ?? 0)}`;
    case 'queued': {
      if (paused) return 'the Sequence is paused';
      const site = parentOf(state, actor);
      const limit = backpressure(site);
      const where = position ? `queue "${position.queue}": position ${position.position} of ${position.of}` : `queue "${context.queue ?? ''}"`;
      return limit ? `${where}; ${limit}` : where;
    }
    case 'hooks':
      return 'before-hooks are running';
    case 'running':
      return null;
    case 'retrying': {
      const reason = last?.error ? ` after ${last.error.name ?? 'Error'}: ${last.error.message ?? ''}` : '';
      const when = context.retryAt != null ? `retry in ${formatDuration(context.retryAt - now)}` : 'retry pending';
      return `backoff${reason}; ${when}${paused ? ' (Sequence paused)' : ''}`;
    }
    case 'afterHooks':
      return 'after-hooks are running';
    case 'cancelling':
      return `cancelling: waiting up to ${formatDuration(context.cancelGrace ?? 0)} for the attempt to stop`;
    default:
      return null;
  }
}

/** A flow limit's hold (`WaitingForFlow` in src/inspect/protocol.ts), or null. */
function flowWait(value: unknown): WaitingForFlow | null {
  if (typeof value !== 'object' || value === null) return null;
  const { reason, key, until } = value as Record<string, unknown>;
  if (typeof reason !== 'string' || typeof key !== 'string' || (until !== null && typeof until !== 'number')) return null;
  return { reason, key, until } as WaitingForFlow;
}

function parentOf(state: AppState, actor: ActorView): ActorView | undefined {
  return actor.parentId === null ? undefined : state.actors.get(`${actor.source}|${actor.parentId}`);
}

function pausedAncestor(state: AppState, actor: ActorView): boolean {
  for (let current = parentOf(state, actor); current; current = parentOf(state, current)) {
    if (stateValueToString(current.value).split('.').includes('paused')) return true;
    if ((current.context as { paused?: unknown } | null)?.paused === true) return true;
  }
  return false;
}

/** A Site's context saying it is full (`inFlight`/`running` ≥ `concurrency`) or out of licenses. */
function backpressure(site: ActorView | undefined): string | null {
  const context = site?.context as Record<string, unknown> | null | undefined;
  if (!context) return null;
  const limit = context.concurrency;
  const busy = context.inFlight ?? context.running ?? context.active;
  if (typeof limit === 'number' && typeof busy === 'number' && busy >= limit) return `site at its concurrency limit (${busy}/${limit}): backpressure`;
  const license = context.license as { available?: unknown } | undefined;
  if (license && license.available === 0) return 'waiting for a license';
  return null;
}

/** The source-clock time now, from the offset measured on the latest message. */
export function sourceNow(state: AppState, source: string, localNow: number): number {
  return localNow - (state.offsets[source] ?? 0);
}

/**
 * A reported progress as a fraction from 0 to 1, when it reads as one: a number
 * (0–1, or a percentage up to 100), or an object with `done`/`current`/`value`
 * over `total`/`max`. Anything else is shown as JSON only.
 */
export function progressFraction(value: Json | undefined): number | null {
  const clamp = (n: number): number => Math.min(1, Math.max(0, n));
  if (typeof value === 'number' && Number.isFinite(value)) return clamp(value <= 1 ? value : value / 100);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const part = value.done ?? value.current ?? value.value;
    const whole = value.total ?? value.max;
    if (typeof part === 'number' && typeof whole === 'number' && whole > 0) return clamp(part / whole);
    if (typeof value.percent === 'number') return clamp(value.percent / 100);
  }
  return null;
}
