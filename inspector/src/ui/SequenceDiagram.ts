/**
 * A sequence diagram of one action's life: lifelines for its Sequence, its Site
 * and the Action, and one arrow per step, top to bottom in time, with the time
 * since it was assigned.
 */
import { h } from 'preact';
import { formatDuration } from '../state/derive.js';
import { lifeSteps, type Lane } from '../state/lifeline.js';
import { actionContext, nameOf, type ActorView, type AppState } from '../state/model.js';

const LANES: Lane[] = ['sequence', 'site', 'action'];
const COLUMN = 190;
const ROW = 26;
const TOP = 40;
const LEFT = 90;

export function SequenceDiagram(props: { state: AppState; actor: ActorView }) {
  const { state, actor } = props;
  const steps = lifeSteps(state, actor);
  const site = actionContext(actor).site ?? 'Site';
  const titles: Record<Lane, string> = { sequence: 'Sequence', site: `Site ${site}`, action: nameOf(actor) };
  const x = (lane: Lane): number => LEFT + LANES.indexOf(lane) * COLUMN;
  const height = TOP + steps.length * ROW + 16;
  const width = LEFT + (LANES.length - 1) * COLUMN + 110;
  const start = steps[0]?.at ?? 0;
  return h(
    'div',
    { class: 'seq-diagram', 'data-testid': 'sequence-diagram' },
    h(
      'svg',
      { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `Sequence diagram of ${nameOf(actor)}` },
      h('defs', null, h('marker', { id: 'seq-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' }, h('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))),
      LANES.map((lane) =>
        h(
          'g',
          { key: lane, class: `lane lane-${lane}` },
          h('rect', { x: x(lane) - 60, y: 4, width: 120, height: 22, rx: 5 }),
          h('text', { x: x(lane), y: 19, 'text-anchor': 'middle' }, titles[lane].length > 18 ? `${titles[lane].slice(0, 17)}…` : titles[lane]),
          h('line', { x1: x(lane), y1: 26, x2: x(lane), y2: height - 4 }),
        ),
      ),
      steps.map((step, i) => {
        const y = TOP + i * ROW + 12;
        const time = h('text', { class: 'seq-time', x: 4, y: y + 4 }, `+${formatDuration(step.at - start)}`);
        if (step.from === step.to) {
          const x0 = x(step.from);
          return h(
            'g',
            { key: i, class: `seq-step ${step.kind}`, 'data-kind': step.kind },
            time,
            h('path', { d: `M${x0},${y - 6} h26 v12 h-24`, 'marker-end': 'url(#seq-arrow)' }),
            h('text', { x: x0 + 32, y: y + 4 }, step.label),
          );
        }
        const x0 = x(step.from);
        const x1 = x(step.to);
        return h(
          'g',
          { key: i, class: `seq-step ${step.kind}`, 'data-kind': step.kind },
          time,
          h('line', { x1: x0, y1: y, x2: x1 + (x1 > x0 ? -2 : 2), y2: y, 'marker-end': 'url(#seq-arrow)' }),
          h('text', { x: (x0 + x1) / 2, y: y - 4, 'text-anchor': 'middle' }, step.label),
        );
      }),
    ),
  );
}
