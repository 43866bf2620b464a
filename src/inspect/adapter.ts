/**
 * The one module between XState's inspection events and Echo's wire format.
 * It keeps the current actors (bounded: the oldest finished ones are evicted
 * beyond a limit), batches changes per flush (several snapshots of one actor in a
 * batch become one `state` op with a context patch of the changed keys only), and
 * gives a late joiner the current state, never a replay. XState v6 changes the
 * inspection events: only this file should have to follow.
 */
import type { InspectionEvent } from 'xstate';
import { defaultAdapterOptions, nonNegativeInteger, resolveAdapterLimits, type AdapterOptions } from './adapterOptions.js';
import { EventHistory } from './EventHistory.js';
import { MachineCatalog, machineIdOf } from './MachineCatalog.js';
import type {
  DeadLettersMessage,
  DeltaOp,
  FullState,
  MachineMessage,
  SourceMessage,
  SourceStats,
  WireActor,
} from './protocol.js';
import { actorOps } from './actorOps.js';
import { sameValue, sanitizeValue, toStatus, type Pending } from './deltaOps.js';
import { materialize, type Entry } from './entry.js';
import { pushEventOps, type PendingEvent } from './eventOps.js';
import { FinishedQueue } from './FinishedQueue.js';
import { FlushPacer } from './FlushPacer.js';
import { RateBudget } from './RateBudget.js';
import { actorFrames } from './joinFrames.js';
import { PullIntake } from './PullIntake.js';
import { createDeadLetterFeed } from './deadLetterFeed.js';
import { resolveSanitizeOptions, sanitize } from './sanitize.js';
import type { InspectableActorRef, InspectorTarget, PullableRef } from './target.js';

export { defaultAdapterOptions, type AdapterOptions } from './adapterOptions.js';

/** Turns inspection events into wire messages for one source. */
export interface InspectionAdapter {
  readonly source: string;
  /** Feeds one inspection event (the `inspect` observer). */
  handle(event: InspectionEvent): void;
  /** Registers actors that already exist (a late attach). */
  seed(actors: Iterable<InspectableActorRef>): void;
  /** The current actors, for a viewer that joins now. */
  fullState(): FullState;
  /**
   * The current actors in frames of at most `chunk` actors (a `full`, then `delta`s that
   * add the rest), then the recent event history; read lazily, so a joining viewer costs
   * one chunk of memory at a time. Actors that change meanwhile are sent as they are then.
   * A frame's actors are the adapter's own records: encode each frame before asking for the next.
   * With `othersWatching` false (no viewer but the joining one), the actors a flood left
   * waiting are taken in without announcing them in a delta: the join's frames hold them.
   */
  joinMessages(chunk: number, othersWatching?: boolean): Generator<SourceMessage>;
  /** The last event ops (a bounded ring), oldest first. */
  history(): DeltaOp[];
  /** Every machine definition known so far. */
  machines(): MachineMessage[];
  /** The target's dead letters now, or null when it keeps none. */
  deadLetters(): DeadLettersMessage | null;
  /** Listens to `machine` and `delta` messages; returns the unsubscribe function. */
  subscribe(listener: (message: SourceMessage) => void): () => void;
  /** Sends pending changes now. */
  flush(): void;
  /** Counts of what the adapter sent and dropped. */
  stats(): SourceStats;
  /** Stops listening to the target and cancels a pending flush. */
  dispose(): void;
}

/**
 * Creates an adapter; with a `target` it subscribes to it, seeds its current
 * actors and knows its machines.
 * @example
 * const adapter = createInspectionAdapter('local', undefined, { flushInterval: 10 });
 * const actor = createActor(machine, { inspect: adapter.handle }).start();
 * adapter.fullState().actors.length; // 1
 */
