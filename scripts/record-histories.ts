import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCaseService, type CaseService } from '../api/cases.js';
import type { Actor } from '../machines/case.js';
import { createDataConverter, ensureKeyFile, loadKeyring } from '../platform/codec.js';
import { loadConfig } from '../platform/config.js';
import { loadPathwayParameters } from '../platform/parameters.js';
import { loadDirectory } from '../platform/directory.js';
import { createCaseWorker } from '../worker/worker.js';
import { openRecord } from '../record/record.js';
import { freePort, startMailSink, startPostgres, startTemporalServer } from './services.js';
import { ensureTemporalCli } from './temporal-cli.js';

/**
 * Records the histories that CI replays (test/replay.test.ts): real cases on a real server, one per path worth
 * guarding. Run it when a pathway version is added (`npx tsx scripts/record-histories.ts`), or when the interpreter
 * changes the commands it issues behind a patch (`npx tsx scripts/record-histories.ts <patch>`: recorded as
 * `<scenario>~<patch>.json`, beside the histories of the code before it). Existing files are never overwritten: never
 * re-record a history to make a failing replay pass, that failure is the point.
 */
const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures', 'histories');
const patch = process.argv[2];
const fixtureFile = (scenario: string) => join(fixtures, `${patch ? `${scenario}~${patch}` : scenario}.json`);
/**
 * Histories are recorded encrypted, as production writes them, so that replay also guards the codec's format. Their
 * key is a fixture like them, kept next to them forever: it encrypts made-up cases only, never real data.
 */
const fixtureKeyFile = join(import.meta.dirname, '..', 'test', 'fixtures', 'history-payload-keys.json');
const actor = (role: string, organisation = 'health-authority'): Actor => ({ id: role, role, organisation });
const socialWorker = actor('social-worker', 'municipality');
const approve = { round: 'evaluation', decision: 'approve' };

type Scenario = (cases: CaseService) => Promise<string>;

const scenarios: Record<string, Scenario> = {
  'hello@1-approved-by-substitute': async (cases) => {
    const { caseRef } = await cases.start({ kind: 'hello', data: { summary: 'Registrazione' }, actor: socialWorker });
    await cases.send(caseRef, 'signoff.claim', { round: 'evaluation' }, socialWorker);
    await cases.send(caseRef, 'signoff.submit', { ...approve, onBehalfOf: 'physician', notes: 'Sostituzione' }, actor('nurse'));
    await cases.send(caseRef, 'signoff.submit', approve, socialWorker);
    return caseRef;
  },
  'hello@1-withdrawn': async (cases) => {
    const { caseRef } = await cases.start({ kind: 'hello', data: { summary: 'Registrazione' }, actor: socialWorker });
    await cases.send(caseRef, 'case.withdraw', { reason: 'Trasferimento' }, socialWorker);
    return caseRef;
  },
  'hello@1-scheduled-then-rejected': async (cases) => {
    const evaluationFrom = new Date(Date.now() + 2000).toISOString();
    const { caseRef } = await cases.start({ kind: 'hello', data: { summary: 'Registrazione', evaluationFrom }, actor: socialWorker });
    while ((await cases.view(caseRef)).state === 'scheduled') await new Promise((resolve) => setTimeout(resolve, 250));
    await cases.send(caseRef, 'signoff.submit', { round: 'evaluation', decision: 'reject' }, actor('physician'));
    return caseRef;
  },
};

Runtime.install({ logger: new DefaultLogger('WARN') });
const scratch = mkdtempSync(join(tmpdir(), 'raccordo-record-'));
const cli = ensureTemporalCli();
const temporal = await startTemporalServer({ cli, port: await freePort() });
const mail = await startMailSink({ smtpPort: await freePort(), webPort: await freePort(), mailDirectory: scratch });
// PostgreSQL runs as its own system user, which must reach its folder inside the scratch one.
chmodSync(scratch, 0o755);
const postgres = await startPostgres({ dataDir: join(scratch, 'pg'), port: await freePort(), persistent: false });
ensureKeyFile(fixtureKeyFile, 'replay-fixtures', 'Test fixture: encrypts the made-up recorded histories only. Never use it for real data.');
const config = loadConfig({
  TEMPORAL_ADDRESS: temporal.address,
  SMTP_HOST: '127.0.0.1',
  SMTP_PORT: String(mail.smtpPort),
  LOG_LEVEL: 'silent',
  RACCORDO_PAYLOAD_KEY_FILE: fixtureKeyFile,
  RACCORDO_INDEX_KEY: `replay-fixtures:${randomBytes(32).toString('base64')}`,
  DATABASE_URL: postgres.url,
});
const record = await openRecord(config);
const native = await NativeConnection.connect({ address: temporal.address });
const worker = await createCaseWorker({ config, connection: native, record });
const connection = await Connection.connect({ address: temporal.address });
const client = new Client({ connection, dataConverter: createDataConverter(loadKeyring(config)) });
const cases = createCaseService(client, config.TEMPORAL_TASK_QUEUE, {
  directory: loadDirectory(config),
  parameters: loadPathwayParameters(config.RACCORDO_PARAMETERS_DIR),
  record,
});

try {
  await worker.runUntil(async () => {
    mkdirSync(fixtures, { recursive: true });
    for (const [name, scenario] of Object.entries(scenarios)) {
      if (existsSync(fixtureFile(name))) {
        console.log(`[record] ${name}: kept, already recorded`);
        continue;
      }
      const caseRef = await scenario(cases);
      const handle = client.workflow.getHandle(caseRef);
      await handle.result();
      // The CLI's JSON is the format Temporal's UI exports and historyFromJSON reads.
      const show = spawnSync(cli, ['workflow', 'show', '--address', temporal.address, '--workflow-id', caseRef, '--output', 'json'], { encoding: 'utf8' });
      if (show.status !== 0) throw new Error(show.stderr);
      writeFileSync(fixtureFile(name), show.stdout);
      console.log(`[record] ${name}`);
    }
  });
} finally {
  await connection.close();
  await native.close();
  await record.close();
  await Promise.all([temporal.stop(), mail.stop(), postgres.stop()]);
  rmSync(scratch, { recursive: true, force: true });
}
