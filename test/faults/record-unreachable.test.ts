import { afterAll, describe, expect, it, vi } from 'vitest';
import { readCase } from '../../record/cases.js';
import type { caseWorkflow } from '../../workflows/case-workflow.js';
import { actors, eventually, testDatabaseUrl, uniqueTaskQueue } from '../support/harness.js';
import { spawnWorker } from '../support/processes.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { approve, connectCases, startHelloCases, stopwatch } from './support.js';

// Three worker processes, each bundling the workflow code, and a database write that waits on a cut network.
vi.setConfig({ testTimeout: 240_000 });
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('a worker killed around a record write', () => {
  it('files each transition once the next worker runs, with no timeline entry twice, and answers the senders', async () => {
    // The worker reaches the case record and Temporal through hops the test cuts; the test reaches both directly.
    const database = new URL(testDatabaseUrl());
    const hop = await startTcpProxy(Number(database.port));
    cleanups.push(() => hop.close());
    const throughHop = new URL(database.href);
    throughHop.port = String(hop.port);
    const workerEnv = { env: { DATABASE_URL: throughHop.href } };
    const phases = stopwatch();
    const taskQueue = uniqueTaskQueue('faults-record-unreachable');
    const { client, cases, record, close } = await connectCases(taskQueue);
    cleanups.push(close);
    const first = await spawnWorker({ taskQueue, ...workerEnv });
    cleanups.push(() => first.kill());

    const [caseRef] = await startHelloCases(cases, 1, 'Caso con il registro irraggiungibile');
    const filedEvents = async () =>
      (await record.db.selectFrom('timeline').select(['seq', 'event']).where('case_ref', '=', caseRef!).orderBy('seq').execute()).map(
        ({ seq, event }) => `${seq} ${event}`,
      );
    expect(await filedEvents()).toEqual(['1 xstate.init']);

    // 1. Killed after the transition, before its write: the next worker writes it.
    await hop.cut();
    const physicianSigns = cases.send(caseRef!, 'signoff.submit', approve, actors.physician);
    // Committed: Temporal holds the update as accepted (the worker reports its task as still under way while the
    // write retries), and the record does not show it yet.
    const handle = client.workflow.getHandle<typeof caseWorkflow>(caseRef!);
    const accepted = async (count: number) =>
      eventually(
        async () => ((await handle.fetchHistory()).events ?? []).filter((event) => event.workflowExecutionUpdateAcceptedEventAttributes).length === count,
        90_000,
        `sign-off ${count} accepted by Temporal`,
      );
    await accepted(1);
    phases.mark('first sign-off accepted');
    expect(await filedEvents()).toEqual(['1 xstate.init']);
    await first.kill('SIGKILL');
    await hop.restore();
    const second = await spawnWorker({ taskQueue, ...workerEnv });
    cleanups.push(() => second.kill());
    // The sender, kept waiting through the crash, gets the answer once the record shows the sign-off.
    expect(await physicianSigns).toMatchObject({ status: 'active', state: 'evaluation' });
    phases.mark('first sign-off filed');
    expect(await filedEvents()).toEqual(['1 xstate.init', '2 signoff.submit']);

    // 2. Killed after the write, before it learnt that the write was done: the next worker writes it again, to no effect.
    // The hop swallows the database's answer to the write's COMMIT (the protocol's CommandComplete tag) and cuts.
    const commitSwallowed = hop.cutOnReply('COMMIT\0');
    const socialWorkerSigns = cases.send(caseRef!, 'signoff.submit', approve, actors.socialWorker);
    await commitSwallowed;
    phases.mark('second sign-off written, unacknowledged');
    expect(await filedEvents()).toEqual(['1 xstate.init', '2 signoff.submit', '3 signoff.submit']);
    await second.kill('SIGKILL');
    await hop.restore();
    const third = await spawnWorker({ taskQueue, ...workerEnv });
    cleanups.push(() => third.kill());
    expect(await socialWorkerSigns).toMatchObject({ status: 'done', outcome: 'approved' });
    phases.mark('second sign-off filed');
    expect(await filedEvents()).toEqual(['1 xstate.init', '2 signoff.submit', '3 signoff.submit']);
    // As Temporal kept it: the redone sign-off at the time the next worker made it, in the case and in its timeline.
    const kept = await handle.result();
    expect((await readCase(record, caseRef!))?.state).toEqual(kept);
    const rows = await record.db.selectFrom('timeline').select(['event', 'at']).where('case_ref', '=', caseRef!).orderBy('seq').execute();
    expect(rows.map(({ event, at }) => ({ event, at: new Date(at).toISOString() }))).toEqual(kept.timeline.map(({ event, at }) => ({ event, at })));
    console.log(`[faults] worker killed before and after a record write: ${phases}`);
  });
});
