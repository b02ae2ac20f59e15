import { DefaultLogger, Runtime } from '@temporalio/worker';
import { appendFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { afterAll } from 'vitest';
import { runLogFile } from './run-logs.js';

// A setup file of every test process, so that wherever a test reaches the SDK (workers, replays, the time-skipping
// environment) its logs land among the run's: before any connection exists, since the runtime is a singleton.
// Warnings and errors only, the core's own too (at the SDK's default levels) rather than straight to stderr.
const sdkLog = runLogFile('temporal-sdk');
const runtime = Runtime.install({
  logger: new DefaultLogger('WARN', ({ level, message, meta, timestampNanos }) => {
    const at = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
    appendFileSync(sdkLog, `${at} [${level}] ${message}${meta ? ` ${inspect(meta, { depth: 8, breakLength: Infinity })}` : ''}\n`);
  }),
  telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
});

// The SDK holds forwarded lines back for 100 ms to order them, and the test process may end before it lets them go.
afterAll(async () => {
  await new Promise((resolve) => setTimeout(resolve, 200));
  runtime.flushLogs();
});
