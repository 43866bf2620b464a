import { describe, expect, it } from 'vitest';
import type { InspectedSnapshotEvent, InspectionEvent } from 'xstate';
import { createPlan, Sequence } from '../../src/index.js';

/** An action's `@xstate.snapshot` values as the observer saw them, by action id. */
function snapshotValues(events: InspectionEvent[], id: string): string[] {
  return events
    .filter((event): event is InspectedSnapshotEvent => event.type === '@xstate.snapshot' && (event.actorRef as { id?: string }).id === id)
    .map((event) => String((event.snapshot as unknown as { value: unknown }).value));
}

describe("engine: 'xstate' inspection", () => {
  it('an action started while nobody inspects shows its later steps to an observer that comes after', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const plan = createPlan({
      Hold: async () => {
        started();
        await gate;
        return 'held';
      },
    });
    const sequence = new Sequence({ plan, engine: 'xstate', sites: 1 });
    sequence.start();
    const early = sequence.assign('Hold', 1);
    await running;
    const events: InspectionEvent[] = [];
    const unsubscribe = sequence.subscribeInspection((event) => events.push(event));
    // The late observer reads the running action from the target, then its steps follow.
    expect([...sequence.currentActors()].some((actor) => actor.id === early.id)).toBe(true);
    release();
    expect(await early.result).toBe('held');
    expect(snapshotValues(events, early.id).at(-1)).toBe('done');
    // One started while someone inspects shows from its birth, once per step (no observer twice).
    const late = sequence.assign('Hold', 2);
    expect(await late.result).toBe('held');
    const born = events.filter((event) => event.type === '@xstate.actor' && (event.actorRef as { id?: string }).id === late.id);
    expect(born).toHaveLength(1);
    const values = snapshotValues(events, late.id);
    expect(values.at(-1)).toBe('done');
    expect(new Set(values.map((value, i) => `${i}:${value}`)).size).toBe(values.length);
    expect(values.filter((value) => value === 'done')).toHaveLength(1);
    unsubscribe();
    await sequence.shutdown();
  });

  it('an observer that leaves and another that comes get each event once', async () => {
    const plan = createPlan({ Quick: (n: number) => n });
    const sequence = new Sequence({ plan, engine: 'xstate', sites: 1 });
    sequence.start();
    const first: InspectionEvent[] = [];
    sequence.subscribeInspection((event) => first.push(event))();
    const second: InspectionEvent[] = [];
    sequence.subscribeInspection((event) => second.push(event));
    const handle = sequence.assign('Quick', 3);
    expect(await handle.result).toBe(3);
    expect(first).toHaveLength(0);
    expect(snapshotValues(second, handle.id).filter((value) => value === 'done')).toHaveLength(1);
    await sequence.shutdown();
  });
});
