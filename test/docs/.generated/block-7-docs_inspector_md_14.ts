import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPlan, Sequence } from 'echo-actions';
import { inspect, loadTrace, recordTrace } from 'echo-actions/inspect';

const sequence = new Sequence({ plan: createPlan({ Greet: async (name: string) => `hello ${name}` }) }).start();
const server = await inspect(sequence);
console.log(new URL(server.url).hostname); // 127.0.0.1
const page = await fetch(server.url);
console.log(page.status, page.headers.get('content-type')); // 200 text/html; charset=utf-8

const path = join(await mkdtemp(join(tmpdir(), 'echo-trace-')), 'run.ndjson');
const recorder = recordTrace(server, path);
await sequence.assign('Greet', 'inspector').result;
await recorder.stop();
const trace = await loadTrace(path);
console.log(trace.entries.length > 0); // true
await server.close();
await sequence.shutdown();
