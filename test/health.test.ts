import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../api/server.js';
import { freePort } from '../scripts/services.js';
import { testConfig } from './support/harness.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function health(overrides: Record<string, string> = {}) {
  ({ app } = await buildServer(testConfig(overrides)));
  const response = await app.inject({ method: 'GET', url: '/health' });
  return { status: response.statusCode, body: response.json() };
}

describe('GET /health', () => {
  it('answers 200 when Temporal and SMTP are both reachable', async () => {
    expect(await health()).toEqual({ status: 200, body: { status: 'ok', temporal: 'up', smtp: 'up' } });
  });

  it('answers 503 and names SMTP when the SMTP server is down', async () => {
    expect(await health({ SMTP_PORT: String(await freePort()) })).toEqual({
      status: 503,
      body: { status: 'degraded', temporal: 'up', smtp: 'down' },
    });
  });

  it('answers 503 and names Temporal when the Temporal server is down', async () => {
    expect(await health({ TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` })).toEqual({
      status: 503,
      body: { status: 'degraded', temporal: 'down', smtp: 'up' },
    });
  });
});
