/** A stable token (issue #13): given, or from ECHO_INSPECT_TOKEN, it is the same after a restart, so a page opened with it keeps control. */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, test } from 'vitest';
import { PROTOCOL_VERSION, type ServerMessage } from '../../src/inspect/protocol.js';
import { inspect } from '../../src/inspect/server.js';
import { ManualClock } from '../../src/clock.js';
import { createTestSequence } from './testSequence.js';
import { openViewer } from './viewer.js';

const staticDir = join(tmpdir(), 'echo-no-build');
const saved = process.env.ECHO_INSPECT_TOKEN;
afterEach(() => {
  if (saved === undefined) delete process.env.ECHO_INSPECT_TOKEN;
  else process.env.ECHO_INSPECT_TOKEN = saved;
});

/** Whether a page opened at `url` (its token in the URL) may control. */
async function canControl(url: string): Promise<boolean> {
  const viewer = await openViewer(url);
  viewer.send({ type: 'subscribe', version: PROTOCOL_VERSION });
  const hello = await viewer.next<Extract<ServerMessage, { type: 'hello' }>>((m) => m.type === 'hello', 'hello');
  await viewer.close();
  return hello.canControl;
}

describe('a stable token', () => {
  test('from ECHO_INSPECT_TOKEN: a restarted inspector has the same one, and a page opened before the restart keeps control', async () => {
    process.env.ECHO_INSPECT_TOKEN = 'kept-across-restarts';
    const sequence = createTestSequence({ clock: new ManualClock() });
    try {
      const first = await inspect(sequence, { staticDir });
      const pageUrl = first.url;
      expect(first.token).toBe('kept-across-restarts');
      await first.close();
      const second = await inspect(sequence, { staticDir, port: first.port });
      try {
        expect(second.token).toBe('kept-across-restarts');
        expect(await canControl(pageUrl)).toBe(true);
      } finally {
        await second.close();
      }
    } finally {
      await sequence.shutdown({ deadline: 0 });
    }
  });

  test('a token given as an option wins over the variable; without either each start makes a new one', async () => {
    process.env.ECHO_INSPECT_TOKEN = 'from-the-environment';
    const sequence = createTestSequence({ clock: new ManualClock() });
    try {
      const given = await inspect(sequence, { staticDir, token: 'given' });
      expect(given.token).toBe('given');
      expect(await canControl(given.url.replace('given', 'from-the-environment'))).toBe(false);
      await given.close();
      delete process.env.ECHO_INSPECT_TOKEN;
      const a = await inspect(sequence, { staticDir });
      const b = await inspect(sequence, { staticDir });
      expect(a.token).not.toBe(b.token);
      await a.close();
      await b.close();
    } finally {
      await sequence.shutdown({ deadline: 0 });
    }
  });
});
