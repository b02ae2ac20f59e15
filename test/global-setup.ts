import { bundleWorkflowCode } from '@temporalio/worker';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, startMailSink, startPostgres, startTemporalServer } from '../scripts/services.js';
import { ensureTemporalCli } from '../scripts/temporal-cli.js';
import { ensureTimeSkippingServer } from '../scripts/time-skipping-server.js';
import { workflowBundleOptions } from '../worker/worker.js';
import { describeFinding, findSeededValues, pathwayNames, seededValues } from './support/log-scan.js';
import { mailsOutsideTemplates, type MailForAudit } from './support/mail-audit.js';
import { samples } from './support/samples.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalCli: string;
    temporalAddress: string;
    timeSkippingServer: string;
    smtpPort: number;
    mailWebUrl: string;
    /** The run's PostgreSQL, ephemeral: the case record's `raccordo` database. */
    databaseUrl: string;
    /** Its files, for a look at what reaches the disk. */
    postgresDataDir: string;
    workflowBundlePath: string;
    /**
     * Where every process and logger of the run writes its log, and the API its audit register (never the
     * repository's data/): the teardown scans them all for the samples' personal data.
     */
    logDir: string;
  }
}

/**
 * One real Temporal dev server (in memory), one real SMTP server, and the workflow code bundled once, shared by
 * every test file; each file runs its own workers on its own task queues. Nothing here depends on `npm start`.
 */
export default async function setup(project: TestProject) {
  const scratch = mkdtempSync(join(tmpdir(), 'raccordo-test-'));
  const logDir = join(scratch, 'logs');
  mkdirSync(logDir);
  const temporalCli = ensureTemporalCli();
  const timeSkippingServer = ensureTimeSkippingServer();
  const temporalStarting = freePort().then((port) => startTemporalServer({ cli: temporalCli, port, logFile: join(logDir, 'temporal-server.log') }));
  const mailStarting = Promise.all([freePort(), freePort()]).then(([smtpPort, webPort]) =>
    startMailSink({ smtpPort, webPort, mailDirectory: join(scratch, 'mail'), logFile: join(logDir, 'maildev.log') }),
  );
  // PostgreSQL runs as its own system user, which must reach its folder inside the scratch one.
  chmodSync(scratch, 0o755);
  const postgresDataDir = join(scratch, 'pg');
  const postgresStarting = freePort().then((port) =>
    startPostgres({ dataDir: postgresDataDir, port, persistent: false, logFile: join(logDir, 'postgres.log') }),
  );
  let started;
  try {
    started = await Promise.all([
      temporalStarting,
      mailStarting,
      postgresStarting,
      bundleWorkflowCode({ ...workflowBundleOptions, logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error } }),
    ]);
  } catch (error) {
    // Stop what did start: a server left behind would outlive the failed run, holding its ports.
    await Promise.allSettled([temporalStarting, mailStarting, postgresStarting].map(async (server) => (await server).stop()));
    throw error;
  }
  const [temporal, mail, postgres, bundle] = started;
  const workflowBundlePath = join(scratch, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, bundle.code);

  project.provide('temporalCli', temporalCli);
  project.provide('temporalAddress', temporal.address);
  project.provide('timeSkippingServer', timeSkippingServer);
  project.provide('smtpPort', mail.smtpPort);
  project.provide('mailWebUrl', mail.webUrl);
  project.provide('databaseUrl', postgres.url);
  project.provide('postgresDataDir', postgresDataDir);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('logDir', logDir);

  return async () => {
    // Across the whole run, on the shared SMTP server: no e-mail that is not a fixed template (no case data, ever).
    const received = (await (await fetch(`${mail.webUrl}/api/email`)).json()) as MailForAudit[];
    const leaking = mailsOutsideTemplates(received);
    // Stopped first, so that what the servers write last is in their logs too.
    await Promise.all([temporal.stop(), mail.stop(), postgres.stop()]);
    const logs = readdirSync(logDir).map((file) => join(logDir, file));
    const seeded = seededValues(samples);
    const inLogs = findSeededValues(logs, seeded);
    // A case reference, a log line or an e-mail subject that names the pathway tells a shared mailbox what the case is.
    const mails = join(scratch, 'mails.txt');
    writeFileSync(mails, received.map((mail) => `${mail.subject}\n${mail.text}`).join('\n'));
    const names = pathwayNames();
    // The registers of accesses (an event type names its pathway by nature) and the session stores (a demo operator is
    // named after a role, and the NIL's role after its pathway) are records, not logs: left out of this one look.
    const naming = findSeededValues([...logs.filter((file) => !/\/(audit|sessions)-[^/]*\.jsonl$/.test(file)), mails], names);
    if (leaking.length) {
      console.error(`[test] ${leaking.length} of ${received.length} e-mails are not a notification template: ${JSON.stringify(leaking[0])}`);
    } else {
      console.log(`[test] all ${received.length} e-mails of the run are notification templates: no case data in any of them`);
    }
    if (inLogs.length) {
      // The file, the line and the value: the line itself would print the rest of whatever leaked.
      console.error(
        `[test] personal data of the test samples found ${inLogs.length} times in the run's logs:\n${inLogs.slice(0, 20).map(describeFinding).join('\n')}`,
      );
    } else {
      console.log(`[test] none of the ${seeded.length} personal values of the test samples is in the ${logs.length} logs of the run`);
    }
    if (naming.length) {
      console.error(`[test] a pathway is named ${naming.length} times in the run's logs and e-mails:\n${naming.slice(0, 20).map(describeFinding).join('\n')}`);
    } else {
      console.log(`[test] no log line or e-mail of the run names a pathway (${names.length} names and former reference prefixes)`);
    }
    if (leaking.length || inLogs.length || naming.length) {
      // Vitest reports an error thrown here but keeps its exit code: set it, so that a leak fails the run. The
      // scratch folder stays, for a look at what leaked.
      process.exitCode = 1;
      return;
    }
    rmSync(scratch, { recursive: true, force: true });
  };
}
