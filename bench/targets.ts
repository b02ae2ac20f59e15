import { round2 } from './lib.js';
import { options } from './options.js';
import type { ThroughputResult } from './phases/throughput.js';
import type { Outcome } from './run.js';

/** The speed targets of `npm run bench` (they live here, never in the tests), and the ratios they are judged on. */

/** value(b) / value(a), two decimals: above 1 means the interpreter needs more of it than the hand-written workflow. */
const ratio = (of: number | undefined, to: number | undefined) =>
  of !== undefined && to !== undefined && Number.isFinite(of) && Number.isFinite(to) && to !== 0 ? round2(of / to) : null;

export function ratios(subject: ThroughputResult | undefined, baseline: ThroughputResult | undefined) {
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

export interface Target {
  name: string;
  target: string;
  measured: string;
  atSize: string;
  pass: boolean | null;
  /** Share of the machine's CPU that other processes took while it was measured. */
  otherLoadPercent?: number;
}

export function targets(outcome: Outcome): Target[] {
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
  const recordCost = ratios(interpreter, outcome.interpreterUnrecorded);
  if (interpreter && recordCost) {
    list.push({
      name: 'update latency with the record write, (b)/(b0)',
      target: '≤ 1.15× at p50 and p99',
      measured:
        `p50 ${recordCost.openCaseUpdateP50}×, p99 ${recordCost.openCaseUpdateP99}× ` +
        `(${interpreter.openCaseUpdateMs.p50} / ${interpreter.openCaseUpdateMs.p99} ms against ` +
        `${outcome.interpreterUnrecorded!.openCaseUpdateMs.p50} / ${outcome.interpreterUnrecorded!.openCaseUpdateMs.p99} ms)`,
      atSize: `${interpreter.cases} open cases each, ${options.BENCH_CONCURRENCY} sign-offs in flight`,
      pass:
        recordCost.openCaseUpdateP50 !== null && recordCost.openCaseUpdateP99 !== null
          ? recordCost.openCaseUpdateP50 <= 1.15 && recordCost.openCaseUpdateP99 <= 1.15
          : null,
      otherLoadPercent: interpreter.cpu.otherProcessesPercent,
    });
  }
  const api = outcome.api;
  if (api && interpreter) {
    const startRatio = ratios(api, interpreter)?.startP50 ?? null;
    list.push({
      name: 'case start through the HTTP API, (c)/(b) at p50',
      target: '≤ 1.5×, the record included',
      measured: `${startRatio}× (${api.startMs.p50} against ${interpreter.startMs.p50} ms; p99 ${api.startMs.p99} against ${interpreter.startMs.p99} ms)`,
      atSize: `${api.cases} hello cases, ${options.BENCH_CONCURRENCY} at a time`,
      pass: startRatio === null ? null : startRatio <= 1.5,
      otherLoadPercent: api.cpu.otherProcessesPercent,
    });
  }
  const filed = outcome.record;
  if (filed) {
    list.push(
      {
        name: 'record writes per second',
        target: 'reported, no goal',
        measured: `${filed.writesPerSecond}/s; a write's p50 ${filed.writeMs.p50} ms, p99 ${filed.writeMs.p99} ms, ${filed.cpuMsPerWrite} ms of CPU outside the database`,
        atSize: `${filed.cases} cases filed, ${filed.concurrency} writes in flight`,
        pass: null,
      },
      {
        name: 'case list and person search p99, from the record',
        target: '< 50 ms',
        measured: Object.entries(filed.queryMs)
          .map(([query, summary]) => `${query} ${summary.p99} ms`)
          .join(', '),
        atSize: `${filed.cases} cases in the record, ${filed.queries} queries of each kind`,
        pass: Object.values(filed.queryMs).every((summary) => summary.count > 0 && summary.p99 < 50),
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
    (outcome.interpreterUnrecorded?.failed ?? 0) +
    (outcome.interpreter?.failed ?? 0) +
    (outcome.api?.failed ?? 0) +
    (users?.failed ?? 0) +
    (saturated?.failed ?? 0) +
    (open?.failed ?? 0) +
    (filed?.failed ?? 0);
  list.push({ name: 'cases and requests that failed', target: '0', measured: String(failures), atSize: 'every phase', pass: failures === 0 });
  const crashed = Object.entries(outcome.phaseErrors);
  list.push({
    name: 'phases that failed',
    target: 'none',
    measured: crashed.length
      ? crashed
          .map(([name, message]) => `${name}: ${message}`)
          .join('; ')
          .slice(0, 160)
      : 'none',
    atSize: `${options.BENCH_PHASES.length} phases`,
    pass: crashed.length === 0,
  });
  return list;
}
