import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startMailSink, type RunningMailSink } from '../scripts/services.js';
import type { caseWorkflow } from '../workflows/case-workflow.js';
import { actors, eventually, startCaseStack, type ReceivedMail } from './support/harness.js';
import { runLogFile } from './support/run-logs.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});
const approve = { round: 'evaluation', decision: 'approve' };

describe('when the SMTP server is down during a sign-off round', () => {
  it('retries until it is back: every message is delivered once and the case never fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raccordo-smtp-down-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const sinkOptions = { smtpPort: await freePort(), webPort: await freePort(), mailDirectory: dir, logFile: runLogFile('maildev') };
    let sink: RunningMailSink = await startMailSink(sinkOptions);
    cleanups.push(() => sink.stop());
    const stack = await startCaseStack('smtp-down', { SMTP_PORT: String(sinkOptions.smtpPort) });
    cleanups.push(() => stack.stop());
    const inbox = async (caseRef: string) =>
      ((await (await fetch(`${sink.webUrl}/api/email`)).json()) as ReceivedMail[]).filter((mail) => mail.text.includes(caseRef));

    await sink.stop();
    const { caseRef } = await stack.cases.start({ kind: 'hello', data: { summary: 'Caso con SMTP fermo' }, actor: actors.socialWorker });
    await stack.cases.send(caseRef, 'signoff.submit', approve, actors.physician);
    const handle = stack.client.workflow.getHandle<typeof caseWorkflow>(caseRef);
    await eventually(
      async () => {
        const pending = (await handle.describe()).raw.pendingActivities ?? [];
        return pending.some((activity) => (activity.attempt ?? 0) >= 2);
      },
      30_000,
      'a retried notification',
    );
    expect((await handle.describe()).status.name).toBe('RUNNING');

    sink = await startMailSink(sinkOptions);
    const delivered = await eventually(
      async () => {
        const mails = await inbox(caseRef);
        return mails.length >= 2 ? mails : undefined;
      },
      60_000,
      'the delayed notifications',
    );
    expect(delivered.map((mail) => mail.to[0]!.address).sort()).toEqual(['physician@demo.raccordo.local', 'social-worker@demo.raccordo.local']);

    const done = await stack.cases.send(caseRef, 'signoff.submit', approve, actors.socialWorker);
    expect(done.outcome).toBe('approved');
    expect(done.alerts).toEqual([]);
    expect(await inbox(caseRef)).toHaveLength(2);
  });
});

describe('an address the SMTP server refuses for good', () => {
  it('is reported on the case for the coordinator, and not retried', async () => {
    const received: string[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (address.address.endsWith('@refused.raccordo.test')) {
          callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
        } else callback();
      },
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () => {
          received.push(...session.envelope.rcptTo.map((rcpt) => rcpt.address));
          callback();
        });
      },
    });
    const port = await freePort();
    smtp.listen(port, '127.0.0.1');
    await once(smtp.server, 'listening');
    cleanups.push(() => new Promise((resolve) => smtp.close(() => resolve(undefined))));
    const stack = await startCaseStack('smtp-refused', {
      SMTP_PORT: String(port),
      RACCORDO_DIRECTORY_FILE: join(import.meta.dirname, 'fixtures', 'directory-with-refused-address.json'),
    });
    cleanups.push(() => stack.stop());

    const coordinator = { id: 'as-bianchi', role: 'social-worker', organisation: 'comune-prova' };
    const { caseRef } = await stack.cases.start({ kind: 'hello', data: { summary: 'Indirizzo errato' }, actor: coordinator });
    const view = await eventually(
      async () => {
        const current = await stack.cases.view(caseRef, coordinator);
        return current.alerts.length ? current : undefined;
      },
      30_000,
      'the delivery alert',
    );
    expect(view.alerts).toEqual([expect.objectContaining({ kind: 'undeliverable', message: 'Notifica non recapitata a: dr-rossi' })]);
    expect(view.timeline.at(-1)).toMatchObject({ event: 'notification.undeliverable', label: 'Notifica non recapitabile: indirizzo rifiutato' });
    expect(received).toEqual(['as.bianchi@comune.raccordo.test']);
    const description = await stack.client.workflow.getHandle(caseRef).describe();
    expect(description.raw.pendingActivities ?? []).toEqual([]);
    expect(description.status.name).toBe('RUNNING');
  });
});
