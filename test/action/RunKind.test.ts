import { describe, expect, test } from 'vitest';
import { kindOf } from '../../src/action/RunKind.js';
import type { RunInit } from '../../src/action/runTypes.js';
import type { ActionDefinition } from '../../src/Plan.js';
import type { RetryPolicy } from '../../src/retryPolicy.js';

const policy = {} as RetryPolicy;
const noHooks: RunInit['before'] = [];
const init = (definition: ActionDefinition, overrides: Partial<RunInit> = {}): RunInit =>
  ({
    name: 'Charge',
    definition,
    policy,
    before: noHooks,
    after: noHooks,
    attemptTimeout: null,
    totalTimeout: null,
    cancelGrace: 1_000,
    priority: 'normal',
    queue: 'default',
    ...overrides,
  }) as unknown as RunInit;

describe('kindOf', () => {
  test('runs assigned the same way share one kind; a different priority, queue or timeout gets its own', () => {
    const definition = {} as ActionDefinition;
    const normal = kindOf(init(definition));
    expect(kindOf(init(definition))).toBe(normal);
    const high = kindOf(init(definition, { priority: 'high' }));
    const routed = kindOf(init(definition, { queue: 'emails' }));
    const timed = kindOf(init(definition, { attemptTimeout: 50 }));
    expect(new Set([normal, high, routed, timed]).size).toBe(4);
    expect([high.priority, routed.queue, timed.attemptTimeout]).toEqual(['high', 'emails', 50]);
  });

  test('mixed priorities keep their kinds: alternating assignments make no new ones', () => {
    const definition = {} as ActionDefinition;
    const kinds = (['high', 'normal', 'low'] as const).map((priority) => kindOf(init(definition, { priority })));
    for (let round = 0; round < 5; round++) {
      for (const [i, priority] of (['high', 'normal', 'low'] as const).entries()) expect(kindOf(init(definition, { priority }))).toBe(kinds[i]);
    }
  });

  test('an entry keeps at most eight kinds: the oldest is made anew once nine differ', () => {
    const definition = {} as ActionDefinition;
    const first = kindOf(init(definition, { attemptTimeout: 1 }));
    const others = [2, 3, 4, 5, 6, 7, 8].map((ms) => kindOf(init(definition, { attemptTimeout: ms })));
    expect(kindOf(init(definition, { attemptTimeout: 1 }))).toBe(first); // eight kept
    const ninth = kindOf(init(definition, { attemptTimeout: 9 }));
    expect(kindOf(init(definition, { attemptTimeout: 9 }))).toBe(ninth);
    expect(kindOf(init(definition, { attemptTimeout: 2 }))).toBe(others[0]);
    expect(kindOf(init(definition, { attemptTimeout: 1 }))).not.toBe(first); // the oldest went
    expect(kindOf(init(definition, { attemptTimeout: 8 }))).toBe(others[6]);
  });
});
