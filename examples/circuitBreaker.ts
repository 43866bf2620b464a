/**
 * A user's Action statechart: Echo's own, with a circuit breaker per action name.
 * After `failureThreshold` failed attempts in a row of one name, the circuit opens:
 * new attempts of that name wait in `open` (their Site slot given back) for the
 * cool-down. Then one of them runs as the half-open probe: its success closes the
 * circuit and wakes the others, its failure opens it for another cool-down.
 *
 * ```
 * queued ─START─┬─[circuit admits]─▶ hooks ─HOOKS_PASSED─▶ running ─ATTEMPT_*→ (the breaker counts the outcome)
 *               ├─[noHooks, admits]──────────────────────▶ running
 *               └──────────────────▶ open ─coolDown / CIRCUIT_CHANGED─▶ queued
 * ```
 *
 * The circuit is asked when a Site takes the action, before its hooks: an action that may
 * not call does not run them. The chart keeps Echo's `hooks` and `afterHooks` states, so an
 * action with no hook passes them over as on Echo's chart (`noHooks`).
 *
 * Run: `npx tsx examples/circuitBreaker.ts`
 */
import { pathToFileURL } from 'node:url';
import { setup, type AnyStateMachine } from 'xstate';
import { actionMachine } from '../machines/action.machine.js';
import { checkActionMachine, type ActionMachineTypes } from '../machines/actionContract.js';
import { actionGuards } from '../machines/actionRules.js';
import { createPlan, ManualClock, Sequence, type ActionHandle, type Clock } from '../src/index.js';

/** The event a waiting action gets when its circuit closes or opens again. */
export type CircuitEvent = { readonly type: 'CIRCUIT_CHANGED' };

/** What the breaker keeps per action name. */
interface Circuit {
  failures: number;
  /** Until when new attempts wait (the cool-down, or a half-open probe's window). */
  openUntil: number;
  readonly waiting: Set<{ send(event: CircuitEvent): void }>;
}

/** Options of {@link createCircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Failed attempts in a row of one name that open its circuit. @default 3 */
  readonly failureThreshold?: number;
  /** How long an open circuit makes new attempts wait, ms. @default 1000 */
  readonly coolDown?: number;
  /** The Sequence's clock. */
  readonly clock: Clock;
}

/** The shared state of every action's machine: one circuit per action name. */
export interface CircuitBreaker {
  readonly failureThreshold: number;
  readonly coolDown: number;
  /** `closed`, `open` (cooling down) or `half-open` (the cool-down is over: the next attempt probes). */
  state(name: string): 'closed' | 'open' | 'half-open';
  /** May an attempt of `name` run now? (closed, or half-open with no probe yet) */
  admits(name: string): boolean;
  /** An attempt of `name` runs: when the circuit is half-open it is the probe, and the others wait its window. */
  admit(name: string): void;
  /** How long an attempt of `name` that may not run waits before it asks again, ms. */
  waitFor(name: string): number;
  succeeded(name: string): void;
  failed(name: string): void;
  /** `actor` waits in `open`: it gets CIRCUIT_CHANGED when the probe decides. */
  watch(name: string, actor: { send(event: CircuitEvent): void }): void;
  unwatch(name: string, actor: { send(event: CircuitEvent): void }): void;
}

