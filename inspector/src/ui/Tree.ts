/** The actor tree: sources → Sequence → Sites, each with the state counts of the actions below it. */
import { h } from 'preact';
import { stateValueToString, type ControlCommand } from '../../../src/inspect/protocol.js';
import type { SourceTree, TreeNode } from '../state/derive.js';
import { nameOf, type AppState, type Filters } from '../state/model.js';
import { StateChip } from './format.js';

interface NodeProps {
  node: TreeNode;
  depth: number;
  filters: Filters;
  setFilter: (patch: Partial<Filters>) => void;
  /** Pause/resume of a Sequence, when the source can be controlled. */
  control: ((source: string, command: ControlCommand) => void) | null;
}

function Node(props: NodeProps) {
  const { node, filters } = props;
  const paused = stateValueToString(node.actor.value).split('.').includes('paused');
  const active = filters.parent === node.actor.key;
  const named = nameOf(node.actor) !== node.actor.sessionId ? nameOf(node.actor) : '';
  const label = node.actor.kind === 'site' ? `Site ${named}` : node.actor.kind === 'sequence' ? `Sequence ${named}`.trim() : named || (node.actor.machineId ?? node.actor.id);
  return h(
    'li',
    { class: 'tree-node' },
    h(
      'button',
      { class: `tree-label ${active ? 'on' : ''}`, style: { paddingLeft: `${8 + props.depth * 14}px` }, onClick: () => props.setFilter({ parent: active ? null : node.actor.key, source: null }), title: node.actor.sessionId },
      h('span', { class: `kind kind-${node.actor.kind}` }),
      h('span', { class: 'tree-name' }, label),
      h('span', { class: 'muted small' }, node.total.toLocaleString()),
    ),
    node.actor.kind === 'sequence' && props.control
      ? h(
          'button',
          {
            class: `btn small pause ${paused ? 'on' : ''}`,
            'data-testid': paused ? 'resume' : 'pause',
            onClick: () => props.control!(node.actor.source, { type: paused ? 'resume' : 'pause' }),
          },
          paused ? '▶ Resume' : '❚❚ Pause',
        )
      : null,
    Object.keys(node.counts).length > 0
      ? h(
          'div',
          { class: 'counts', style: { paddingLeft: `${26 + props.depth * 14}px` } },
          Object.entries(node.counts)
            .sort((a, b) => b[1] - a[1])
            .map(([state, count]) =>
              h(StateChip, { key: state, state, count, active: filters.state === state && active, onClick: () => props.setFilter({ parent: node.actor.key, state: filters.state === state && active ? null : state }) }),
            ),
        )
      : null,
    node.groups.length > 0 ? h('ul', null, node.groups.map((group) => h(Node, { key: group.actor.key, node: group, depth: props.depth + 1, filters, setFilter: props.setFilter, control: props.control }))) : null,
  );
}

export function Tree(props: { state: AppState; trees: SourceTree[]; setFilter: (patch: Partial<Filters>) => void; control: (source: string, command: ControlCommand) => void }) {
  const { state } = props;
  return h(
    'nav',
    { class: 'tree', 'aria-label': 'Actor tree' },
    props.trees.map((tree) => {
      const source = state.sources.find((s) => s.id === tree.source);
      const stats = state.stats[tree.source];
      const on = state.filters.source === tree.source;
      return h(
        'section',
        { key: tree.source, class: 'tree-source' },
        h(
          'button',
          { class: `source-head ${on ? 'on' : ''}`, onClick: () => props.setFilter({ source: on ? null : tree.source, parent: null }) },
          h('span', { class: `dot ${source?.connected === false ? 'off' : 'on'}` }),
          h('b', null, source?.name ?? tree.source),
          h('span', { class: 'badge' }, source?.kind ?? 'source'),
        ),
        stats && (stats.droppedActors > 0 || stats.droppedEvents > 0)
          ? h('div', { class: 'muted small dropped' }, `evicted/dropped: ${stats.droppedActors.toLocaleString()} actors, ${stats.droppedEvents.toLocaleString()} events`)
          : null,
        stats?.waiting ? h('div', { class: 'muted small waiting' }, `flood: ${stats.waiting.toLocaleString()} new actors wait for the next intake`) : null,
        h('ul', null, tree.roots.map((root) => h(Node, { key: root.actor.key, node: root, depth: 0, filters: state.filters, setFilter: props.setFilter, control: state.canControl && source?.controllable ? props.control : null }))),
      );
    }),
    state.evicted > 0 ? h('div', { class: 'muted small dropped' }, `${state.evicted.toLocaleString()} finished actions evicted from this view`) : null,
  );
}
