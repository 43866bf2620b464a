/**
 * One config for two jobs. Under vitest (the `VITEST` variable is set) the root is
 * the repository and tests are `test/**\/*.test.ts`. Otherwise (`vite build`,
 * `vite` dev server) the root is `inspector/`, built into `dist/inspector`, which
 * `src/inspect/server.ts` serves, as a single HTML file.
 */
import { fileURLToPath } from 'node:url';
import { viteSingleFile } from 'vite-plugin-singlefile';
import { configDefaults, defineConfig } from 'vitest/config';

const repo = fileURLToPath(new URL('.', import.meta.url));
const underVitest = process.env.VITEST !== undefined;
/**
 * The browser tests that assert timings (long tasks, keystroke to result, a late page's join):
 * a phase of their own that runs alone after every other test file, so no other file competes
 * for the 2 CI cores while they measure.
 */
const timedInBrowser = ['test/e2e/scale.e2e.test.ts'];

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
    // The JSON report lets .ci/run print one plain closing line ("Tests: N passed, N failed, N skipped").
    reporters: ['default', 'json'],
    outputFile: { json: `${repo}test-results/vitest.json` },
    projects: [
      { extends: true, test: { name: 'tests', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...timedInBrowser], sequence: { groupOrder: 0 } } },
      // groupOrder 1: starts once the group above has finished; one file, so nothing runs beside it.
      { extends: true, test: { name: 'timed in the browser', include: timedInBrowser, sequence: { groupOrder: 1 } } },
    ],
  },
});
