import { describe, expect, it } from 'vitest';
import { createPlan, createSequence, ManualClock, parseActionRecord, SerializationError, withMetadata, type ActionRecord } from '../../src/index.js';

const record: ActionRecord = parseActionRecord({ version: 1, id: 'a-9', name: 'Read', content: 'x.txt', metadata: { tenant: 'a' }, priority: 'low', queue: 'default' });

describe('ActionRecord', () => {
  it('is frozen; withMetadata returns an updated copy through immer', () => {
    const tagged = withMetadata(record, (draft) => {
      draft.tenant = 'b';
      draft.trace = 7;
    });
    expect(tagged.metadata).toEqual({ tenant: 'b', trace: 7 });
    expect(record.metadata).toEqual({ tenant: 'a' });
    expect(Object.isFrozen(tagged) && Object.isFrozen(tagged.metadata) && Object.isFrozen(record.metadata)).toBe(true);
  });

  it.each([
    [{ version: 2 }, 'version'],
    [{ version: 1, id: '' }, 'id'],
    [{ version: 1, id: 'a', name: 3 }, 'name'],
    [{ version: 1, id: 'a', name: 'R', metadata: [] }, 'metadata'],
    [{ version: 1, id: 'a', name: 'R', metadata: {}, priority: 'urgent' }, 'priority'],
    [{ version: 1, id: 'a', name: 'R', metadata: {}, priority: 'low', queue: '' }, 'queue'],
    [{ version: 1, id: 'a', name: 'R', metadata: {}, priority: 'low', queue: 'q' }, 'content'],
  ])('rejects %j naming `%s`', (json, field) => {
    expect(() => parseActionRecord(json)).toThrow(SerializationError);
    expect(() => parseActionRecord(json)).toThrow(new RegExp(`\`${field}\``));
  });
});

describe('createSequence with the seed-style `production` option', () => {
  it('configures the default queue', async () => {
    const clock = new ManualClock();
    const sequence = createSequence({ plan: createPlan({ Read: async (path: string) => path }), clock, production: { capacity: 1 } });
    sequence.assign(record);
    expect(() => sequence.assign(record)).toThrow(/capacity 1/);
    sequence.start();
    await clock.advance(0);
    expect(sequence.stats().done).toBe(1);
    expect(() => createSequence({ plan: createPlan({}), production: {}, queues: { default: {} } })).toThrow(/either `production` or `queues.default`/);
  });
});
