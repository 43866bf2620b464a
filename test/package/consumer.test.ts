/**
 * The package as a user installs it: `npm pack` (its `prepack` builds everything),
 * install the tarball into a fresh project, compile an app with strict tsc (module
 * nodenext, no skipLibCheck) and run it with plain node, `require()` it, run the bin,
 * and check what the tarball carries. The pack runs in a copy of the sources, so the
 * working tree's `dist/` is never touched while other tests use it.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const fixture = fileURLToPath(new URL('./fixture/', import.meta.url));
const SOURCES = ['src', 'machines', 'inspector', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'vite.config.ts', 'README.md', 'LICENSE', 'CHANGELOG.md'];

/** Runs a command, failing with its output (not just its exit code); returns stdout and stderr. */
function runBoth(command: string, args: readonly string[], cwd: string): { stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  for (const key of Object.keys(env)) if (key.startsWith('VITEST') || key === 'NODE_OPTIONS') delete env[key];
  try {
    const result = spawnSync(command, [...args], { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    if (result.status !== 0) throw Object.assign(new Error(`exit ${String(result.status)} ${String(result.signal ?? '')}`), result);
    return { stdout: result.stdout, stderr: result.stderr };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}\n${failed.message}`);
  }
}

function run(command: string, args: readonly string[], cwd: string): string {
  return runBoth(command, args, cwd).stdout;
}

/** Bare package names that a declaration file imports. */
function importedPackages(text: string): string[] {
  const names = [...text.matchAll(/(?:from\s+|import\()['"]([^'".][^'"]*)['"]/g)].map((match) => match[1]!);
  return names.filter((name) => !name.startsWith('node:')).map((name) => (name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]!));
}

interface PackedFile {
  readonly path: string;
}

describe('the packed package in a consumer project', () => {
  const work = mkdtempSync(join(tmpdir(), 'echo-package-'));
  const source = join(work, 'source');
  const consumer = join(work, 'consumer');
  const installed = join(consumer, 'node_modules', 'echo-actions');
  let files: string[] = [];

  beforeAll(() => {
    for (const entry of SOURCES) cpSync(join(repo, entry), join(source, entry), { recursive: true });
    symlinkSync(join(repo, 'node_modules'), join(source, 'node_modules'), 'dir');
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], source)) as [{ filename: string; files: PackedFile[] }];
    files = packed[0].files.map((file) => file.path);
    const tarball = join(work, packed[0].filename);
    cpSync(fixture, consumer, { recursive: true });
    const typesNode = (JSON.parse(readFileSync(join(repo, 'node_modules/@types/node/package.json'), 'utf8')) as { version: string }).version;
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'echo-consumer', private: true, type: 'module', dependencies: { 'echo-actions': `file:${tarball}`, '@types/node': typesNode } }, null, 2),
    );
    // The packages are in npm's cache after `npm ci`: prefer it, so the install is fast (and works offline).
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel', 'error'], consumer);
  }, 180_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }), 30_000);

  it('ships the build, the inspector app, the sources of the source maps, LICENSE and CHANGELOG', () => {
    for (const path of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/machines/index.js', 'dist/src/inspect/index.js', 'dist/src/inspect/cli.js', 'dist/inspector/index.html', 'src/index.ts', 'LICENSE', 'CHANGELOG.md', 'README.md']) {
      expect(files, path).toContain(path);
    }
    // The app is built (one HTML file with its script inlined), not the page that says how to build it.
    expect(readFileSync(join(installed, 'dist/inspector/index.html'), 'utf8')).toMatch(/<script[^>]*>[\s\S]{1000,}<\/script>/);
    expect(files.filter((path) => path.startsWith('test/') || path.endsWith('.test.ts') || path.startsWith('node_modules/'))).toEqual([]);
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it('has the metadata a registry page and a bundler need', () => {
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, any>;
    expect(manifest.license).toBe('MIT');
    expect(manifest.repository?.url).toMatch(/^git\+https:\/\//);
    expect(manifest.keywords.length).toBeGreaterThan(3);
    expect(manifest.sideEffects).toBe(false);
    expect(manifest.dependencies.ws).toBeDefined();
    expect(manifest.dependencies.xstate).toBeUndefined();
    expect(manifest.peerDependencies.xstate).toMatch(/^\^5\./);
    for (const entry of ['.', './machines', './inspect']) expect(manifest.exports[entry].default).toBe(manifest.exports[entry].import);
    // The peer is installed once, at the top, and the package uses that one.
    expect(existsSync(join(consumer, 'node_modules/xstate/package.json'))).toBe(true);
    expect(existsSync(join(installed, 'node_modules/xstate'))).toBe(false);
  });

  it('its declarations import only its dependencies and peers (a consumer with skipLibCheck would not notice)', () => {
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: object; peerDependencies: object };
    const allowed = new Set([...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)]);
    const declarations = (readdirSync(join(installed, 'dist'), { recursive: true }) as string[]).filter((path) => path.endsWith('.d.ts'));
    expect(declarations.length).toBeGreaterThan(20);
    const stray = declarations.flatMap((path) => importedPackages(readFileSync(join(installed, 'dist', path), 'utf8')).filter((name) => !allowed.has(name)).map((name) => `${path}: ${name}`));
    expect(stray).toEqual([]);
  });

  it('source maps carry their sources, and point at files the package has', () => {
    for (const map of ['dist/src/index.js.map', 'dist/src/Sequence.js.map', 'dist/machines/action.machine.js.map']) {
      const parsed = JSON.parse(readFileSync(join(installed, map), 'utf8')) as { sources: string[]; sourcesContent?: string[] };
      expect(parsed.sourcesContent?.length, map).toBe(parsed.sources.length);
      for (const [index, sourcePath] of parsed.sources.entries()) {
        const file = resolve(dirname(join(installed, map)), sourcePath);
        expect(existsSync(file), `${map} → ${sourcePath}`).toBe(true);
        expect(readFileSync(file, 'utf8')).toBe(parsed.sourcesContent![index]);
      }
    }
  });

  it('an app using echo-actions, /machines and /inspect compiles under strict tsc (nodenext) and runs with node', { timeout: 60_000 }, () => {
    run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], consumer);
    const output = JSON.parse(run(process.execPath, ['build/app.js'], consumer).trim()) as Record<string, unknown>;
    expect(output).toEqual({
      text: 'content of notes.txt',
      state: 'done',
      cancelled: 'user: no longer needed',
      machineId: 'echo.action',
      inspectorStatus: 200,
      inspectorHasApp: true,
      finished: 3,
    });
  });

  it('require() loads it from CommonJS', { timeout: 30_000 }, () => {
    const { stdout, stderr } = runBoth(process.execPath, ['require.cjs'], consumer);
    const output = JSON.parse(stdout.trim()) as Record<string, unknown>;
    expect(stderr).toBe('');
    expect(output).toEqual({ createPlan: 'function', actionMachine: 'object', inspect: 'function' });
  });

  it('the bin prints its help', { timeout: 30_000 }, () => {
    const help = run(join(consumer, 'node_modules/.bin/echo-actions'), ['inspect', '--help'], consumer);
    expect(help).toMatch(/^Usage: echo-actions inspect \[options\]/);
    expect(help).toContain('--port <n>');
  });
});
