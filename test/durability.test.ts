import { demoDirectory } from '../platform/directory.js';
import { Client, Connection } from '@temporalio/client';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { createCaseService } from '../api/cases.js';
import { freePort, startTemporalServer, type RunningTemporal } from '../scripts/services.js';
import type { caseWorkflow } from '../workflows/case-workflow.js';
import { openRecord } from '../record/record.js';
import { actors, mailbox, recipients, startCaseStack, testConfig, testDataConverter, uniqueTaskQueue } from './support/harness.js';
import { spawnWorker as spawnWorkerProcess } from './support/processes.js';
import { runLogFile } from './support/run-logs.js';

const approve = { round: 'evaluation', decision: 'approve' };
// Whole processes start here, each bundling the workflow code: generous on a loaded 2-core machine.
vi.setConfig({ testTimeout: 180_000 });
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** The production worker entry point, as its own process, killed at the end if still running. */
async function spawnWorker(taskQueue: string): Promise<ChildProcess> {
  const worker = await spawnWorkerProcess({ taskQueue });
  cleanups.push(() => worker.kill());
  return worker.child;
}

describe('a worker process killed in the middle of a case', () => {
  it('is replaced by a new one that carries the case on: no event lost, no notification sent twice', async () => {
    const taskQueue = uniqueTaskQueue('killed-worker');
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, dataConverter: testDataConverter() });
    const record = await openRecord(testConfig());
    cleanups.push(() => record.close());
    const cases = createCaseService(client, taskQueue, { directory: demoDirectory(), record });

    const first = await spawnWorker(taskQueue);
    const { caseRef } = await cases.start({ kind: 'hello', data: { summary: 'Caso durante un guasto' }, actor: actors.socialWorker });
    await cases.send(caseRef, 'signoff.submit', approve, actors.physician);
    await mailbox.expectCount(caseRef, 2);

    first.kill('SIGKILL');
    await once(first, 'exit');
    // Sent while no worker runs: the update waits for one rather than being lost.
    const pending = cases.send(caseRef, 'signoff.submit', approve, actors.socialWorker);
    await spawnWorker(taskQueue);
    expect(await pending).toMatchObject({ status: 'done', outcome: 'approved' });

    const view = await client.workflow.getHandle<typeof caseWorkflow>(caseRef).result();
    expect(view.timeline.map((entry) => entry.event)).toEqual(['xstate.init', 'signoff.submit', 'signoff.submit']);
    const mails = await mailbox.expectCount(caseRef, 2);
    expect(recipients(mails)).toEqual(['physician@demo.raccordo.local', 'social-worker@demo.raccordo.local']);
  });
});

describe('the Temporal server killed and restarted on the same SQLite file', () => {
  it('still fires the timers of open cases, which go on to completion', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raccordo-restart-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const serverOptions = { cli: inject('temporalCli'), port, dbFile: join(dir, 'temporal.db'), logFile: runLogFile('temporal-server') };
    let server: RunningTemporal = await startTemporalServer(serverOptions);
    cleanups.push(() => server.stop());

    const stack = await startCaseStack('restart', { TEMPORAL_ADDRESS: server.address });
    cleanups.push(() => stack.stop());
    const { cases } = stack;

    const evaluationFrom = new Date(Date.now() + 12_000).toISOString();
    const { caseRef } = await cases.start({ kind: 'hello', data: { summary: 'Caso durante un riavvio', evaluationFrom }, actor: actors.socialWorker });
    expect((await cases.view(caseRef)).state).toBe('scheduled');

    await server.stop('SIGKILL');
    server = await startTemporalServer(serverOptions);

    const mails = await mailbox.expectCount(caseRef, 2, 60_000);
    expect(recipients(mails)).toEqual(['physician@demo.raccordo.local', 'social-worker@demo.raccordo.local']);
    await cases.send(caseRef, 'signoff.submit', approve, actors.physician);
    const done = await cases.send(caseRef, 'signoff.submit', approve, actors.socialWorker);
    expect(done.outcome).toBe('approved');
  });
});
