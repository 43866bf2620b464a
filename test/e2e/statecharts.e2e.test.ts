/**
 * Third-party XState machines in real Chromium, streamed in through
 * `@statelyai/inspect`'s `createWebSocketInspector`: a traffic light whose red
 * light has a nested pedestrian state (with history and an invoked timer) and a
 * parallel media player. After each event the chart shows the right states
 * highlighted, the last transition taken, and the page throws nothing.
 */
import { mkdirSync } from 'node:fs';
import { createWebSocketInspector } from '@statelyai/inspect';
import type { Browser, Page } from 'playwright-core';
import { createActor, createMachine, fromCallback, type AnyActorRef } from 'xstate';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { inspect, type InspectorServer } from '../../src/inspect/server.js';
import { buildInspector, chromiumMissing, distInspector, launchChromium, repo, waitFor } from './harness.js';

const results = `${repo}test-results`;

const trafficLight = createMachine({
  id: 'trafficLight',
  initial: 'green',
  states: {
    green: { on: { TIMER: 'yellow' } },
    yellow: { on: { TIMER: 'red' } },
    red: {
      initial: 'walk',
      invoke: { src: fromCallback(() => () => undefined), id: 'pedestrianTimer' },
      states: {
        walk: { on: { PED_COUNTDOWN: 'wait' } },
        wait: { on: { PED_COUNTDOWN: 'stop' } },
        stop: { type: 'final' },
        hist: { type: 'history' },
      },
      on: { TIMER: 'green' },
    },
  },
  on: { POWER_OUTAGE: '.red.hist' },
});

const mediaPlayer = createMachine({
  id: 'mediaPlayer',
  type: 'parallel',
  states: {
    playback: {
      initial: 'stopped',
      states: {
        stopped: { on: { PLAY: 'playing' } },
        playing: { on: { PAUSE: 'paused', STOP: 'stopped' } },
        paused: { on: { PLAY: 'playing', STOP: 'stopped' } },
      },
    },
    volume: { initial: 'normal', states: { normal: { on: { MUTE: 'muted' } }, muted: { on: { UNMUTE: 'normal' } } } },
  },
});

