/**
 * A viewer in its own process (as a browser would be), for the late-join bench:
 * it connects to the inspector at `argv[2]`, subscribes, parses every message and
 * tells its parent (IPC) when it was usable (its first `full` frame, the page's
 * first render) and when it was complete (it holds `argv[3]` live actions, every
 * one the runtime has). The server's process measures only the server.
 * With `argv[4] === 'stall'` it stops reading after the first frame (a viewer on a
 * slow link) and says `stalled`, until its parent sends `resume`.
 */
import { WebSocket } from 'ws';
import { unpackFrame, type ServerFrame } from '../src/inspect/packedActors.js';
import { PROTOCOL_VERSION } from '../src/inspect/protocol.js';

/** What the viewer reports to its parent once complete. */
export interface LateViewerReport {
  usableMs: number;
  completeMs: number;
  frames: number;
  bytes: number;
  actions: number;
}

const [url, expectedText, mode] = process.argv.slice(2);
const expected = Number(expectedText);
const socket = new WebSocket(url!.replace(/^http/, 'ws'));
const actions = new Set<string>();
let frames = 0;
let bytes = 0;
let started = 0;
let usableMs = -1;
let reported = false;

socket.on('message', (data: Buffer) => {
  if (frames === 0 && mode === 'stall') {
    // Stop reading from the TCP socket: the server's frames queue up on its side.
    (socket as unknown as { _socket: import('node:net').Socket })._socket.pause();
    process.send!('stalled');
  }
  frames++;
  bytes += data.length;
  const message = unpackFrame(JSON.parse(data.toString('utf8')) as ServerFrame);
  if (message.type === 'full') {
    if (usableMs < 0) usableMs = performance.now() - started;
    for (const actor of message.actors) if (actor.kind === 'action' && actor.status === 'active') actions.add(actor.sessionId);
  } else if (message.type === 'delta') {
    for (const op of message.ops) {
      if (op.op === 'add' && op.actor.kind === 'action' && op.actor.status === 'active') actions.add(op.actor.sessionId);
    }
  }
  if (!reported && actions.size >= expected) {
    reported = true;
    const report: LateViewerReport = { usableMs, completeMs: performance.now() - started, frames, bytes, actions: actions.size };
    process.send!(report);
  }
});
socket.once('open', () => {
  started = performance.now();
  socket.send(JSON.stringify({ type: 'subscribe', version: PROTOCOL_VERSION }));
});
socket.once('error', (error) => {
  console.error(`late viewer: ${error.message}`);
  process.exit(1);
});
process.on('message', (message) => {
  if (message === 'resume') (socket as unknown as { _socket: import('node:net').Socket })._socket.resume();
});
// The parent ends the viewer by disconnecting.
process.on('disconnect', () => {
  socket.terminate();
  process.exit(0);
});
