import { afterAll, describe, expect, it, vi } from 'vitest';
import { actors, eventually, uniqueTaskQueue } from '../support/harness.js';
import { spawnWorker, startDedicatedMailSink } from '../support/processes.js';
import { approve, connectCases, expectApprovedOnce, expectNotifiedOnce, finalViews, inBatches, startHelloCases, stopwatch } from './support.js';

// Two worker processes, each bundling the workflow code, and 200 cases on a loaded 2-core machine.
vi.setConfig({ testTimeout: 300_000 });
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const size = 200;

describe(`kill -9 of the worker process during ${size} open cases`, () => {
  it('loses no case and does nothing twice: every case is approved once, with two notifications', async () => {
    const phases = stopwatch();
    const sink = await startDedicatedMailSink();
    cleanups.push(() => sink.dispose());
    const taskQueue = uniqueTaskQueue('faults-killed-worker');
    const { client, cases, close } = await connectCases(taskQueue);
    cleanups.push(close);

    // The cases open while the first worker bundles the workflow code: they wait for it in the task queue.
    const [first, caseRefs] = await Promise.all([
      spawnWorker({ taskQueue, smtpPort: sink.smtpPort }).then((worker) => (cleanups.push(() => worker.kill()), worker)),
      startHelloCases(cases, size, 'Caso sotto guasto del worker'),
    ]);
    phases.mark('opened');
    // The requests to sign go out before the kill: an SMTP send cut between the server's "250 OK" and the activity's
    // heartbeat is repeated by its retry (at least once, same Message-ID), which is not what this test is about.
    await sink.expectAtLeast(2 * size, 90_000);
    phases.mark('notified');

    // The kill lands in the middle of a batch of first sign-offs: half of that batch answered, half still in flight.
    const batch = 20;
    const killAt = size / 2 + batch / 2;
    let signed = 0;
    const firstSignoffs = inBatches(caseRefs, batch, async (caseRef) => {
      const view = await cases.send(caseRef, 'signoff.submit', approve, actors.physician);
      if (++signed === killAt) first.child.kill('SIGKILL');
      return view;
    });
    await Promise.race([eventually(async () => first.child.signalCode === 'SIGKILL', 90_000, 'the kill'), firstSignoffs]);
    phases.mark('killed');
    // Until the new worker polls, the sign-offs sent meanwhile wait for it rather than being lost.
    const second = await spawnWorker({ taskQueue, smtpPort: sink.smtpPort });
    cleanups.push(() => second.kill());
    phases.mark('new worker polling');

    const halfway = await firstSignoffs;
    expect(halfway.map((view) => `${view.status} ${view.state}`)).toEqual(caseRefs.map(() => 'active evaluation'));
    const done = await inBatches(caseRefs, batch, (caseRef) => cases.send(caseRef, 'signoff.submit', approve, actors.socialWorker));
    expect(done.map((view) => view.outcome)).toEqual(caseRefs.map(() => 'approved'));
    phases.mark('approved');

    expectApprovedOnce(await finalViews(client, caseRefs));
    expectNotifiedOnce(await sink.expectAtLeast(2 * size, 10_000), caseRefs);
    phases.mark('checked');
    console.log(`[faults] worker killed after ${killAt} of ${size} first sign-offs: ${phases}`);
  });
});
