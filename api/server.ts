import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Client, Connection } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { createDataConverter, loadKeyring, PayloadEncryptionCodec } from '../platform/codec.js';
import type { Config } from '../platform/config.js';
import { loadPathwayParameters } from '../platform/parameters.js';
import { loadDirectory, type Directory } from '../platform/directory.js';
import { createMailer } from '../platform/mailer.js';
import { openAuditLog, registerAuditTrail, type AuditLog } from './audit.js';
import { createAuth } from './auth.js';
import { createCaseService, type CaseService } from './cases.js';
import { registerCodecEndpoint } from './codec-endpoint.js';
import { createHealthCheck } from './health.js';
import { registerHospitalRoute } from './hospital-route.js';
import { createOidcLogin, oidcSettings } from './oidc.js';
import { registerOidcRoutes } from './oidc-route.js';
import { registerErrorHandler } from './errors.js';
import { caseRoutes } from './routes/cases.js';
import { pathwayRoutes } from './routes/pathways.js';
import { personRoutes } from './routes/persons.js';
import { openRecord, type CaseRecord } from '../record/record.js';
import { sessionRoutes } from './routes/session.js';
import webPages, { DEMO_PRIVACY_CONTACT } from './web/index.js';

export interface ApiContext {
  config: Config;
  client: Client;
  cases: CaseService;
  record: CaseRecord;
  audit: AuditLog;
  directory: Directory;
}

export async function buildServer(config: Config): Promise<{ app: FastifyInstance; context: ApiContext }> {
  // First: without a key nothing starts, since case data must reach Temporal encrypted.
  const keyring = loadKeyring(config);
  // Lazy: the API starts, and says so on /health, even while Temporal is still coming up or down.
  const connection = Connection.lazy({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: createDataConverter(keyring) });
  const mailer = createMailer(config);
  const privacyContact = config.RACCORDO_PRIVACY_CONTACT ?? (config.RACCORDO_DEMO_MODE ? DEMO_PRIVACY_CONTACT : undefined);
  if (!privacyContact) {
    throw new Error('RACCORDO_PRIVACY_CONTACT is required when demo mode is off: where people ask about their data and who read it');
  }
  const directory = loadDirectory(config);
  // Migrates the record's schema, or refuses one newer than this version knows.
  const record = await openRecord(config);
  const cases = createCaseService(client, config.TEMPORAL_TASK_QUEUE, {
    directory,
    parameters: loadPathwayParameters(config.RACCORDO_PARAMETERS_DIR),
    record,
  });
  const auth = await createAuth(config, directory);
  // Fails the start if the register's last entry is damaged: accesses must not go unrecorded, or onto a new chain.
  const audit = await openAuditLog(config.RACCORDO_AUDIT_FILE);

  // Requests are logged by method, URL and status, never by body: a URL names at most a case reference.
  const app = Fastify({
    logger:
      config.LOG_LEVEL === 'silent'
        ? false
        : {
            level: config.LOG_LEVEL,
            redact: ['req.headers.authorization', 'req.headers.cookie'],
            // Without the query: a list's filters name a pathway, and a page's address says what case it is about.
            serializers: {
              req: (request: { method: string; url: string; hostname?: string; ip?: string; id?: string }) => ({
                id: request.id,
                method: request.method,
                url: request.url.split('?')[0],
                hostname: request.hostname,
              }),
            },
            // Synchronous: a line written before a crash or a kill is on disk.
            ...(config.LOG_FILE ? { stream: pino.destination({ dest: config.LOG_FILE, sync: true, mkdir: true }) } : {}),
          },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('loginRateLimit', config.RACCORDO_LOGIN_RATE_LIMIT);

  await app.register(cookie);
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // Mermaid writes its styles into the SVGs it draws.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
      },
    },
  });
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Raccordo API', version: '1', description: 'Percorsi integrati sociosanitari: casi, eventi, firme.' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'raccordo_session' },
          hospitalKey: { type: 'http', scheme: 'bearer' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  const oidc = oidcSettings(config);
  const health = createHealthCheck(connection, mailer, record, oidc?.issuer);
  app.get('/health', { schema: { hide: true } }, async (_request, reply) => {
    const report = await health.report();
    return reply.code(report.status === 'ok' ? 200 : 503).send(report);
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  registerErrorHandler(app);
  // Before the routes, so that every one of them is recorded.
  registerAuditTrail(app, audit);
  const auditRoles = config.RACCORDO_AUDIT_ROLES.split(',')
    .map((role) => role.trim())
    .filter(Boolean);
  const publicOrigin = new URL(config.PUBLIC_URL).origin;
  const loginMethods = { password: config.RACCORDO_PASSWORD_LOGIN, oidc: !!oidc };
  const oidcLogin = oidc && createOidcLogin(oidc);
  await app.register(sessionRoutes, { auth, publicOrigin, loginMethods, singleLogout: oidcLogin?.logoutUrl });
  await app.register(pathwayRoutes, { auth, publicOrigin });
  await app.register(caseRoutes, { record, cases, auth, publicOrigin, audit, auditRoles });
  await app.register(personRoutes, { record, auth, publicOrigin });
  await registerOidcRoutes(app, { login: oidcLogin, auth, publicOrigin });
  await registerHospitalRoute(app, { cases, auth });
  registerCodecEndpoint(app, {
    codec: new PayloadEncryptionCodec(keyring),
    auth,
    allowedRoles: config.RACCORDO_CODEC_ROLES.split(',')
      .map((role) => role.trim())
      .filter(Boolean),
    uiOrigin: config.TEMPORAL_UI_ORIGIN,
    publicOrigin: config.PUBLIC_URL,
    // Decoding in the Temporal UI is reading case data: recorded before the plaintext leaves.
    onDecode: async ({ user, namespace, payloadCount }) => {
      await audit.append({
        actor: { id: user.id, role: user.role, organisation: user.organisation },
        action: 'payload.decode',
        detail: `${namespace ?? 'default'}:${payloadCount}`,
        outcome: 200,
      });
    },
  });
  await app.register(webPages, { privacyContact });

  app.addHook('onClose', async () => {
    await health.settled();
    mailer.close();
    await connection.close();
    await record.close();
  });
  return { app, context: { config, client, cases, record, audit, directory } };
}
