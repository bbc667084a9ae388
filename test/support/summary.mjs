// Prints the closing line "N passed, N failed" from vitest's JSON report.
import { readFileSync, existsSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results/vitest.json';
if (!existsSync(file)) {
  console.log('0 passed, 1 failed');
  console.error(`no vitest report at ${file}: the test run did not finish`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const passed = report.numPassedTests ?? 0;
// A suite that failed to load counts as a failure too, even if it ran no test.
const failedTests = report.numFailedTests ?? 0;
const failedSuites = report.numFailedTestSuites ?? 0;
// A run that failed outside any test (global setup, an unhandled error) still counts as a failure.
const failed = failedTests > 0 ? failedTests : failedSuites > 0 ? failedSuites : report.success === false ? 1 : 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
