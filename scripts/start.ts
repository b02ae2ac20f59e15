import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { DEMO_HOSPITAL_API_KEY } from '../api/auth.js';
import { knownRoles } from '../platform/directory.js';
import { ensureKeyFile, loadKeyring } from '../platform/codec.js';
import { loadConfig } from '../platform/config.js';
import { isListening, startMailSink, startPostgres, startTemporalServer, type RunningService } from './services.js';
import { ensureTemporalCli } from './temporal-cli.js';

/**
 * The whole system on embedded defaults: Temporal with a SQLite file, PostgreSQL for the case record, an SMTP sink, the
 * worker and the API.
 */
const root = join(import.meta.dirname, '..');
const ports = { temporal: 7233, temporalUi: 8233, smtp: 1025, inbox: 1080, postgres: 54320 };
const config = loadConfig();

const busy = [];
for (const [name, port] of Object.entries({ ...ports, api: config.PORT, hl7: config.RACCORDO_HL7_PORT })) {
  if (port === 0 || (name === 'postgres' && config.DATABASE_URL)) continue;
  if (await isListening(port)) busy.push(`${name} (${port})`);
}
if (busy.length) {
  console.error(`[start] ports already in use: ${busy.join(', ')}. Is another "npm start" running? Stop it first.`);
  process.exit(1);
}

const childEnvironment: Record<string, string> = {};
// What the worker and the API are started with, beyond this process's environment: keys and the record's database.
// Case data reaches Temporal encrypted. Without keys of its own, the local demo gets a key file in data/ (gitignored),
// created once and then kept: the cases in data/temporal.db cannot be read without it.
if (!config.RACCORDO_PAYLOAD_KEYS && !config.RACCORDO_PAYLOAD_KEY_FILE && config.RACCORDO_DEMO_MODE) {
  const keyFile = join(root, 'data', 'payload-keys.json');
  const keyId = `local-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
  if (ensureKeyFile(keyFile, keyId)) console.log('[start] created data/payload-keys.json: the key that encrypts case data in Temporal');
  childEnvironment.RACCORDO_PAYLOAD_KEY_FILE = keyFile;
}
// The record's blind indexes have a key of their own, created the same way.
if (!config.RACCORDO_INDEX_KEY && !config.RACCORDO_INDEX_KEY_FILE && config.RACCORDO_DEMO_MODE) {
  const keyFile = join(root, 'data', 'index-key.json');
  if (ensureKeyFile(keyFile, 'local-index', 'finds persons in the case record: never rotate it in place')) {
    console.log("[start] created data/index-key.json: the key of the case record's blind indexes");
  }
  childEnvironment.RACCORDO_INDEX_KEY_FILE = keyFile;
}
try {
  loadKeyring({ ...config, ...childEnvironment });
} catch (error) {
  console.error(`[start] ${(error as Error).message}`);
  process.exit(1);
}

const services: { stop(): Promise<void> }[] = [];
let stopping = false;
async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\n[start] stopping…');
    for (const service of services.reverse()) await service.stop();
  }
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

function startNode(name: string, entry: string): RunningService {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(root, entry)], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      ...childEnvironment,
      TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(ports.smtp),
    },
  });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`[start] the ${name} stopped (${signal ?? `exit code ${code}`}): stopping everything.`);
    void stopAll(1);
  });
  return {
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      await exited;
    },
  };
}

try {
  if (!config.DATABASE_URL) {
    console.log('[start] starting PostgreSQL for the case record (data in data/pg)…');
    const postgres = await startPostgres({
      dataDir: join(root, 'data', 'pg'),
      port: ports.postgres,
      persistent: true,
      logFile: join(root, 'data', 'logs', 'postgres.log'),
    });
    services.push(postgres);
    childEnvironment.DATABASE_URL = postgres.url;
  }
  const cli = ensureTemporalCli();
  console.log(`[start] starting the Temporal dev server (data in data/temporal.db, closed cases kept ${config.TEMPORAL_RETENTION_DAYS} days)…`);
  services.push(
    await startTemporalServer({
      cli,
      port: ports.temporal,
      uiPort: ports.temporalUi,
      uiCodecEndpoint: `http://localhost:${config.PORT}/codec`,
      dbFile: join(root, 'data', 'temporal.db'),
      retentionDays: config.TEMPORAL_RETENTION_DAYS,
    }),
  );
  console.log('[start] starting the SMTP sink (maildev)…');
  services.push(await startMailSink({ smtpPort: ports.smtp, webPort: ports.inbox, mailDirectory: join(root, 'data', 'mail') }));
  services.push(startNode('worker', 'worker/main.ts'));
  services.push(startNode('API', 'api/main.ts'));
  const deadline = Date.now() + 60_000;
  while (!(await isListening(config.PORT)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
} catch (error) {
  console.error(`[start] ${(error as Error).message}`);
  await stopAll(1);
}

console.log(`
Raccordo is running. Ctrl-C stops everything; cases are kept in data/ for the next start.

  API and web app      http://localhost:${config.PORT}   (health: http://localhost:${config.PORT}/health)
  Temporal UI          http://localhost:${ports.temporalUi}
                       payloads are encrypted; the UI decodes them through http://localhost:${config.PORT}/codec for someone
                       logged in here as ${config.RACCORDO_CODEC_ROLES.split(',')[0]} (enable "include cross-origin credentials" in its codec settings)
  Temporal gRPC        localhost:${ports.temporal}
  Case record          ${config.DATABASE_URL ? 'DATABASE_URL' : `PostgreSQL on localhost:${ports.postgres}, database raccordo (data in data/pg)`}
  E-mail inbox         http://localhost:${ports.inbox}   (SMTP on localhost:${ports.smtp})
  API documentation    http://localhost:${config.PORT}/docs
  HL7 v2 MLLP          localhost:${config.RACCORDO_HL7_PORT}   (ADT^A03 / ADT^A16 discharges)
${config.RACCORDO_DEMO_MODE ? demoAccounts() : ''}`);

function demoAccounts(): string {
  const roles = [...knownRoles().keys()].sort();
  return `
  Demo mode: one account per role, the username being the role, password "${config.RACCORDO_DEMO_PASSWORD}":
    ${roles.join(', ')}
  Demo hospital API key: ${DEMO_HOSPITAL_API_KEY}
`;
}
