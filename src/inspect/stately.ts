/**
 * A bridge for third-party XState v5 apps instrumented with `@statelyai/inspect`'s
 * `createWebSocketInspector({ url })`: the serialized events it sends become
 * inspection events again, so the one adapter turns them into Echo's wire format.
 */
import { createMachine, type AnyStateMachine, type InspectionEvent } from 'xstate';
import type { ControlCommand, InspectableActorRef, InspectorTarget } from './target.js';

interface BridgedRef extends InspectableActorRef {
  snapshot: unknown;
}

/** What `@statelyai/inspect` sends (its `StatelyInspectionEvent`, already JSON). */
export interface StatelyEvent {
  type: string;
  sessionId: string;
  _version: string;
  [key: string]: unknown;
}

/** Rebuilds a machine from a serialized config, or `undefined` when it cannot be read. */
export function machineFromConfig(definition: unknown): AnyStateMachine | undefined {
  try {
    const config: unknown = typeof definition === 'string' ? JSON.parse(definition) : definition;
    if (typeof config !== 'object' || config === null || typeof (config as { id?: unknown }).id !== 'string') return undefined;
    return createMachine(config as never) as AnyStateMachine;
  } catch (error) {
    // Configs with shapes XState rejects without their implementations are shown without a chart.
    void error;
    return undefined;
  }
}

/** A third-party app seen through `@statelyai/inspect` messages; it cannot be controlled. */
export class StatelyBridge implements InspectorTarget {
  readonly id: string;
  readonly name: string;
  #observers = new Set<(event: InspectionEvent) => void>();
  #refs = new Map<string, BridgedRef>();
  #machines: Record<string, AnyStateMachine> = {};
  readonly #maxMachines: number;

  constructor(id: string, name: string, maxMachines = 200) {
    this.id = id;
    this.name = name;
    this.#maxMachines = maxMachines;
  }

  subscribeInspection(observer: (event: InspectionEvent) => void): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  currentActors(): Iterable<InspectableActorRef> {
    return this.#refs.values();
  }

  machines(): Record<string, AnyStateMachine> {
    return this.#machines;
  }

  async control(command: ControlCommand): Promise<void> {
    throw new Error(`Source ${this.id} is a third-party XState app: it cannot carry out ${command.type}`);
  }

  /** Feeds one message received from a `@statelyai/inspect` client. */
  receive(message: StatelyEvent): void {
    switch (message.type) {
      case '@xstate.actor':
        return this.#actor(message);
      case '@xstate.snapshot': {
        const ref = this.#ref(message.sessionId);
        ref.snapshot = message.snapshot;
        this.#emit({ type: '@xstate.snapshot', actorRef: ref, rootId: ref.sessionId, snapshot: message.snapshot, event: (message.event as object) ?? { type: '' } });
        if ((message.snapshot as { status?: string } | null)?.status !== 'active') this.#refs.delete(ref.sessionId);
        return;
      }
      case '@xstate.event': {
        const ref = this.#ref(message.sessionId);
        const sourceRef = typeof message.sourceId === 'string' ? this.#refs.get(message.sourceId) : undefined;
        this.#emit({ type: '@xstate.event', actorRef: ref, rootId: ref.sessionId, sourceRef, event: (message.event as object) ?? { type: '' } });
        return;
      }
      default:
        // Other `@xstate.*` kinds carry nothing the inspector shows.
        return;
    }
  }

  #actor(message: StatelyEvent): void {
    const machine = machineFromConfig(message.definition);
    if (machine && !(machine.id in this.#machines) && Object.keys(this.#machines).length < this.#maxMachines) {
      this.#machines[machine.id] = machine;
    }
    const name = typeof message.name === 'string' ? message.name : message.sessionId;
    const ref: BridgedRef = {
      sessionId: message.sessionId,
      id: name,
      _parent: typeof message.parentId === 'string' ? { sessionId: message.parentId } : undefined,
      logic: machine ? { id: machine.id } : undefined,
      snapshot: message.snapshot,
      getSnapshot() {
        return this.snapshot;
      },
    };
    this.#refs.set(ref.sessionId, ref);
    this.#emit({ type: '@xstate.actor', actorRef: ref, rootId: ref.sessionId });
    this.#emit({ type: '@xstate.snapshot', actorRef: ref, rootId: ref.sessionId, snapshot: message.snapshot, event: { type: 'xstate.init' } });
  }

  #ref(sessionId: string): BridgedRef {
    let ref = this.#refs.get(sessionId);
    if (ref === undefined) {
      ref = { sessionId, id: sessionId, _parent: undefined, logic: undefined, snapshot: undefined, getSnapshot: () => undefined };
      this.#refs.set(sessionId, ref);
    }
    return ref;
  }

  #emit(event: unknown): void {
    for (const observer of this.#observers) observer(event as InspectionEvent);
  }
}
