import { demoDirectory } from '../platform/directory.js';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { bundleWorkflowCode } from '@temporalio/worker';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { createCaseService, type CaseService } from '../api/cases.js';
import { baselineSignoff, baselineWorkflow } from '../bench/baseline-workflow.js';
import type { ApiMessage } from '../bench/api-process.js';
import { moduleCosts, type ModuleCost } from '../bench/module-cost.js';
import {
  cpuMeter,
  now,
  payloadBytes,
  pool,
  processMemory,
  prometheusGauge,
  prometheusHistograms,
  rssSampler,
  sleep,
  summarize,
  withTimeout,
  type Summary,
} from '../bench/lib.js';
import type { WorkerMessage, WorkerMode } from '../bench/worker-process.js';
import type { Actor } from '../machines/case.js';
import type { CaseState, EventRequest } from '../machines/case-state.js';
import { createDataConverter, parseKeyList } from '../platform/codec.js';
import { loadPathwayParameters } from '../platform/parameters.js';
import { workflowBundleOptions } from '../worker/worker.js';
import { freePort, startMailSink, startTemporalServer, type RunningService } from './services.js';
import { ensureTemporalCli } from './temporal-cli.js';

/**
 * `npm run bench`: throughput, latency, history and memory of the case interpreter against a hand-written
 * workflow of the same shape, through the case service and through the HTTP API; then open-case capacity and timer
 * lateness. One run, against a Temporal dev server (in memory) and an SMTP sink started for it on free loopback
 * ports; it stops them, and itself, whatever happens. Sizes by environment or `--name=value` arguments (see
 * `options` below). Writes bench/results.json. Speed targets live here, never in the tests.
 */

const root = join(import.meta.dirname, '..');

// ---------------------------------------------------------------------------------------------------------- options

const optionDefaults = {
  /** Cases per throughput phase (baseline, interpreter, API). */
  BENCH_CASES: 100,
  /** Cases in flight at once in those phases. */
  BENCH_CONCURRENCY: 20,
  /** Unmeasured cases run first in each phase, so that JIT and caches are warm. */
  BENCH_WARMUP: 10,
  /** Open cases for the capacity phase, each waiting for its sign-offs: the issue's 10,000. */
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
  /** Hard limit on the whole run: past it everything is stopped and the run fails. */
  BENCH_MAX_MINUTES: 20,
};
type Options = Record<keyof typeof optionDefaults, number> & { BENCH_PHASES: string[]; BENCH_OUTPUT: string };
const allPhases = ['baseline', 'baseline-bare', 'interpreter', 'api', 'api-users', 'api-saturation', 'open-cases', 'module-cost'];

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
  const phases = (raw('BENCH_PHASES') ?? allPhases.join(',')).split(',').map((phase) => phase.trim()).filter(Boolean);
  const unknown = phases.filter((phase) => !allPhases.includes(phase));
  if (unknown.length) throw new Error(`BENCH_PHASES: unknown ${unknown.join(', ')} (known: ${allPhases.join(', ')})`);
  return { ...numbers, BENCH_PHASES: phases, BENCH_OUTPUT: raw('BENCH_OUTPUT') ?? join(root, 'bench', 'results.json') };
}

const options = readOptions();
const runId = Date.now().toString(36).toUpperCase();
const log = (line: string) => console.log(`[bench] ${line}`);

const actors = {
  socialWorker: { id: 'social-worker', role: 'social-worker', organisation: 'municipality' },
  physician: { id: 'physician', role: 'physician', organisation: 'health-authority' },
} satisfies Record<string, Actor>;
const approve = { round: 'evaluation', decision: 'approve' };

// -------------------------------------------------------------------------------------------------------- processes

const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const stop of cleanups.reverse()) await stop().catch((error: unknown) => console.error(`[bench] cleanup: ${String(error)}`));
  })();
  return cleaning;
}
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

interface NodeChild<T> {
  child: ChildProcess;
  ready: T;
  stop(): Promise<void>;
  /** Set if the process ended before it was told to stop (a crash, an out-of-memory kill). */
  readonly crashed: string | undefined;
}

