/**
 * What the inspector's HTTP and WebSocket endpoints check and send before
 * anything else: the `Host` header must name this machine (loopback names or the
 * configured host), so a DNS-rebinding page cannot read the stream; every answer
 * carries a Content-Security-Policy, `X-Frame-Options: DENY` and
 * `X-Content-Type-Options: nosniff`. A browser page must come from this server
 * (its `Origin` is this `Host`), and control needs the token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1', '[::1]'];

/** The host names a request may carry in `Host`: loopback names, `host` and any `allowedHosts`. */
export function allowedHostNames(host: string, allowedHosts: readonly string[] = []): Set<string> {
  const names = new Set<string>(LOOPBACK_NAMES);
  for (const name of [host, ...allowedHosts]) {
    const lower = name.toLowerCase();
    names.add(lower);
    if (lower.includes(':') && !lower.startsWith('[')) names.add(`[${lower}]`);
  }
  return names;
}

/** The host name of a `Host` header, without its port (`[::1]:80` → `[::1]`); `undefined` when absent. */
export function hostNameOf(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const lower = header.toLowerCase();
  if (lower.startsWith('[')) {
    const end = lower.indexOf(']');
    return end === -1 ? lower : lower.slice(0, end + 1);
  }
  const colon = lower.lastIndexOf(':');
  return colon === -1 ? lower : lower.slice(0, colon);
}

/** Whether the request's `Host` names this server (a missing `Host` is refused too). */
export function hostAllowed(request: IncomingMessage, names: ReadonlySet<string>): boolean {
  const name = hostNameOf(request.headers.host);
  return name !== undefined && names.has(name);
}

/** Whether a WebSocket upgrade comes from a page this server served; clients without an `Origin` (not browsers) pass. */
export function sameOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true; // not a browser: Node clients and producers
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false; // an Origin header that is not a URL is no origin of ours
  }
}

/** Whether `candidate` is the server's token, compared in constant time; an absent candidate never is. */
export function tokenEquals(candidate: string | undefined, token: string): boolean {
  if (candidate === undefined) return false;
  const a = Buffer.from(candidate);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `sha256-…` sources of the inline `<script>` and `<style>` blocks of an HTML page, for its CSP. */
export function inlineHashes(html: string): { scripts: string[]; styles: string[] } {
  const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
  const collect = (tag: string): string[] => {
    const out: string[] = [];
    const pattern = new RegExp(`<${tag}\\b([^>]*)>([\\s\\S]*?)</${tag}>`, 'gi');
    for (const match of html.matchAll(pattern)) {
      if (/\bsrc\s*=/i.test(match[1] ?? '')) continue;
      if ((match[2] ?? '') !== '') out.push(hash(match[2]!));
    }
    return out;
  };
  return { scripts: collect('script'), styles: collect('style') };
}

/** The Content-Security-Policy of a page of the inspector, allowing its own inline blocks and its WebSocket. */
export function contentSecurityPolicy(hostHeader: string | undefined, inline: { scripts: string[]; styles: string[] } = { scripts: [], styles: [] }): string {
  const socket = hostHeader !== undefined ? ` ws://${hostHeader}` : '';
  return [
    "default-src 'none'",
    `script-src 'self' ${inline.scripts.join(' ')}`.trim(),
    `style-src 'self' 'unsafe-inline'`,
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self'${socket}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers every answer carries. */
export const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
} as const;
