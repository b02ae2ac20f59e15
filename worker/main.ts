import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from './config.js';
import { createCaseWorker } from './worker.js';

const config = loadConfig();
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const worker = await createCaseWorker({ config, connection });
console.log(`[worker] polling task queue ${config.TEMPORAL_TASK_QUEUE} on ${config.TEMPORAL_ADDRESS}`);
// The SDK shuts the worker down gracefully on SIGINT and SIGTERM; run() resolves once it has.
await worker.run();
await connection.close();
