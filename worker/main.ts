import { NativeConnection } from '@temporalio/worker';
import { loadKeyring } from '../platform/codec.js';
import { loadConfig } from '../platform/config.js';
import { createCaseWorker } from './worker.js';

const config = loadConfig();
// Before connecting: a missing key must stop the worker at once, not once Temporal happens to be reachable.
loadKeyring(config);
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const worker = await createCaseWorker({ config, connection });
console.log(`[worker] polling task queue ${config.TEMPORAL_TASK_QUEUE} on ${config.TEMPORAL_ADDRESS}`);
// The SDK shuts the worker down gracefully on SIGINT and SIGTERM; run() resolves once it has.
await worker.run();
await connection.close();
