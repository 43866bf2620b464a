/** The inspector server's options, declared once with their defaults. */
import { systemClock, type Clock } from '../clock.js';
import type { AdapterOptions } from './adapterOptions.js';

/** Options of `inspect(targets, options)`: where it listens, who may control, how much it buffers. */
export interface InspectOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  readonly host?: string;
  /**
   * Token that control commands and producers need. Give one (or set `ECHO_INSPECT_TOKEN`)
   * to keep it across restarts, so a reconnecting page keeps control.
   * @default `process.env.ECHO_INSPECT_TOKEN`, else 24 random bytes, base64url
   */
  readonly token?: string;
  /** Host names besides loopback names and `host` that the `Host` header may carry (DNS-rebinding guard). @default [] */
  readonly allowedHosts?: readonly string[];
  /** Folder of the built app (`vite build`). @default `dist/inspector` of this package */
  readonly staticDir?: string;
  /** Name shown by the app. @default 'Echo inspector' */
  readonly name?: string;
  /** Largest frame a viewer may send, in bytes; larger ones get an error frame. @default 65536 */
  readonly maxViewerMessageBytes?: number;
  /** Largest frame a producer may send; past it the connection is closed (1009). @default 16 MiB */
  readonly maxProducerMessageBytes?: number;
  /** Bytes queued to a slow viewer before its deltas are dropped (it gets a fresh full state later). @default 8 MiB */
  readonly maxViewerBuffer?: number;
  /** Bytes queued to a client that does not read before it is closed. @default 64 MiB */
  readonly maxClientBuffer?: number;
  /** Actors per frame of a joining viewer's initial state (frames are sent as the socket drains). @default 2000 */
  readonly joinChunk?: number;
  /** How long a remote producer has to acknowledge a control command. @default 10000 */
  readonly controlTimeout?: number;
  /** Options of the adapters for local sources. */
  readonly adapter?: AdapterOptions;
  readonly clock?: Clock;
}

/** Every inspector server option with its default (the token, static folder: empty means "work it out at start"). */
export const defaultInspectOptions = {
  port: 0,
  host: '127.0.0.1',
  token: '',
  staticDir: '',
  name: 'Echo inspector',
  maxViewerMessageBytes: 64 * 1024,
  maxProducerMessageBytes: 16 * 1024 * 1024,
  maxViewerBuffer: 8 * 1024 * 1024,
  maxClientBuffer: 64 * 1024 * 1024,
  joinChunk: 2000,
  allowedHosts: [],
  controlTimeout: 10_000,
  adapter: {},
  clock: systemClock,
} satisfies Required<InspectOptions>;