export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const failureThreshold = options.failureThreshold ?? 3;
  const coolDown = options.coolDown ?? 1000;
  if (!Number.isInteger(failureThreshold) || failureThreshold < 1) throw new TypeError(`Expected \`failureThreshold\` to be an integer >= 1, got ${String(failureThreshold)}`);
  if (!(coolDown >= 0)) throw new TypeError(`Expected \`coolDown\` to be a number >= 0, got ${String(coolDown)}`);
  const { clock } = options;
  const circuits = new Map<string, Circuit>();
  const circuitOf = (name: string): Circuit => {
    let circuit = circuits.get(name);
    if (circuit === undefined) circuits.set(name, (circuit = { failures: 0, openUntil: 0, waiting: new Set() }));
    return circuit;
  };
  const state = (name: string): 'closed' | 'open' | 'half-open' => {
    const circuit = circuitOf(name);
    if (circuit.failures < failureThreshold) return 'closed';
    return clock.now() < circuit.openUntil ? 'open' : 'half-open';
  };
  /** Wakes the waiting actions after the step that changed the circuit (never inside another actor's step). */
  const changed = (circuit: Circuit): void => {
    const waiting = [...circuit.waiting];
    queueMicrotask(() => {
      for (const actor of waiting) actor.send({ type: 'CIRCUIT_CHANGED' });
    });
  };
  return {
    failureThreshold,
    coolDown,
    state,
    admits: (name) => state(name) !== 'open',
    admit(name) {
      if (state(name) === 'half-open') circuitOf(name).openUntil = clock.now() + coolDown;
    },
    waitFor: (name) => Math.max(0, circuitOf(name).openUntil - clock.now()),
    succeeded(name) {
      const circuit = circuitOf(name);
      const wasOpen = circuit.failures >= failureThreshold;
      circuit.failures = 0;
      circuit.openUntil = 0;
      if (wasOpen) changed(circuit);
    },
    failed(name) {
      const circuit = circuitOf(name);
      circuit.failures++;
      if (circuit.failures < failureThreshold) return;
      circuit.openUntil = clock.now() + coolDown;
      changed(circuit);
    },
    watch: (name, actor) => void circuitOf(name).waiting.add(actor),
    unwatch: (name, actor) => void circuitOf(name).waiting.delete(actor),
  };
}

type Types = ActionMachineTypes<object, CircuitEvent>;
type Context = Types['context'];
type Self = { send(event: CircuitEvent): void };
const base = actionMachine.config as unknown as { states: Record<string, Record<string, unknown>> } & Record<string, unknown>;
const implementations = actionMachine.implementations as unknown as { actions: Record<string, never>; guards: Record<string, never>; delays: Record<string, never>; actors: Record<string, never> };

/** Echo's chart with an `open` state in front of `hooks` and `running`, driven by `breaker`. */
export function circuitBreakerMachine(breaker: CircuitBreaker): AnyStateMachine {
  const queued = base.states.queued as { on: Record<string, unknown> } & Record<string, unknown>;
  const running = base.states.running as { on: Record<string, unknown> } & Record<string, unknown>;
  const machine = setup({
    types: {} as Types,
    actions: {
      ...implementations.actions,
      admitThroughCircuit: ({ context }: { context: Context }) => breaker.admit(context.name),
      circuitSucceeded: ({ context }: { context: Context }) => breaker.succeeded(context.name),
      circuitFailed: ({ context }: { context: Context }) => breaker.failed(context.name),
      watchCircuit: ({ context, self }: { context: Context; self: unknown }) => breaker.watch(context.name, self as Self),
      unwatchCircuit: ({ context, self }: { context: Context; self: unknown }) => breaker.unwatch(context.name, self as Self),
    },
    actors: implementations.actors,
    guards: {
      ...implementations.guards,
      circuitAdmits: ({ context }: { context: Context }) => breaker.admits(context.name),
      // Echo's `noHooks` (START says nothing runs before the attempt) and the circuit's word.
      admitsWithoutHooks: ({ context, event }: { context: Context; event: { type: string } }) => actionGuards.noHooks(context, event) && breaker.admits(context.name),
    },
    delays: { ...implementations.delays, coolDown: ({ context }: { context: Context }) => breaker.waitFor(context.name) },
  }).createMachine({
    ...(base as object),
    id: 'echo.circuitBreaker',
    states: {
      ...base.states,
      queued: {
        ...queued,
        on: {
          ...queued.on,
          START: [
            { guard: 'admitsWithoutHooks', target: 'running', actions: ['recordSite', 'admitThroughCircuit'] },
            { guard: 'circuitAdmits', target: 'hooks', actions: ['recordSite', 'admitThroughCircuit'] },
            { target: 'open', actions: 'recordSite' },
          ],
        },
      },
      open: {
        description: 'The circuit of this action name is open: wait for the cool-down, or for the probe to decide',
        entry: ['releaseSite', 'watchCircuit'],
        exit: 'unwatchCircuit',
        after: { coolDown: 'queued' },
        on: { CIRCUIT_CHANGED: 'queued', RETRY_NOW: 'queued' },
      },
      running: {
        ...running,
        on: {
          ...running.on,
          // Echo's pass over `afterHooks` (and `finalizing`) when no after-hook runs (`noHooks`), kept with the breaker's count.
          ATTEMPT_SUCCEEDED: [
            { guard: 'noHooks', target: 'done', actions: ['recordAttemptSuccess', 'circuitSucceeded'] },
            { target: 'afterHooks', actions: ['recordAttemptSuccess', 'circuitSucceeded'] },
          ],
          ATTEMPT_FAILED: [
            { guard: 'retryPlanned', target: 'retrying', actions: ['recordAttemptFailure', 'circuitFailed'] },
            { target: 'afterHooks', actions: ['recordAttemptFailure', 'circuitFailed'] },
          ],
        },
      },
    },
  } as never);
  return checkActionMachine(machine as unknown as AnyStateMachine);
}

