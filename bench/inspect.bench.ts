/**
 * Inspector overhead. `benchInspectorOverhead(createRun)` runs the same workload
 * without and with the inspector streaming to a connected WebSocket viewer
 * (and a reference runner, p-queue, in the same rounds), and reports actions/s
 * and ratios. `benchAdapterServer` measures the adapter + server cost per
 * inspection event on a synthetic action lifecycle (17 events per action, as
 * XState emits). `benchLateJoin` times late viewers joining 90k live actions and
 * the server's memory per joining viewer. Run alone, on the compiled build like
 * `npm run bench`: `npx tsc -p tsconfig.bench.json && node --expose-gc build/bench/bench/inspect.bench.js`
 * (`BENCH_SYNTHETIC=1` for the synthetic adapter figures).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import type { InspectionEvent } from 'xstate';
import { unpackFrame, type ServerFrame } from '../src/inspect/packedActors.js';
import { PROTOCOL_VERSION, type ServerMessage } from '../src/inspect/protocol.js';
import { inspect } from '../src/inspect/server.js';
import { defaultAdapterOptions } from '../src/inspect/adapterOptions.js';
import type { InspectableActorRef, InspectorTarget } from '../src/inspect/target.js';
import { createPlan, Sequence } from '../src/index.js';
import type { LateViewerReport } from './lateViewer.js';

/** A workload with its target: `run(n)` assigns `n` actions and resolves when all settled. */
export interface InspectorBenchRun {
  target: InspectorTarget;
  run(n: number): Promise<void>;
  close?(): void | Promise<void>;
}

export interface OverheadResult {
  n: number;
  rounds: number;
  /** Actions per second without an inspector (median round). */
  without: number;
  /** Actions per second with the inspector server streaming to one connected viewer (median round). */
  withInspector: number;
  /** Milliseconds from the end of an inspected run until the viewer had its last change (median round). */
  lag: number;
  /** `withInspector / without`. */
  ratio: number;
  /** The reference runner's tasks per second (median round), when one was given. */
  reference: number | null;
  /** `withInspector / reference`. */
  ratioToReference: number | null;
  /** Inspection events the target emitted (and pulls of changed actors) per inspected round, and per second. */
  events: number;
  eventsPerSecond: number;
  /** Bytes the viewer received per inspected round. */
  bytes: number;
}

interface Viewer {
  bytes: number;
  messages: number;
  /** When the last message arrived (performance.now()). */
  lastAt: number;
  /** Resolves once the viewer got nothing new for three flush intervals. */
  settled(): Promise<void>;
  close(): void;
}

async function connectViewer(url: string): Promise<Viewer> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'));
  let bytes = 0;
  let messages = 0;
  let lastAt = performance.now();
  let subscribed!: () => void;
  let isSubscribed = false;
  const fullState = new Promise<void>((resolve) => (subscribed = resolve));
  socket.on('message', (data: Buffer) => {
    bytes += data.length;
    messages++;
    // Read like the page reads it: every frame parsed (and a join's packed actors unpacked).
    unpackFrame(JSON.parse(data.toString('utf8')) as ServerFrame);
    lastAt = performance.now();
    if (!isSubscribed && data.includes('"type":"full"')) {
      isSubscribed = true;
      subscribed();
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'subscribe', version: PROTOCOL_VERSION }));
  // The server must have taken the subscription before the workload starts: a
  // workload of microtasks alone would otherwise finish before it is read.
  await fullState;
  return {
    get bytes() {
      return bytes;
    },
    get messages() {
      return messages;
    },
    get lastAt() {
      return lastAt;
    },
    async settled() {
      // Quiet for 3 flush intervals (50 ms each): the last delta has arrived.
      while (performance.now() - lastAt < 150) await new Promise((resolve) => setTimeout(resolve, 25));
    },
    close: () => socket.close(),
  };
}

