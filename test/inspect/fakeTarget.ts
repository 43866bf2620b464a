/**
 * A stand-in for the Echo Sequence built from REAL XState actors: a
 * `echo.sequence` root spawns `echo.site` children, which spawn `echo.action`
 * children with the Action context of docs/design.md. Actions move through
 * delayed → queued → hooks → running ⇄ retrying → afterHooks → done | failed, and
 * CANCEL leads through cancelling to cancelled. Every step is an `after` delay on
 * the injected clock. Replace with the real Sequence once it exists.
 */
import { assign, createActor, enqueueActions, sendParent, setup, spawnChild, stopChild, type AnyActorRef, type AnyStateMachine } from 'xstate';
import { controlMany } from '../../src/inspect/controlMany.js';
import type { ControlCommand, InspectableActorRef, InspectorTarget } from '../../src/inspect/target.js';

export interface FakeClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface FakeTimings {
  delay: number;
  queue: number;
  hooks: number;
  attempt: number;
  backoff: number;
  afterHooks: number;
  cancelGrace: number;
}

export interface FakeActionInput {
  id: string;
  name: string;
  site: string;
  /** Outcome of each attempt in turn; past the end, attempts succeed. */
  plan?: Array<'ok' | 'fail'>;
  timings?: Partial<FakeTimings>;
  content?: unknown;
}

const defaultTimings: FakeTimings = { delay: 0, queue: 10, hooks: 10, attempt: 100, backoff: 200, afterHooks: 10, cancelGrace: 20 };

interface AttemptRecord {
  number: number;
  startedAt: number;
  endedAt: number | null;
  outcome: 'running' | 'succeeded' | 'failed' | 'timed-out' | 'cancelled' | 'abandoned';
  error: { name: string; message: string; cause?: unknown } | null;
  backoff: number | null;
}

