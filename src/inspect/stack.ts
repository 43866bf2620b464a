/**
 * What of an error's stack goes on the inspector's wire. A stack tells where code
 * ran, which is the point, but it also names the machine's directories and may carry
 * what a URL or a message held. So, line by line:
 *
 * - the header (`Name: message`, possibly several lines) is dropped when frames follow:
 *   the name and message travel beside the stack already;
 * - `file://` URLs become paths; the project root (the process's working directory)
 *   becomes `.`, the home directory `~`; any other absolute path is cut to its last two
 *   segments after `…/` (`/usr/lib/node/x/y.js` → `…/x/y.js`), so no directory outside
 *   the project is named;
 * - secrets are redacted: the user-info and query of URLs (`https://[redacted]@host/p?[redacted]`)
 *   and `token=`, `secret=`, `password=`, `api_key=`, `authorization: Bearer …`-like pairs;
 * - each line is cut to {@link StackLimits.maxLineChars} characters and at most
 *   {@link StackLimits.maxLines} frames are kept, then `… n more frames`.
 */

/** Bounds and roots of {@link sanitizeStack}. */
export interface StackLimits {
  /** Frames kept. */
  readonly maxLines: number;
  /** Characters kept of one line. */
  readonly maxLineChars: number;
  /** Directories shown as `.` (the project) and `~` (home); `null` when unknown. */
  readonly projectRoot: string | null;
  readonly homeDir: string | null;
}

const FRAME = /^\s*at\s/;
const FILE_URL = /file:\/\/\/?([^\s():]+)/g;
/** A URL: scheme, user-info, host and path, query (before a trailing `:line:col`). */
const URL_SECRETS = /\b((?:https?|wss?):\/\/)([^\s/@()]+@)?([^\s?#()]*)(\?[^\s#()]*?)?(?=(?::\d+){0,2}(?:$|[\s)#]))/g;
const PAIR_SECRETS = /\b(token|secret|password|passwd|pwd|api[_-]?key|access[_-]?key|auth|authorization|cookie|session)(\s*[=:]\s*)(?:bearer\s+|basic\s+)?[^\s&,;)'"]+/gi;
/** An absolute POSIX or Windows path, up to a `:line:col`, `)` or space. */
const ABSOLUTE_PATH = /(^|[\s(@])((?:\/|[A-Za-z]:\\)[^\s():]*)/g;

/**
 * Sanitizes and truncates one stack for the wire (see the module comment for the rules).
 * @example
 * sanitizeStack('Error: boom\n    at run (/home/ana/app/src/job.ts:3:9)', { maxLines: 20, maxLineChars: 300, projectRoot: '/home/ana/app', homeDir: '/home/ana' });
 * // '    at run (./src/job.ts:3:9)'
 */
export function sanitizeStack(stack: string, limits: StackLimits): string {
  const all = stack.split('\n');
  const first = all.findIndex((line) => FRAME.test(line));
  const lines = first === -1 ? all : all.slice(first).filter((line) => line.trim() !== '');
  const kept = lines.slice(0, limits.maxLines).map((line) => cut(sanitizeLine(line, limits), limits.maxLineChars));
  const more = lines.length - kept.length;
  if (more > 0) kept.push(`    … ${more} more frame${more === 1 ? '' : 's'}`);
  return kept.join('\n');
}

function sanitizeLine(line: string, limits: StackLimits): string {
  let out = line.replace(FILE_URL, (_match, path: string) => shortenPath(`/${decodeURIComponentSafe(path).replace(/^\/+/, '')}`, limits));
  out = out.replace(URL_SECRETS, (_match, scheme: string, userInfo: string | undefined, rest: string, query: string | undefined) =>
    `${scheme}${userInfo === undefined ? '' : '[redacted]@'}${rest}${query === undefined ? '' : '?[redacted]'}`,
  );
  out = out.replace(PAIR_SECRETS, (_match, key: string, separator: string) => `${key}${separator}[redacted]`);
  return out.replace(ABSOLUTE_PATH, (_match, before: string, path: string) => `${before}${shortenPath(path, limits)}`);
}

function shortenPath(path: string, limits: StackLimits): string {
  const normalized = path.replace(/\\/g, '/');
  for (const [root, shown] of [
    [limits.projectRoot, '.'],
    [limits.homeDir, '~'],
  ] as const) {
    if (root === null || root === '' || root === '/') continue;
    const prefix = root.replace(/\\/g, '/').replace(/\/+$/, '');
    if (normalized === prefix) return shown;
    if (normalized.startsWith(`${prefix}/`)) return `${shown}${normalized.slice(prefix.length)}`;
  }
  const segments = normalized.split('/').filter((segment) => segment !== '' && !/^[A-Za-z]:$/.test(segment));
  return segments.length <= 2 ? `…/${segments.join('/')}` : `…/${segments.slice(-2).join('/')}`;
}

function cut(line: string, max: number): string {
  return line.length <= max ? line : `${line.slice(0, max)}…(+${line.length - max} chars)`;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a malformed escape: the path stays as written (it is still shortened below)
  }
}
