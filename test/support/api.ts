import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../api/server.js';
import { startCaseStack, testConfig, type CaseStack } from './harness.js';

export interface ApiStack {
  app: FastifyInstance;
  stack: CaseStack;
  /** Logs in as the demo account of a role and returns its session cookie. */
  login(role: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The real API in front of a real worker, both on the shared Temporal server, on a task queue of their own, and with the
 * same configuration (a directory file: the worker notifies its operators, the API logs them in).
 */
export async function startApi(name: string, overrides: Record<string, string> = {}): Promise<ApiStack> {
  const stack = await startCaseStack(name, overrides);
  const { app } = await buildServer(testConfig({ TEMPORAL_TASK_QUEUE: stack.taskQueue, RACCORDO_LOGIN_RATE_LIMIT: '1000', ...overrides }));
  await app.ready();
  return {
    app,
    stack,
    async login(role) {
      const response = await app.inject({ method: 'POST', url: '/api/session', payload: { username: role, password: 'raccordo-demo' } });
      if (response.statusCode !== 200) throw new Error(`login as ${role}: ${response.statusCode} ${response.body}`);
      const cookie = response.cookies.find((c) => c.name === 'raccordo_session');
      return `raccordo_session=${cookie!.value}`;
    },
    async stop() {
      await app.close();
      await stack.stop();
    },
  };
}
