/**
 * Re-assigning a record and `again()` keep the user's metadata exactly; where the
 * action came from is its handle's `provenance`, never a metadata key.
 */
import { describe, expect, it } from 'vitest';
import { toActionRecord } from '../../src/index.js';
import { runOfHandle } from '../../src/action/ActionHandle.js';
import { engines, setup, drain } from '../support/actionHarness.js';

describe.each(engines)('provenance apart from metadata (%s engine)', (engine) => {
  it('again() and a re-assigned record keep metadata exactly, even keys named like provenance', async () => {
    const { clock, sequence } = setup(engine, { Work: async (n: number) => n });
    const metadata = { tenant: 'acme', recordOf: 'the user’s own value', nested: { againOf: 1 } };
    const first = sequence.assign('Work', 1, { metadata });
    await drain(clock);
    const again = sequence.again(first);
    const record = JSON.parse(JSON.stringify(toActionRecord(runOfHandle(first)!)));
    const fromRecord = sequence.assign(record);
    const againOfAgain = sequence.again(again);
    await drain(clock);
    for (const handle of [again, fromRecord, againOfAgain]) expect(handle.getSnapshot().context.metadata).toEqual(metadata);
    expect(first.provenance).toBeNull();
    expect(again.provenance).toEqual({ againOf: first.id });
    expect(fromRecord.provenance).toEqual({ recordOf: first.id });
    expect(againOfAgain.provenance).toEqual({ againOf: again.id });
  });
});
