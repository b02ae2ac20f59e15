import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, startMailSink, startTemporalServer } from '../scripts/services.js';
import { ensureTemporalCli } from '../scripts/temporal-cli.js';
import { ensureTimeSkippingServer } from '../scripts/time-skipping-server.js';
import { workflowBundleOptions } from '../worker/worker.js';
import { mailsOutsideTemplates, type MailForAudit } from './support/mail-audit.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalCli: string;
    temporalAddress: string;
    timeSkippingServer: string;
    smtpPort: number;
    mailWebUrl: string;
    workflowBundlePath: string;
    /** A folder of the run's own, for what tests would otherwise write into the repository (the audit register). */
    scratchDir: string;
  }
}

/**
 * One real Temporal dev server (in memory), one real SMTP server, and the workflow code bundled once, shared by
 * every test file; each file runs its own workers on its own task queues. Nothing here depends on `npm start`.
 */
export default async function setup(project: TestProject) {
  const scratch = mkdtempSync(join(tmpdir(), 'raccordo-test-'));
  const temporalCli = ensureTemporalCli();
  const timeSkippingServer = ensureTimeSkippingServer();
  const [temporal, mail, bundle] = await Promise.all([
    freePort().then((port) => startTemporalServer({ cli: temporalCli, port })),
    Promise.all([freePort(), freePort()]).then(([smtpPort, webPort]) =>
      startMailSink({ smtpPort, webPort, mailDirectory: join(scratch, 'mail') }),
    ),
    bundleWorkflowCode({ ...workflowBundleOptions, logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error } }),
  ]);
  const workflowBundlePath = join(scratch, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, bundle.code);

  project.provide('temporalCli', temporalCli);
  project.provide('temporalAddress', temporal.address);
  project.provide('timeSkippingServer', timeSkippingServer);
  project.provide('smtpPort', mail.smtpPort);
  project.provide('mailWebUrl', mail.webUrl);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('scratchDir', scratch);

  return async () => {
    // Across the whole run, on the shared SMTP server: no e-mail that is not a fixed template (no case data, ever).
    const received = (await (await fetch(`${mail.webUrl}/api/email`)).json()) as MailForAudit[];
    const leaking = mailsOutsideTemplates(received);
    await Promise.all([temporal.stop(), mail.stop()]);
    if (leaking.length) {
      console.error(`[test] ${leaking.length} of ${received.length} e-mails are not a notification template: ${JSON.stringify(leaking[0])}`);
      // Vitest reports an error thrown here but keeps its exit code: set it, so that a leak fails the run.
      process.exitCode = 1;
      return;
    }
    console.log(`[test] all ${received.length} e-mails of the run are notification templates: no case data in any of them`);
    rmSync(scratch, { recursive: true, force: true });
  };
}
