import type { Client, WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { actors, backToBack, caseService, caseTimeoutMs } from '../cases.js';
import type { Env } from '../environment.js';
import { cpuMeter, now, pool, processMemory, prometheusHistograms, round2, rssSampler, sleep, summarize, withTimeout } from '../lib.js';
import { log, options } from '../options.js';
import { scrape, sdkWarnings, startWorker, workerMetricsDelta } from '../workers.js';
import { interpreterOpener } from './interpreter.js';

/**
 * Open-case capacity, in two steps on one worker.
 * 1. OPEN hello cases are opened and left waiting for their sign-offs: each has its round open, with its reminder,
 *    escalation and deadline timers pending in Temporal, and the worker holds it. RSS is read once all are open and
 *    their notifications sent.
 * 2. With those in the worker, TIMER_CASES more cases are started with a scheduled start (`evaluationFrom`) spread at
 *    TIMER_RATE per second, all due after the last of them has started. Lateness is the round's `openedAt` (workflow
 *    time of the task that ran the fired timer) minus `evaluationFrom`; a sample of histories splits it into parts.
 */
export async function openCasesPhase(env: Env) {
  const count = options.BENCH_OPEN_CASES;
  let worker = await startWorker(env, 'interpreter', 'open');
  const alive = (step: string) => {
    if (worker.crashed) throw new Error(`open-cases, ${step}: ${worker.crashed}`);
  };
  let cases = caseService(env, worker.taskQueue);
  const readyRss = processMemory(worker.ready.pid)?.rssMiB ?? NaN;
  const interpreter = backToBack(interpreterOpener(env.client, cases));
  await pool(
    options.BENCH_WARMUP,
    options.BENCH_CONCURRENCY,
    (i) => withTimeout(caseTimeoutMs, 'warm-up', interpreter(-1 - i, 0)).then(() => {}),
    (error) => {
      throw error;
    },
  );
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
    const done =
      (prometheusHistograms(openMetrics, ['temporal_activity_execution_latency']).temporal_activity_execution_latency?.count ?? 0) - activitiesBefore;
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
          cases
            .start({ kind: 'hello', data: { summary: `Caso programmato ${i}`, evaluationFrom }, actor: actors.socialWorker })
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
    let openRounds: number;
    const waitUntil = Date.now() + 120_000;
    for (;;) {
      alive('waiting for the rounds to open');
      openRounds = await env.client.workflow.count(query).then(
        (r) => r.count,
        () => -1,
      );
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
    const parts = await latenessParts(
      env.client,
      lateness.filter((_, i) => i % sampleEvery === 0),
    );
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
