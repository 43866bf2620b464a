/**
 * Actor systems of a user's own XState app, shown in a Sequence's inspection.
 *
 * When a user's machine invokes or spawns an Echo action (`fromAction`), the action's
 * actor is placed under the user's actor in the actor tree. For that tree to hold
 * together in the inspector, the user's actors must be there too: the first time an
 * action is invoked from a system, the system's inspection events are relayed into
 * the Sequence's own (XState's `system.inspect`), its current actors are announced,
 * and its root is kept so a viewer that joins later sees them.
 * @internal
 */
import type { AnyActorRef, InspectionEvent } from 'xstate';

/** The part of an XState actor this module reads. */
interface GuestRef {
  readonly sessionId: string;
  readonly _parent?: GuestRef | undefined;
  readonly system: { inspect(observer: (event: InspectionEvent) => void): unknown };
  getSnapshot(): { readonly status?: string; readonly children?: Readonly<Record<string, GuestRef | undefined>> } | undefined;
}

/** The root of `actor`'s tree. */
function rootOf(actor: GuestRef): GuestRef {
  let root = actor;
  while (root._parent !== undefined) root = root._parent;
  return root;
}

/** `root` and every actor below it (depth first); `seen` keeps a cycle from looping. */
function* treeOf(root: GuestRef, seen = new Set<string>()): Generator<GuestRef> {
  if (seen.has(root.sessionId)) return;
  seen.add(root.sessionId);
  yield root;
  const children = root.getSnapshot()?.children ?? {};
  for (const child of Object.values(children)) if (child !== undefined) yield* treeOf(child, seen);
}

const isActive = (actor: GuestRef): boolean => (actor.getSnapshot()?.status ?? 'active') === 'active';

export class GuestSystems {
  readonly #systems = new WeakSet<object>();
  /** Roots of the relayed systems still active. */
  readonly #roots = new Set<GuestRef>();
  readonly #emit: (event: InspectionEvent) => void;

  /** `emit` hands an inspection event to the Sequence's observers. */
  constructor(emit: (event: InspectionEvent) => void) {
    this.#emit = emit;
  }

  /** Relays the inspection of `actor`'s system from now on (once per system) and announces its current actors. */
  adopt(actor: AnyActorRef): void {
    const guest = actor as unknown as GuestRef;
    const system = guest.system as object;
    if (this.#systems.has(system)) return;
    this.#systems.add(system);
    const root = rootOf(guest);
    this.#roots.add(root);
    guest.system.inspect((event) => {
      if (event.type === '@xstate.snapshot' && (event.actorRef as unknown) === root && !isActive(root)) this.#roots.delete(root);
      this.#emit(event);
    });
    // Actors made before the relay began (the invoking one, its ancestors) are announced now; `actor` itself
    // may not be in its parent's children yet (it is being started), so its ancestry is walked too.
    const ancestry: GuestRef[] = [];
    for (let ref: GuestRef | undefined = guest; ref !== undefined; ref = ref._parent) ancestry.unshift(ref);
    const announced = new Set<GuestRef>([...ancestry, ...treeOf(root)]);
    for (const ref of announced) {
      this.#emit({ type: '@xstate.actor', actorRef: ref, rootId: root.sessionId } as unknown as InspectionEvent);
      const snapshot = ref.getSnapshot();
      if (snapshot !== undefined) this.#emit({ type: '@xstate.snapshot', actorRef: ref, rootId: root.sessionId, snapshot, event: { type: 'xstate.init' } } as unknown as InspectionEvent);
    }
  }

  /** The actors of every relayed system still active, for a viewer that joins now. */
  *actors(): Generator<AnyActorRef> {
    for (const root of [...this.#roots]) {
      if (!isActive(root)) {
        this.#roots.delete(root);
        continue;
      }
      for (const actor of treeOf(root)) yield actor as unknown as AnyActorRef;
    }
  }
}
