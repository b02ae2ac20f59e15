import { Client, Connection } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import { loadPathwayParameters } from '../worker/parameters.js';
import type { Config } from '../worker/config.js';
import { createMailer } from '../worker/worker.js';
import { createCaseService, type CaseService } from './cases.js';
import { checkHealth } from './health.js';

export interface ApiContext {
  config: Config;
  connection: Connection;
  cases: CaseService;
}

export async function buildServer(config: Config): Promise<{ app: FastifyInstance; context: ApiContext }> {
  // Lazy: the API starts, and says so on /health, even while Temporal is still coming up or down.
  const connection = Connection.lazy({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const mailer = createMailer(config);
  const context: ApiContext = { config, connection, cases: createCaseService(client, config.TEMPORAL_TASK_QUEUE, {
      parameters: loadPathwayParameters(config.RACCORDO_PARAMETERS_DIR),
    }),
  };

  const app = Fastify({ logger: config.LOG_LEVEL === 'silent' ? false : { level: config.LOG_LEVEL } });
  app.get('/health', async (_request, reply) => {
    const report = await checkHealth(connection, mailer);
    return reply.code(report.status === 'ok' ? 200 : 503).send(report);
  });
  app.addHook('onClose', async () => {
    mailer.close();
    await connection.close();
  });
  return { app, context };
}
