import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../api/server.js';
import { testConfig, uniqueTaskQueue } from './support/harness.js';

/** No worker polls this API's task queue: the extreme of a backlog, where queries wait and then time out. */
let app: FastifyInstance;
let cookie: string;
beforeAll(async () => {
  ({ app } = await buildServer(testConfig({ TEMPORAL_TASK_QUEUE: uniqueTaskQueue('no-worker') })));
  const login = await app.inject({ method: 'POST', url: '/api/session', payload: { username: 'social-worker', password: 'raccordo-demo' } });
  cookie = `raccordo_session=${login.cookies.find((c) => c.name === 'raccordo_session')!.value}`;
});
afterAll(() => app?.close());

describe('when no worker can answer in time', () => {
  it('opening a case still answers 201 with its reference, and reading it answers 503 with Retry-After', { timeout: 150_000 }, async () => {
    const opened = await app.inject({ method: 'POST', url: '/api/cases', headers: { cookie }, payload: { kind: 'hello', data: { summary: 'Coda piena' } } });
    expect(opened.statusCode).toBe(201);
    expect(opened.json()).toMatchObject({ caseRef: expect.stringMatching(/^RAC-/), state: 'opening', stateLabel: 'In apertura' });

    const read = await app.inject({ method: 'GET', url: `/api/cases/${opened.json().caseRef}`, headers: { cookie } });
    expect(read.statusCode).toBe(503);
    expect(read.headers['retry-after']).toBe('5');
    expect(read.json().code).toBe('Busy');
  });
});
