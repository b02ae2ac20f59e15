import type { Client } from '@temporalio/client';
import os from 'node:os';
import type { ApiMessage } from '../api-process.js';
import { backToBack, caseTimeoutMs, type CaseOpener, type CaseRun, type CaseRunner, type OpenedCase } from '../cases.js';
import type { Env } from '../environment.js';
import { cpuMeter, now, payloadBytes, pool, processMemory, round2, rssSampler, sleep, summarize, withTimeout, type Summary } from '../lib.js';
import { log, options } from '../options.js';
import type { NodeChild } from '../processes.js';
import { scrape, sdkWarnings, workerMetricsDelta, type RunningWorker } from '../workers.js';

/**
 * What the throughput phases (baseline, baseline-bare, interpreter, api) measure, each with cases of its own: cases per
 * second, update and start latency, history, the worker's (and the API's) memory and CPU.
 */

interface HistoryStats {
  sampled: number;
  eventsPerCase: Summary;
  payloadBytesPerCase: Summary;
  /** Event types of the first sampled case, in order of first appearance, with their counts. */
  eventTypes: Record<string, number>;
}

/** The history of completed cases: its length (fetchHistory), its payload bytes, and what its events are. */
async function historyStats(client: Client, caseRefs: readonly string[]): Promise<HistoryStats> {
  const lengths: number[] = [];
  const bytes: number[] = [];
  let eventTypes: Record<string, number> = {};
  for (const caseRef of caseRefs) {
    const history = await client.workflow.getHandle(caseRef).fetchHistory();
    const events = history.events ?? [];
    lengths.push(events.length);
    bytes.push(events.reduce((sum, event) => sum + payloadBytes(event), 0));
    if (Object.keys(eventTypes).length === 0) {
      eventTypes = {};
      for (const event of events) {
        const attributes = Object.keys(event).find((key) => key.endsWith('EventAttributes') && (event as Record<string, unknown>)[key]);
        const type = (attributes ?? 'unknown').replace(/EventAttributes$/, '').replace(/^./, (c) => c.toUpperCase());
        eventTypes[type] = (eventTypes[type] ?? 0) + 1;
      }
    }
  }
  return { sampled: caseRefs.length, eventsPerCase: summarize(lengths), payloadBytesPerCase: summarize(bytes), eventTypes };
}

export interface ThroughputResult {
  cases: number;
  completed: number;
  failed: number;
  firstErrors: string[];
  concurrency: number;
  warmupCases: number;
  wallSeconds: number;
  casesPerSecond: number;
  startMs: Summary;
  updateMs: Summary;
  /** Sign-offs of cases already open, their notifications sent: see openCaseUpdates. */
  openCaseUpdateMs: Summary;
  caseMs: Summary;
  history: HistoryStats;
  workerRssMiB: { ready: number; afterWarmup: number; peak: number; end: number };
  apiRssMiB?: { afterWarmup: number; peak: number; end: number };
  cpu: ReturnType<ReturnType<typeof cpuMeter>>;
  workerCpuMsPerCase: number;
  apiCpuMsPerCase?: number;
  temporalCpuMsPerCase: number;
  workerMetrics: ReturnType<typeof workerMetricsDelta>;
  sdkWarnings: Record<string, number>;
  loadAverage: { before: number[]; after: number[] };
}

