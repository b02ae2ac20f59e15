import { NativeConnection } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import type { CaseService } from '../../api/cases.js';
import { CaseError } from '../../api/errors.js';
import type { Actor } from '../../machines/case.js';
import { freePort, startTemporalServer, type RunningTemporal } from '../../scripts/services.js';
import { openRecord } from '../../record/record.js';
import { createCaseWorker } from '../../worker/worker.js';
import { actors, eventually, testConfig, uniqueTaskQueue } from '../support/harness.js';
import { startDedicatedMailSink } from '../support/processes.js';
import { runLogFile } from '../support/run-logs.js';
import { approve, connectCases, expectApprovedOnce, expectNotifiedOnce, finalViews, inBatches, startHelloCases, stopwatch } from './support.js';

vi.setConfig({ testTimeout: 300_000 });
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const size = 50;

/**
 * A sign-off as a person sends it: when the answer is lost (the server died under the request), they look at the
 * case and send it again only if their decision is not there. Bounded: 30 tries, 120 s.
 */
async function signOff(cases: CaseService, caseRef: string, actor: Actor): Promise<{ retried: number }> {
  const deadline = Date.now() + 120_000;
  for (let attempt = 0; attempt < 30 && Date.now() < deadline; attempt++) {
    try {
      await cases.send(caseRef, 'signoff.submit', approve, actor);
      return { retried: attempt };
    } catch (error) {
      // A rejection is final, but for a 409 after a lost answer: the first try may have gone through meanwhile.
      if (error instanceof CaseError && !(error.status === 409 && attempt > 0)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const view = await cases.view(caseRef).catch(() => undefined);
      const recorded = view?.timeline.some((entry) => entry.event === 'signoff.submit' && entry.actor?.role === actor.role);
      if (recorded) return { retried: attempt + 1 };
    }
  }
  throw new Error(`${caseRef}: the sign-off of ${actor.role} did not go through within 30 tries`);
}

describe(`kill -9 of the Temporal server with ${size} cases in flight, restarted on the same SQLite file`, () => {
  it('carries every case on to completion: timers fire, sign-offs in flight are not lost nor applied twice', async () => {
    const phases = stopwatch();
    const dir = mkdtempSync(join(tmpdir(), 'raccordo-faults-restart-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const serverOptions = { cli: inject('temporalCli'), port: await freePort(), dbFile: join(dir, 'temporal.db'), logFile: runLogFile('temporal-server') };
    let server: RunningTemporal = await startTemporalServer(serverOptions);
    cleanups.push(() => server.stop());
    const sink = await startDedicatedMailSink();
    cleanups.push(() => sink.dispose());

    // The worker stays up throughout: its connection reconnects to the restarted server on the same port.
    const config = testConfig({ TEMPORAL_ADDRESS: server.address, SMTP_PORT: String(sink.smtpPort) });
    const taskQueue = uniqueTaskQueue('faults-restart');
    const native = await NativeConnection.connect({ address: server.address });
    const record = await openRecord(config);
    const worker = await createCaseWorker({ config, connection: native, record, taskQueue, workflowBundle: { codePath: inject('workflowBundlePath') } });
    const running = worker.run();
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await native.close();
      await record.close();
    });
    const { client, cases, close } = await connectCases(taskQueue, server.address);
    cleanups.push(close);

    // Half the cases evaluate now; half at a meeting that falls after the restart, each waiting on a durable timer.
    const now = await startHelloCases(cases, size / 2, 'Caso durante un riavvio');
    await sink.expectAtLeast(2 * now.length, 60_000);
    phases.mark('opened and notified');
    const meeting = new Date(Date.now() + 30_000).toISOString();
    const later = await startHelloCases(cases, size / 2, 'Caso programmato durante un riavvio', meeting);

    // The kill lands while the physicians' sign-offs of the open rounds are on their way: at the third answer.
    const killAt = 3;
    let answered = 0;
    const dying = server;
    const firstSignoffs = Promise.all(
      now.map((caseRef) => signOff(cases, caseRef, actors.physician).finally(() => ++answered === killAt && dying.child.kill('SIGKILL'))),
    );
    await Promise.race([eventually(async () => dying.child.signalCode === 'SIGKILL', 60_000, 'the kill'), firstSignoffs]);
    const killedAt = Date.now();
    phases.mark('killed');
    server = await startTemporalServer(serverOptions);
    phases.mark('listening again');

    const retried = (await firstSignoffs).filter((result) => result.retried > 0).length;
    phases.mark('first sign-offs answered');
    // The meeting's timers fire after the restart and the rounds open: two requests to sign each.
    await sink.expectAtLeast(2 * size, 90_000);
    phases.mark('timers fired');
    await inBatches(later, 25, (caseRef) => signOff(cases, caseRef, actors.physician));
    await inBatches([...now, ...later], 25, (caseRef) => signOff(cases, caseRef, actors.socialWorker));
    phases.mark('signed');

    const views = await finalViews(client, [...now, ...later]);
    expectApprovedOnce(views.slice(0, now.length));
    expectApprovedOnce(views.slice(now.length), ['xstate.init', 'xstate.after.untilEvaluation.hello.scheduled']);
    // Those timers were pending through the kill: they fired from the restarted server's database.
    expect(views.slice(now.length).filter((view) => Date.parse(view.timeline[1]!.at) < killedAt)).toEqual([]);
    expectNotifiedOnce(await sink.expectAtLeast(2 * size, 10_000), [...now, ...later]);
    expect(worker.getState()).toBe('RUNNING');
    phases.mark('checked');
    console.log(
      `[faults] Temporal server killed with ${size} cases open, once ${killAt} of ${now.length} first sign-offs were answered; ` +
        `${retried} sign-offs sent again by their user: ${phases}`,
    );
  });
});
