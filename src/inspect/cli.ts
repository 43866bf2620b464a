#!/usr/bin/env node
/**
 * `echo-actions inspect`: a standalone inspector that runtime processes stream
 * into (`connectInspector(sequence, { url })`), as do XState apps using
 * `@statelyai/inspect`'s `createWebSocketInspector({ url })`.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { inspect, type InspectorServer } from './server.js';
import { recordTrace, type TraceRecorder } from './trace.js';

export const USAGE = `Usage: echo-actions inspect [options]

Starts the Echo inspector. Runtime processes stream into it with
connectInspector(sequence, { url }); XState apps with @statelyai/inspect's
createWebSocketInspector({ url: 'ws://HOST:PORT' }).

Options:
  --port <n>       port to listen on (default: 4242; 0 picks a free one)
  --host <h>       interface to bind (default: 127.0.0.1)
  --token <t>      token for control commands (default: random)
  --static <dir>   folder of the built app (default: dist/inspector)
  --record <file>  record everything into an NDJSON trace file
  -h, --help       show this help`;

export interface CliRun {
  server: InspectorServer;
  recorder: TraceRecorder | undefined;
  stop(): Promise<void>;
}

/** Runs the command with `argv` (without node and the script); `log` prints. */
export async function main(argv: readonly string[], log: (line: string) => void = console.log): Promise<CliRun | undefined> {
  const args = argv[0] === 'inspect' ? argv.slice(1) : argv;
  const { values } = parseArgs({
    args: [...args],
    options: {
      port: { type: 'string', default: '4242' },
      host: { type: 'string', default: '127.0.0.1' },
      token: { type: 'string' },
      static: { type: 'string' },
      record: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    log(USAGE);
    return undefined;
  }
  const port = Number(values.port);
  const server = await inspect([], {
    port,
    host: values.host,
    ...(values.token !== undefined ? { token: values.token } : {}),
    ...(values.static !== undefined ? { staticDir: values.static } : {}),
  });
  const recorder = values.record !== undefined ? recordTrace(server, values.record) : undefined;
  log(`Echo inspector running at ${server.url}`);
  log(`Stream a runtime into it: connectInspector(sequence, { url: '${server.url}' })`);
  log(`Or an XState app: createWebSocketInspector({ url: 'ws://${server.url.split('/')[2]}' })`);
  if (recorder) log(`Recording to ${values.record}`);
  return {
    server,
    recorder,
    async stop() {
      await recorder?.stop();
      await server.close();
    },
  };
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false; // an unresolvable script path is not this file
  }
}

if (invokedDirectly()) {
  main(process.argv.slice(2)).then(
    (run) => {
      if (!run) return;
      const shutdown = (): void => {
        run.stop().then(() => process.exit(0), () => process.exit(1));
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      console.error(USAGE);
      process.exitCode = 1;
    },
  );
}
