/**
 * Inspector overhead. `benchInspectorOverhead(createRun)` runs the same workload
 * without and with the inspector streaming to a connected WebSocket viewer
 * (and a reference runner, p-queue, in the same rounds), and reports actions/s
 * and ratios. `benchAdapterServer` measures the adapter + server cost per
 * inspection event on a synthetic action lifecycle (17 events per action, as
 * XState emits). Run alone, on the compiled build like `npm run bench`:
 * `npx tsc -p tsconfig.bench.json && node build/bench/bench/inspect.bench.js`.
 */
import { WebSocket } from 'ws';
import type { InspectionEvent } from 'xstate';
import { PROTOCOL_VERSION, type ServerMessage } from '../src/inspect/protocol.js';
import { inspect } from '../src/inspect/server.js';
import type { InspectableActorRef, InspectorTarget } from '../src/inspect/target.js';

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

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!);
if (isMain) {
  const n = Number(process.env.BENCH_N ?? 50_000);
  const figures = await benchAdapterServer(n);
  console.log(`inspector adapter + server, ${n.toLocaleString('en-US')} synthetic actions, 1 viewer:`);
  console.log(`  ${Math.round(figures.eventsPerSecond).toLocaleString('en-US')} inspection events/s end to end`);
  console.log(`  ${figures.microsPerEvent.toFixed(2)} µs added per inspection event`);
  console.log(`  ${Math.round(figures.bytesPerAction)} bytes on the wire per action`);
}
