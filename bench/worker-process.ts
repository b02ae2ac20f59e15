import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { createDataConverter, loadKeyring } from '../platform/codec.js';
import { loadConfig } from '../platform/config.js';
import { loadDirectory } from '../platform/directory.js';
import { createMailer } from '../platform/mailer.js';
import { openRecord } from '../record/record.js';
import { createCaseWorker } from '../worker/worker.js';

/**
 * One worker of `npm run bench`, in a process of its own so that its memory can be read from /proc/<pid>/status
 * alone. `interpreter`: the production worker (createCaseWorker) running the case workflow; `interpreter-unrecorded`:
 * the same, its record write left out (bench/skip-record-write.ts); `baseline`: the same activities and worker defaults
 * running bench/baseline-workflow.ts. Configured by environment; reports on IPC.
 */

export type WorkerMode = 'interpreter' | 'interpreter-unrecorded' | 'baseline';

export type WorkerMessage =
  | { ready: true; pid: number; maxCachedWorkflows: number; maxConcurrentWorkflowTaskExecutions: number; metricsUrl: string }
  | { failed: string }
  /** Answer to 'report': the SDK's warnings since the last report, counted by kind. */
  | { warnings: Record<string, number> };

const mode = process.env.BENCH_WORKER_MODE as WorkerMode;
const bundlePath = process.env.BENCH_BUNDLE_PATH!;
const taskQueue = process.env.BENCH_TASK_QUEUE!;
const metricsPort = Number(process.env.BENCH_METRICS_PORT);

/**
 * The SDK's warnings under load (a workflow task over 5 s, a task that timed out before it completed) come by the
 * thousand: they are counted by kind and reported, the first of each kind printed.
 */
let warnings: Record<string, number> = {};
const printed = new Set<string>();
const kindOf = (message: string) =>
  message
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(:\d+)*/g, '…')
    .replace(/\d+(\.\d+)?/g, 'N')
    .slice(0, 100);
const printer = new DefaultLogger('WARN');
const countingLogger = new DefaultLogger('WARN', (entry) => {
  const kind = kindOf(entry.message);
  warnings[kind] = (warnings[kind] ?? 0) + 1;
  if (!printed.has(kind)) {
    printed.add(kind);
    printer.log(entry.level, `[bench ${mode} worker, first of its kind] ${entry.message}`, entry.meta);
  }
});

// Core's own metrics (workflow task execution latency, sticky cache) on loopback, for the report.
Runtime.install({
  logger: countingLogger,
  telemetryOptions: {
    logging: { filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }), forward: {} },
    metrics: { prometheus: { bindAddress: `127.0.0.1:${metricsPort}` } },
  },
});

try {
  const config = loadConfig();
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const record = await openRecord(config);
  const worker =
    mode !== 'baseline'
      ? await createCaseWorker({ config, connection, record, taskQueue, workflowBundle: { codePath: bundlePath } })
      : await Worker.create({
          // What createCaseWorker does, with the hand-written workflow instead of the interpreter.
          connection,
          namespace: config.TEMPORAL_NAMESPACE,
          taskQueue,
          activities: createActivities({
            mailer: createMailer(config),
            directory: loadDirectory(config),
            mailFrom: config.MAIL_FROM,
            publicUrl: config.PUBLIC_URL,
            record,
          }),
          // Encrypted like the interpreter's payloads: the comparison is of the workflows, not of the codec.
          dataConverter: createDataConverter(loadKeyring(config)),
          workflowBundle: { codePath: bundlePath },
        });
  const running = worker.run();
  const stop = () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  // The parent going away (even killed) closes the IPC channel: never outlive the benchmark.
  process.on('disconnect', stop);
  process.on('message', (message) => {
    if (message === 'stop') stop();
    if (message === 'report') {
      const report: WorkerMessage = { warnings };
      warnings = {};
      process.send?.(report);
    }
  });
  const ready: WorkerMessage = {
    ready: true,
    pid: process.pid,
    maxCachedWorkflows: worker.options.maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions:
      worker.options.tuner.workflowTaskSlotSupplier.type === 'fixed-size' ? worker.options.tuner.workflowTaskSlotSupplier.numSlots : -1,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
  };
  process.send?.(ready);
  await running;
  await connection.close();
  await record.close();
  process.exit(0);
} catch (error) {
  const failed: WorkerMessage = { failed: (error as Error).stack ?? String(error) };
  // Exit once the parent has the message: it reports why the process ended.
  if (process.send) process.send(failed, () => process.exit(1));
  else process.exit(1);
}
