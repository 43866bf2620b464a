import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/**
 * A maker of store files for one test file: each call answers `echo.db` in a new directory of the system's temp
 * folder (named `echo-<label>-…`), and every directory made is removed after each test.
 */
export function tempStoreFiles(label: string): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), `echo-${label}-`));
    dirs.push(dir);
    return join(dir, 'echo.db');
  };
}
