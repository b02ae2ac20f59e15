import type { Client } from '@temporalio/client';
import type { Actor } from '../../machines/case.js';
import type { EventRequest } from '../../machines/case-state.js';
import { baselineSignoff, baselineWorkflow } from '../baseline-workflow.js';
import { actors, approve, timed, type CaseOpener } from '../cases.js';
import type { Env } from '../environment.js';
import { processMemory } from '../lib.js';
import { runId } from '../options.js';
import { startWorker, withWorker } from '../workers.js';
import { throughputPhase, type ThroughputResult } from './throughput.js';

/**
 * Phases `baseline` and `baseline-bare`, (a) and (a0): the hand-written workflow of the same shape as the interpreter's
 * hello case (bench/baseline-workflow.ts), with its search attributes and without them.
 */

function baselineOpener(client: Client, taskQueue: string, listed: boolean): CaseOpener {
  const request = (actor: Actor): EventRequest => ({ type: 'signoff.submit', payload: approve, actor });
  return async (index) => {
    const caseRef = `BASE-${runId}-${index}`;
    const handle = await client.workflow.start(baselineWorkflow, {
      taskQueue,
      workflowId: caseRef,
      args: [{ caseRef, roles: [actors.physician.role, actors.socialWorker.role], remindEvery: '2 days', listed }],
    });
    return {
      caseRef,
      signOff: () => timed([actors.physician, actors.socialWorker].map((actor) => () => handle.executeUpdate(baselineSignoff, { args: [request(actor)] }))),
      async ended() {
        const result = await handle.result();
        if (result.status !== 'done') throw new Error(`${caseRef} ended ${result.status}`);
      },
    };
  };
}

export async function baselinePhase(env: Env, listed: boolean): Promise<ThroughputResult> {
  const worker = await startWorker(env, 'baseline', listed ? 'baseline' : 'baseline-bare');
  const readyRss = processMemory(worker.ready.pid)?.rssMiB ?? NaN;
  const name = listed ? '(a) baseline' : '(a0) baseline, no search attributes';
  return withWorker(worker, () => throughputPhase(env, name, worker, readyRss, baselineOpener(env.client, worker.taskQueue, listed)));
}