function createActionMachine(now: () => number) {
  const attemptError = (number: number) => ({
    name: 'AttemptError',
    message: `attempt ${number} failed: upstream answered 503`,
    cause: { name: 'HttpError', message: '503 Service Unavailable', cause: { name: 'Error', message: 'socket hang up' } },
  });
  const endLast = (attempts: AttemptRecord[], patch: Partial<AttemptRecord>): AttemptRecord[] =>
    attempts.map((attempt, i) => (i === attempts.length - 1 ? { ...attempt, endedAt: now(), ...patch } : attempt));
  return setup({
    types: {} as {
      input: FakeActionInput;
      context: {
        id: string; name: string; content: unknown; metadata: Record<string, unknown>;
        priority: 'high' | 'normal' | 'low'; queue: string; createdAt: number; startDelay: number;
        notBefore: number | null; attemptTimeout: number | null; totalTimeout: number | null; cancelGrace: number;
        attempts: AttemptRecord[]; retryAt: number | null; output: unknown;
        error: { name: string; message: string; cause?: unknown } | null;
        cancellation: { reason: string; message: string } | null; settledAt: number | null;
        plan: Array<'ok' | 'fail'>; timings: FakeTimings;
      };
      events: { type: 'CANCEL'; reason?: string } | { type: 'RETRY' };
    },
    delays: {
      startDelay: ({ context }) => context.timings.delay,
      queueWait: ({ context }) => context.timings.queue,
      hookTime: ({ context }) => context.timings.hooks,
      attemptTime: ({ context }) => context.timings.attempt,
      backoff: ({ context }) => context.timings.backoff,
      afterHookTime: ({ context }) => context.timings.afterHooks,
      cancelGrace: ({ context }) => context.cancelGrace,
    },
    guards: {
      succeeds: ({ context }) => (context.plan[context.attempts.length - 1] ?? 'ok') === 'ok',
      canRetry: ({ context }) => context.attempts.length < context.plan.length + 1,
    },
    actions: {
      settled: sendParent(({ context }) => ({ type: 'SETTLED', id: context.id })),
    },
  }).createMachine({
    id: 'echo.action',
    context: ({ input }) => ({
      id: input.id, name: input.name, content: input.content ?? null, metadata: {}, priority: 'normal',
      queue: input.site, createdAt: now(), startDelay: input.timings?.delay ?? 0,
      notBefore: (input.timings?.delay ?? 0) > 0 ? now() + (input.timings?.delay ?? 0) : null,
      attemptTimeout: null, totalTimeout: null, cancelGrace: input.timings?.cancelGrace ?? defaultTimings.cancelGrace,
      attempts: [], retryAt: null, output: null, error: null, cancellation: null, settledAt: null,
      plan: input.plan ?? [], timings: { ...defaultTimings, ...input.timings },
    }),
    initial: 'delayed',
    on: {
      CANCEL: {
        target: '.cancelling',
        actions: assign({
          cancellation: ({ event }) => ({ reason: 'user', message: (event as { reason?: string }).reason ?? 'cancelled from the inspector' }),
          retryAt: null,
        }),
      },
    },
    states: {
      delayed: { after: { startDelay: 'queued' } },
      queued: { after: { queueWait: 'hooks' } },
      hooks: { after: { hookTime: 'running' } },
      running: {
        entry: assign({
          retryAt: null,
          attempts: ({ context }) => [
            ...context.attempts,
            { number: context.attempts.length + 1, startedAt: now(), endedAt: null, outcome: 'running', error: null, backoff: null },
          ],
        }),
        after: {
          attemptTime: [
            { guard: 'succeeds', target: 'afterHooks', actions: assign({ attempts: ({ context }) => endLast(context.attempts, { outcome: 'succeeded' }), output: ({ context }) => ({ ok: true, attempts: context.attempts.length }) }) },
            {
              guard: 'canRetry',
              target: 'retrying',
              actions: assign({
                attempts: ({ context }) => endLast(context.attempts, { outcome: 'failed', error: attemptError(context.attempts.length), backoff: context.timings.backoff }),
                retryAt: ({ context }) => now() + context.timings.backoff,
              }),
            },
            { target: 'failed', actions: assign({ attempts: ({ context }) => endLast(context.attempts, { outcome: 'failed', error: attemptError(context.attempts.length) }), error: ({ context }) => attemptError(context.attempts.length) }) },
          ],
        },
      },
      retrying: { on: { RETRY: 'running' }, after: { backoff: 'running' } },
      afterHooks: { after: { afterHookTime: 'done' } },
      cancelling: {
        entry: assign({ attempts: ({ context }) => (context.attempts.at(-1)?.outcome === 'running' ? endLast(context.attempts, { outcome: 'cancelled' }) : context.attempts) }),
        after: { cancelGrace: 'cancelled' },
      },
      done: { type: 'final', entry: [assign({ settledAt: () => now() }), 'settled'] },
      failed: { type: 'final', entry: [assign({ settledAt: () => now() }), 'settled'] },
      cancelled: { type: 'final', entry: [assign({ settledAt: () => now() }), 'settled'] },
    },
  });
}

function createSiteMachine(action: AnyStateMachine) {
  return setup({
    types: {} as {
      input: { name: string };
      context: { name: string; started: number; settled: number };
      events: { type: 'SPAWN'; input: FakeActionInput } | { type: 'SETTLED'; id: string };
    },
    actors: { action },
  }).createMachine({
    id: 'echo.site',
    context: ({ input }) => ({ name: input.name, started: 0, settled: 0 }),
    initial: 'open',
    states: {
      open: {
        on: {
          SPAWN: {
            actions: [
              spawnChild('action', {
                id: ({ event }: { event: { input: FakeActionInput } }) => event.input.id,
                input: ({ event }: { event: { input: FakeActionInput } }) => event.input,
              } as never),
              assign({ started: ({ context }) => context.started + 1 }),
            ],
          },
          // Finished actions are stopped at once (XState keeps final children until stopped).
          SETTLED: { actions: [stopChild(({ event }) => (event as { id: string }).id), assign({ settled: ({ context }) => context.settled + 1 })] },
        },
      },
    },
  });
}

