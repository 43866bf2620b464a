import { createMachine } from 'xstate';
import { describe, expect, test } from 'vitest';
import { actionMachine } from '../../machines/index.js';
import { describeMachine } from '../../src/inspect/machineGraph.js';
import { activeIds, activeIdsOfString, pathEdges, stepEdges } from '../../inspector/src/chart/highlight.js';
import { ANY_STATE, eventLabel, layoutMachine, type ChartLayout } from '../../inspector/src/chart/layout.js';
import { fitView, zoomAt } from '../../inspector/src/chart/usePanZoom.js';

const inside = (layout: ChartLayout, child: string, parent: string): boolean => {
  const c = layout.nodes.find((n) => n.id === child)!;
  const p = layout.nodes.find((n) => n.id === parent)!;
  return c.x >= p.x && c.y >= p.y && c.x + c.width <= p.x + p.width && c.y + c.height <= p.y + p.height;
};

const overlap = (a: { x: number; y: number; width: number; height: number }, b: typeof a): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** A traffic light whose red light has a pedestrian sub-state, with history and an invoked timer. */
const trafficLight = createMachine({
  id: 'light',
  initial: 'green',
  states: {
    green: { on: { TIMER: 'yellow' } },
    yellow: { on: { TIMER: 'red' } },
    red: {
      initial: 'walk',
      invoke: { src: 'countdown', id: 'countdown' },
      states: { walk: { on: { COUNTDOWN: 'wait' } }, wait: { on: { COUNTDOWN: 'stop' } }, stop: { type: 'final' }, hist: { type: 'history' } },
      on: { TIMER: 'green' },
    },
  },
  on: { POWER_OUTAGE: '.red.hist' },
});

/** A media player: playback and volume are parallel regions. */
const mediaPlayer = createMachine({
  id: 'player',
  type: 'parallel',
  states: {
    playback: { initial: 'stopped', states: { stopped: { on: { PLAY: 'playing' } }, playing: { on: { PAUSE: 'paused', STOP: 'stopped' } }, paused: { on: { PLAY: 'playing', STOP: 'stopped' } } } },
    volume: { initial: 'normal', states: { normal: { on: { MUTE: 'muted' } }, muted: { on: { UNMUTE: 'normal' } } } },
  },
});

