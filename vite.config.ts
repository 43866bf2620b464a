/**
 * One config for two jobs. Under vitest (the `VITEST` variable is set) the root is
 * the repository and tests are `test/**\/*.test.ts`. Otherwise (`vite build`,
 * `vite` dev server) the root is `inspector/`, built into `dist/inspector`, which
 * `src/inspect/server.ts` serves, as a single HTML file.
 */
import { fileURLToPath } from 'node:url';
import { viteSingleFile } from 'vite-plugin-singlefile';
import { defineConfig } from 'vitest/config';

const repo = fileURLToPath(new URL('.', import.meta.url));
const underVitest = process.env.VITEST !== undefined;

export default defineConfig({
  root: underVitest ? repo : `${repo}inspector`,
  // Relative asset URLs: the app works wherever the server mounts it.
  base: './',
  // One self-contained index.html (scripts and styles inlined): it opens from `file://` as an
  // offline trace viewer, where module scripts and separate assets are refused as cross-origin.
  plugins: underVitest ? [] : [viteSingleFile({ removeViteModuleLoader: true })],
  build: {
    outDir: `${repo}dist/inspector`,
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
  },
  test: {
    root: repo,
    include: ['test/**/*.test.ts'],
    // The JSON report lets .ci/run print one plain closing line ("Tests: N passed, N failed, N skipped").
    reporters: ['default', 'json'],
    outputFile: { json: `${repo}test-results/vitest.json` },
  },
});
