import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createDataConverter, parseKeyList } from '../platform/codec.js';
import { workflowBundleOptions } from '../worker/worker.js';
import { freePort, startMailSink, startPostgres, startTemporalServer, type RunningService } from '../scripts/services.js';
import { openRecord, type CaseRecord } from '../record/record.js';
import { loadConfig } from '../platform/config.js';
import { ensureTemporalCli } from '../scripts/temporal-cli.js';
import { round2 } from './lib.js';
import { log, root } from './options.js';
import { cleanups } from './processes.js';
import type { WorkerMode } from './worker-process.js';

/** What a run measures against: the machine, and the Temporal dev server, SMTP sink and workflow bundles started for it. */

export interface Env {
  temporal: RunningService & { address: string };
  mail: RunningService & { smtpPort: number; webUrl: string };
  client: Client;
  /** The case record every interpreter worker writes, on a PostgreSQL of the run's own. */
  record: CaseRecord;
  bundles: Record<WorkerMode, string>;
  childEnv: Record<string, string>;
}

export function machineInfo() {
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

export async function setUp(scratch: string): Promise<Env> {
  const cli = ensureTemporalCli((line) => log(line));
  const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };
  log('starting the Temporal dev server and the SMTP sink, bundling the workflows…');
  // PostgreSQL runs as its own system user, which must reach its folder inside the scratch one.
  chmodSync(scratch, 0o755);
  const [temporal, postgres, mail, interpreterBundle, unrecordedBundle, baselineBundle] = await Promise.all([
    freePort().then((port) => startTemporalServer({ cli, port })),
    freePort().then((port) => startPostgres({ dataDir: join(scratch, 'pg'), port, persistent: false })),
    Promise.all([freePort(), freePort()]).then(([smtpPort, webPort]) => startMailSink({ smtpPort, webPort, mailDirectory: join(scratch, 'mail') })),
    bundleWorkflowCode({ ...workflowBundleOptions, logger: quiet }),
    bundleWorkflowCode({ ...workflowBundleOptions, workflowInterceptorModules: [join(root, 'bench', 'skip-record-write.ts')], logger: quiet }),
    bundleWorkflowCode({ workflowsPath: join(root, 'bench', 'baseline-workflow.ts'), logger: quiet }),
  ]);
  cleanups.push(
    () => temporal.stop(),
    () => mail.stop(),
    () => postgres.stop(),
  );
  const bundles: Env['bundles'] = {
    interpreter: join(scratch, 'interpreter-bundle.js'),
    'interpreter-unrecorded': join(scratch, 'interpreter-unrecorded-bundle.js'),
    baseline: join(scratch, 'baseline-bundle.js'),
  };
  writeFileSync(bundles.interpreter, interpreterBundle.code);
  writeFileSync(bundles['interpreter-unrecorded'], unrecordedBundle.code);
  writeFileSync(bundles.baseline, baselineBundle.code);
  // Payloads are encrypted as in production (worker/codec.ts), by every process, with a key made for this run only.
  const payloadKeys = `bench:${randomBytes(32).toString('base64')}`;
  const childEnv = {
    TEMPORAL_ADDRESS: temporal.address,
    RACCORDO_PAYLOAD_KEYS: payloadKeys,
    RACCORDO_INDEX_KEY: `bench-index:${randomBytes(32).toString('base64')}`,
    DATABASE_URL: postgres.url,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(mail.smtpPort),
    PUBLIC_URL: 'http://raccordo.bench',
    LOG_LEVEL: 'silent',
    RACCORDO_DEMO_MODE: 'true',
    RACCORDO_LOGIN_RATE_LIMIT: '100000',
  };
  const record = await openRecord(loadConfig(childEnv));
  cleanups.push(() => record.close());
  const connection = await Connection.connect({ address: temporal.address });
  cleanups.push(() => connection.close());
  return {
    temporal,
    mail,
    client: new Client({ connection, dataConverter: createDataConverter(parseKeyList(payloadKeys)) }),
    record,
    bundles,
    childEnv,
  };
}
