/**
 * Serves the built inspector app (`vite build` → `dist/inspector`). Only files
 * inside the folder are served; a missing build answers with a page that says how
 * to build it.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentSecurityPolicy, inlineHashes, SECURITY_HEADERS } from './httpGuard.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/** `dist/inspector` of this package, from `src/inspect/` (tsx) or `dist/src/inspect/` (built). */
export function defaultStaticDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '../../dist/inspector'), resolve(here, '../../../dist/inspector')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

export const NOT_BUILT_MESSAGE = 'The inspector app is not built. Run `npm run build:inspector` (vite build) and reload.';

/** Answers one HTTP request from `root`. */
export async function serveStatic(root: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const headers: Record<string, string> = { ...SECURITY_HEADERS, 'Content-Security-Policy': contentSecurityPolicy(request.headers.host) };
  try {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { ...headers, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method not allowed');
      return;
    }
    const base = resolve(root);
    let path: string;
    try {
      path = decodeURIComponent(new URL(request.url ?? '/', 'http://inspector').pathname);
    } catch {
      // `GET /%`: a path that does not decode is the client's error.
      response.writeHead(400, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('Bad request: the path is not a valid URL');
      return;
    }
    if (path.endsWith('/')) path += 'index.html';
    const file = resolve(base, `.${path}`);
    if (file !== base && !file.startsWith(base + sep)) {
      response.writeHead(403, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('Forbidden');
      return;
    }
    if (!existsSync(join(base, 'index.html'))) {
      const page = `<!doctype html><meta charset="utf-8"><title>Echo inspector: not built</title><body style="font:16px system-ui;background:#111418;color:#e6e6e6;padding:3em"><h1>Echo inspector</h1><p>${NOT_BUILT_MESSAGE}</p><p>Looked in <code>${escapeHtml(base)}</code>.</p>`;
      response.writeHead(500, { ...headers, 'Content-Type': 'text/html; charset=utf-8' }).end(page);
      return;
    }
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) {
      response.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found');
      return;
    }
    const content = await readFile(file);
    const body = request.method === 'HEAD' ? undefined : content;
    if (extname(file) === '.html') headers['Content-Security-Policy'] = contentSecurityPolicy(request.headers.host, inlineHashes(content.toString('utf8')));
    const cache = path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-store';
    response.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': cache });
    response.end(body);
  } catch (error) {
    if (!response.headersSent) response.writeHead(500, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
    response.end(`Inspector server error: ${(error as Error).message}`);
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
