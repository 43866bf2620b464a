/**
 * The machines one inspection source knows: their wire descriptions (each sent
 * once, when first seen) and the Echo kind of their actors (a Sequence, a Site,
 * an action, or any other actor).
 * @internal
 */
import { describeMachine, isStateMachine } from './machineGraph.js';
import type { ActorKind, MachineMessage } from './protocol.js';
import type { InspectableActorRef } from './target.js';

const KINDS: Record<string, ActorKind> = { 'echo.sequence': 'sequence', 'echo.site': 'site', 'echo.action': 'action' };

/** The id of an actor's machine, or null for an actor that runs no machine. */
export function machineIdOf(ref: InspectableActorRef): string | null {
  const id = (ref.logic as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : null;
}

/** Machine descriptions by id, and actor kinds by machine id. */
export class MachineCatalog {
  readonly #source: string;
  readonly #described = new Map<string, MachineMessage>();
  /** Kinds by machine id: Echo's own, and a target's machines given under Echo's keys (a user's Action machine under `echo.action`). */
  readonly #kinds = new Map<string, ActorKind>(Object.entries(KINDS));
  readonly #announce: (message: MachineMessage) => void;

  /** Knows a target's `machines` (by Echo key) from the start; later descriptions go to `announce`. */
  constructor(source: string, machines: Record<string, unknown>, announce: (message: MachineMessage) => void) {
    this.#source = source;
    this.#announce = announce;
    for (const machine of Object.values(machines)) this.describe(machine);
    for (const [key, machine] of Object.entries(machines)) {
      const kind = KINDS[key];
      if (kind !== undefined && isStateMachine(machine)) this.#kinds.set(machine.id, kind);
    }
  }

  /** Whether the machine `id` is described already. */
  has(id: string): boolean {
    return this.#described.has(id);
  }

  /** Describes `logic` when it is a machine not seen before, and announces it. */
  describe(logic: unknown): void {
    if (!isStateMachine(logic) || this.#described.has(logic.id)) return;
    const message: MachineMessage = { type: 'machine', source: this.#source, machine: describeMachine(logic) };
    this.#described.set(logic.id, message);
    this.#announce(message);
  }

  /** The kind of the actors of machine `id` (`actor` when Echo does not know it). */
  kindOf(id: string | null): ActorKind {
    return (id !== null ? this.#kinds.get(id) : undefined) ?? 'actor';
  }

  /** Every description so far. */
  messages(): MachineMessage[] {
    return [...this.#described.values()];
  }
}
