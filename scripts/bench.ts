import { options } from '../bench/options.js';
import { cleanup } from '../bench/processes.js';
import { report, writeResults } from '../bench/report.js';
import { runBenchmark } from '../bench/run.js';

/**
 * `npm run bench`: throughput, latency, history and memory of the case interpreter against a hand-written
 * workflow of the same shape, through the case service and through the HTTP API; then open-case capacity and timer
 * lateness. One run, against a Temporal dev server (in memory) and an SMTP sink started for it on free loopback
 * ports; it stops them, and itself, whatever happens. Sizes by environment or `--name=value` arguments (see
 * bench/options.ts). Writes bench/results.json. Speed targets live in bench/targets.ts, never in the tests. The phases
 * are in bench/phases/, one module each (throughput.ts: what the baseline, interpreter and API phases share).
 */

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`[bench] ${signal}: stopping everything`);
    void cleanup().then(() => process.exit(130));
  });
}
const hardLimit = setTimeout(() => {
  console.error(`[bench] over BENCH_MAX_MINUTES=${options.BENCH_MAX_MINUTES}: stopping everything`);
  void cleanup().then(() => process.exit(1));
}, options.BENCH_MAX_MINUTES * 60_000);
hardLimit.unref();

try {
  const outcome = await runBenchmark();
  const results = report(outcome);
  // Targets missed are a result; a phase that could not run is a failure of the run.
  if (Object.keys(outcome.phaseErrors).length) process.exitCode = 1;
  writeResults(results);
} catch (error) {
  console.error(`[bench] ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
process.exit(process.exitCode ?? 0);
