import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main, USAGE } from '../../src/inspect/cli.js';
import { connectInspector } from '../../src/inspect/producer.js';
import { parseTrace } from '../../src/inspect/protocol.js';
import { ManualClock } from '../../src/clock.js';
import { createTestSequence } from './testSequence.js';

describe('echo-actions inspect', () => {
  test('starts a standalone inspector, prints its URL, records what producers stream', async () => {
    const lines: string[] = [];
    const path = join(await mkdtemp(join(tmpdir(), 'echo-cli-')), 'cli.ndjson');
    const run = (await main(['inspect', '--port', '0', '--token', 'secret-token', '--record', path], (line) => lines.push(line)))!;
    const url = run.server.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=secret-token$/);
    expect(lines[0]).toBe(`Echo inspector running at ${url}`);
    const clock = new ManualClock(0);
    const sequence = createTestSequence({ clock, name: 'Worker 1' });
    const connection = await connectInspector(sequence, { url, adapter: { clock }, sourceId: 'w1' });
    const delta = new Promise<void>((resolve) => {
      const off = run.server.subscribe((message) => {
        if (message.type === 'delta') {
          off();
          resolve();
        }
      });
    });
    const handle = sequence.assign('work', {});
    await clock.advance(60);
    await delta;
    connection.close();
    await connection.closed;
    await run.stop();
    const trace = parseTrace(await readFile(path, 'utf8'));
    expect(trace.entries.some((e) => e.m.type === 'full' && e.m.source === 'w1')).toBe(true);
    expect(trace.entries.some((e) => e.m.type === 'sources' && e.m.sources.some((s) => s.id === 'w1' && s.name === 'Worker 1'))).toBe(true);
    expect(trace.entries.some((e) => e.m.type === 'delta' && e.m.source === 'w1' && e.m.ops.some((op) => op.op === 'add' && op.actor.id === handle.id))).toBe(true);
  });

  test('--help prints the usage; unknown options throw', async () => {
    const lines: string[] = [];
    expect(await main(['inspect', '--help'], (line) => lines.push(line))).toBeUndefined();
    expect(lines).toEqual([USAGE]);
    await expect(main(['inspect', '--nope'])).rejects.toThrow(/nope/);
  });
});
