import type { Reporter, SerializedError, TestModule } from 'vitest/node';

/** Ends the run with the plain "N passed, N failed" line that CI reads whatever the runner. */
export default class ClosingLineReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[], unhandledErrors: readonly SerializedError[]): void {
    let passed = 0;
    // A file that fails before its tests run (a broken hook, an import error) is a failure, not a skip.
    let failed = unhandledErrors.length + testModules.filter((module) => module.errors().length > 0).length;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    console.log(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  }
}
