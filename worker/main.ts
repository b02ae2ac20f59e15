import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createDataConverter, loadKeyring } from '../platform/codec.js';
import { loadConfig } from '../platform/config.js';
import { backfillRecord } from '../record/backfill.js';
import { openRecord } from '../record/record.js';
import { createCaseWorker } from './worker.js';

const config = loadConfig();
// Before connecting: a missing key must stop the worker at once, not once Temporal happens to be reachable.
const keyring = loadKeyring(config);
// Migrates the record's schema, or refuses one newer than this version knows.
const record = await openRecord(config);
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const worker = await createCaseWorker({ config, connection, record });
console.log(`[worker] polling task queue ${config.TEMPORAL_TASK_QUEUE} on ${config.TEMPORAL_ADDRESS}`);
// The SDK shuts the worker down gracefully on SIGINT and SIGTERM; run() resolves once it has.
const running = worker.run();
await fileCasesFromBeforeTheRecord();
await running;
await record.close();
await connection.close();

/** Cases opened before the record existed get theirs at the first start of this version (needs this worker running). */
async function fileCasesFromBeforeTheRecord(): Promise<void> {
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: createDataConverter(keyring) });
    const report = await backfillRecord(client, record, config.TEMPORAL_TASK_QUEUE);
    if (report.open + report.closed + report.failed) {
      console.log(`[worker] case record: filed ${report.open} open and ${report.closed} closed cases from before it; ${report.failed} failed`);
    }
  } catch (error) {
    console.error(`[worker] case record backfill failed (npm run record:backfill retries it): ${(error as Error).message}`);
  } finally {
    await clientConnection.close();
  }
}
