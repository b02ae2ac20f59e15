import type { ApiMessage } from '../api-process.js';
import { http, login } from '../api-client.js';
import { approve } from '../cases.js';
import type { Env } from '../environment.js';
import { cpuMeter, now, pool, round2, rssSampler, sleep, summarize } from '../lib.js';
import { log, options } from '../options.js';
import type { NodeChild } from '../processes.js';
import type { RunningWorker } from '../workers.js';

/** Phases `api-users` and `api-saturation`: concurrent users signing off through the HTTP API, with a pause between sign-offs and without. */

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
 * signs one case after another, pausing a random think time around `thinkMs` between sign-offs (none when it is 0: a
 * closed loop with always `users` requests in flight).
 */
export async function apiUsersPhase(
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
  const sessions = await Promise.all(Array.from({ length: users }, (_, u) => login(baseUrl, u % 2 === 0 ? 'physician' : 'social-worker')));
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

export type ApiUsersResult = Awaited<ReturnType<typeof apiUsersPhase>>;
