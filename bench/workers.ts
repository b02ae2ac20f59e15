import type { WorkerMessage, WorkerMode } from './worker-process.js';
import { prometheusGauge, prometheusHistograms, withTimeout } from './lib.js';
import { runId } from './options.js';
import { startNodeChild, type NodeChild } from './processes.js';
import type { Env } from './environment.js';
import { freePort } from '../scripts/services.js';

/** The workers of a run, each in a process of its own (bench/worker-process.ts), and what they say of themselves. */

export type RunningWorker = NodeChild<Extract<WorkerMessage, { ready: true }>> & { taskQueue: string };

export async function startWorker(env: Env, mode: WorkerMode, name: string): Promise<RunningWorker> {
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
export async function sdkWarnings(worker: RunningWorker): Promise<Record<string, number>> {
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

export async function scrape(url: string): Promise<string> {
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
export function workerMetricsDelta(before: string, after: string) {
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

export async function withWorker<T>(worker: RunningWorker, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    await worker.stop();
  }
}