export function createInspectionAdapter(
  source: string,
  target?: Pick<InspectorTarget, 'subscribeInspection' | 'currentActors' | 'machines' | 'subscribeDeadLetters' | 'deadLetters' | 'whenIdle'>,
  options: AdapterOptions = {},
): InspectionAdapter {
  const config = { ...defaultAdapterOptions, ...options };
  const { clock, flushInterval, maxFinished, maxActors, maxEvents, maxSteps, maxShortLived, maxIntake, maxHistory, maxOpsPerFrame } = resolveAdapterLimits(config);
  const limits = resolveSanitizeOptions(config.sanitize);
  // A durable runtime's dead letters travel beside its actors (null: it keeps none).
  const deadLetters = target === undefined ? null : createDeadLetterFeed(source, target, { clock, interval: nonNegativeInteger('deadLetterInterval', config.deadLetterInterval), max: nonNegativeInteger('maxDeadLetters', config.maxDeadLetters), limits });
  const feedUnsubscribers = new Map<(message: SourceMessage) => void, () => void>();

  const entries = new Map<string, Entry>();
  /** Marks this adapter's entries (an actor's `pullSlot` may still hold one of an earlier adapter). */
  const ownerToken = {};
  const finished = new FinishedQueue();
  /** Entries changed since the last flush, in first-change order (each holds its `change`). */
  let pending: Entry[] = [];
  let events: PendingEvent[] = [];
  const listeners = new Set<(message: SourceMessage) => void>();
  const counters = { droppedActors: 0, droppedEvents: 0 };
  const pacer = new FlushPacer(clock, flushInterval, () => flush(), target?.whenIdle === undefined ? undefined : () => target.whenIdle!());
  // Rates, not counts per flush: flushes come as often as the runtime goes idle.
  const started = clock.now();
  const shortLivedBudget = new RateBudget(maxShortLived, flushInterval, started);
  const eventBudget = new RateBudget(maxEvents, flushInterval, started);
  const eventHistory = new EventHistory(maxHistory);
  const trailEvents = { budget: eventBudget, history: eventHistory, counters };
  const history = (): DeltaOp[] => eventHistory.ops();

  const machinesOf = (): Record<string, unknown> => target?.machines() ?? {};
  const catalog = new MachineCatalog(source, machinesOf(), (message) => {
    for (const listener of listeners) listener(message);
  });

  function touch(entry: Entry): Pending | undefined {
    if (listeners.size === 0) return undefined;
    let change = entry.change;
    if (change === null) {
      change = { added: false, changed: false, removed: null, keys: null, whole: false, event: undefined, steps: null, trail: null, same: true };
      entry.change = change;
      pending.push(entry);
    }
    pacer.schedule();
    return change;
  }


  function add(ref: InspectableActorRef, snapshot: any, announce = true): Entry | undefined {
    if (entries.size - finished.count >= maxActors) {
      counters.droppedActors++;
      return undefined;
    }
    const machineId = machineIdOf(ref);
    if (machineId !== null && !catalog.has(machineId)) catalog.describe(machinesOf()[machineId] ?? ref.logic);
    const now = clock.now();
    const actor: WireActor = {
      sessionId: ref.sessionId,
      id: ref.id,
      parentId: ref._parent?.sessionId ?? null,
      machineId,
      kind: catalog.kindOf(machineId),
      value: null,
      status: 'active',
      context: null,
      createdAt: now,
      updatedAt: now,
    };
    const entry: Entry = { actor, raw: undefined, stale: null, latest: undefined, change: null, pulled: null, owner: ownerToken, evicted: false };
    entries.set(ref.sessionId, entry);
    if ('pullSlot' in ref) (ref as PullableRef).pullSlot = entry;
    update(entry, snapshot, null, now);
    if (!announce) return entry;
    const change = touch(entry);
    if (change) change.added = true;
    return entry;
  }

  /** Applies a snapshot to an entry, noting in `change` what the next flush must send. */
  function update(entry: Entry, snapshot: any, change: Pending | null, now: number): void {
    const actor = entry.actor;
    const wasFinished = actor.status !== 'active';
    const value = sanitizeValue(snapshot?.value);
    if (change && change.changed && !change.added && (change.steps?.length ?? 0) < maxSteps && !sameValue(actor.value, value)) {
      (change.steps ??= []).push([actor.value, actor.updatedAt]);
    }
    actor.value = value;
    actor.status = toStatus(snapshot?.status);
    actor.updatedAt = now;
    const raw: unknown = snapshot?.context;
    // A finished actor's context no longer changes.
    if (!wasFinished) entry.latest = raw;
    if (snapshot?.output !== undefined) actor.output = sanitize(snapshot.output, limits);
    if (snapshot?.error !== undefined) actor.error = sanitize(snapshot.error, limits);
    if (!wasFinished && actor.status !== 'active') finish(entry);
  }

  /**
   * A short-lived actor a flush does not send (beyond its budget): counted, and let go at
   * once, so a late joiner has what the viewers have and no `remove` follows for it.
   */
  function forget(entry: Entry): void {
    counters.droppedActors++;
    entries.delete(entry.actor.sessionId);
    entry.evicted = true;
    finished.forget();
  }

  /** Called once per actor, when it stops being active. */
  function finish(entry: Entry): void {
    // The raw context stays (it is immutable and final): it is sanitized only if a
    // viewer ever needs it, so actors evicted before the next flush cost nothing.
    finished.push(entry);
    while (finished.count > maxFinished) {
      const oldest = finished.shift();
      entries.delete(oldest.actor.sessionId);
      oldest.evicted = true;
      counters.droppedActors++;
      const change = touch(oldest);
      if (change) change.removed = 'evicted';
    }
  }

  function hasRoom(): boolean {
    return entries.size - finished.count < maxActors;
  }

  function onSnapshot(ref: InspectableActorRef, snapshot: unknown, eventType: string | undefined): void {
    const entry = entries.get(ref.sessionId);
    if (entry === undefined) {
      // An unknown finished actor was evicted (or never shown): do not bring it back.
      if (toStatus((snapshot as { status?: unknown } | null)?.status) !== 'active' || !add(ref, snapshot)) {
        counters.droppedEvents++;
      }
      return;
    }
    const change = touch(entry) ?? null;
    update(entry, snapshot, change, clock.now());
    if (change) {
      change.changed = true;
      change.event = eventType;
      change.same = false;
    }
    // An Echo action moves from its Sequence to the Site that takes it.
    const parentId = ref._parent?.sessionId ?? null;
    if (parentId !== entry.actor.parentId) {
      entry.actor.parentId = parentId;
      if (change) change.moved = true;
    }
  }

  function handle(event: InspectionEvent): void {
    switch (event.type) {
      case '@xstate.actor': {
        // The snapshot cannot be read yet (XState sends this from the actor's constructor):
        // the actor's first `@xstate.snapshot` fills it in.
        const ref = event.actorRef as unknown as InspectableActorRef;
        if (!entries.has(ref.sessionId)) add(ref, undefined);
        return;
      }
      case '@xstate.snapshot':
        onSnapshot(event.actorRef as unknown as InspectableActorRef, event.snapshot, event.event?.type);
        return;
      case '@xstate.event': {
        if (listeners.size === 0) return;
        pacer.schedule();
        if (events.length >= maxEvents) {
          counters.droppedEvents++;
          return;
        }
        const from = (event.sourceRef as { sessionId?: string } | undefined)?.sessionId ?? null;
        events.push({ sessionId: event.actorRef.sessionId, from, event: event.event, at: clock.now() });
        return;
      }
      default:
        // `@xstate.microstep`, `@xstate.action` and future kinds carry nothing the inspector shows.
        return;
    }
  }

  function flush(): void {
    pacer.flushing();
    pulls.admit(false);
    if (pulls.waiting > 0) pacer.schedule(false); // the rest waits for the intake's next places
    if (pending.length === 0 && events.length === 0) return;
    const at = clock.now();
    const changed = pending;
    pending = [];
    pulls.readAll(changed);
    eventBudget.refill(at);
    const ops = actorOps(changed, shortLivedBudget.refill(at), limits, forget, trailEvents);
    pushEventOps(ops, events, eventBudget, limits, eventHistory, counters);
    events = [];
    if (ops.length === 0) return;
    // Frames of bounded size: a join that takes in a flood's declined actors adds them all at once.
    const counts = stats();
    for (let from = 0; from < ops.length; from += maxOpsPerFrame) {
      const message: SourceMessage = { type: 'delta', source, at, ops: from === 0 && ops.length <= maxOpsPerFrame ? ops : ops.slice(from, from + maxOpsPerFrame), stats: counts };
      for (const listener of listeners) listener(message);
    }
  }

  function stats(): SourceStats {
    return { actors: entries.size, finished: finished.count, ...counters, waiting: pulls.waiting };
  }

  const pulls = new PullIntake(
    { entries, owner: ownerToken, clock, counters, hasRoom, add, touch, update, schedule: () => pacer.schedule() },
    maxIntake,
    maxShortLived,
    flushInterval,
    started,
  );
  const unsubscribe = target?.subscribeInspection(handle, { pull: pulls.onPull });
  const adapter: InspectionAdapter = {
    source,
    handle,
    seed(actors) {
      for (const ref of actors) if (!entries.has(ref.sessionId)) add(ref, ref.getSnapshot());
    },
    fullState() {
      pulls.admit(true);
      const actors: WireActor[] = [];
      pulls.readAll(pending);
      for (const entry of entries.values()) actors.push({ ...materialize(entry, limits) });
      return { type: 'full', source, at: clock.now(), actors, stats: stats() };
    },
    *joinMessages(chunk, othersWatching = true) {
      pulls.admit(true, othersWatching);
      // What changed so far (the actors just taken in among it) goes to the viewers there are
      // now; the joining one gets it all in its frames (the server holds its deltas until then).
      if (othersWatching) flush();
      else {
        // Nobody else watches: what is pending reaches the joining viewer in its frames, read when sent.
        for (const entry of pending) {
          if (entry.pulled !== null && entry.change !== null) pulls.read(entry, entry.change);
          // Its steps reach the joining viewer as the history's events.
          if (entry.change !== null && entry.change.trail !== null) eventHistory.rememberTrail(entry.actor.sessionId, entry.change.trail);
          entry.change = null;
        }
        pending = [];
      }
      yield* actorFrames(source, entries, chunk, limits, clock, stats);
      const events = history();
      if (events.length > 0) yield { type: 'delta', source, at: clock.now(), ops: events, stats: stats() };
      const dead = deadLetters?.current();
      if (dead != null) yield dead;
    },
    history,
    machines: () => catalog.messages(),
    deadLetters: () => deadLetters?.current() ?? null,
    subscribe(listener) {
      listeners.add(listener);
      if (deadLetters !== null) feedUnsubscribers.set(listener, deadLetters.subscribe(listener));
      return () => {
        listeners.delete(listener);
        feedUnsubscribers.get(listener)?.();
        feedUnsubscribers.delete(listener);
        if (listeners.size === 0) {
          for (const entry of pending) entry.change = null;
          pending = [];
          events = [];
        }
      };
    },
    flush,
    stats,
    dispose() {
      pacer.stop();
      unsubscribe?.();
      deadLetters?.dispose();
      feedUnsubscribers.clear();
      pulls.dispose();
      listeners.clear();
    },
  };
  if (target) adapter.seed(target.currentActors());
  return adapter;
}