export async function throughputPhase(
  env: Env,
  name: string,
  worker: RunningWorker,
  readyRss: number,
  open: CaseOpener,
  api?: NodeChild<Extract<ApiMessage, { ready: true }>>,
): Promise<ThroughputResult> {
  const run = backToBack(open);
  const errors: string[] = [];
  let failed = 0;
  const onError = (error: unknown) => {
    failed += 1;
    if (errors.length < 5) errors.push((error as Error).message ?? String(error));
  };
  log(`${name}: ${options.BENCH_WARMUP} warm-up cases…`);
  const bounded: CaseRunner = (i, slot) => withTimeout(caseTimeoutMs, `case ${i}`, run(i, slot));
  await pool(options.BENCH_WARMUP, options.BENCH_CONCURRENCY, async (i, slot) => void (await bounded(-1 - i, slot)), onError);
  if (failed) throw new Error(`${name}: warm-up failed: ${errors.join(' | ')}`);
  await sleep(1000);

  const afterWarmup = processMemory(worker.ready.pid)?.rssMiB ?? NaN;
  const apiAfterWarmup = api ? (processMemory(api.ready.pid)?.rssMiB ?? NaN) : NaN;
  const metricsBefore = await scrape(worker.ready.metricsUrl);
  await sdkWarnings(worker);
  const peakWorker = rssSampler(worker.ready.pid);
  const peakApi = api ? rssSampler(api.ready.pid) : undefined;
  const cpu = cpuMeter({ worker: worker.ready.pid, api: api?.ready.pid, temporal: env.temporal.child.pid, smtp: env.mail.child.pid });
  const loadBefore = os.loadavg();
  log(`${name}: ${options.BENCH_CASES} cases, ${options.BENCH_CONCURRENCY} at a time…`);

  const runs: CaseRun[] = [];
  const started = now();
  await pool(options.BENCH_CASES, options.BENCH_CONCURRENCY, async (i, slot) => void runs.push(await bounded(i, slot)), onError);
  const wallSeconds = (now() - started) / 1000;
  for (const process of [worker, api]) if (process?.crashed) throw new Error(`${name}: ${process.crashed}`);

  const cpuUsed = cpu();
  const loadAfter = os.loadavg();
  const workerPeak = peakWorker();
  const apiPeak = peakApi?.();
  const metricsAfter = await scrape(worker.ready.metricsUrl);
  const warnings = await sdkWarnings(worker);
  const sample = runs.slice(0, options.BENCH_HISTORY_SAMPLE).map((r) => r.caseRef);
  const history = await historyStats(env.client, sample);
  const openCaseUpdateMs = await openCaseUpdates(env, name, open);
  const perCase = (seconds: number | undefined) => Math.round(((seconds ?? NaN) * 1000) / Math.max(runs.length, 1));
  const result: ThroughputResult = {
    cases: options.BENCH_CASES,
    completed: runs.length,
    failed,
    firstErrors: errors,
    concurrency: options.BENCH_CONCURRENCY,
    warmupCases: options.BENCH_WARMUP,
    wallSeconds: Math.round(wallSeconds * 100) / 100,
    casesPerSecond: Math.round((runs.length / wallSeconds) * 10) / 10,
    startMs: summarize(runs.map((r) => r.startMs)),
    updateMs: summarize(runs.flatMap((r) => r.updateMs)),
    openCaseUpdateMs,
    caseMs: summarize(runs.map((r) => r.caseMs)),
    history,
    workerRssMiB: { ready: readyRss, afterWarmup, peak: workerPeak, end: processMemory(worker.ready.pid)?.rssMiB ?? NaN },
    ...(api ? { apiRssMiB: { afterWarmup: apiAfterWarmup, peak: apiPeak!, end: processMemory(api.ready.pid)?.rssMiB ?? NaN } } : {}),
    cpu: cpuUsed,
    workerCpuMsPerCase: perCase(cpuUsed.cpuSeconds.worker),
    ...(api ? { apiCpuMsPerCase: perCase(cpuUsed.cpuSeconds.api) } : {}),
    temporalCpuMsPerCase: perCase(cpuUsed.cpuSeconds.temporal),
    workerMetrics: workerMetricsDelta(metricsBefore, metricsAfter),
    sdkWarnings: warnings,
    loadAverage: { before: loadBefore.map(round2), after: loadAfter.map(round2) },
  };
  log(
    `${name}: ${result.completed}/${result.cases} cases in ${result.wallSeconds} s = ${result.casesPerSecond}/s; ` +
      `update p50/p95/p99 ${result.updateMs.p50}/${result.updateMs.p95}/${result.updateMs.p99} ms ` +
      `(on open cases ${openCaseUpdateMs.p50}/${openCaseUpdateMs.p95}/${openCaseUpdateMs.p99}); ` +
      `${history.eventsPerCase.mean} history events/case; worker RSS peak ${workerPeak} MiB; ` +
      `worker CPU ${result.workerCpuMsPerCase} ms/case; other processes used ${cpuUsed.otherProcessesPercent}% of the machine`,
  );
  if (failed) log(`${name}: ${failed} cases failed, e.g. ${errors[0]}`);
  return result;
}

/**
 * Update round trips as evaluators meet them: on cases already open, whose notifications have gone out. Back to back,
 * a case's first sign-off races its own opening (the first workflow task, the notification), which is the opening's
 * cost, not the update's. BENCH_CASES more cases are opened; once the SMTP sink holds both e-mails of each, they are
 * signed with BENCH_CONCURRENCY sign-offs in flight.
 */
async function openCaseUpdates(env: Env, name: string, open: CaseOpener): Promise<Summary> {
  const count = options.BENCH_CASES;
  const mails = async () => ((await (await fetch(`${env.mail.webUrl}/api/email`)).json()) as unknown[]).length;
  const mailsBefore = await mails();
  const opened: OpenedCase[] = [];
  const rethrow = (error: unknown) => {
    throw error;
  };
  await pool(count, options.BENCH_CONCURRENCY, async (i, slot) => void opened.push(await open(count + i, slot)), rethrow);
  const notifiedBy = Date.now() + 60_000;
  while ((await mails()) < mailsBefore + 2 * count) {
    if (Date.now() > notifiedBy) throw new Error(`${name}: the open cases' notifications did not all arrive within 60 s`);
    await sleep(250);
  }
  const latencies: number[] = [];
  await pool(count, options.BENCH_CONCURRENCY, async (i) => void latencies.push(...(await opened[i]!.signOff())), rethrow);
  await Promise.all(opened.map((kase) => withTimeout(caseTimeoutMs, kase.caseRef, kase.ended())));
  return summarize(latencies);
}
