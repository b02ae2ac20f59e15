import type { Client } from '@temporalio/client';
import type { ApiMessage } from '../api-process.js';
import { http, login, type Session } from '../api-client.js';
import { approve, endedApproved, timed, type CaseOpener } from '../cases.js';
import type { Env } from '../environment.js';
import { processMemory } from '../lib.js';
import { options } from '../options.js';
import { startNodeChild } from '../processes.js';
import { startWorker, withWorker } from '../workers.js';
import { freePort } from '../../scripts/services.js';
import { apiUsersPhase, type ApiUsersResult } from './api-users.js';
import { throughputPhase, type ThroughputResult } from './throughput.js';

/**
 * Phase `api`, (c): the interpreter driven through the HTTP API (bench/api-process.ts, in a process of its own); and
 * on the same worker and API, phases `api-users` and `api-saturation`.
 */

function apiOpener(client: Client, baseUrl: string, sessions: { socialWorker: Session; physician: Session }[]): CaseOpener {
  return async (index, slot) => {
    const { socialWorker, physician } = sessions[slot]!;
    const created = await http<{ caseRef: string }>(baseUrl, 'POST', '/api/cases', socialWorker.cookie, {
      kind: 'hello',
      data: { summary: `Caso di prova ${index}` },
    });
    const caseRef = created.body.caseRef;
    return {
      caseRef,
      signOff: () =>
        timed(
          [physician, socialWorker].map(
            (session) => () => http(baseUrl, 'POST', `/api/cases/${caseRef}/events`, session.cookie, { type: 'signoff.submit', payload: approve }),
          ),
        ),
      ended: () => endedApproved(client, caseRef),
    };
  };
}

export interface ApiPhasesResult {
  api?: ThroughputResult;
  apiUsers?: ApiUsersResult;
  apiSaturation?: ApiUsersResult;
}

/** `phase` runs each of the three if it was asked for, and reports its failure without stopping the others. */
export async function apiPhases(env: Env, phase: <T>(name: string, work: () => Promise<T>) => Promise<T | undefined>): Promise<ApiPhasesResult> {
  const worker = await startWorker(env, 'interpreter', 'api');
  const readyRss = processMemory(worker.ready.pid)?.rssMiB ?? NaN;
  return withWorker(worker, async () => {
    const server = await startNodeChild<ApiMessage>(
      'bench/api-process.ts',
      { ...env.childEnv, TEMPORAL_TASK_QUEUE: worker.taskQueue, PORT: String(await freePort()) },
      'the API',
    );
    const ready = server.ready as Extract<ApiMessage, { ready: true }>;
    const apiChild = Object.assign(server, { ready });
    try {
      const api = await phase('api', async () => {
        const sessions = await Promise.all(
          Array.from({ length: options.BENCH_CONCURRENCY }, async () => ({
            socialWorker: await login(ready.url, 'social-worker'),
            physician: await login(ready.url, 'physician'),
          })),
        );
        return throughputPhase(env, '(c) HTTP API', worker, readyRss, apiOpener(env.client, ready.url, sessions), apiChild);
      });
      const apiUsers = await phase('api-users', () => apiUsersPhase(env, ready.url, worker, apiChild, 'api-users', options.BENCH_API_THINK_MS));
      const apiSaturation = await phase('api-saturation', () => apiUsersPhase(env, ready.url, worker, apiChild, 'api-saturation', 0));
      return { api, apiUsers, apiSaturation };
    } finally {
      await server.stop();
    }
  });
}
