import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { freePort, spawnWithOutput, startMailSink, type RunningMailSink } from '../../scripts/services.js';
import { TEST_INDEX_KEY, TEST_PAYLOAD_KEYS, testDatabaseUrl, type ReceivedMail } from './harness.js';
import { runLogFile } from './run-logs.js';

const root = join(import.meta.dirname, '..', '..');

export interface AppProcess {
  readonly child: ChildProcess;
  /** What the process wrote so far (the last 64 KiB of its log), for failure messages. */
  output(): string;
  /** Kills the process with the signal (SIGKILL: no goodbye to the server) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * A production entry point as its own process, with the suite's servers and payload key. Resolves once its output
 * shows `ready`; the caller registers `kill` as a cleanup.
 */
async function spawnEntryPoint(entry: string, env: Record<string, string>, ready: string): Promise<AppProcess> {
  // Into the run's log directory, which the teardown scans for personal data.
  const log = runLogFile(entry.replace(/\/.*/, '') + '-process');
  const child = spawnWithOutput(process.execPath, ['--import', 'tsx', join(root, entry)], log, {
    cwd: root,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(inject('smtpPort')),
      PUBLIC_URL: 'http://raccordo.test',
      RACCORDO_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
      RACCORDO_INDEX_KEY: TEST_INDEX_KEY,
      DATABASE_URL: testDatabaseUrl(),
      DATABASE_POOL_SIZE: '4',
      ...env,
    },
  });
  const output = () => readFileSync(log, 'utf8').slice(-65_536);
  const exited = once(child, 'exit');
  const running: AppProcess = {
    child,
    output,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
  // A process that exits first fails at once, with its output.
  const deadline = Date.now() + 90_000;
  while (!output().includes(ready)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${entry} exited before it was ready:\n${output()}`);
    if (Date.now() > deadline) {
      await running.kill();
      throw new Error(`${entry} was not ready within 90 s:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return running;
}

export interface WorkerProcessOptions {
  taskQueue: string;
  /** Defaults to the suite's shared dev server. */
  temporalAddress?: string;
  /** Defaults to the suite's shared SMTP sink. */
  smtpPort?: number;
  env?: Record<string, string>;
}

/** The production worker entry point (worker/main.ts), which bundles the workflow code itself; ready once it polls. */
export function spawnWorker(options: WorkerProcessOptions): Promise<AppProcess> {
  const env: Record<string, string> = {
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    ...(options.temporalAddress ? { TEMPORAL_ADDRESS: options.temporalAddress } : {}),
    ...(options.smtpPort ? { SMTP_PORT: String(options.smtpPort) } : {}),
    ...options.env,
  };
  // The SDK logs its state change to RUNNING once it polls.
  return spawnEntryPoint('worker/main.ts', env, 'RUNNING');
}

/** The production API entry point (api/main.ts), with its logs on; ready once it listens. */
export function spawnApi(env: Record<string, string>): Promise<AppProcess> {
  return spawnEntryPoint('api/main.ts', { HOST: '127.0.0.1', RACCORDO_HL7_PORT: '0', LOG_LEVEL: 'info', ...env }, 'Server listening');
}

/** A maildev of a test's own: its inbox holds only that test's messages, so that counts are exact. */
export interface DedicatedMailSink {
  readonly smtpPort: number;
  /** Every message received so far. */
  inbox(): Promise<ReceivedMail[]>;
  /** Waits until at least `count` messages have arrived, then a little longer to catch any extra one. */
  expectAtLeast(count: number, timeoutMs: number): Promise<ReceivedMail[]>;
  /** Down: connections to its SMTP port are refused. */
  stop(): Promise<void>;
  /** Back on the same ports. */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

export async function startDedicatedMailSink(): Promise<DedicatedMailSink> {
  const dir = mkdtempSync(join(tmpdir(), 'raccordo-sink-'));
  const options = { smtpPort: await freePort(), webPort: await freePort(), mailDirectory: dir, logFile: runLogFile('maildev') };
  let sink: RunningMailSink | undefined = await startMailSink(options);
  const inbox = async () => {
    if (!sink) throw new Error('the mail sink is stopped');
    const response = await fetch(`${sink.webUrl}/api/email`);
    if (!response.ok) throw new Error(`maildev answered ${response.status}`);
    return (await response.json()) as ReceivedMail[];
  };
  return {
    smtpPort: options.smtpPort,
    inbox,
    async expectAtLeast(count, timeoutMs) {
      // Each look fetches the whole inbox: with thousands of messages, once a second is plenty and spares the CPU.
      const interval = count > 200 ? 1_000 : 200;
      const deadline = Date.now() + timeoutMs;
      let received: number;
      while ((received = (await inbox()).length) < count) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} e-mails: ${received} arrived`);
        await new Promise((resolve) => setTimeout(resolve, interval));
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return inbox();
    },
    async stop() {
      await sink?.stop();
      sink = undefined;
    },
    async restart() {
      if (!sink) sink = await startMailSink(options);
    },
    async dispose() {
      await sink?.stop();
      sink = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The Message-ID of a received message: the product derives it from the case and the effect, so a resend repeats it. */
export const messageIdOf = (mail: ReceivedMail) => mail.headers['message-id'] ?? '';
