/**
 * `shutdown({ deadline })` resolves by deadline + cancelGrace whatever user code
 * does: a before-hook, after-hook, Site behaviour or function that never settles is
 * abandoned then and named in the report. An action in `afterHooks` or `cancelling`
 * at the deadline is reported with its outcome. The report is always JSON-safe.
 * On both engines, time on a ManualClock.
 */
import { describe, expect, it } from 'vitest';
import { parseActionRecord, type PlanEntry, type ShutdownReport, type SequenceOptions } from '../../src/index.js';
import { engines, setup, drain } from '../support/actionHarness.js';

const never = (): Promise<never> => new Promise<never>(() => {});
const DEADLINE = 100;
const GRACE = 50;

/** Starts a shutdown and tells whether it resolved, without waiting on it. */
function watch(promise: Promise<ShutdownReport>) {
  const state: { report: ShutdownReport | null } = { report: null };
  void promise.then((report) => (state.report = report));
  return state;
}

const stuck: Record<string, { entries: Record<string, PlanEntry>; options?: Partial<SequenceOptions>; piece: string; name: string; state: string }> = {
  'a before-hook': { entries: { Work: { run: async () => 'ok', before: { name: 'acquire', run: never }, cancelGrace: GRACE } }, piece: 'before-hook', name: 'acquire', state: 'hooks' },
  'a function that ignores its signal': { entries: { Work: { run: never, cancelGrace: GRACE } }, piece: 'function', name: 'attempt 1', state: 'running' },
  'a Site behaviour': { entries: { Work: { run: async () => 'ok', cancelGrace: GRACE } }, options: { behavior: never }, piece: 'site-behaviour', name: 'site-1', state: 'queued' },
};

describe.each(engines)('shutdown deadline is a bound (%s engine)', (engine) => {
  describe.each(Object.keys(stuck))('with %s that never settles', (kind) => {
    it('resolves by deadline + cancelGrace, the action unfinished and the piece named as abandoned', async () => {
      const { entries, options, piece, name, state } = stuck[kind]!;
      const { clock, sequence } = setup(engine, entries, { onError: () => {}, ...options });
      const handle = sequence.assign('Work');
      await clock.advance(0);
      const shutdown = watch(sequence.shutdown({ deadline: DEADLINE }));
      await clock.advance(DEADLINE - 1);
      expect(shutdown.report).toBeNull();
      await clock.advance(GRACE + 1);
      const report = shutdown.report!;
      expect(report).not.toBeNull();
      expect(handle.settled).toBe(true);
      expect(report.unfinished.map((u) => [u.record?.id, u.state])).toEqual([[handle.id, state]]);
      expect(report.abandoned.map((a) => [a.actionId, a.piece, a.name])).toEqual([[handle.id, piece, name]]);
      expect(report.finished + report.unfinished.length).toBe(report.assigned);
      expect(() => JSON.stringify(report)).not.toThrow();
    });
  });

  it('an action in afterHooks at the deadline is reported with its outcome (done), not as unfinished; a never-settling after-hook is abandoned', async () => {
    const { clock, sequence } = setup(engine, { Work: { run: async () => 'ok', after: { name: 'release', run: never }, cancelGrace: GRACE } }, { onError: () => {} });
    const handle = sequence.assign('Work');
    await clock.advance(0);
    expect(handle.getSnapshot().value).toBe('afterHooks');
    const shutdown = watch(sequence.shutdown({ deadline: DEADLINE }));
    await clock.advance(DEADLINE + GRACE);
    const report = shutdown.report!;
    expect(report).not.toBeNull();
    expect(await handle.result).toBe('ok');
    expect(report).toMatchObject({ assigned: 1, finished: 1, done: 1, unfinished: [] });
    expect(report.abandoned).toEqual([{ actionId: handle.id, action: 'Work', piece: 'after-hook', name: 'release' }]);
  });

  it('an action cancelling at the deadline is reported as cancelled (finished), never as unfinished with a record to run again', async () => {
    const { clock, sequence } = setup(engine, { Work: { run: never, cancelGrace: 150 } }, { onError: () => {} });
    const handle = sequence.assign('Work');
    await clock.advance(10);
    handle.cancel();
    expect(handle.getSnapshot().value).toBe('cancelling');
    const shutdown = watch(sequence.shutdown({ deadline: DEADLINE }));
    await clock.advance(150);
    const report = shutdown.report!;
    expect(report).not.toBeNull();
    expect(report).toMatchObject({ assigned: 1, finished: 1, cancelled: 1, unfinished: [] });
  });
});

describe.each(engines)('the shutdown report is JSON-safe (%s engine)', (engine) => {
  const circular: Record<string, unknown> = { name: 'loop' };
  circular.self = circular;
  const unencodable: Record<string, [unknown, string]> = {
    BigInt: [{ n: 10n }, 'content.n'],
    circular: [circular, 'content.self'],
    function: [{ list: [1, () => 2] }, 'content.list[1]'],
    Symbol: [Symbol('s'), 'content'],
  };
  it.each(Object.keys(unencodable))('content holding a %s: the record is null and a SerializationError names the path', async (kind) => {
    const [content, path] = unencodable[kind]!;
    const { clock, sequence } = setup(engine, { Work: { run: never, cancelGrace: 0 } });
    const handle = sequence.assign('Work', content);
    const shutdown = watch(sequence.shutdown({ deadline: 0 }));
    await drain(clock);
    const report = shutdown.report!;
    const text = JSON.stringify(report);
    expect(typeof text).toBe('string');
    expect(report.unfinished).toHaveLength(1);
    expect(report.unfinished[0]!.record).toBeNull();
    expect(report.unfinished[0]!.serializationError).toMatchObject({ name: 'SerializationError', data: { path } });
    expect(handle.settled).toBe(true);
  });

  it('an action assigned without content round-trips JSON.stringify → parseActionRecord → assign', async () => {
    const seen: unknown[] = [];
    const first = setup(engine, { Work: { run: never, cancelGrace: 0 } });
    const handle = first.sequence.assign('Work');
    const shutdown = watch(first.sequence.shutdown({ deadline: 0 }));
    await drain(first.clock);
    const text = JSON.stringify(shutdown.report);
    const record = parseActionRecord(JSON.parse(text).unfinished[0].record);
    expect(record).toMatchObject({ id: handle.id, name: 'Work', content: null });
    const second = setup(engine, { Work: async (content: unknown) => void seen.push(content) });
    const revived = second.sequence.assign(record);
    await drain(second.clock);
    await revived.result;
    expect(seen).toEqual([null]);
  });
});
