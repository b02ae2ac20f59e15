import { Client, Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { inject } from 'vitest';
import { createCaseService, type CaseService } from '../../api/cases.js';
import { freePort, startTimeSkippingServer } from '../../scripts/services.js';
import type { Actor } from '../../machines/case.js';
import { searchAttributes } from '../../workflows/search-attributes.js';
import { createDataConverter, loadKeyring, parseKeyList } from '../../platform/codec.js';
import { loadConfig, type Config } from '../../platform/config.js';
import { loadPathwayParameters } from '../../platform/parameters.js';
import { demoDirectory, loadDirectory } from '../../platform/directory.js';
import { openRecord, type CaseRecord } from '../../record/record.js';
import { createCaseWorker } from '../../worker/worker.js';
import { runLogFile } from './run-logs.js';

/**
 * The payload key of every test: one fixed key for all test files and processes, because they share one Temporal
 * server and listing cases decodes the memos of other files' cases too. Derived from a public phrase: it guards
 * made-up data only, and must never encrypt anything real.
 */
export const TEST_PAYLOAD_KEYS = `test:${createHash('sha256').update('raccordo: test payload key, never for real data').digest('base64')}`;

/** The blind index key of every test, public like the payload key: every test process shares one record. */
export const TEST_INDEX_KEY = `test-index:${createHash('sha256').update('raccordo: test index key, never for real data').digest('base64')}`;

/** What test clients decode and encode with: the same codec as the workers and the API. */
export const testDataConverter = () => createDataConverter(parseKeyList(TEST_PAYLOAD_KEYS));

/** This test file's own database of the case record (test/support/record-database.ts). */
export const testDatabaseUrl = () => process.env.RACCORDO_TEST_DATABASE_URL ?? inject('databaseUrl');

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    RACCORDO_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
    RACCORDO_INDEX_KEY: TEST_INDEX_KEY,
    DATABASE_URL: testDatabaseUrl(),
    DATABASE_POOL_SIZE: '4',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(inject('smtpPort')),
    PUBLIC_URL: 'http://raccordo.test',
    // At the level production logs by default, so that the teardown sees what production would write.
    LOG_FILE: runLogFile('api'),
    // One register per test process, among the run's logs: never the repository's data/.
    RACCORDO_AUDIT_FILE: join(inject('logDir'), `audit-${process.pid}.jsonl`),
    RACCORDO_SESSION_FILE: join(inject('logDir'), `sessions-${process.pid}.jsonl`),
    ...overrides,
  });
}

export const actors = {
  socialWorker: { id: 'social-worker', role: 'social-worker', organisation: 'municipality' },
  physician: { id: 'physician', role: 'physician', organisation: 'health-authority' },
  nurse: { id: 'nurse', role: 'nurse', organisation: 'health-authority' },
  ward: { id: 'ward', role: 'ward', organisation: 'hospital' },
} satisfies Record<string, Actor>;

const demo = demoDirectory();
/** The demo directory's operator of a role, as the actor the API would make of their session. */
export function actorFor(role: string): Actor {
  const operator = demo.byId(role);
  if (!operator) throw new Error(`no demo operator for ${role}`);
  return { id: operator.id, role, organisation: operator.organisation };
}

export const uniqueTaskQueue = (name: string) => `${name}-${randomUUID()}`;

export interface CaseStack {
  client: Client;
  cases: CaseService;
  /** The run's case record, which the stack's worker writes and its case service reads. */
  record: CaseRecord;
  taskQueue: string;
  /** Stops the worker (gracefully) and closes the connections. */
  stop(): Promise<void>;
}

async function runWorker(config: Config, connection: NativeConnection, taskQueue: string, record: CaseRecord) {
  const worker = await createCaseWorker({
    config,
    connection,
    record,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
  const running = worker.run();
  return async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
}

/**
 * The real worker and client against the shared dev server (or the one `TEMPORAL_ADDRESS` overrides), on a task queue
 * of their own unless one is given: another stack's, to take over its cases.
 */
export async function startCaseStack(name: string, overrides: Record<string, string> = {}, taskQueue = uniqueTaskQueue(name)): Promise<CaseStack> {
  const config = testConfig(overrides);
  const record = await openRecord(config);
  const nativeConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const stopWorker = await runWorker(config, nativeConnection, taskQueue, record);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection, dataConverter: createDataConverter(loadKeyring(config)) });
  return {
    client,
    cases: createCaseService(client, taskQueue, {
      directory: loadDirectory(config),
      parameters: loadPathwayParameters(config.RACCORDO_PARAMETERS_DIR),
      record,
    }),
    record,
    taskQueue,
    async stop() {
      await stopWorker();
      await Promise.all([nativeConnection.close(), connection.close()]);
      await record.close();
    },
  };
}

