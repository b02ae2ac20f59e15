import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../api/server.js';
import { freePort, startPostgres } from '../scripts/services.js';
import { testConfig } from './support/harness.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function health(overrides: Record<string, string> = {}, beforeAsking?: () => Promise<void>) {
  ({ app } = await buildServer(testConfig(overrides)));
  await beforeAsking?.();
  const response = await app.inject({ method: 'GET', url: '/health' });
  return { status: response.statusCode, body: response.json() };
}

describe('GET /health', () => {
  it('answers 200 when Temporal, SMTP and the case record are all reachable', async () => {
    expect(await health()).toEqual({ status: 200, body: { status: 'ok', temporal: 'up', smtp: 'up', record: 'up' } });
  });

  it('answers 503 and names SMTP when the SMTP server is down', async () => {
    expect(await health({ SMTP_PORT: String(await freePort()) })).toEqual({
      status: 503,
      body: { status: 'degraded', temporal: 'up', smtp: 'down', record: 'up' },
    });
  });

  it('answers 503 and names Temporal when the Temporal server is down', async () => {
    expect(await health({ TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` })).toEqual({
      status: 503,
      body: { status: 'degraded', temporal: 'down', smtp: 'up', record: 'up' },
    });
  });

  it('answers 503 and names the record when its PostgreSQL goes down after the start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'raccordo-health-'));
    chmodSync(dataDir, 0o755);
    const postgres = await startPostgres({ dataDir: join(dataDir, 'pg'), port: await freePort(), persistent: false });
    expect(await health({ DATABASE_URL: postgres.url }, () => postgres.stop())).toEqual({
      status: 503,
      body: { status: 'degraded', temporal: 'up', smtp: 'up', record: 'down' },
    });
  });
});
