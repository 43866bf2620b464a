/**
 * Finds the code the docs show: TypeScript blocks of Markdown files, and the
 * `@example`s of the doc comments of every file that declares a public export.
 * The docs test typechecks them against the package's entry points (as
 * `echo-actions`, `echo-actions/machines`, `echo-actions/inspect`) and runs the blocks.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import ts from 'typescript';

export interface CodeBlock {
  /** Where it is, for messages: `README.md:23`. */
  readonly origin: string;
  readonly code: string;
}

/** The ```ts blocks of a Markdown file. */
export function markdownBlocks(path: string, shown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end] !== '```') end++;
    blocks.push({ origin: `${shown}:${start}`, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** The package's entry points, as a consumer imports them. */
export const ENTRY_POINTS = { 'echo-actions': 'src/index.ts', 'echo-actions/machines': 'machines/index.ts', 'echo-actions/inspect': 'src/inspect/index.ts', 'echo-actions/store': 'src/store/index.ts' } as const;

/** The names each entry point exports, and the `@example`s of their doc comments (and of their members'). */
export function publicSurface(repo: string): { names: Record<string, string[]>; examples: CodeBlock[] } {
  const roots = Object.values(ENTRY_POINTS).map((path) => `${repo}${path}`);
  const program = ts.createProgram(roots, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, noEmit: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const names: Record<string, string[]> = {};
  const examples = new Map<string, CodeBlock>();
  const collect = (declaration: ts.Declaration): void => {
    const file = declaration.getSourceFile();
    if (file.fileName.includes('/node_modules/')) return;
    for (const tag of ts.getJSDocTags(declaration)) {
      if (tag.tagName.text !== 'example') continue;
      const code = (ts.getTextOfJSDocComment(tag.comment) ?? '').trim();
      const line = file.getLineAndCharacterOfPosition(tag.getStart()).line + 1;
      const origin = `${relative(repo, file.fileName)}:${line}`;
      if (code.length > 0) examples.set(origin, { origin, code });
    }
  };
  for (const [specifier, path] of Object.entries(ENTRY_POINTS)) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(`${repo}${path}`)!)!;
    names[specifier] = [];
    for (const exported of checker.getExportsOfModule(module)) {
      names[specifier]!.push(exported.name);
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      for (const declaration of symbol.declarations ?? []) {
        collect(declaration);
        if (ts.isClassDeclaration(declaration) || ts.isInterfaceDeclaration(declaration)) for (const member of declaration.members) collect(member);
      }
    }
  }
  return { names, examples: [...examples.values()] };
}