/** Counts what the target hands the inspector: XState events, and pulls of changed actors. */
function countingTarget(target: InspectorTarget, count: () => void): InspectorTarget {
  // A delegating wrapper (not a prototype copy: a Sequence keeps its state in #private fields).
  return {
    id: target.id,
    name: target.name,
    subscribeInspection: (observer, options) =>
      target.subscribeInspection(
        (event) => {
          count();
          observer(event);
        },
        options?.pull === undefined
          ? undefined
          : {
              pull: (actor) => {
                count(); // a pull stands for the events it saves
                return options.pull!(actor);
              },
            },
      ),
    currentActors: () => target.currentActors(),
    machines: () => target.machines(),
    control: (command) => target.control(command),
    ...(target.whenIdle === undefined ? {} : { whenIdle: () => target.whenIdle!() }),
  };
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/**
 * Runs the workload without and with the inspector (server on 127.0.0.1, one
 * viewer connected), and optionally a reference runner, in the same process:
 * warm-up rounds first, then `rounds` interleaved rounds (reference, plain,
 * inspected), no forced GC in between. Figures are medians over the rounds.
 * @example
 * const result = await benchInspectorOverhead(() => createEchoRun(), { n: 50_000, reference: pQueueChunked });
 * console.log(result.ratioToReference);
 */
export async function benchInspectorOverhead(
  createRun: () => InspectorBenchRun | Promise<InspectorBenchRun>,
  options: { n?: number; rounds?: number; warmUp?: number; reference?: (n: number) => Promise<void> } = {},
): Promise<OverheadResult> {
  const n = options.n ?? 50_000;
  const rounds = options.rounds ?? 5;
  const warmUp = options.warmUp ?? 3;
  const reference = options.reference;
  const plain = await createRun();
  const inspected = await createRun();
  let events = 0;
  const server = await inspect(countingTarget(inspected.target, () => events++));
  const viewer = await connectViewer(server.url);

  const times = { reference: [] as number[], plain: [] as number[], inspected: [] as number[], lag: [] as number[] };
  let measuredEvents = 0;
  let measuredBytes = 0;
  for (let round = -warmUp; round < rounds; round++) {
    const measured = round >= 0;
    if (reference !== undefined) {
      const started = performance.now();
      await reference(n);
      if (measured) times.reference.push(performance.now() - started);
    }
    let started = performance.now();
    await plain.run(n);
    if (measured) times.plain.push(performance.now() - started);

    await viewer.settled();
    const eventsBefore = events;
    const bytesBefore = viewer.bytes;
    started = performance.now();
    await inspected.run(n);
    const ran = performance.now();
    await viewer.settled();
    // Throughput is the run's own time, flushes streaming all along; the last flush lands
    // up to one interval after it, which is reported as the viewer's lag.
    if (measured) times.inspected.push(ran - started);
    if (measured) times.lag.push(Math.max(0, viewer.lastAt - ran));
    if (measured) measuredEvents += events - eventsBefore;
    if (measured) measuredBytes += viewer.bytes - bytesBefore;
  }
  viewer.close();
  await server.close();
  await plain.close?.();
  await inspected.close?.();

  const perSecond = (ms: number): number => (n / ms) * 1000;
  const without = perSecond(median(times.plain));
  const withInspector = perSecond(median(times.inspected));
  const referenceRate = reference === undefined ? null : perSecond(median(times.reference));
  return {
    n,
    rounds,
    without,
    withInspector,
    lag: median(times.lag),
    ratio: withInspector / without,
    reference: referenceRate,
    ratioToReference: referenceRate === null ? null : withInspector / referenceRate,
    events: measuredEvents / rounds,
    eventsPerSecond: (measuredEvents / rounds / median(times.inspected)) * 1000,
    bytes: measuredBytes / rounds,
  };
}

/** What {@link benchLateJoin} measured. */
export interface LateJoinResult {
  /** Live actions when the viewers joined (held running). */
  live: number;
  /** Viewers that joined at once, each in its own process. */
  viewers: number;
  /** Median over the viewers: ms from `subscribe` to the first `full` frame (the page's first render). */
  usableMs: number;
  /** Slowest viewer: ms from `subscribe` until it held every live action. */
  completeMs: number;
  /** Bytes of one complete join on the wire. */
  joinBytes: number;
  /** With `stall`: the server's peak retained memory (heap + buffers, after GCs) above its level before, per viewer, while the viewers did not read. */
  peakBytesPerViewer: number | null;
  /** The same once every viewer is complete and connected (what a viewer costs at rest). */
  restBytesPerViewer: number;
}

/** Heap plus buffers (a socket's queued frames are buffers outside the heap), after a full GC when one is exposed. */
function retained(): number {
  globalThis.gc?.();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/** A viewer in its own process (bench/lateViewer.ts); `complete` resolves once it holds `expected` live actions. */
interface ForkedViewer {
  child: ChildProcess;
  /** Resolves once a stalling viewer stopped reading (after its first frame). */
  stalled: Promise<void>;
  complete: Promise<LateViewerReport>;
}

function forkViewer(url: string, expected: number, stall = false): ForkedViewer {
  const child = fork(fileURLToPath(new URL('./lateViewer.js', import.meta.url)), [url, String(expected), stall ? 'stall' : 'read'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let stalled!: () => void;
  const viewer: ForkedViewer = { child, stalled: new Promise((resolve) => (stalled = resolve)), complete: Promise.resolve(null as never) };
  viewer.complete = new Promise<LateViewerReport>((resolve, reject) => {
    child.on('message', (message) => (message === 'stalled' ? stalled() : resolve(message as LateViewerReport)));
    child.once('exit', (code) => reject(new Error(`A viewer exited (${String(code)}) before it was complete`)));
  });
  return viewer;
}

/**
 * A Sequence holds `live` running actions (one viewer already connected, in its own
 * process, reading every frame), a trickle of short actions keeps it changing (5,000/s),
 * and `viewers` late viewers join at once, each in its own process, parsing every frame.
 * Measures when each was usable and complete; with `stall` the viewers first stop reading
 * for 2 s, and the server's memory per joining viewer is measured meanwhile.
 * @example
 * const { usableMs, completeMs } = await benchLateJoin({ live: 90_000, viewers: 1 });
 */
export async function benchLateJoin(options: { live?: number; viewers?: number; stall?: boolean } = {}): Promise<LateJoinResult> {
  const live = options.live ?? 90_000;
  const viewerCount = options.viewers ?? 1;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let quickDone = 0;
  const plan = createPlan({ Hold: () => gate, Quick: async () => void quickDone++ });
  // Room for every held action and the trickle: all run (a queued trickle would wait behind the held ones forever).
  const sequence = new Sequence({ plan, sites: 4, concurrency: Math.ceil(live / 4) + 1000 });
  sequence.start();
  const server = await inspect(sequence);
  const children: ChildProcess[] = [];
  let trickle: ReturnType<typeof setInterval> | undefined;
  try {
    const first = forkViewer(server.url, live);
    children.push(first.child);
    for (let done = 0; done < live; done += 5_000) {
      for (let i = 0; i < Math.min(5_000, live - done); i++) sequence.assign('Hold', i);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await first.complete; // the first viewer shows every held action
    let n = 0;
    trickle = setInterval(() => {
      for (let i = 0; i < 50; i++) sequence.assign('Quick', n++);
    }, 10);
    // The adapter's ring of finished actors fills (its bound) before the baseline: what grows after is the viewers'.
    while (quickDone < 2 * defaultAdapterOptions.maxFinished) await new Promise((resolve) => setTimeout(resolve, 20));
    const stall = options.stall ?? false;
    const before = retained();
    let peak = before;
    const late = Array.from({ length: viewerCount }, () => forkViewer(server.url, live, stall));
    children.push(...late.map((viewer) => viewer.child));
    if (stall) {
      // Viewers that do not read: what the server holds for each is all it queues. Sampled
      // after GCs (the memory held, not garbage awaiting collection) over 2 s.
      await Promise.all(late.map((viewer) => viewer.stalled));
      for (let i = 0; i < 20; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        peak = Math.max(peak, retained());
      }
      for (const viewer of late) viewer.child.send('resume');
    }
    const reports = await Promise.all(late.map((viewer) => viewer.complete));
    clearInterval(trickle);
    trickle = undefined;
    const rest = retained();
    const usable = reports.map((r) => r.usableMs).sort((a, b) => a - b);
    return {
      live,
      viewers: viewerCount,
      usableMs: usable[usable.length >> 1]!,
      completeMs: Math.max(...reports.map((r) => r.completeMs)),
      joinBytes: median(reports.map((r) => r.bytes)),
      peakBytesPerViewer: stall ? (peak - before) / viewerCount : null,
      restBytesPerViewer: (rest - before) / viewerCount,
    };
  } finally {
    if (trickle) clearInterval(trickle);
    for (const child of children) if (child.connected) child.disconnect();
    release();
    await sequence.whenIdle();
    await server.close();
    await sequence.shutdown({ deadline: 0 });
  }
}

const STATES = ['delayed', 'queued', 'hooks', 'running', 'afterHooks', 'done'];

/** A target that replays a synthetic action lifecycle: 1 actor + 8 snapshots + 8 events per action. */
export function syntheticRun(): InspectorBenchRun {
  const observers = new Set<(event: InspectionEvent) => void>();
  const site: InspectableActorRef = { sessionId: 'site', id: 'site:a', _parent: undefined, logic: { id: 'echo.site' }, getSnapshot: () => ({ value: 'open', status: 'active', context: {} }) };
  const emit = (event: unknown): void => {
    for (const observer of observers) observer(event as InspectionEvent);
  };
  let next = 0;
  return {
    target: {
      id: 'synthetic',
      name: 'Synthetic',
      subscribeInspection(observer) {
        observers.add(observer);
        return () => observers.delete(observer);
      },
      currentActors: () => [site],
      machines: () => ({}),
      control: async () => undefined,
    },
    async run(n) {
      for (let i = 0; i < n; i++) {
        const id = `a${next++}`;
        let snapshot: { value: string; status: string; context: Record<string, unknown> } = {
          value: 'delayed',
          status: 'active',
          context: { id, name: 'noop', queue: 'default', priority: 'normal', createdAt: i, attempts: [], retryAt: null, output: null },
        };
        const ref: InspectableActorRef = { sessionId: id, id, _parent: site, logic: { id: 'echo.action' }, getSnapshot: () => snapshot };
        emit({ type: '@xstate.actor', actorRef: ref, rootId: 'site' });
        for (const value of [...STATES, 'done']) {
          const context = value === 'running' ? { ...snapshot.context, attempts: [{ number: 1, startedAt: i, endedAt: null, outcome: 'running', error: null, backoff: null }] } : snapshot.context;
          snapshot = { value, status: value === 'done' ? 'done' : 'active', context };
          emit({ type: '@xstate.event', actorRef: ref, rootId: 'site', sourceRef: undefined, event: { type: `GO.${value}` } });
          emit({ type: '@xstate.snapshot', actorRef: ref, rootId: 'site', snapshot, event: { type: `GO.${value}` } });
        }
        emit({ type: '@xstate.event', actorRef: site, rootId: 'site', sourceRef: ref, event: { type: 'SETTLED', id } });
        // Let timers and sockets run, as a real runtime's awaits would.
        if (i % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}

/** Adapter + server cost per inspection event, with one viewer connected. */
export async function benchAdapterServer(n = 50_000): Promise<{ eventsPerSecond: number; microsPerEvent: number; bytesPerAction: number }> {
  const result = await benchInspectorOverhead(syntheticRun, { n, rounds: 3, warmUp: 1 });
  const bareMs = (n / result.without) * 1000;
  const inspectedMs = (n / result.withInspector) * 1000;
  const microsPerEvent = ((inspectedMs - bareMs) * 1000) / result.events;
  return { eventsPerSecond: result.eventsPerSecond, microsPerEvent, bytesPerAction: result.bytes / n };
}

/** A Sequence of noop actions, assigned in chunks with a turn of the event loop between them (so flushes stream during the run). */
export function chunkedEchoRun(concurrency: number): InspectorBenchRun {
  const sequence = new Sequence({ plan: createPlan({ Noop: async () => {} }), sites: 4, concurrency: concurrency / 4 });
  sequence.start();
  return {
    target: sequence,
    run: async (n: number) => {
      for (let done = 0; done < n; done += 5_000) {
        for (let i = 0; i < Math.min(5_000, n - done); i++) sequence.assign('Noop', i);
        await sequence.whenIdle();
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    close: async () => void (await sequence.shutdown({ deadline: 0 })),
  };
}

/** Every inspector figure of `npm run bench`. */
export interface InspectorFigures {
  overhead: OverheadResult;
  /** One late viewer, then three at once (timing runs, no memory sampling). */
  join: LateJoinResult;
  joinThree: LateJoinResult;
  /** Four viewers at once with the server's memory sampled after GCs (slower: the GCs pause it). */
  memory: LateJoinResult;
}

/**
 * The inspector case of `npm run bench`: throughput with the inspector (server and one
 * viewer reading every frame) against the same Sequence without it and against p-queue
 * driven the same way, in interleaved rounds; then late viewers joining 90k live actions.
 * @example
 * for (const line of formatInspectorFigures(await benchInspector(25_000, pQueueChunked, 16))) console.log(line);
 */
export async function benchInspector(n: number, reference: (n: number) => Promise<void>, concurrency: number, live = 90_000): Promise<InspectorFigures> {
  const overhead = await benchInspectorOverhead(() => chunkedEchoRun(concurrency), { n, rounds: 9, warmUp: 3, reference });
  const join = await benchLateJoin({ live, viewers: 1 });
  const joinThree = await benchLateJoin({ live, viewers: 3 });
  const memory = await benchLateJoin({ live, viewers: 4, stall: true });
  return { overhead, join, joinThree, memory };
}

/**
 * Goals of issue #13: ≥ 0.5× uninspected; a late viewer usable within 2 s and complete within 5 s;
 * memory per joining viewer bounded: at most `maxViewerBuffer` (8 MiB) of deltas plus the join's
 * 1 MiB high-water mark and one frame, whatever the size of the state (56 MiB at 90k).
 */
export const INSPECTOR_GOALS = { ratioToUninspected: 0.5, usableMs: 2000, completeMs: 5000, bytesPerViewer: 10 * 2 ** 20 } as const;

/** The report lines of {@link benchInspector}, each goal with its verdict. */
export function formatInspectorFigures(figures: InspectorFigures): string[] {
  const { overhead, join, joinThree, memory } = figures;
  const fmt = (value: number): string => Math.round(value).toLocaleString('en-US');
  const mib = (value: number): string => `${(value / 2 ** 20).toFixed(1)} MiB`;
  const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT MET');
  const goals = INSPECTOR_GOALS;
  const joinLine = (r: LateJoinResult): string =>
    `  ${r.viewers} late viewer${r.viewers > 1 ? 's' : ' '} at once    usable ${fmt(r.usableMs).padStart(5)} ms (goal < ${goals.usableMs}: ${verdict(r.usableMs < goals.usableMs)}), complete ${fmt(r.completeMs).padStart(5)} ms (goal < ${goals.completeMs}: ${verdict(r.completeMs < goals.completeMs)})`;
  return [
    `inspector (${fmt(overhead.n)} actions × ${overhead.rounds} interleaved rounds, medians; server + one viewer parsing every frame)`,
    `  Echo inspected             ${fmt(overhead.withInspector).padStart(10)} actions/s  ${fmt(overhead.events)} events, ${fmt(overhead.bytes / overhead.n)} bytes/action on the wire`,
    `  Echo uninspected           ${fmt(overhead.without).padStart(10)} actions/s`,
    `  p-queue, same chunks       ${fmt(overhead.reference ?? 0).padStart(10)} actions/s`,
    `  inspected ÷ uninspected: ${overhead.ratio.toFixed(2)}×  goal ≥ ${goals.ratioToUninspected}: ${verdict(overhead.ratio >= goals.ratioToUninspected)};  inspected ÷ p-queue: ${(overhead.ratioToReference ?? 0).toFixed(2)}×`,
    `  viewer lag after a run     ${fmt(overhead.lag).padStart(10)} ms (the last flush; interval 50 ms)`,
    `late viewers joining ${fmt(join.live)} live actions (each viewer its own process, parsing every frame; ${mib(join.joinBytes)} per join)`,
    joinLine(join),
    joinLine(joinThree),
    `  server memory per joining viewer that stops reading (${memory.viewers} at once, 2 s, after GCs): peak ${mib(memory.peakBytesPerViewer ?? 0)}  goal ≤ ${mib(goals.bytesPerViewer)}: ${verdict((memory.peakBytesPerViewer ?? 0) <= goals.bytesPerViewer)}`,
    `    (then they read on: complete ${fmt(memory.completeMs)} ms after subscribing; a viewer at rest ${mib(memory.restBytesPerViewer)})`,
  ];
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!);
if (isMain && process.env.BENCH_SYNTHETIC !== undefined) {
  const n = Number(process.env.BENCH_N ?? 50_000);
  const figures = await benchAdapterServer(n);
  console.log(`inspector adapter + server, ${n.toLocaleString('en-US')} synthetic actions, 1 viewer:`);
  console.log(`  ${Math.round(figures.eventsPerSecond).toLocaleString('en-US')} inspection events/s end to end`);
  console.log(`  ${figures.microsPerEvent.toFixed(2)} µs added per inspection event`);
  console.log(`  ${Math.round(figures.bytesPerAction)} bytes on the wire per action`);
} else if (isMain) {
  const { pQueueChunked, CONCURRENCY } = await import('./runners.js');
  const figures = await benchInspector(Number(process.env.BENCH_N ?? 25_000), pQueueChunked, CONCURRENCY, Number(process.env.BENCH_LIVE ?? 90_000));
  for (const line of formatInspectorFigures(figures)) console.log(line);
}
