/**
 * When the app renders. What a user does renders at once (a DOM event's handler, then a
 * microtask); everything else (live batches, timers) is paced: a render waits until three
 * times as long as the previous paced one took has passed since it ended, so at 100k actors,
 * where one render costs tens of milliseconds, rendering takes at most about a quarter of
 * the main thread and the reducing (and parsing) of incoming frames runs between renders
 * (Chromium reads a WebSocket only as fast as the page takes its messages: a busy page
 * slows the server's join too).
 * Several batches that arrive meanwhile are shown by one render.
 */
import { options } from 'preact';

/** Set from a DOM event until the microtask after its handler. */
let inUserEvent = false;
let pending: (() => void) | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
let lastEnd = 0;
let lastCost = 0;

function run(): void {
  timer = undefined;
  const process = pending;
  pending = null;
  if (process === null) return;
  const started = performance.now();
  process();
  lastEnd = performance.now();
  lastCost = lastEnd - started;
}

function paced(process: () => void): void {
  pending = process;
  if (timer !== undefined) return;
  timer = setTimeout(run, Math.max(0, lastEnd + 3 * lastCost - performance.now()));
}

/** Installs the pacing as Preact's render scheduler (once, before the first render). */
export function installRenderPacing(): void {
  const previousEvent = options.event;
  options.event = (event) => {
    inUserEvent = true;
    queueMicrotask(() => {
      inUserEvent = false;
      // A paced render already pending holds the app's update: the user's change waits in it,
      // so it runs now instead of at its paced time.
      if (pending !== null) {
        if (timer !== undefined) clearTimeout(timer);
        run();
      }
    });
    return previousEvent ? previousEvent(event) : event;
  };
  options.debounceRendering = (process) => (inUserEvent ? queueMicrotask(process) : paced(process));
}