describe.skipIf(chromiumMissing)('statecharts of third-party machines', () => {
  let browser: Browser;
  let server: InspectorServer;
  let page: Page;
  let stately: ReturnType<typeof createWebSocketInspector>;
  const actors: AnyActorRef[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(results, { recursive: true });
    buildInspector();
    server = await inspect([], { staticDir: distInspector });
    const { port, token } = server;
    stately = createWebSocketInspector({ url: `ws://127.0.0.1:${port}/?token=${encodeURIComponent(token)}` });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1600, height: 960 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(server.url);
    await page.waitForSelector('[data-testid="connection"]:text("open")');
  }, 120_000);

  afterAll(async () => {
    for (const actor of actors) actor.stop();
    stately?.stop();
    await browser?.close();
    await server?.close();
  });

  /** The ids of the highlighted leaf states in the chart, sorted. */
  const highlighted = () => page.$$eval('.statechart .node.active:is(.state, .history)', (nodes) => nodes.map((node) => node.getAttribute('data-state')!).sort());
  const expectHighlighted = async (expected: string[], what: string) => {
    await waitFor(async () => JSON.stringify(await highlighted()) === JSON.stringify(expected), `${what}: ${expected.join(', ')}`);
    expect(await highlighted()).toEqual(expected);
  };
  const lastEdge = () => page.$$eval('.statechart .edge.last', (edges) => edges.map((edge) => `${edge.getAttribute('data-source')}→${edge.getAttribute('data-target')}`));
  const select = async (machineId: string) => {
    const row = await waitFor(() => page.$(`.row[data-action]:has-text("${machineId}")`), `a row for ${machineId}`);
    await row.click();
    await page.waitForSelector(`.statechart[aria-label="Statechart of ${machineId}"]`);
  };

  test('a traffic light with a nested pedestrian state: highlighted state after each event', async () => {
    const light = createActor(trafficLight, { inspect: stately.inspect }).start();
    actors.push(light);
    await select('trafficLight');
    // The nested states are drawn inside their parent, with the invoked timer listed.
    await page.waitForSelector('.statechart .node.compound[data-state="trafficLight.red"]');
    expect(await page.textContent('.statechart .node.compound[data-state="trafficLight.red"]')).toContain('invoke pedestrianTimer');
    await page.waitForSelector('.statechart .node.history[data-state="trafficLight.red.hist"]');
    await expectHighlighted(['trafficLight.green'], 'initial');
    const steps: Array<[string, string[], string]> = [
      ['TIMER', ['trafficLight.yellow'], 'trafficLight.green→trafficLight.yellow'],
      ['TIMER', ['trafficLight.red.walk'], 'trafficLight.yellow→trafficLight.red'],
      ['PED_COUNTDOWN', ['trafficLight.red.wait'], 'trafficLight.red.walk→trafficLight.red.wait'],
      ['PED_COUNTDOWN', ['trafficLight.red.stop'], 'trafficLight.red.wait→trafficLight.red.stop'],
      ['TIMER', ['trafficLight.green'], 'trafficLight.red→trafficLight.green'],
    ];
    for (const [event, states, edge] of steps) {
      light.send({ type: event });
      await expectHighlighted(states, `after ${event}`);
      await waitFor(async () => (await lastEdge()).includes(edge), `the last transition ${edge}`);
    }
    // The compound parent is highlighted with its active child.
    light.send({ type: 'TIMER' });
    light.send({ type: 'TIMER' });
    await expectHighlighted(['trafficLight.red.walk'], 'red again');
    expect(await page.$('.statechart .node.compound.active[data-state="trafficLight.red"]')).not.toBeNull();
    // The path taken is drawn over the chart, one numbered step per transition.
    const stepsDrawn = await page.$$eval('[data-testid="path-overlay"] .path-step', (nodes) => nodes.length);
    expect(stepsDrawn).toBeGreaterThanOrEqual(5);
    await page.screenshot({ path: `${results}/statechart-traffic-light.png` });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  test('a parallel media player: both regions highlighted; the previous chart is gone', async () => {
    const player = createActor(mediaPlayer, { inspect: stately.inspect }).start();
    actors.push(player);
    await select('mediaPlayer');
    // Selecting another actor replaces the chart, context and history.
    expect(await page.$('.statechart [data-state^="trafficLight"]')).toBeNull();
    expect(await page.textContent('[data-testid="detail"] h2')).toContain('mediaPlayer');
    await page.waitForSelector('.statechart .node.region[data-state="mediaPlayer.playback"]');
    await page.waitForSelector('.statechart .node.region[data-state="mediaPlayer.volume"]');
    await expectHighlighted(['mediaPlayer.playback.stopped', 'mediaPlayer.volume.normal'], 'initial');
    const steps: Array<[string, string[]]> = [
      ['PLAY', ['mediaPlayer.playback.playing', 'mediaPlayer.volume.normal']],
      ['MUTE', ['mediaPlayer.playback.playing', 'mediaPlayer.volume.muted']],
      ['PAUSE', ['mediaPlayer.playback.paused', 'mediaPlayer.volume.muted']],
      ['UNMUTE', ['mediaPlayer.playback.paused', 'mediaPlayer.volume.normal']],
      ['STOP', ['mediaPlayer.playback.stopped', 'mediaPlayer.volume.normal']],
    ];
    for (const [event, states] of steps) {
      player.send({ type: event });
      await expectHighlighted(states, `after ${event}`);
    }
    await waitFor(async () => (await lastEdge()).includes('mediaPlayer.playback.paused→mediaPlayer.playback.stopped'), 'the last transition STOP');
    await page.screenshot({ path: `${results}/statechart-media-player.png` });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  test('pan and zoom: buttons, wheel, drag and keys', async () => {
    const level = async () => Number((await page.textContent('[data-testid="zoom-level"]'))!.replace('%', ''));
    const transform = () => page.getAttribute('[data-testid="chart-content"]', 'transform');
    const fitted = await level();
    await page.click('[data-testid="zoom-in"]');
    await waitFor(async () => (await level()) > fitted, 'zoom in');
    const box = (await page.$('.chart-viewport'))!;
    const bounds = (await box.boundingBox())!;
    await page.mouse.move(bounds.x + bounds.width / 2, bounds.y + bounds.height / 2);
    const beforeWheel = await level();
    await page.mouse.wheel(0, 400);
    await waitFor(async () => (await level()) < beforeWheel, 'wheel zooms out');
    const beforeDrag = await transform();
    await page.mouse.down();
    await page.mouse.move(bounds.x + bounds.width / 2 + 80, bounds.y + bounds.height / 2 + 30, { steps: 4 });
    await page.mouse.up();
    await waitFor(async () => (await transform()) !== beforeDrag, 'drag pans');
    await box.focus();
    const beforeKey = await transform();
    await page.keyboard.press('ArrowLeft');
    await waitFor(async () => (await transform()) !== beforeKey, 'arrow key pans');
    await page.keyboard.press('+');
    const zoomed = await level();
    await page.keyboard.press('0');
    await waitFor(async () => (await level()) !== zoomed, '0 fits');
    expect(await level()).toBe(fitted);
    expect(pageErrors).toEqual([]);
  }, 30_000);
});
