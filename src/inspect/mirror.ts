/**
 * The current state of a source rebuilt from its wire messages: what the server
 * keeps for a remote producer so that a viewer joining late gets a full state.
 */
import { EventHistory } from './EventHistory.js';
import { applyStateOp, type DeadLettersMessage, type FullState, type MachineMessage, type SourceMessage, type SourceStats, type TrailStep, type WireActor } from './protocol.js';

/** Rebuilds one source's actors and machines from `full`, `machine` and `delta` messages. */
export class SourceMirror {
  readonly source: string;
  readonly #maxActors: number;
  #actors = new Map<string, WireActor>();
  #machines = new Map<string, MachineMessage>();
  #stats: SourceStats = { actors: 0, finished: 0, droppedActors: 0, droppedEvents: 0 };
  #at = 0;
  #refused = 0;
  #deadLetters: DeadLettersMessage | null = null;
  readonly #history: EventHistory;

  /** `maxActors` bounds what a producer can make this process hold. */
  constructor(source: string, maxActors = 200_000, maxHistory = 500) {
    this.source = source;
    this.#maxActors = maxActors;
    this.#history = new EventHistory(maxHistory);
  }

  apply(message: SourceMessage): void {
    switch (message.type) {
      case 'machine':
        this.#machines.set(message.machine.id, { ...message, source: this.source });
        return;
      case 'dead-letters':
        this.#deadLetters = { ...message, source: this.source };
        return;
      case 'full':
        this.#actors.clear();
        for (const actor of message.actors) this.#add(actor);
        break;
      case 'delta':
        for (const op of message.ops) {
          if (op.op === 'event') this.#history.remember(op);
          else if (op.op === 'add') {
            this.#add(op.actor);
            this.#rememberTrail(op.actor.sessionId, op.trail);
          } else if (op.op === 'remove') this.#actors.delete(op.sessionId);
          else if (op.op === 'state') {
            const actor = this.#actors.get(op.sessionId);
            if (actor) this.#actors.set(op.sessionId, applyStateOp(actor, op));
            this.#rememberTrail(op.sessionId, op.trail);
          }
        }
        break;
    }
    this.#at = message.at;
    this.#stats = message.stats;
  }

  fullState(): FullState {
    const stats = { ...this.#stats, droppedActors: this.#stats.droppedActors + this.#refused };
    return { type: 'full', source: this.source, at: this.#at, actors: [...this.#actors.values()], stats };
  }

  /** Like the adapter's: the actors in frames of at most `chunk`, read lazily, then the event history. */
  *joinMessages(chunk: number): Generator<SourceMessage> {
    const stats = { ...this.#stats, droppedActors: this.#stats.droppedActors + this.#refused };
    let batch: WireActor[] = [];
    let first = true;
    const frame = (): SourceMessage =>
      first
        ? { type: 'full', source: this.source, at: this.#at, actors: batch, stats }
        : { type: 'delta', source: this.source, at: this.#at, ops: batch.map((actor) => ({ op: 'add', actor })), stats };
    for (const actor of this.#actors.values()) {
      batch.push(actor);
      if (batch.length < chunk) continue;
      yield frame();
      first = false;
      batch = [];
    }
    if (first || batch.length > 0) yield frame();
    const events = this.#history.ops();
    if (events.length > 0) yield { type: 'delta', source: this.source, at: this.#at, ops: events, stats };
    if (this.#deadLetters !== null) yield this.#deadLetters;
  }

  /** The last dead letters the source sent, or null. */
  deadLetters(): DeadLettersMessage | null {
    return this.#deadLetters;
  }

  machines(): MachineMessage[] {
    return [...this.#machines.values()];
  }

  get size(): number {
    return this.#actors.size;
  }

  /** A producer's trail is kept only when it has the wire's shape (it is not checked on arrival, and a late viewer gets it back as event ops). */
  #rememberTrail(sessionId: string, trail: unknown): void {
    if (!Array.isArray(trail) || trail.length === 0) return;
    const steps = trail.filter((step): step is TrailStep => Array.isArray(step) && typeof step[1] === 'number' && typeof step[2] === 'string');
    this.#history.rememberTrail(sessionId, steps);
  }

  #add(actor: WireActor): void {
    if (this.#actors.size >= this.#maxActors && !this.#actors.has(actor.sessionId)) {
      this.#refused++;
      return;
    }
    this.#actors.set(actor.sessionId, actor);
  }
}
