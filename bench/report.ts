import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { round2 } from './lib.js';
import { log, options } from './options.js';
import type { ThroughputResult } from './phases/throughput.js';
import type { Outcome } from './run.js';
import { ratios, targets } from './targets.js';

/** What a run prints (the phases, their ratios, the verdict on each target) and what it writes to BENCH_OUTPUT. */

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

export function report(outcome: Outcome) {
  const phases: [string, ThroughputResult | undefined][] = [
    ['(a) baseline workflow', outcome.baseline],
    ['(a0) (a) without search attributes', outcome.baselineBare],
    ['(b0) interpreter without the record write', outcome.interpreterUnrecorded],
    ['(b) interpreter, case service', outcome.interpreter],
    ['(c) interpreter, HTTP API', outcome.api],
  ];
  const rows = [
    [
      'phase',
      'cases/s',
      'update p50/p95/p99 ms',
      'on open cases',
      'start p50 ms',
      'history events',
      'payload B/case',
      'worker RSS peak MiB',
      'worker CPU ms/case',
      'others' + "'" + ' CPU %',
    ],
  ];
  for (const [name, phase] of phases) {
    if (!phase) continue;
    rows.push([
      name,
      String(phase.casesPerSecond),
      `${phase.updateMs.p50}/${phase.updateMs.p95}/${phase.updateMs.p99}`,
      `${phase.openCaseUpdateMs.p50}/${phase.openCaseUpdateMs.p95}/${phase.openCaseUpdateMs.p99}`,
      String(phase.startMs.p50),
      String(phase.history.eventsPerCase.mean),
      String(phase.history.payloadBytesPerCase.mean),
      String(phase.workerRssMiB.peak),
      String(phase.workerCpuMsPerCase),
      String(phase.cpu.otherProcessesPercent),
    ]);
  }
  const ratioTable = [
    ['ratio', 'cases/s', 'update p50', 'update p99', 'on open cases p50', 'p99', 'history events', 'payload bytes', 'worker RSS peak', 'worker CPU/case'],
  ];
  for (const [name, value] of [
    ['(b)/(a)', ratios(outcome.interpreter, outcome.baseline)],
    ['(c)/(a)', ratios(outcome.api, outcome.baseline)],
    ['(b)/(a0)', ratios(outcome.interpreter, outcome.baselineBare)],
    ['(b)/(b0)', ratios(outcome.interpreter, outcome.interpreterUnrecorded)],
    ['(c)/(b)', ratios(outcome.api, outcome.interpreter)],
  ] as const) {
    if (!value) continue;
    ratioTable.push([
      name,
      String(value.casesPerSecond),
      String(value.updateP50),
      String(value.updateP99),
      String(value.openCaseUpdateP50),
      String(value.openCaseUpdateP99),
      String(value.historyEventsPerCase),
      String(value.historyPayloadBytesPerCase),
      String(value.workerRssPeak),
      String(value.workerCpuPerCase),
    ]);
  }
  const goals = targets(outcome);
  const verdict = (pass: boolean | null) => (pass === null ? 'n/a' : pass ? 'PASS' : 'FAIL');
  const goalTable = [
    ['target', 'goal', 'measured', 'size', 'result', "others' CPU %"],
    ...goals.map((goal) => [
      goal.name,
      goal.target,
      goal.measured,
      goal.atSize,
      verdict(goal.pass),
      goal.otherLoadPercent === undefined ? '' : String(goal.otherLoadPercent),
    ]),
  ];
  console.log('');
  if (rows.length > 1) console.log(table(rows) + '\n');
  if (ratioTable.length > 1) console.log(table(ratioTable) + '\n');
  console.log(table(goalTable));
  if (outcome.moduleCost) {
    console.log('');
    console.log(
      table([
        ['bundle', 'KiB', 'modules loaded per new workflow', 'their evaluation, ms (first / p50)', 'heap KiB each workflow keeps'],
        ...outcome.moduleCost.map((cost) => [
          cost.bundle,
          String(cost.bundleKiB),
          String(cost.modulesPerWorkflow),
          `${cost.firstEvaluationMs} / ${cost.evaluateMs.p50}`,
          String(cost.retainedKiBPerWorkflow),
        ]),
      ]),
    );
  }
  const measured = [
    outcome.baseline?.cpu,
    outcome.baselineBare?.cpu,
    outcome.interpreterUnrecorded?.cpu,
    outcome.interpreter?.cpu,
    outcome.api?.cpu,
    outcome.apiUsers?.cpu,
    outcome.apiSaturation?.cpu,
    outcome.openCases?.openCpu,
    outcome.openCases?.fireCpu,
  ].filter((cpu) => cpu !== undefined);
  const noisy = Math.max(...measured.map((cpu) => cpu.otherProcessesPercent), 0);
  if (measured.length) {
    console.log(
      `\nOther processes took up to ${noisy}% of the machine's CPU during a phase (load average ${os.loadavg().map(round2).join(' ')} now): ` +
        (noisy > 10 ? 'these numbers are noisy; re-run on a quiet machine before trusting them.' : 'the machine was quiet enough.'),
    );
  }
  return {
    ...outcome,
    options,
    ratios: {
      interpreterToBaseline: ratios(outcome.interpreter, outcome.baseline),
      apiToBaseline: ratios(outcome.api, outcome.baseline),
      interpreterToBareBaseline: ratios(outcome.interpreter, outcome.baselineBare),
    },
    targets: goals,
    noise: { maxOtherProcessesPercent: noisy, loadAverageAtEnd: os.loadavg().map(round2) },
    finishedAt: new Date(),
  };
}

export function writeResults(results: ReturnType<typeof report>) {
  mkdirSync(dirname(options.BENCH_OUTPUT), { recursive: true });
  writeFileSync(options.BENCH_OUTPUT, JSON.stringify(results, null, 2) + '\n');
  log(`results written to ${options.BENCH_OUTPUT}`);
}
