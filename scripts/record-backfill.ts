import { Client, Connection } from '@temporalio/client';
import { createDataConverter, loadKeyring } from '../platform/codec.js';
import { loadConfig } from '../platform/config.js';
import { backfillRecord } from '../record/backfill.js';
import { openRecord } from '../record/record.js';

/**
 * `npm run record:backfill`: files in the case record every case Temporal holds that the record lacks, with a worker
 * running (`npm start` does this at every start, too). Same configuration as the worker.
 */
const config = loadConfig();
const record = await openRecord(config);
const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
try {
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: createDataConverter(loadKeyring(config)) });
  const report = await backfillRecord(client, record, config.TEMPORAL_TASK_QUEUE);
  console.log(`[record] filed ${report.open} open and ${report.closed} closed cases; ${report.failed} could not be read`);
  process.exitCode = report.failed ? 1 : 0;
} finally {
  await connection.close();
  await record.close();
}