export interface TimeSkippingStack extends CaseStack {
  env: TestWorkflowEnvironment;
}

/**
 * The SDK's own constructor of test environments, which can attach to a time-skipping server already running.
 * It is private in the typings (SDK pinned at 1.24): the public path would start the JVM with a 5 s deadline.
 */
const attachTimeSkipping = (address: string) =>
  (TestWorkflowEnvironment as unknown as { create(options: object): Promise<TestWorkflowEnvironment> }).create({
    server: { type: 'existing' },
    supportsTimeSkipping: true,
    address,
    namespace: 'default',
    client: { dataConverter: testDataConverter() },
  });

/** The same worker against Temporal's Java time-skipping server: days of timers pass in seconds. */
export async function startTimeSkippingStack(name: string): Promise<TimeSkippingStack> {
  const server = await startTimeSkippingServer(inject('timeSkippingServer'), await freePort(), runLogFile('time-skipping-server'));
  const env = await attachTimeSkipping(server.address);
  // Like a real cluster, the test server must be told of custom search attributes before they are upserted.
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(Object.values(searchAttributes).map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!])),
  });
  const taskQueue = uniqueTaskQueue(name);
  const record = await openRecord(testConfig());
  const stopWorker = await runWorker(testConfig(), env.nativeConnection, taskQueue, record);
  return {
    env,
    client: env.client,
    cases: createCaseService(env.client, taskQueue, {
      directory: loadDirectory(testConfig()),
      parameters: loadPathwayParameters(testConfig().RACCORDO_PARAMETERS_DIR),
      record,
    }),
    record,
    taskQueue,
    async stop() {
      await stopWorker();
      await env.teardown();
      await server.stop();
      await record.close();
    },
  };
}

export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Waits until a case has no activity under way, so that its history only grows from what the test does next. */
export async function settled(client: Client, caseRef: string): Promise<number> {
  const handle = client.workflow.getHandle(caseRef);
  const length = async () => (await handle.fetchHistory()).events?.length ?? 0;
  return eventually(
    async () => {
      const first = await length();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const idle = ((await handle.describe()).raw.pendingActivities ?? []).length === 0;
      return idle && first > 3 && (await length()) === first ? first : undefined;
    },
    20_000,
    `${caseRef} to settle`,
  );
}

export interface ReceivedMail {
  id: string;
  subject: string;
  text: string;
  html: string;
  to: { address: string }[];
  headers: Record<string, string>;
  time: string;
}

/** The real SMTP sink's inbox, read through its REST API. */
export const mailbox = {
  async all(): Promise<ReceivedMail[]> {
    const response = await fetch(`${inject('mailWebUrl')}/api/email`);
    if (!response.ok) throw new Error(`maildev answered ${response.status}`);
    return (await response.json()) as ReceivedMail[];
  },
  async forCase(caseRef: string): Promise<ReceivedMail[]> {
    return (await this.all()).filter((mail) => mail.text.includes(caseRef));
  },
  /**
   * Waits until the case has exactly `count` messages, then a little longer to catch any extra one. A case's e-mails go
   * one after the other, each an activity: on a loaded machine ten of them have taken over 20 s.
   */
  async expectCount(caseRef: string, count: number, timeoutMs = 60_000): Promise<ReceivedMail[]> {
    await eventually(
      async () => {
        const received = (await this.forCase(caseRef)).length;
        if (received >= count) return true;
        throw new Error(`${received} so far`);
      },
      timeoutMs,
      `${count} e-mails for ${caseRef}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    return this.forCase(caseRef);
  },
};

export const recipients = (mails: ReceivedMail[]) => mails.flatMap((mail) => mail.to.map((to) => to.address)).sort();
