import type { Client } from '@temporalio/client';
import type { CaseService } from '../../api/cases.js';
import { actors, approve, caseService, endedApproved, timed, type CaseOpener } from '../cases.js';
import type { Env } from '../environment.js';
import { processMemory } from '../lib.js';
import { startWorker, withWorker } from '../workers.js';
import { throughputPhase, type ThroughputResult } from './throughput.js';

/** Phase `interpreter`, (b): the production worker running the case interpreter, driven through the case service. */

export function interpreterOpener(client: Client, cases: CaseService): CaseOpener {
  return async (index) => {
    const { caseRef } = await cases.start({ kind: 'hello', data: { summary: `Caso di prova ${index}` }, actor: actors.socialWorker });
    return {
      caseRef,
      signOff: () => timed([actors.physician, actors.socialWorker].map((actor) => () => cases.send(caseRef, 'signoff.submit', approve, actor))),
      ended: () => endedApproved(client, caseRef),
    };
  };
}

/** `recorded: false`: phase `interpreter-unrecorded`, the same without the case record's write, which it costs against. */
export async function interpreterPhase(env: Env, recorded = true): Promise<ThroughputResult> {
  const mode = recorded ? 'interpreter' : 'interpreter-unrecorded';
  const worker = await startWorker(env, mode, mode);
  const readyRss = processMemory(worker.ready.pid)?.rssMiB ?? NaN;
  const label = recorded ? '(b) interpreter' : '(b0) interpreter without the record write';
  return withWorker(worker, () => throughputPhase(env, label, worker, readyRss, interpreterOpener(env.client, caseService(env, worker.taskQueue, recorded))));
}