function createSequenceMachine(site: AnyStateMachine) {
  return setup({
    types: {} as { input: { sites: string[] }; context: { sites: string[] }; events: { type: 'PAUSE' } | { type: 'RESUME' } },
    actors: { site },
  }).createMachine({
    id: 'echo.sequence',
    context: ({ input }) => ({ sites: input.sites }),
    entry: enqueueActions(({ context, enqueue }) => {
      for (const name of context.sites) enqueue.spawnChild('site', { id: `site:${name}`, input: { name } });
    }),
    initial: 'running',
    states: { running: { on: { PAUSE: 'paused' } }, paused: { on: { RESUME: 'running' } } },
  });
}

export interface FakeTarget extends InspectorTarget {
  readonly root: AnyActorRef;
  /** Commands received through `control`, in order. */
  readonly commands: ControlCommand[];
  addAction(input: FakeActionInput): void;
  /** The action actor's snapshot, while it exists. */
  action(actionId: string): { value: unknown; status: string; context: any } | undefined;
  stop(): void;
}

/** Builds a running fake Sequence with the given sites on `clock`. */
export function createFakeTarget(options: { clock: FakeClock; sites?: string[]; id?: string; name?: string }): FakeTarget {
  const { clock } = options;
  const now = () => clock.now();
  const action = createActionMachine(now);
  const site = createSiteMachine(action);
  const sequence = createSequenceMachine(site);
  const observers = new Set<(event: any) => void>();
  const settled = new Map<string, { value: unknown; status: string; context: any }>();
  const root = createActor(sequence, {
    clock,
    input: { sites: options.sites ?? ['default'] },
    inspect: (event) => {
      if (event.type === '@xstate.snapshot' && (event.actorRef as unknown as { logic: unknown }).logic === action && event.snapshot.status === 'done') {
        const snapshot = event.snapshot as any;
        settled.set(snapshot.context.id, { value: snapshot.value, status: snapshot.status, context: snapshot.context });
      }
      for (const observer of observers) observer(event);
    },
  });
  root.subscribe({ error: (error) => { throw error; } });
  root.start();
  const commands: ControlCommand[] = [];
  const children = (ref: AnyActorRef): AnyActorRef[] => Object.values((ref.getSnapshot() as { children?: Record<string, AnyActorRef> }).children ?? {});
  const findAction = (actionId: string): AnyActorRef | undefined => {
    for (const siteRef of children(root)) for (const ref of children(siteRef)) if (ref.id === actionId) return ref;
    return undefined;
  };
  return {
    id: options.id ?? 'fake',
    name: options.name ?? 'Fake sequence',
    root,
    commands,
    subscribeInspection(observer) {
      observers.add(observer);
      return () => observers.delete(observer);
    },
    currentActors() {
      const out: InspectableActorRef[] = [];
      const walk = (ref: AnyActorRef): void => {
        out.push(ref as unknown as InspectableActorRef);
        for (const child of children(ref)) walk(child);
      };
      walk(root);
      return out;
    },
    machines: () => ({ 'echo.sequence': sequence, 'echo.site': site, 'echo.action': action }),
    async control(command) {
      commands.push(command);
      if (command.type === 'pause') root.send({ type: 'PAUSE' });
      else if (command.type === 'resume') root.send({ type: 'RESUME' });
      else if (command.type === 'cancel-many' || command.type === 'retry-many') {
        const type = command.type === 'cancel-many' ? 'cancel' : 'retry';
        await controlMany(command, async (actionId) => this.control({ type, actionId }));
      } else if (command.type === 'redrive') {
        throw new Error('This fake keeps no dead letters');
      } else {
        const ref = findAction(command.actionId);
        if (ref === undefined) throw new Error(`No running action ${command.actionId}`);
        ref.send(command.type === 'cancel' ? { type: 'CANCEL' } : { type: 'RETRY' });
      }
    },
    addAction(input) {
      const siteRef = children(root).find((ref) => ref.id === `site:${input.site}`);
      if (siteRef === undefined) throw new Error(`No site ${input.site}`);
      siteRef.send({ type: 'SPAWN', input });
    },
    action(actionId) {
      const ref = findAction(actionId);
      if (ref) {
        const snapshot = ref.getSnapshot() as any;
        return { value: snapshot.value, status: snapshot.status, context: snapshot.context };
      }
      return settled.get(actionId);
    },
    stop: () => root.stop(),
  };
}
