import { join } from 'node:path';

/**
 * The options of one run of `npm run bench`, from the environment or `--name=value` arguments, with what every module
 * of the run shares: the repository's root, the run's id and its log line.
 */

export const root = join(import.meta.dirname, '..');

const optionDefaults = {
  /** Cases per throughput phase (baseline, interpreter, API). */
  BENCH_CASES: 100,
  /** Cases in flight at once in those phases. */
  BENCH_CONCURRENCY: 20,
  /** Unmeasured cases run first in each phase, so that JIT and caches are warm. */
  BENCH_WARMUP: 10,
  /** Open cases for the capacity phase, each waiting for its sign-offs: the 10,000. */
  BENCH_OPEN_CASES: 10_000,
  /** Cases with a scheduled start fired in the capacity phase, with the open cases in the worker. */
  BENCH_TIMER_CASES: 200,
  /**
   * Scheduled starts due per second in the capacity phase (their evaluationFrom times are spread at this rate; 0: all
   * at once). Reminders keep the time of day of the case's opening, so real ones are spread like openings: 10,000 open
   * cases with a reminder every two working days average well under 1/s; 20/s is a burst.
   */
  BENCH_TIMER_RATE: 20,
  /** Concurrent API users signing off, each with a session of their own. */
  BENCH_API_USERS: 20,
  /**
   * Cases opened for the API users to sign (two sign-offs each): 800 sign-offs, so that the p99 is not the second
   * slowest of a handful (with 200, one run gave p99 172 ms, and 67 ms with 800 on the same machine).
   */
  BENCH_API_SIGNOFF_CASES: 400,
  /**
   * Mean pause of each API user between two sign-offs (drawn uniformly from 0 to twice it, so that users do not move
   * in step). A person reads the case and writes a note before signing: a second is far quicker than any. The
   * `api-saturation` phase runs the same with no pause at all, for the capacity.
   */
  BENCH_API_THINK_MS: 1000,
  /** Completed cases per phase whose history is fetched and measured. */
  BENCH_HISTORY_SAMPLE: 20,
  /** Cases filed in the record for phase `record`, whose list and search are then timed: the 100,000. */
  BENCH_RECORD_CASES: 100_000,
  /** Hard limit on the whole run: past it everything is stopped and the run fails. */
  BENCH_MAX_MINUTES: 20,
};
type Options = Record<keyof typeof optionDefaults, number> & { BENCH_PHASES: string[]; BENCH_OUTPUT: string };
const allPhases = [
  'baseline',
  'baseline-bare',
  'interpreter-unrecorded',
  'interpreter',
  'api',
  'api-users',
  'api-saturation',
  'open-cases',
  'record',
  'module-cost',
];

function readOptions(): Options {
  // `--open-cases=200` is BENCH_OPEN_CASES=200.
  const args = Object.fromEntries(
    process.argv
      .slice(2)
      .map((arg) => arg.match(/^--([a-z-]+)=(.*)$/))
      .filter((match): match is RegExpMatchArray => !!match)
      .map(([, name, value]) => [`BENCH_${name!.toUpperCase().replaceAll('-', '_')}`, value!]),
  );
  const raw = (name: string) => args[name] ?? process.env[name];
  const numbers = Object.fromEntries(
    Object.entries(optionDefaults).map(([name, fallback]) => {
      const value = raw(name);
      const parsed = value === undefined || value === '' ? fallback : Number(value);
      if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`${name}=${value} is not a non-negative number`);
      return [name, parsed];
    }),
  ) as Record<keyof typeof optionDefaults, number>;
  const phases = (raw('BENCH_PHASES') ?? allPhases.join(','))
    .split(',')
    .map((phase) => phase.trim())
    .filter(Boolean);
  const unknown = phases.filter((phase) => !allPhases.includes(phase));
  if (unknown.length) throw new Error(`BENCH_PHASES: unknown ${unknown.join(', ')} (known: ${allPhases.join(', ')})`);
  return { ...numbers, BENCH_PHASES: phases, BENCH_OUTPUT: raw('BENCH_OUTPUT') ?? join(root, 'bench', 'results.json') };
}

export const options = readOptions();
export const runId = Date.now().toString(36).toUpperCase();
export const log = (line: string) => console.log(`[bench] ${line}`);