describe('statechart layout with elkjs', () => {
  test('the Action chart: every state, the finals, labelled transitions, no overlapping states, a compact size', async () => {
    const layout = await layoutMachine(describeMachine(actionMachine));
    const states = layout.nodes.filter((n) => n.kind === 'state');
    expect(states.map((n) => n.label).sort()).toEqual(['afterHooks', 'cancelled', 'cancelling', 'delayed', 'done', 'failed', 'finalizing', 'hooks', 'queued', 'retrying', 'running', 'scheduled']);
    expect(layout.nodes.filter((n) => n.final).map((n) => n.label).sort()).toEqual(['cancelled', 'done', 'failed']);
    expect(layout.edges.flatMap((e) => e.lines)).toEqual(expect.arrayContaining(['START', 'RETRY_NOW', 'after backoff', 'CANCEL [notCancelling]']));
    // Transitions between the same two states share one edge.
    expect(layout.edges.find((e) => e.source === 'echo.action.retrying' && e.target === 'echo.action.queued')!.lines.sort()).toEqual(['RETRY_NOW', 'after backoff', 'always [retryAtOnce]']);
    for (let i = 0; i < states.length; i++) for (let j = i + 1; j < states.length; j++) expect(overlap(states[i]!, states[j]!)).toBe(false);
    for (const edge of layout.edges) expect(edge.points.length).toBeGreaterThanOrEqual(2);
    // Fits a 600×420 detail pane at a legible scale (11px labels stay at least ~6.4px; the
    // retrying → queued edge's third label, `always [retryAtOnce]`, took it from 0.6 to 0.59, the
    // passes over the hooks states, `START [noHooks]` and `ATTEMPT_SUCCEEDED [noHooks]`, to 0.587).
    expect(fitView(layout.width, layout.height, 600, 420).scale).toBeGreaterThanOrEqual(0.585);
    expect(layout.edges.find((e) => e.source === 'echo.action.queued' && e.target === 'echo.action.running')!.lines).toEqual(['START [noHooks]']);
  });

  test('nested states sit inside their parent, with an initial arrow, history as a pseudo-state, invokes listed', async () => {
    const layout = await layoutMachine(describeMachine(trafficLight));
    const red = layout.nodes.find((n) => n.id === 'light.red')!;
    expect(red.kind).toBe('compound');
    expect(red.invoke).toEqual(['countdown']);
    for (const child of ['light.red.walk', 'light.red.wait', 'light.red.stop', 'light.red.hist', 'light.red.__initial__']) expect(inside(layout, child, 'light.red')).toBe(true);
    expect(layout.nodes.find((n) => n.id === 'light.red.hist')!.kind).toBe('history');
    expect(layout.edges.some((e) => e.source === 'light.red.__initial__' && e.target === 'light.red.walk')).toBe(true);
    expect(layout.edges.some((e) => e.source === ANY_STATE && e.target === 'light.red.hist' && e.events.includes('POWER_OUTAGE'))).toBe(true);
    // Containers are drawn first, so their children are painted over them.
    const redIndex = layout.nodes.findIndex((n) => n.id === 'light.red');
    expect(layout.nodes.findIndex((n) => n.id === 'light.red.walk')).toBeGreaterThan(redIndex);
  });

  test('parallel regions are separate containers; the active ids of a parallel value cover both', async () => {
    const layout = await layoutMachine(describeMachine(mediaPlayer));
    const playback = layout.nodes.find((n) => n.id === 'player.playback')!;
    const volume = layout.nodes.find((n) => n.id === 'player.volume')!;
    expect([playback.kind, volume.kind]).toEqual(['region', 'region']);
    expect(overlap(playback, volume)).toBe(false);
    expect(inside(layout, 'player.volume.muted', 'player.volume')).toBe(true);
    expect([...activeIds('player', { playback: 'playing', volume: 'muted' })].sort()).toEqual(['player.playback', 'player.playback.playing', 'player.volume', 'player.volume.muted']);
    expect([...activeIdsOfString('player', '(playback.playing, volume.muted)')].sort()).toEqual(['player.playback', 'player.playback.playing', 'player.volume', 'player.volume.muted']);
  });

  test('the last transition and the path are matched to edges', async () => {
    const layout = await layoutMachine(describeMachine(mediaPlayer));
    const before = activeIdsOfString('player', '(playback.stopped, volume.normal)');
    const after = activeIdsOfString('player', '(playback.playing, volume.normal)');
    expect(stepEdges(layout.edges, before, after, 'PLAY').map((e) => `${e.source}→${e.target}`)).toEqual(['player.playback.stopped→player.playback.playing']);
    const path = pathEdges('player', [['(playback.stopped, volume.normal)', 0], ['(playback.playing, volume.normal)', 1, 'PLAY'], ['(playback.playing, volume.muted)', 2]], layout.edges);
    expect(path.map((s) => [s.step, s.edge.events])).toEqual([[1, ['PLAY']], [2, ['MUTE']]]);
    const action = await layoutMachine(describeMachine(actionMachine));
    const steps = pathEdges('echo.action', [['queued', 0], ['hooks', 1], ['running', 2], ['retrying', 3], ['queued', 4, 'RETRY_NOW']], action.edges);
    expect(steps.map((s) => `${s.edge.source.slice(12)}→${s.edge.target.slice(12)}`)).toEqual(['queued→hooks', 'hooks→running', 'running→retrying', 'retrying→queued']);
  });

  test('event labels and zoom arithmetic', () => {
    expect(eventLabel('xstate.after.500.m.a', 500)).toBe('after 500ms');
    expect(eventLabel('')).toBe('always');
    expect(eventLabel('xstate.done.actor.fetch')).toBe('done: fetch');
    const view = zoomAt({ x: 0, y: 0, scale: 1 }, 2, 100, 50);
    // The point under the pointer stays put.
    expect([(100 - view.x) / view.scale, (50 - view.y) / view.scale]).toEqual([100, 50]);
    expect(fitView(1000, 500, 500, 500).scale).toBe(0.5);
  });
});
