import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import nodemailer from 'nodemailer';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createActivities } from '../activities/index.js';
import { createDirectory, demoDirectory, directoryFileSchema, type Directory } from '../activities/directory.js';
import { createDataConverter, loadKeyring } from './codec.js';
import type { Config } from './config.js';

const resolve = createRequire(import.meta.url).resolve;

/** How the case workflow is bundled: by the worker at start, and by whatever bundles it ahead (tests, bench). */
export const workflowBundleOptions = {
  workflowsPath: resolve('../workflows/index.ts'),
  // Its scope is evaluated once per worker, so that every case shares the pathway charts and schemas.
  preloadModules: [resolve('../workflows/shared-by-worker.ts')],
};

export function createMailer(config: Config) {
  return nodemailer.createTransport({
    host: config.SMTP_HOST,
    port: config.SMTP_PORT,
    secure: config.SMTP_SECURE,
    ...(config.SMTP_USER ? { auth: { user: config.SMTP_USER, pass: config.SMTP_PASSWORD ?? '' } } : {}),
    // A stalled server must fail the attempt so that Temporal retries it, rather than hold the activity.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
}

/** Demo mode seeds one operator per role; otherwise the directory is a JSON file of organisations and operators. */
export function loadDirectory(config: Config): Directory {
  if (config.RACCORDO_DIRECTORY_FILE) {
    const parsed = directoryFileSchema.safeParse(JSON.parse(readFileSync(config.RACCORDO_DIRECTORY_FILE, 'utf8')));
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
      throw new Error(`RACCORDO_DIRECTORY_FILE ${config.RACCORDO_DIRECTORY_FILE} is invalid (${problems})`);
    }
    return createDirectory(parsed.data);
  }
  if (config.RACCORDO_DEMO_MODE) return demoDirectory();
  throw new Error('RACCORDO_DIRECTORY_FILE is required when demo mode is off');
}

export interface CaseWorkerOptions {
  config: Config;
  connection: NativeConnection;
  directory?: Directory;
  /** Tests bundle the workflow code once and share it; otherwise the worker bundles it at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  taskQueue?: string;
}

export async function createCaseWorker({ config, connection, directory, workflowBundle, taskQueue }: CaseWorkerOptions) {
  // First: without a key nothing starts. Everything the worker writes to Temporal (results, activity inputs, timeline,
  // query answers) is encrypted.
  const dataConverter = createDataConverter(loadKeyring(config));
  const activities = createActivities({
    mailer: createMailer(config),
    directory: directory ?? loadDirectory(config),
    mailFrom: config.MAIL_FROM,
    publicUrl: config.PUBLIC_URL,
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