/** How long the service takes to answer, ms. */
const LATENCY = 100;

/** Options of {@link main}. */
export interface CircuitBreakerExampleOptions {
  /** A ManualClock is advanced by `main`; another clock runs in real time. @default new ManualClock() */
  readonly clock?: Clock;
  readonly engine?: 'table' | 'xstate';
  /** When the flaky service is back, ms. @default 1500 (after the first probe: it fails, the second succeeds) */
  readonly serviceBackAt?: number;
  /** @default console.log */
  readonly log?: (line: string) => void;
}

/** What the example saw. */
export interface CircuitBreakerSummary {
  /** Each call of the service: `<action id>@<time> ok|down`. */
  readonly calls: readonly string[];
  /** Each action's outcome, by id. */
  readonly outcomes: Readonly<Record<string, string>>;
  /** States each later action went through (from its handle's snapshots). */
  readonly paths: Readonly<Record<string, readonly string[]>>;
}

/**
 * Three calls fail while the service is down (each takes 100 ms): the circuit opens at t=200.
 * Three more actions wait in `open`, none calls the service. After the cool-down (t=1200) one
 * probes and fails (the service is still down): the circuit opens again. At t=2300 the next
 * probe succeeds, which closes the circuit and wakes the last action at once (t=2400, not
 * after another cool-down).
 */
export async function main(options: CircuitBreakerExampleOptions = {}): Promise<CircuitBreakerSummary> {
  const log = options.log ?? console.log;
  const clock = options.clock ?? new ManualClock();
  const serviceBackAt = options.serviceBackAt ?? 1500;
  const calls: string[] = [];
  const breaker = createCircuitBreaker({ failureThreshold: 3, coolDown: 1000, clock });
  const plan = createPlan({
    Fetch: {
      run: async (_url: string, ctx) => {
        const up = clock.now() >= serviceBackAt;
        calls.push(`${ctx.action}@${clock.now()} ${up ? 'ok' : 'down'}`);
        await new Promise<void>((resolve) => clock.setTimeout(() => resolve(), LATENCY));
        if (!up) throw new Error('service unavailable');
        return 'page';
      },
      retry: { attempts: 1 },
    },
  });
  const sequence = new Sequence({ plan, clock, sites: 1, concurrency: 2, actionMachine: circuitBreakerMachine(breaker), ...(options.engine !== undefined && { engine: options.engine }) });
  sequence.start();
  const outcomes: Record<string, string> = {};
  const paths: Record<string, string[]> = {};
  const track = (handle: ActionHandle<string>, follow: boolean): Promise<void> => {
    if (follow) {
      const path = (paths[handle.id] = [String(handle.getSnapshot().value)]);
      handle.subscribe((snapshot) => {
        if (path.at(-1) !== snapshot.value) path.push(String(snapshot.value));
      });
    }
    return handle.result.then(
      (value) => void (outcomes[handle.id] = String(value)),
      (error: Error) => void (outcomes[handle.id] = error.name),
    );
  };
  const settled = [0, 1, 2].map(() => track(sequence.assign('Fetch', '/status'), false));
  if (clock instanceof ManualClock) await clock.advance(3 * LATENCY);
  await Promise.all(settled);
  log(`after 3 failures the circuit is ${breaker.state('Fetch')}`);
  for (const url of ['/a', '/b', '/c']) settled.push(track(sequence.assign('Fetch', url), true));
  if (clock instanceof ManualClock) {
    await clock.advance(0);
    await clock.runAll();
  }
  await Promise.all(settled);
  log(`circuit ${breaker.state('Fetch')}; calls: ${calls.join(', ')}`);
  await sequence.shutdown();
  return { calls, outcomes, paths };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main({ clock: new ManualClock() });
