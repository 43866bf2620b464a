/**
 * Docs that run: every TypeScript block of the README and of docs/*.md compiles
 * (strict, module nodenext, importing `echo-actions` as a consumer would) and runs
 * with node; every `@example` of the public API's doc comments compiles too. The
 * README starts with the install line and names no file outside the repository.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENTRY_POINTS, markdownBlocks, publicSurface, type CodeBlock } from './docBlocks.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const generated = `${repo}test/docs/.generated/`;

const guides = readdirSync(`${repo}docs`)
  .filter((name) => name.endsWith('.md'))
  .sort();
const blocks: (CodeBlock & { readonly file: string })[] = [
  ...markdownBlocks(`${repo}README.md`, 'README.md'),
  ...guides.flatMap((name) => markdownBlocks(`${repo}docs/${name}`, `docs/${name}`)),
].map((block, index) => ({ ...block, file: `${generated}block-${index}-${block.origin.replace(/[^\w]+/g, '_')}.ts` }));

const compilerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noUncheckedIndexedAccess: true,
  skipLibCheck: true,
  noEmit: true,
  types: ['node'],
  paths: Object.fromEntries(Object.entries(ENTRY_POINTS).map(([specifier, path]) => [specifier, [`${repo}${path}`]])),
};

/** The type errors of `files`, one line each with the origin of its block. */
function typeErrors(files: readonly string[], originOf: (file: string) => string): string[] {
  const program = ts.createProgram(files, compilerOptions);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.file === undefined || files.includes(diagnostic.file.fileName))
    .map((diagnostic) => {
      const where = diagnostic.file === undefined ? '' : `${originOf(diagnostic.file.fileName)} (line ${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1} of the block)`;
      return `${where}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    });
}

beforeAll(() => {
  rmSync(generated, { recursive: true, force: true });
  mkdirSync(generated, { recursive: true });
  // `"type": "module"`, so a block with top-level await is an ES module, as in a consumer's project.
  writeFileSync(`${generated}package.json`, JSON.stringify({ type: 'module' }));
  writeFileSync(`${generated}tsconfig.json`, JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, paths: compilerOptions.paths } }));
  for (const block of blocks) writeFileSync(block.file, `${block.code}\n`);
});

describe('the README', () => {
  const readme = readFileSync(`${repo}README.md`, 'utf8');

  it('starts with the install line, then has a Quick start', () => {
    expect(readme.split('\n').slice(0, 5).join('\n')).toBe('# Echo\n\n```bash\nnpm install echo-actions xstate\n```');
    expect(readme.indexOf('## Quick start')).toBeGreaterThan(0);
    expect(blocks[0]!.origin).toMatch(/^README\.md:/);
    expect(readme.indexOf(blocks[0]!.code)).toBeGreaterThan(readme.indexOf('## Quick start'));
  });

  it('names no file outside the repository, and every file it names exists', () => {
    expect(readme).not.toMatch(/\.\.\//);
    const named = [...readme.matchAll(/`((?:src|test|machines|examples|docs|bench|inspector)\/[\w./-]+\.(?:ts|md|svg))`/g)].map((match) => match[1]!);
    const links = [...readme.matchAll(/\]\(((?!https?:)[^)#]+)\)/g)].map((match) => match[1]!);
    expect(named.length + links.length).toBeGreaterThan(5);
    expect([...named, ...links].filter((path) => !existsSync(`${repo}${path}`))).toEqual([]);
  });

  it('keeps its two commands true: npm start runs the demo with the inspector, npm test the tests', () => {
    const scripts = (JSON.parse(readFileSync(`${repo}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(readme).toContain('npm start ');
    expect(readme).toContain('npm test ');
    expect(scripts.start).toContain('examples/demo.ts');
    expect(scripts.test).toBe('vitest run');
  });
});

describe('code in the docs', () => {
  it('every TypeScript block of the README and docs/ typechecks as a consumer module', { timeout: 60_000 }, () => {
    const withCode = new Set(blocks.map((block) => block.origin.split(':')[0]));
    expect(guides.filter((name) => name !== 'README.md' && !withCode.has(`docs/${name}`))).toEqual([]);
    expect(blocks.filter((block) => block.origin.startsWith('README.md')).length).toBeGreaterThanOrEqual(3);
    const origin = new Map(blocks.map((block) => [block.file, block.origin]));
    expect(typeErrors(blocks.map((block) => block.file), (file) => origin.get(file) ?? file)).toEqual([]);
  });

  it.each(blocks.map((block) => [block.origin, block] as const))('%s runs with node', { timeout: 60_000 }, (_origin, block) => {
    const env: NodeJS.ProcessEnv = { ...process.env, TSX_TSCONFIG_PATH: `${generated}tsconfig.json` };
    for (const key of Object.keys(env)) if (key.startsWith('VITEST') || key === 'NODE_OPTIONS') delete env[key];
    const result = spawnSync(process.execPath, ['--import', 'tsx', block.file], { cwd: repo, env, encoding: 'utf8', timeout: 50_000 });
    expect(result.stderr, `${block.origin} wrote to stderr`).toBe('');
    expect(result.status, `${block.origin} exited with ${String(result.status)}:\n${result.stdout}`).toBe(0);
    if (block.origin === blocks[0]!.origin) {
      expect(result.stdout).toContain('contents of notes.txt done');
      expect(result.stdout).toContain("{ charged: 42 } 2");
      expect(result.stdout).toContain('user no longer needed');
      expect(result.stdout).toMatch(/\n3 0\n/);
    }
  });

  it('every @example of the public API typechecks', { timeout: 60_000 }, () => {
    const surface = publicSurface(repo);
    const examples = surface.examples;
    expect(examples.length).toBeGreaterThan(20);
    const seen = new Set<string>();
    const imports = Object.entries(surface.names).map(([specifier, names]) => {
      const fresh = names.filter((name) => !seen.has(name) && seen.add(name));
      return `import { ${fresh.join(', ')} } from '${specifier}';`;
    });
    // What the examples take as given: a Plan and a Sequence of any actions, a server, a machine, a record.
    const given = ['plan: Plan', 'sequence: Sequence', 'server: InspectorServer', 'machine: AnyStateMachine', 'record: ActionRecord', 'text: string'];
    const prelude = [...imports, "import { createActor, setup, type AnyStateMachine } from 'xstate';", ...given.map((name) => `declare const ${name};`), 'export {};'].join('\n');
    const origin = new Map<string, string>();
    const files = examples.map((example, index) => {
      const file = `${generated}example-${index}.ts`;
      writeFileSync(file, `${prelude}\nexport async function example(): Promise<void> {\n${example.code}\n}\n`);
      origin.set(file, example.origin);
      return file;
    });
    const errors = typeErrors(files, (file) => origin.get(file) ?? file).filter((line) => !/is declared but|All imports in import declaration are unused/.test(line));
    expect(errors).toEqual([]);
  });
});
