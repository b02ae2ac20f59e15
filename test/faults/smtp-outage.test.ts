import { afterAll, describe, expect, it, vi } from 'vitest';
import { isListening } from '../../scripts/services.js';
import { actors, eventually, uniqueTaskQueue } from '../support/harness.js';
import { spawnWorker, startDedicatedMailSink } from '../support/processes.js';
import { approve, connectCases, expectApprovedOnce, expectNotifiedOnce, finalViews, inBatches, startHelloCases, stopwatch } from './support.js';

// A worker process that bundles the workflow code, then 50 cases: generous on a loaded 2-core machine.
vi.setConfig({ testTimeout: 300_000 });
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const size = 50;

describe(`the SMTP server down for a while during ${size} cases, then back`, () => {
  it('delivers every notification exactly once, and no case fails or stalls meanwhile', async () => {
    const phases = stopwatch();
    const sink = await startDedicatedMailSink();
    cleanups.push(() => sink.dispose());
    // The production worker process: its SDK logs every failed attempt, which stays in its own output.
    const taskQueue = uniqueTaskQueue('faults-smtp-outage');
    const worker = await spawnWorker({ taskQueue, smtpPort: sink.smtpPort });
    cleanups.push(() => worker.kill());
    const { client, cases, close } = await connectCases(taskQueue);
    cleanups.push(close);
    const statuses = (caseRefs: readonly string[]) =>
      inBatches(caseRefs, 25, async (caseRef) => (await client.workflow.getHandle(caseRef).describe()).status.name);

    const before = await startHelloCases(cases, size / 2, 'Caso prima del guasto SMTP');
    await sink.expectAtLeast(2 * before.length, 60_000);
    phases.mark('opened and notified');

    await sink.stop();
    phases.mark('SMTP down');
    const during = await startHelloCases(cases, size / 2, 'Caso durante il guasto SMTP');
    const all = [...before, ...during];
    // The work goes on without mail: every physician signs meanwhile.
    const signed = await inBatches(all, 25, (caseRef) => cases.send(caseRef, 'signoff.submit', approve, actors.physician));
    expect(signed.map((view) => `${view.status} ${view.state}`)).toEqual(all.map(() => 'active evaluation'));
    // Down "for a while": until every request to sign has failed at least twice and waits for its next retry.
    await eventually(
      async () => {
        const attempts = await inBatches(during, 25, async (caseRef) => {
          const pending = (await client.workflow.getHandle(caseRef).describe()).raw.pendingActivities ?? [];
          return pending[0]?.attempt ?? 0;
        });
        return attempts.every((attempt) => attempt >= 3);
      },
      60_000,
      'every notification to be retried twice',
    );
    expect(await statuses(all)).toEqual(all.map(() => 'RUNNING'));
    expect(await isListening(sink.smtpPort)).toBe(false);
    phases.mark('all retried twice');

    await sink.restart();
    phases.mark('SMTP back');
    const delivered = await sink.expectAtLeast(2 * size, 90_000);
    phases.mark('all delivered');
    const done = await inBatches(all, 25, (caseRef) => cases.send(caseRef, 'signoff.submit', approve, actors.socialWorker));
    expect(done.map((view) => view.outcome)).toEqual(all.map(() => 'approved'));

    expectApprovedOnce(await finalViews(client, all));
    expect(await statuses(all)).toEqual(all.map(() => 'COMPLETED'));
    expectNotifiedOnce(await sink.expectAtLeast(delivered.length, 5_000), all);
    phases.mark('approved and checked');
    console.log(`[faults] SMTP outage during ${size} cases (${during.length} opened meanwhile): ${phases}`);
  });
});
