// Prints the plain closing line of a vitest JSON report: "Tests: N passed, N failed, N skipped".
import { readFileSync } from 'node:fs';
const report = JSON.parse(readFileSync(new URL('../test-results/vitest.json', import.meta.url), 'utf8'));
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`Tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
if (report.numTotalTests === 0) process.exitCode = 1;
