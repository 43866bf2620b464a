/**
 * What a table actor tells an inspector: XState-shaped inspection events, and
 * the sink that receives them (or pulls changed actors instead).
 * @internal
 */
import type { TableActor } from './TableActor.js';
import type { TableSnapshot } from './TableSnapshot.js';

/** An inspection event in XState v5's shape. */
export interface TableInspectionEvent {
  readonly type: '@xstate.actor' | '@xstate.event' | '@xstate.snapshot';
  readonly actorRef: TableActor<unknown>;
  readonly rootId: string;
  readonly event?: { type: string };
  readonly sourceRef?: unknown;
  readonly snapshot?: TableSnapshot<unknown>;
}

/** Where inspection goes; checked at each step, so inspection can be switched on mid-run. */
export interface InspectionSink {
  /** Build and send XState-shaped events. */
  readonly enabled: boolean;
  emitTable(event: TableInspectionEvent): void;
  /**
   * A puller to tell, once per read, that this actor changed (see `takeTrail`).
   * Answering `false` declines the actor for now: it keeps no trail and pulls no
   * more until the puller reads it with `takeTrail()`.
   */
  readonly pull: ((actor: TableActor<never>) => boolean | void) | null;
}