/** A TypeScript entry in a Node process of its own (as `npm start` runs the worker and the API), ready when it says so. */
async function startNodeChild<T extends object>(entry: string, env: Record<string, string>, what: string): Promise<NodeChild<T>> {
  const child = fork(join(root, entry), [], {
    cwd: root,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let stopping = false;
  let crashed: string | undefined;
  let reason = '';
  // A child that fails after it was ready says why on IPC before it exits (the worker: its workflow thread's error).
  child.on('message', (message) => {
    if (message && typeof message === 'object' && 'failed' in message) reason = String(message.failed).split('\n')[0]!.slice(0, 300);
  });
  child.once('exit', (code, signal) => {
    if (!stopping) crashed = `${what} exited (${signal ?? `code ${code}`})${reason ? `: ${reason}` : ''}`;
  });
  const stop = async () => {
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    if (child.connected) child.send('stop');
    else child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
  };
  cleanups.push(stop);
  const message = await withTimeout(
    120_000,
    `${what} start`,
    new Promise<T>((resolve, reject) => {
      child.once('message', (message) => resolve(message as T));
      child.once('exit', (code, signal) => reject(new Error(`${what} exited (${signal ?? code}) before it was ready`)));
    }),
  );
  if ('failed' in message) throw new Error(`${what} failed to start: ${String(message.failed)}`);
  return {
    child,
    ready: message,
    stop,
    get crashed() {
      return crashed;
    },
  };
}

interface Env {
  temporal: RunningService & { address: string };
  mail: RunningService & { smtpPort: number; webUrl: string };
  client: Client;
  bundles: Record<WorkerMode, string>;
  childEnv: Record<string, string>;
}

type RunningWorker = NodeChild<Extract<WorkerMessage, { ready: true }>> & { taskQueue: string };

async function startWorker(env: Env, mode: WorkerMode, name: string): Promise<RunningWorker> {
  const taskQueue = `bench-${name}-${runId}`;
  const worker = await startNodeChild<WorkerMessage>(
    'bench/worker-process.ts',
    {
      ...env.childEnv,
      BENCH_WORKER_MODE: mode,
      BENCH_BUNDLE_PATH: env.bundles[mode],
      BENCH_TASK_QUEUE: taskQueue,
      BENCH_METRICS_PORT: String(await freePort()),
    },
    `the ${mode} worker`,
  );
  return Object.assign(worker, { ready: worker.ready as Extract<WorkerMessage, { ready: true }>, taskQueue });
}

/** The SDK's warnings in the worker since the last call, counted by kind (the worker prints the first of each). */
async function sdkWarnings(worker: RunningWorker): Promise<Record<string, number>> {
  if (!worker.child.connected) return {};
  const answer = new Promise<Record<string, number>>((resolve) => {
    const onMessage = (message: unknown) => {
      if (message && typeof message === 'object' && 'warnings' in message) {
        worker.child.off('message', onMessage);
        resolve((message as { warnings: Record<string, number> }).warnings);
      }
    };
    worker.child.on('message', onMessage);
  });
  worker.child.send('report');
  return withTimeout(5000, 'worker report', answer).catch(() => ({}));
}

async function scrape(url: string): Promise<string> {
  try {
    return await (await fetch(url)).text();
  } catch {
    return '';
  }
}

const workerHistograms = [
  'temporal_workflow_task_execution_latency',
  'temporal_workflow_task_schedule_to_start_latency',
  'temporal_workflow_task_replay_latency',
  'temporal_activity_execution_latency',
  'temporal_activity_schedule_to_start_latency',
];

/** The worker's own view of a phase: how long its workflow tasks took to run, and how long they queued first. */
function workerMetricsDelta(before: string, after: string) {
  const a = prometheusHistograms(before, workerHistograms);
  const b = prometheusHistograms(after, workerHistograms);
  const delta: Record<string, { count: number; meanMs: number }> = {};
  for (const [name, end] of Object.entries(b)) {
    const start = a[name] ?? { count: 0, sum: 0 };
    const count = end.count - start.count;
    if (count > 0) delta[name.replace(/^temporal_/, '')] = { count, meanMs: Math.round(((end.sum - start.sum) / count) * 10) / 10 };
  }
  return {
    ...delta,
    stickyCacheSize: prometheusGauge(after, 'temporal_sticky_cache_size'),
    stickyCacheHits: prometheusGauge(after, 'temporal_sticky_cache_hit'),
    stickyCacheMisses: prometheusGauge(after, 'temporal_sticky_cache_miss'),
  };
}

// ------------------------------------------------------------------------------------------------ throughput phases

interface CaseRun {
  caseRef: string;
  startMs: number;
  updateMs: number[];
  caseMs: number;
}
type CaseRunner = (index: number, slot: number) => Promise<CaseRun>;

/** A case of a throughput phase in its steps, so that they can run back to back or apart. */
interface OpenedCase {
  caseRef: string;
  /** Both evaluators' sign-offs, one after the other, each timed. */
  signOff(): Promise<number[]>;
  /** Resolves once the case has ended as it should. */
  ended(): Promise<void>;
}
type CaseOpener = (index: number, slot: number) => Promise<OpenedCase>;

function backToBack(open: CaseOpener): CaseRunner {
  return async (index, slot) => {
    const t0 = now();
    const opened = await open(index, slot);
    const startMs = now() - t0;
    const updateMs = await opened.signOff();
    await opened.ended();
    return { caseRef: opened.caseRef, startMs, updateMs, caseMs: now() - t0 };
  };
}

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

interface ThroughputResult {
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

async function throughputPhase(
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

const round2 = (value: number) => Math.round(value * 100) / 100;
/** No single case may hold a phase up for longer than this. */
const caseTimeoutMs = 120_000;

async function timed(steps: (() => Promise<unknown>)[]): Promise<number[]> {
  const times: number[] = [];
  for (const step of steps) {
    const t0 = now();
    await step();
    times.push(now() - t0);
  }
  return times;
}

async function endedApproved(client: Client, caseRef: string): Promise<void> {
  const result = (await client.workflow.getHandle(caseRef).result()) as CaseState;
  if (result.context.outcome !== 'approved') throw new Error(`${caseRef} ended ${JSON.stringify(result.value)} (${result.context.outcome})`);
}

function baselineOpener(client: Client, taskQueue: string, listed: boolean): CaseOpener {
  const request = (actor: Actor): EventRequest => ({ type: 'signoff.submit', payload: approve, actor });
  return async (index) => {
    const caseRef = `BASE-${runId}-${index}`;
    const handle = await client.workflow.start(baselineWorkflow, {
      taskQueue,
      workflowId: caseRef,
      args: [{ caseRef, roles: [actors.physician.role, actors.socialWorker.role], remindEvery: '2 days', listed }],
    });
    return {
      caseRef,
      signOff: () => timed([actors.physician, actors.socialWorker].map((actor) => () => handle.executeUpdate(baselineSignoff, { args: [request(actor)] }))),
      async ended() {
        const result = await handle.result();
        if (result.status !== 'done') throw new Error(`${caseRef} ended ${result.status}`);
      },
    };
  };
}

function interpreterOpener(client: Client, cases: CaseService): CaseOpener {
  return async (index) => {
    const { caseRef } = await cases.start({ kind: 'hello', data: { summary: `Caso di prova ${index}` }, actor: actors.socialWorker });
    return {
      caseRef,
      signOff: () => timed([actors.physician, actors.socialWorker].map((actor) => () => cases.send(caseRef, 'signoff.submit', approve, actor))),
      ended: () => endedApproved(client, caseRef),
    };
  };
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

// --------------------------------------------------------------------------------------------------------- HTTP API

interface Session {
  role: string;
  cookie: string;
}

async function http<T>(baseUrl: string, method: string, path: string, cookie: string | undefined, body?: unknown): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(baseUrl + path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(cookie ? { cookie } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 200)}`);
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, headers: response.headers };
}

async function login(baseUrl: string, role: string): Promise<Session> {
  const response = await http(baseUrl, 'POST', '/api/session', undefined, { username: role, password: 'raccordo-demo' });
  const cookie = response.headers
    .getSetCookie()
    .map((header) => header.split(';')[0]!)
    .find((pair) => pair.startsWith('raccordo_session='));
  if (!cookie) throw new Error(`login as ${role}: no session cookie`);
  return { role, cookie };
}

function apiOpener(client: Client, baseUrl: string, sessions: { socialWorker: Session; physician: Session }[]): CaseOpener {
  return async (index, slot) => {
    const { socialWorker, physician } = sessions[slot]!;
    const created = await http<{ caseRef: string }>(baseUrl, 'POST', '/api/cases', socialWorker.cookie, {
      kind: 'hello',
      data: { summary: `Caso di prova ${index}` },
    });
    const caseRef = created.body.caseRef;
    return {
      caseRef,
      signOff: () =>
        timed([physician, socialWorker].map((session) => () => http(baseUrl, 'POST', `/api/cases/${caseRef}/events`, session.cookie, { type: 'signoff.submit', payload: approve }))),
      ended: () => endedApproved(client, caseRef),
    };
  };
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/**
 * API users signing at once: cases are opened first (not measured), then each user, with a session of their own,
 * signs one case after another with no pause (a closed loop: always `users` requests in flight).
 */
async function apiUsersPhase(
  env: Env,
  baseUrl: string,
  worker: RunningWorker,
  api: NodeChild<Extract<ApiMessage, { ready: true }>>,
  name: string,
  thinkMs: number,
) {
  const users = options.BENCH_API_USERS;
  const caseCount = options.BENCH_API_SIGNOFF_CASES;
  const think = () => sleep(Math.random() * 2 * thinkMs);
  log(`${name}: opening ${caseCount} cases through the API…`);
  const opener = await login(baseUrl, 'social-worker');
  const caseRefs: string[] = [];
  let openFailures = 0;
  await pool(
    caseCount,
    options.BENCH_CONCURRENCY,
    async (i) => {
      const created = await http<{ caseRef: string }>(baseUrl, 'POST', '/api/cases', opener.cookie, { kind: 'hello', data: { summary: `Firma ${i}` } });
      caseRefs.push(created.body.caseRef);
    },
    () => void openFailures++,
  );
  // Let the cases' notifications go out first, so that the sign-offs are measured on their own.
  await sleep(3000);
  const sessions = await Promise.all(
    Array.from({ length: users }, (_, u) => login(baseUrl, u % 2 === 0 ? 'physician' : 'social-worker')),
  );
  const queues: Record<string, string[]> = { physician: shuffled(caseRefs), 'social-worker': shuffled(caseRefs) };
  const latencies: number[] = [];
  const byRole: Record<string, number[]> = { physician: [], 'social-worker': [] };
  const errors: string[] = [];
  const peakWorker = rssSampler(worker.ready.pid);
  const peakApi = rssSampler(api.ready.pid);
  const cpu = cpuMeter({ worker: worker.ready.pid, api: api.ready.pid, temporal: env.temporal.child.pid, smtp: env.mail.child.pid });
  log(`${name}: ${users} users sign ${caseRefs.length * 2} times…`);
  const started = now();
  await Promise.all(
    sessions.map(async (session) => {
      const queue = queues[session.role]!;
      if (thinkMs > 0) await think();
      for (let caseRef = queue.pop(); caseRef; caseRef = queue.pop()) {
        const t0 = now();
        try {
          await http(baseUrl, 'POST', `/api/cases/${caseRef}/events`, session.cookie, { type: 'signoff.submit', payload: approve });
          const ms = now() - t0;
          latencies.push(ms);
          byRole[session.role]!.push(ms);
        } catch (error) {
          if (errors.length < 5) errors.push((error as Error).message);
          else errors.length++;
        }
        if (thinkMs > 0) await think();
      }
    }),
  );
  const wallSeconds = (now() - started) / 1000;
  const cpuUsed = cpu();
  const result = {
    users,
    thinkMs,
    cases: caseRefs.length,
    openFailures,
    signoffs: latencies.length,
    failed: errors.length,
    firstErrors: errors.slice(0, 5).filter(Boolean),
    wallSeconds: round2(wallSeconds),
    signoffsPerSecond: Math.round((latencies.length / wallSeconds) * 10) / 10,
    latencyMs: summarize(latencies),
    latencyMsByRole: Object.fromEntries(Object.entries(byRole).map(([role, values]) => [role, summarize(values)])),
    workerRssPeakMiB: peakWorker(),
    apiRssPeakMiB: peakApi(),
    cpu: cpuUsed,
    /** CPU each sign-off cost in each process: the API's share is the HTTP layer, sessions, the view it renders. */
    cpuMsPerSignoff: Object.fromEntries(
      Object.entries(cpuUsed.cpuSeconds).map(([name, seconds]) => [name, Math.round((seconds * 10_000) / Math.max(1, latencies.length)) / 10]),
    ),
  };
  log(
    `${name}: ${result.signoffs} sign-offs in ${result.wallSeconds} s (${result.signoffsPerSecond}/s); ` +
      `p50/p95/p99 ${result.latencyMs.p50}/${result.latencyMs.p95}/${result.latencyMs.p99} ms; ` +
      `CPU ms per sign-off ${JSON.stringify(result.cpuMsPerSignoff)}; other processes used ${cpuUsed.otherProcessesPercent}% of the machine`,
  );
  return result;
}

// ------------------------------------------------------------------------------------------------------ open cases

/**
 * Open-case capacity, in two steps on one worker.
 * 1. OPEN hello cases are opened and left waiting for their sign-offs: each has its round open, with its reminder,
 *    escalation and deadline timers pending in Temporal, and the worker holds it. RSS is read once all are open and
 *    their notifications sent.
 * 2. With those in the worker, TIMER_CASES more cases are started with a scheduled start (`evaluationFrom`) spread at
 *    TIMER_RATE per second, all due after the last of them has started. Lateness is the round's `openedAt` (workflow
 *    time of the task that ran the fired timer) minus `evaluationFrom`; a sample of histories splits it into parts.
 */
async function openCasesPhase(env: Env) {
  const count = options.BENCH_OPEN_CASES;
  let worker = await startWorker(env, 'interpreter', 'open');
  const alive = (step: string) => {
    if (worker.crashed) throw new Error(`open-cases, ${step}: ${worker.crashed}`);
  };
  let cases = caseService(env, worker.taskQueue);
  const readyRss = processMemory(worker.ready.pid)?.rssMiB ?? NaN;
  const interpreter = backToBack(interpreterOpener(env.client, cases));
  await pool(options.BENCH_WARMUP, options.BENCH_CONCURRENCY, (i) => withTimeout(caseTimeoutMs, 'warm-up', interpreter(-1 - i, 0)).then(() => {}), (error) => {
    throw error;
  });
  await sleep(1000);
  const idleRss = processMemory(worker.ready.pid)?.rssMiB ?? NaN;
  const peakWorker = rssSampler(worker.ready.pid);
  const errors: string[] = [];
  const noteError = (error: unknown) => void (errors.length < 5 ? errors.push((error as Error).message) : errors.length++);

  // 1. Open cases, each start followed by a query of the case: the query is answered once the case's first task has
  // run, so that starts go no faster than the worker opens cases (a burst of bare start requests only queues first
  // tasks until they time out).
  log(`open-cases: opening ${count} cases, ${options.BENCH_CONCURRENCY} at a time…`);
  const metricsBefore = await scrape(worker.ready.metricsUrl);
  await sdkWarnings(worker);
  const openCpu = cpuMeter({ worker: worker.ready.pid, temporal: env.temporal.child.pid, smtp: env.mail.child.pid });
  let opened = 0;
  let withoutRound = 0;
  const started = now();
  await pool(
    count,
    options.BENCH_CONCURRENCY,
    async (i) => {
      alive('opening cases');
      const view = await withTimeout(
        caseTimeoutMs,
        'open',
        cases.start({ kind: 'hello', data: { summary: `Caso aperto ${i}` }, actor: actors.socialWorker }).then(({ caseRef }) => cases.view(caseRef)),
      );
      if (view.pendingSignoffs.length === 2) opened += 1;
      else withoutRound += 1;
    },
    noteError,
  );
  const openWallSeconds = (now() - started) / 1000;
  alive('opening cases');
  log(`open-cases: ${opened} cases open in ${round2(openWallSeconds)} s (${Math.round(opened / openWallSeconds)}/s); waiting for their notifications…`);
  // Every open case sent one notification: wait for the worker to have run them all.
  const activitiesBefore = prometheusHistograms(metricsBefore, ['temporal_activity_execution_latency']).temporal_activity_execution_latency?.count ?? 0;
  const drainUntil = Date.now() + 180_000;
  let openMetrics = await scrape(worker.ready.metricsUrl);
  while (Date.now() < drainUntil) {
    alive('sending notifications');
    const done = (prometheusHistograms(openMetrics, ['temporal_activity_execution_latency']).temporal_activity_execution_latency?.count ?? 0) - activitiesBefore;
    if (done >= opened + withoutRound) break;
    await sleep(1000);
    openMetrics = await scrape(worker.ready.metricsUrl);
  }
  const openCpuUsed = openCpu();
  const openWarnings = await sdkWarnings(worker);
  await sleep(2000);
  const allOpenRss = processMemory(worker.ready.pid)?.rssMiB ?? NaN;
  // Past the cache's size the worker evicts cases (each is replayed from its history when it next has work).
  const cachedCases = Math.min(opened, worker.ready.maxCachedWorkflows);
  const perCaseKiB = Math.round(((allOpenRss - idleRss) * 1024) / Math.max(1, cachedCases));

  const opening = {
    openCases: opened,
    openedWithoutRound: withoutRound,
    openWallSeconds: round2(openWallSeconds),
    /** Cases opened per second, each start followed by a query answered once its first task has run. */
    opensPerSecond: round2(opened / openWallSeconds),
    openCpu: openCpuUsed,
    workerCpuMsPerOpen: Math.round(((openCpuUsed.cpuSeconds.worker ?? NaN) * 1000) / Math.max(1, opened)),
    workerRssMiB: { ready: readyRss, idleAfterWarmup: idleRss, allOpen: allOpenRss },
    perCachedCaseKiB: perCaseKiB,
    maxCachedWorkflows: worker.ready.maxCachedWorkflows,
    /** Straight-line projection to 10,000 open cases, of which the worker keeps at most maxCachedWorkflows in memory. */
    projectedRssMiBAt10000: Math.round(idleRss + (perCaseKiB * Math.min(10_000, worker.ready.maxCachedWorkflows)) / 1024),
    workerMetricsWhileOpening: workerMetricsDelta(metricsBefore, openMetrics),
    sdkWarningsWhileOpening: openWarnings,
  };
  log(
    `open-cases: worker RSS ${idleRss} MiB idle → ${allOpenRss} MiB with ${opened} cases open (${perCaseKiB} KiB per cached case; ` +
      `the cache holds up to ${worker.ready.maxCachedWorkflows} workflows)`,
  );

  // A worker that dies while the timers fire (it has: the workflow thread ran out of heap) still leaves step 1's numbers,
  // and the timers are then measured again on a fresh worker of a task queue of its own, without the open cases.
  let timers: Awaited<ReturnType<typeof scheduledStarts>> | undefined;
  let error: string | undefined;
  let timersOn = `the same worker, with the ${opened} open cases`;
  try {
    timers = await scheduledStarts();
  } catch (failure) {
    error = (failure as Error).message;
    log(`open-cases: ${error}`);
    if (worker.crashed) {
      log('open-cases: measuring the scheduled starts again on a fresh worker, without the open cases…');
      worker = await startWorker(env, 'interpreter', 'open-fresh');
      cases = caseService(env, worker.taskQueue);
      timersOn = 'a fresh worker without the open cases, after the first one died';
      try {
        timers = await scheduledStarts();
      } catch (again) {
        log(`open-cases: ${(again as Error).message}`);
      }
    }
  }
  await worker.stop();
  const peak = peakWorker();
  if (timers) log(`open-cases: lateness p50/p99 ${timers.latenessMs.p50}/${timers.latenessMs.p99} ms over ${timers.latenessMs.count} timers on ${timersOn}`);
  return {
    ...opening,
    ...timers,
    timersOn,
    workerRssMiB: { ...opening.workerRssMiB, peak },
    failed: errors.length,
    firstErrors: errors.slice(0, 5).filter(Boolean),
    ...(error ? { error } : {}),
  };

  async function scheduledStarts() {
    // 2. Scheduled starts, due once all of them have started (estimated from step 1's rate), spread at TIMER_RATE.
    const timerCases = options.BENCH_TIMER_CASES;
    const rate = options.BENCH_TIMER_RATE;
    const openRate = Math.max(1, opened / openWallSeconds);
    // Four at a time: a burst of starts would queue their first tasks in the worker, and a timer is armed only when the
    // task that sets it completes; that delay belongs to the burst, not to timers.
    const scheduleConcurrency = Math.min(4, options.BENCH_CONCURRENCY);
    const firstDue = Date.now() + Math.ceil(((timerCases / Math.min(openRate, 10)) * 1.3 + 10) * 1000);
    const dueAt = (i: number) => firstDue + (rate > 0 ? Math.floor((i * 1000) / rate) : 0);
    const lastDue = dueAt(timerCases - 1);
    log(
      `open-cases: on ${timersOn}, ${timerCases} scheduled starts due from +${Math.round((firstDue - Date.now()) / 1000)} s ` +
        `at ${rate || 'all at once'}/s, the last at +${Math.round((lastDue - Date.now()) / 1000)} s…`,
    );
    const scheduled: { caseRef: string; evaluationFrom: string; due: number }[] = [];
    let startedLate = 0;
    await pool(
      timerCases,
      scheduleConcurrency,
      async (i) => {
        alive('scheduling');
        const evaluationFrom = new Date(dueAt(i)).toISOString();
        const view = await withTimeout(
          caseTimeoutMs,
          'schedule',
          cases.start({ kind: 'hello', data: { summary: `Caso programmato ${i}`, evaluationFrom }, actor: actors.socialWorker })
            .then(({ caseRef }) => cases.state(caseRef)),
        );
        // A case whose first task ran after its evaluationFrom opened at once, without a timer: not a lateness sample.
        if (view.timeline[0]?.to !== 'scheduled') startedLate += 1;
        else scheduled.push({ caseRef: view.caseRef, evaluationFrom, due: dueAt(i) });
      },
      noteError,
    );
    const scheduledMetrics = await scrape(worker.ready.metricsUrl);
    await sdkWarnings(worker);
    const fireCpu = cpuMeter({ worker: worker.ready.pid, temporal: env.temporal.child.pid, smtp: env.mail.child.pid });
    while (Date.now() < lastDue + 2000) {
      alive('while timers fire');
      await sleep(Math.min(1000, Math.max(0, lastDue + 2000 - Date.now())));
    }
    // Every round open? Visibility says so without touching the workflows (it lags a little).
    const query = `TaskQueue='${worker.taskQueue}' AND PathwayKind='hello' AND PathwayState='evaluation'`;
    let openRounds = 0;
    const waitUntil = Date.now() + 120_000;
    for (;;) {
      alive('waiting for the rounds to open');
      openRounds = await env.client.workflow.count(query).then((r) => r.count, () => -1);
      if (openRounds >= opened + scheduled.length || openRounds < 0 || Date.now() > waitUntil) break;
      await sleep(1000);
    }
    const fireCpuUsed = fireCpu();
    const fireWarnings = await sdkWarnings(worker);
    const firedMetrics = await scrape(worker.ready.metricsUrl);

    const lateness: { caseRef: string; ms: number; due: number }[] = [];
    let notOpened = 0;
    await pool(
      scheduled.length,
      options.BENCH_CONCURRENCY,
      async (i) => {
        alive('reading the scheduled cases');
        const { caseRef, evaluationFrom, due } = scheduled[i]!;
        const view = await withTimeout(30_000, `view of ${caseRef}`, cases.view(caseRef));
        const round = view.rounds.find((r) => r.id === 'evaluation');
        if (!round) notOpened += 1;
        else lateness.push({ caseRef, ms: Date.parse(round.openedAt) - Date.parse(evaluationFrom), due });
      },
      noteError,
    );
    lateness.sort((a, b) => a.due - b.due);
    const tenth = Math.max(1, Math.floor(lateness.length / 10));
    const sampleEvery = Math.max(1, Math.floor(lateness.length / options.BENCH_HISTORY_SAMPLE));
    const parts = await latenessParts(env.client, lateness.filter((_, i) => i % sampleEvery === 0));
    return {
      timerCases,
      timerRatePerSecond: rate,
      scheduleConcurrency,
      startedAfterDue: startedLate,
      roundsNotOpened: notOpened,
      roundsOpenPerVisibility: openRounds,
      latenessMs: summarize(lateness.map((l) => l.ms)),
      /** Lateness of the first and last tenth of the timers by due time: a rise means the worker fell behind. */
      latenessFirstTenthMs: summarize(lateness.slice(0, tenth).map((l) => l.ms)),
      latenessLastTenthMs: summarize(lateness.slice(-tenth).map((l) => l.ms)),
      latenessParts: parts,
      fireCpu: fireCpuUsed,
      workerCpuMsPerFiredTimer: Math.round(((fireCpuUsed.cpuSeconds.worker ?? NaN) * 1000) / Math.max(1, scheduled.length)),
      workerMetricsWhileFiring: workerMetricsDelta(scheduledMetrics, firedMetrics),
      sdkWarningsWhileFiring: fireWarnings,
    };
  }
}

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/**
 * Where a scheduled start's lateness comes from, read from its history: the timer is armed relative to the workflow
 * time of the task that ran (its start), but Temporal counts it from when that task completed (`arming`); the
 * server fires it (`server`); the worker picks up the task that runs it (`pickup`).
 */
async function latenessParts(client: Client, sample: { caseRef: string; due: number }[]) {
  const arming: number[] = [];
  const server: number[] = [];
  const pickup: number[] = [];
  for (const { caseRef, due } of sample) {
    const events = (await client.workflow.getHandle(caseRef).fetchHistory()).events ?? [];
    const at = (event: HistoryEvent | undefined) => (event?.eventTime ? tsToMs(event.eventTime) : NaN);
    const timerStarted = events.find((event) => event.timerStartedEventAttributes);
    const fired = events.find((event) => event.timerFiredEventAttributes);
    const firedIndex = fired ? events.indexOf(fired) : -1;
    const taskStarted = events.slice(firedIndex + 1).find((event) => event.workflowTaskStartedEventAttributes);
    if (!timerStarted || !fired || !taskStarted) continue;
    const serverDue = at(timerStarted) + tsToMs(timerStarted.timerStartedEventAttributes!.startToFireTimeout);
    arming.push(serverDue - due);
    server.push(at(fired) - serverDue);
    pickup.push(at(taskStarted) - at(fired));
  }
  return {
    sampled: arming.length,
    /** Temporal's due time minus evaluationFrom: how long the task that armed the timer took. */
    armingMs: summarize(arming),
    /** TimerFired minus Temporal's due time. */
    serverMs: summarize(server),
    /** The next WorkflowTaskStarted minus TimerFired: the task waited for a worker slot. */
    pickupMs: summarize(pickup),
  };
}

// ------------------------------------------------------------------------------------------------------------ main

const caseService = (env: Env, taskQueue: string) =>
  createCaseService(env.client, taskQueue, { directory: demoDirectory(), parameters: loadPathwayParameters(join(root, 'config', 'parameters')) });

function machineInfo() {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map(round2),
  };
}

async function setUp(scratch: string): Promise<Env> {
  const cli = ensureTemporalCli((line) => log(line));
  const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };
  log('starting the Temporal dev server and the SMTP sink, bundling the workflows…');
  const [temporal, mail, interpreterBundle, baselineBundle] = await Promise.all([
    freePort().then((port) => startTemporalServer({ cli, port })),
    Promise.all([freePort(), freePort()]).then(([smtpPort, webPort]) => startMailSink({ smtpPort, webPort, mailDirectory: join(scratch, 'mail') })),
    bundleWorkflowCode({ ...workflowBundleOptions, logger: quiet }),
    bundleWorkflowCode({ workflowsPath: join(root, 'bench', 'baseline-workflow.ts'), logger: quiet }),
  ]);
  cleanups.push(() => temporal.stop(), () => mail.stop());
  const bundles: Env['bundles'] = { interpreter: join(scratch, 'interpreter-bundle.js'), baseline: join(scratch, 'baseline-bundle.js') };
  writeFileSync(bundles.interpreter, interpreterBundle.code);
  writeFileSync(bundles.baseline, baselineBundle.code);
  // Payloads are encrypted as in production (worker/codec.ts), by every process, with a key made for this run only.
  const payloadKeys = `bench:${randomBytes(32).toString('base64')}`;
  const connection = await Connection.connect({ address: temporal.address });
  cleanups.push(() => connection.close());
  return {
    temporal,
    mail,
    client: new Client({ connection, dataConverter: createDataConverter(parseKeyList(payloadKeys)) }),
    bundles,
    childEnv: {
      TEMPORAL_ADDRESS: temporal.address,
      RACCORDO_PAYLOAD_KEYS: payloadKeys,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(mail.smtpPort),
      PUBLIC_URL: 'http://raccordo.bench',
      LOG_LEVEL: 'silent',
      RACCORDO_DEMO_MODE: 'true',
      RACCORDO_LOGIN_RATE_LIMIT: '100000',
    },
  };
}

async function main() {
  const startedAt = new Date();
  const machine = machineInfo();
  log(`${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node}, load ${machine.loadAverageAtStart.join(' ')}`);
  log(`options: ${JSON.stringify(options)}`);
  const scratch = mkdtempSync(join(os.tmpdir(), 'raccordo-bench-'));
  cleanups.push(async () => rmSync(scratch, { recursive: true, force: true }));
  const env = await setUp(scratch);
  const phases = new Set(options.BENCH_PHASES);
  /** A phase that fails is reported and the others still run: one crashed worker must not hide the rest. */
  const phaseErrors: Record<string, string> = {};
  async function phase<T>(name: string, work: () => Promise<T>): Promise<T | undefined> {
    if (!phases.has(name)) return undefined;
    try {
      return await work();
    } catch (error) {
      phaseErrors[name] = (error as Error).message;
      console.error(`[bench] ${name} failed: ${(error as Error).stack ?? String(error)}`);
      return undefined;
    }
  }
  async function withWorker<T>(worker: RunningWorker, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } finally {
      await worker.stop();
    }
  }

  const baselinePhase = (listed: boolean) => async () => {
    const worker = await startWorker(env, 'baseline', listed ? 'baseline' : 'baseline-bare');
    const readyRss = processMemory(worker.ready.pid)?.rssMiB ?? NaN;
    const name = listed ? '(a) baseline' : '(a0) baseline, no search attributes';
    return withWorker(worker, () => throughputPhase(env, name, worker, readyRss, baselineOpener(env.client, worker.taskQueue, listed)));
  };
  const baseline = await phase('baseline', baselinePhase(true));
  const baselineBare = await phase('baseline-bare', baselinePhase(false));

  const interpreter = await phase('interpreter', async () => {
    const worker = await startWorker(env, 'interpreter', 'interpreter');
    const readyRss = processMemory(worker.ready.pid)?.rssMiB ?? NaN;
    return withWorker(worker, () =>
      throughputPhase(env, '(b) interpreter', worker, readyRss, interpreterOpener(env.client, caseService(env, worker.taskQueue))),
    );
  });

  let api: ThroughputResult | undefined;
  let apiUsers: Awaited<ReturnType<typeof apiUsersPhase>> | undefined;
  let apiSaturation: Awaited<ReturnType<typeof apiUsersPhase>> | undefined;
  if (phases.has('api') || phases.has('api-users') || phases.has('api-saturation')) {
    const worker = await startWorker(env, 'interpreter', 'api');
    const readyRss = processMemory(worker.ready.pid)?.rssMiB ?? NaN;
    await withWorker(worker, async () => {
      const server = await startNodeChild<ApiMessage>(
        'bench/api-process.ts',
        { ...env.childEnv, TEMPORAL_TASK_QUEUE: worker.taskQueue, PORT: String(await freePort()) },
        'the API',
      );
      const ready = server.ready as Extract<ApiMessage, { ready: true }>;
      const apiChild = Object.assign(server, { ready });
      try {
        api = await phase('api', async () => {
          const sessions = await Promise.all(
            Array.from({ length: options.BENCH_CONCURRENCY }, async () => ({
              socialWorker: await login(ready.url, 'social-worker'),
              physician: await login(ready.url, 'physician'),
            })),
          );
          return throughputPhase(env, '(c) HTTP API', worker, readyRss, apiOpener(env.client, ready.url, sessions), apiChild);
        });
        apiUsers = await phase('api-users', () => apiUsersPhase(env, ready.url, worker, apiChild, 'api-users', options.BENCH_API_THINK_MS));
        apiSaturation = await phase('api-saturation', () => apiUsersPhase(env, ready.url, worker, apiChild, 'api-saturation', 0));
      } finally {
        await server.stop();
      }
    });
  }

  const openCases = await phase('open-cases', () => openCasesPhase(env));

  const moduleCost = await phase('module-cost', () => {
    log('module-cost: evaluating each bundle\'s workflow modules as a new workflow does…');
    return moduleCosts(env.bundles);
  });

  const mails = await fetch(`${env.mail.webUrl}/api/email`).then(
    (response) => response.json() as Promise<unknown[]>,
    () => [],
  );
  return { startedAt, machine, baseline, baselineBare, interpreter, api, apiUsers, apiSaturation, openCases, moduleCost, phaseErrors, mailsReceived: mails.length };
}

// ---------------------------------------------------------------------------------------------------------- report

type Outcome = Awaited<ReturnType<typeof main>>;

/** value(b) / value(a), two decimals: above 1 means the interpreter needs more of it than the hand-written workflow. */
const ratio = (of: number | undefined, to: number | undefined) =>
  of !== undefined && to !== undefined && Number.isFinite(of) && Number.isFinite(to) && to !== 0 ? round2(of / to) : null;

function ratios(subject: ThroughputResult | undefined, baseline: ThroughputResult | undefined) {
  if (!subject || !baseline) return undefined;
  return {
    /** Below 1: fewer cases per second than the baseline. */
    casesPerSecond: ratio(subject.casesPerSecond, baseline.casesPerSecond),
    updateP50: ratio(subject.updateMs.p50, baseline.updateMs.p50),
    updateP95: ratio(subject.updateMs.p95, baseline.updateMs.p95),
    updateP99: ratio(subject.updateMs.p99, baseline.updateMs.p99),
    openCaseUpdateP50: ratio(subject.openCaseUpdateMs.p50, baseline.openCaseUpdateMs.p50),
    openCaseUpdateP99: ratio(subject.openCaseUpdateMs.p99, baseline.openCaseUpdateMs.p99),
    startP50: ratio(subject.startMs.p50, baseline.startMs.p50),
    historyEventsPerCase: ratio(subject.history.eventsPerCase.mean, baseline.history.eventsPerCase.mean),
    historyPayloadBytesPerCase: ratio(subject.history.payloadBytesPerCase.mean, baseline.history.payloadBytesPerCase.mean),
    workerRssPeak: ratio(subject.workerRssMiB.peak, baseline.workerRssMiB.peak),
    workerCpuPerCase: ratio(subject.workerCpuMsPerCase, baseline.workerCpuMsPerCase),
    temporalCpuPerCase: ratio(subject.temporalCpuMsPerCase, baseline.temporalCpuMsPerCase),
  };
}

interface Target {
  name: string;
  target: string;
  measured: string;
  atSize: string;
  pass: boolean | null;
  /** Share of the machine's CPU that other processes took while it was measured. */
  otherLoadPercent?: number;
}

function targets(outcome: Outcome): Target[] {
  const list: Target[] = [];
  const interpreter = outcome.interpreter;
  const overhead = ratios(interpreter, outcome.baseline);
  if (interpreter && overhead) {
    const atSize = `${interpreter.cases} hello cases, ${options.BENCH_CONCURRENCY} at a time, beside the baseline's`;
    const load = interpreter.cpu.otherProcessesPercent;
    list.push(
      {
        name: 'interpreter update latency on open cases, (b)/(a)',
        target: '≤ 1.25× at p50 and p99',
        measured:
          `p50 ${overhead.openCaseUpdateP50}×, p99 ${overhead.openCaseUpdateP99}× ` +
          `(back to back with the opening: p50 ${overhead.updateP50}×, p99 ${overhead.updateP99}×)`,
        atSize: `${interpreter.cases} open cases each, ${options.BENCH_CONCURRENCY} sign-offs in flight`,
        pass:
          overhead.openCaseUpdateP50 !== null && overhead.openCaseUpdateP99 !== null
            ? overhead.openCaseUpdateP50 <= 1.25 && overhead.openCaseUpdateP99 <= 1.25
            : null,
        otherLoadPercent: load,
      },
      {
        name: 'interpreter throughput, (b)/(a)',
        target: '≥ 0.8× (no more than 1.25× slower)',
        measured: `${overhead.casesPerSecond}× (${interpreter.casesPerSecond} against ${outcome.baseline!.casesPerSecond} cases/s)`,
        atSize,
        pass: overhead.casesPerSecond === null ? null : overhead.casesPerSecond >= 0.8,
        otherLoadPercent: load,
      },
      {
        name: 'history events per case, (b)/(a)',
        target: '≤ 1.2×',
        measured: `${overhead.historyEventsPerCase}× (${interpreter.history.eventsPerCase.mean} against ${outcome.baseline!.history.eventsPerCase.mean})`,
        atSize: `${interpreter.history.sampled} histories of each`,
        pass: overhead.historyEventsPerCase === null ? null : overhead.historyEventsPerCase <= 1.2,
      },
    );
  }
  const open = outcome.openCases;
  if (open) {
    const atTarget = open.openCases >= 10_000;
    list.push({
      name: 'worker RSS with every case open',
      target: '< 1024 MiB at 10,000 open cases',
      measured:
        `${open.workerRssMiB.allOpen} MiB once open, ${open.workerRssMiB.peak} MiB at the peak; ` +
        `${open.perCachedCaseKiB} KiB per cached case, ${open.maxCachedWorkflows} cached` +
        (atTarget ? '' : ` (projected ${open.projectedRssMiBAt10000} MiB at 10,000)`),
      atSize: `${open.openCases} open${atTarget ? '' : ', verdict on the projection to 10,000'}`,
      pass: open.workerRssMiB.peak < 1024 && (atTarget || open.projectedRssMiBAt10000 < 1024),
      otherLoadPercent: open.openCpu.otherProcessesPercent,
    });
    const late = open.latenessMs;
    const parts = open.latenessParts;
    list.push({
      name: 'timer lateness p99 (openedAt − evaluationFrom)',
      target: '≤ 1000 ms',
      measured:
        late && parts
          ? `p50 ${late.p50} ms, p99 ${late.p99} ms, max ${late.max} ms ` +
            `(p50 parts: arming ${parts.armingMs.p50}, server ${parts.serverMs.p50}, pickup ${parts.pickupMs.p50})`
          : `not measured: ${open.error ?? 'no timer fired'}`,
      atSize: `${late?.count ?? 0} timers due at ${open.timerRatePerSecond ?? options.BENCH_TIMER_RATE}/s on ${open.timersOn}`,
      pass: late && late.count > 0 ? late.p99 <= 1000 && !open.error : open.error ? false : null,
      ...(open.fireCpu ? { otherLoadPercent: open.fireCpu.otherProcessesPercent } : {}),
    });
  }
  const users = outcome.apiUsers;
  if (users) {
    list.push({
      name: `API sign-off latency p99, ${users.users} concurrent users`,
      target: '< 100 ms',
      measured: `p50 ${users.latencyMs.p50} ms, p95 ${users.latencyMs.p95} ms, p99 ${users.latencyMs.p99} ms`,
      atSize: `${users.signoffs} sign-offs, ${users.thinkMs ? `${users.thinkMs} ms between a user's two on average` : 'no pause (closed loop)'}, ${users.signoffsPerSecond}/s`,
      pass: users.latencyMs.count > 0 ? users.latencyMs.p99 < 100 : null,
      otherLoadPercent: users.cpu.otherProcessesPercent,
    });
  }
  const saturated = outcome.apiSaturation;
  if (saturated) {
    list.push({
      name: `API sign-off capacity, ${saturated.users} requests always in flight`,
      target: 'reported, no goal',
      measured: `${saturated.signoffsPerSecond}/s; p50 ${saturated.latencyMs.p50} ms, p99 ${saturated.latencyMs.p99} ms (queueing)`,
      atSize: `${saturated.signoffs} sign-offs, no pause (closed loop)`,
      pass: null,
      otherLoadPercent: saturated.cpu.otherProcessesPercent,
    });
  }
  const failures =
    (outcome.baseline?.failed ?? 0) +
    (outcome.baselineBare?.failed ?? 0) +
    (outcome.interpreter?.failed ?? 0) +
    (outcome.api?.failed ?? 0) +
    (users?.failed ?? 0) +
    (saturated?.failed ?? 0) +
    (open?.failed ?? 0);
  list.push({ name: 'cases and requests that failed', target: '0', measured: String(failures), atSize: 'every phase', pass: failures === 0 });
  const crashed = Object.entries(outcome.phaseErrors);
  list.push({
    name: 'phases that failed',
    target: 'none',
    measured: crashed.length ? crashed.map(([name, message]) => `${name}: ${message}`).join('; ').slice(0, 160) : 'none',
    atSize: `${options.BENCH_PHASES.length} phases`,
    pass: crashed.length === 0,
  });
  return list;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

function report(outcome: Outcome) {
  const phases: [string, ThroughputResult | undefined][] = [
    ['(a) baseline workflow', outcome.baseline],
    ['(a0) (a) without search attributes', outcome.baselineBare],
    ['(b) interpreter, case service', outcome.interpreter],
    ['(c) interpreter, HTTP API', outcome.api],
  ];
  const rows = [
    ['phase', 'cases/s', 'update p50/p95/p99 ms', 'on open cases', 'start p50 ms', 'history events', 'payload B/case', 'worker RSS peak MiB', 'worker CPU ms/case', 'others' + "'" + ' CPU %'],
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
  const ratioTable = [['ratio', 'cases/s', 'update p50', 'update p99', 'on open cases p50', 'p99', 'history events', 'payload bytes', 'worker RSS peak', 'worker CPU/case']];
  for (const [name, value] of [
    ['(b)/(a)', ratios(outcome.interpreter, outcome.baseline)],
    ['(c)/(a)', ratios(outcome.api, outcome.baseline)],
    ['(b)/(a0)', ratios(outcome.interpreter, outcome.baselineBare)],
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
    ...goals.map((goal) => [goal.name, goal.target, goal.measured, goal.atSize, verdict(goal.pass), goal.otherLoadPercent === undefined ? '' : String(goal.otherLoadPercent)]),
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

try {
  const outcome = await main();
  const results = report(outcome);
  // Targets missed are a result; a phase that could not run is a failure of the run.
  if (Object.keys(outcome.phaseErrors).length) process.exitCode = 1;
  mkdirSync(dirname(options.BENCH_OUTPUT), { recursive: true });
  writeFileSync(options.BENCH_OUTPUT, JSON.stringify(results, null, 2) + '\n');
  log(`results written to ${options.BENCH_OUTPUT}`);
} catch (error) {
  console.error(`[bench] ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
process.exit(process.exitCode ?? 0);
