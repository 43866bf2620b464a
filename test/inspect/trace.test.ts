import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createInspectionAdapter } from '../../src/inspect/adapter.js';
import { PROTOCOL_VERSION, formatTraceEntry, formatTraceHeader, parseTrace, TraceFormatError, type ServerMessage } from '../../src/inspect/protocol.js';
import { inspect } from '../../src/inspect/server.js';
import { loadTrace, recordTrace } from '../../src/inspect/trace.js';
import { createRecording } from '../../inspector/src/feeds/recorder.js';
import { createTracePlayer, stateAtIndex } from '../../inspector/src/feeds/trace.js';
import { initialState, reduce, type AppState } from '../../inspector/src/state/model.js';
import { createTestSequence } from './testSequence.js';

const dir = () => mkdtemp(join(tmpdir(), 'echo-trace-'));
const summary = (state: AppState) =>
  [...state.actors.values()].map((a) => `${a.id}:${String(a.value)}:${a.status}`).sort();

describe('trace files', () => {
  test('a recorded target replays to the state it ended in', async () => {
    const clock = new ManualClock(0);
    const sequence = createTestSequence({ clock, names: ['early', 'job'] });
    const early = sequence.assign('early', {}); // still running when the recording starts
    await clock.advance(30);
    const path = join(await dir(), 'run.ndjson');
    const recorder = recordTrace(sequence, path, { clock });
    const witness = createInspectionAdapter(sequence.id, sequence, { clock });
    const jobs = Array.from({ length: 5 }, (_, i) => sequence.assign('job', { attempt: 300, fail: i === 2 ? 1 : 0 }));
    jobs[4]!.result.catch(() => undefined);
    await clock.advance(100);
    await sequence.control({ type: 'cancel', actionId: jobs[4]!.id });
    await clock.advance(800);
    await recorder.stop();
    expect(recorder.count).toBeGreaterThan(3);

    const trace = await loadTrace(path);
    expect(trace.header.startedAt).toBe(30);
    expect(trace.entries.map((e) => e.m.type).slice(0, 2)).toEqual(['sources', 'machine']);
    const replayed = stateAtIndex(trace, trace.entries.length - 1);
    expect(summary(replayed)).toEqual(witness.fullState().actors.map((a) => `${a.id}:${String(a.value)}:${a.status}`).sort());
    expect(summary(replayed)).toEqual(expect.arrayContaining([`${early.id}:done:done`, `${jobs[2]!.id}:done:done`, `${jobs[4]!.id}:cancelled:done`]));
    expect(jobs[2]!.getSnapshot().context.attempts).toHaveLength(2);
  });

  test('a server recording starts with what a late viewer would see', async () => {
    const clock = new ManualClock(0);
    const sequence = createTestSequence({ clock });
    const server = await inspect(sequence, { clock });
    const path = join(await dir(), 'server.ndjson');
    const recorder = recordTrace(server, path, { clock });
    const handle = sequence.assign('work', {});
    await clock.advance(400);
    await recorder.stop();
    await server.close();
    const trace = parseTrace(await readFile(path, 'utf8'));
    expect(trace.entries[0]!.m).toMatchObject({ type: 'sources', sources: [{ id: sequence.id }] });
    expect(summary(stateAtIndex(trace, trace.entries.length - 1))).toContain(`${handle.id}:done:done`);
  });

  test('the app’s own recording round-trips, and the player seeks back and forth', () => {
    let state = initialState();
    const messages: ServerMessage[] = [
      { type: 'sources', sources: [{ id: 's', name: 'S', kind: 'echo', controllable: true, connected: true }] },
      { type: 'full', source: 's', at: 0, actors: [], stats: { actors: 0, finished: 0, droppedActors: 0, droppedEvents: 0 } },
    ];
    state = reduce(state, { type: 'receive', messages, receivedAt: 0 });
    const recording = createRecording(state, 1000);
    for (let i = 0; i < 600; i++) {
      const actor = { sessionId: `a${i}`, id: `a${i}`, parentId: null, machineId: null, kind: 'actor' as const, value: 'on', status: 'active' as const, context: { n: i }, createdAt: i, updatedAt: i };
      recording.add({ type: 'delta', source: 's', at: i, ops: [{ op: 'add', actor }], stats: { actors: i, finished: 0, droppedActors: 0, droppedEvents: 0 } }, 1000 + i);
    }
    recording.add({ type: 'ack', ref: 'x', ok: true }, 2000);
    const trace = parseTrace(recording.text());
    expect(trace.entries).toHaveLength(602);
    const player = createTracePlayer(trace);
    const seen: AppState[] = [];
    player.start((action) => {
      if (action.type === 'replace') seen.push(action.state);
    });
    // It opens at its start: the recorded starting state (sources and an empty full state), step 0.
    expect(player.position).toBe(0);
    expect(player.length).toBe(601);
    expect(seen.at(-1)!.sources.map((s) => s.id)).toEqual(['s']);
    expect(seen.at(-1)!.actors.size).toBe(0);
    player.seek(player.length - 1);
    expect(seen.at(-1)!.actors.size).toBe(600);
    player.seek(10);
    expect(seen.at(-1)!.actors.size).toBe(10);
    player.seek(400);
    expect(seen.at(-1)!.actors.size).toBe(400);
    player.seek(5);
    expect(seen.at(-1)!.actors.size).toBe(5);
    expect(player.timeAt(5)).toBe(1004);
    expect(player.timeAt(0)).toBe(1000);
    // Seeking to 0 again shows the starting state, with its sources.
    player.seek(0);
    expect(seen.at(-1)!.actors.size).toBe(0);
    expect(seen.at(-1)!.sources).toHaveLength(1);
    expect(seen.at(-1)!.connection).toBe('trace');
  });

  test('bad trace files are refused with the line at fault', async () => {
    expect(() => parseTrace('')).toThrow(TraceFormatError);
    expect(() => parseTrace('{"hello":1}\n')).toThrow(/header \(line 1\)/);
    const header = formatTraceHeader(0);
    expect(() => parseTrace(`${header}not json\n`)).toThrow(/line 2/);
    expect(() => parseTrace(`${header}{"t":1,"m":{"type":"nope"}}\n`)).toThrow(/line 2/);
    expect(() => parseTrace(header.replace(/"version":\d+/, '"version":9'))).toThrow(new RegExp(`version 1 to ${PROTOCOL_VERSION}, got 9`));
    expect(() => parseTrace(header.replace(/"version":\d+/, '"version":0'))).toThrow(new RegExp(`version 1 to ${PROTOCOL_VERSION}, got 0`));
    // A trace recorded with version 1 (each step an event op) is still read as it is.
    const old = parseTrace(`${header.replace(/"version":\d+/, '"version":1')}{"t":1,"m":{"type":"sources","sources":[]}}\n`);
    expect(old.header.version).toBe(1);
    expect(old.entries).toHaveLength(1);
    const path = join(await dir(), 'ok.ndjson');
    await writeFile(path, `${header}\n${formatTraceEntry(3, { type: 'sources', sources: [] })}`);
    expect((await loadTrace(path)).entries).toEqual([{ t: 3, m: { type: 'sources', sources: [] } }]);
  });
});
