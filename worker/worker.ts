import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createRequire } from 'node:module';
import { createActivities } from '../activities/index.js';
import { createDataConverter, loadKeyring } from '../platform/codec.js';
import type { Config } from '../platform/config.js';
import { loadDirectory, type Directory } from '../platform/directory.js';
import { createMailer } from '../platform/mailer.js';
import type { CaseRecord } from '../record/record.js';

const resolve = createRequire(import.meta.url).resolve;

/** How the case workflow is bundled: by the worker at start, and by whatever bundles it ahead (tests, bench). */
export const workflowBundleOptions = {
  workflowsPath: resolve('../workflows/index.ts'),
  // Its scope is evaluated once per worker, so that every case shares the pathway charts and schemas.
  preloadModules: [resolve('../workflows/shared-by-worker.ts')],
};

export interface CaseWorkerOptions {
  config: Config;
  connection: NativeConnection;
  directory?: Directory;
  /** The case record the workflow files every transition in (record/); its caller opens and closes it. */
  record: CaseRecord;
  /** Tests bundle the workflow code once and share it; otherwise the worker bundles it at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  taskQueue?: string;
}

export async function createCaseWorker({ config, connection, directory, record, workflowBundle, taskQueue }: CaseWorkerOptions) {
  // First: without a key nothing starts. Everything the worker writes to Temporal (results, activity inputs, timeline,
  // query answers) is encrypted.
  const dataConverter = createDataConverter(loadKeyring(config));
  const activities = createActivities({
    mailer: createMailer(config),
    directory: directory ?? loadDirectory(config),
    mailFrom: config.MAIL_FROM,
    publicUrl: config.PUBLIC_URL,
    record,
  });
  return Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: taskQueue ?? config.TEMPORAL_TASK_QUEUE,
    activities,
    dataConverter,
    maxCachedWorkflows: config.RACCORDO_MAX_CACHED_CASES,
    ...(workflowBundle
      ? { workflowBundle }
      : { workflowsPath: workflowBundleOptions.workflowsPath, bundlerOptions: { preloadModules: workflowBundleOptions.preloadModules } }),
  });
}
