import type {} from '@fastify/cookie';
import { isGrpcServiceError, ServiceError, type Client } from '@temporalio/client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Actor } from '../machines/case.js';
import { mermaidDiagram } from '../machines/diagram.js';
import { knownRoles, type Directory } from '../activities/directory.js';
import type { EventDefinition, PathwayDefinition } from '../machines/pathway.js';
import { currentPathway, findPathway, pathways } from '../machines/registry.js';
import { coOwnedBy, type CaseView } from '../workflows/messages.js';
import { searchAttributes } from '../workflows/search-attributes.js';
import { BREAK_GLASS_HEADER, concealedParts, MIN_BREAK_GLASS_REASON, restrictedView } from './access.js';
import type { AuditLog } from './audit.js';
import type { Auth, SessionUser } from './auth.js';
import { CaseError, type CaseService } from './cases.js';

export const SESSION_COOKIE = 'raccordo_session';

// gRPC status codes of an engine that is there but cannot answer in time: DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE.
const busyCodes = new Set([4, 8, 14]);
/** Temporal did not answer in time (a query waiting for a worker under a backlog): worth a retry, not a 500. */
function engineBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code ?? ((error as { cause?: { code?: unknown } }).cause?.code);
  return (error instanceof ServiceError || isGrpcServiceError(error)) && typeof code === 'number' && busyCodes.has(code);
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reached without a session: the ways of logging in. */
    public?: boolean;
  }
  interface FastifyRequest {
    user?: SessionUser;
    /** Set when a case was read by breaking the glass: the audit trail records the reason and flags the access. */
    breakGlassReason?: string;
  }
}

const sessionUserSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.string(),
  roles: z.array(z.string()),
  /** The Italian names of the person's roles, for the role switch: the pathways of the active role may name none of the others. */
  roleLabels: z.record(z.string(), z.string()),
  organisation: z.string(),
});
const roleNames = knownRoles();
const sessionView = (user: SessionUser) => ({
  ...user,
  roleLabels: Object.fromEntries(user.roles.map((role) => [role, roleNames.get(role) ?? role])),
});

export const errorSchema = z.object({
  code: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export const fail = (reply: FastifyReply, status: number, code: string, message: string) => reply.code(status).send({ code, message });

const kinds = [...new Set(pathways.map((pathway) => pathway.kind))] as [string, ...string[]];
/** Values that go into a visibility query: nothing that could change the query's meaning. */
const keyword = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'Valore non valido');
const caseRefParam = z.object({ ref: z.string().regex(/^[A-Z0-9]{2,5}-[A-Z0-9-]{4,20}$/, 'Riferimento del caso non valido') });

const caseSummarySchema = z.object({
  caseRef: z.string(),
  kind: z.string(),
  title: z.string(),
  state: z.string(),
  stateLabel: z.string(),
  pendingRoles: z.array(z.string()),
  nextDeadline: z.string().optional(),
  overdue: z.boolean(),
  startedAt: z.string().optional(),
});
type CaseSummary = z.infer<typeof caseSummarySchema>;

export interface RouteDeps {
  client: Client;
  cases: CaseService;
  /** The register of organisations: the choices of a hand-over's form. */
  directory: Directory;
  auth: Auth;
  publicOrigin: string;
  audit: AuditLog;
  /** Roles that may read a case's register of accesses. */
  auditRoles: readonly string[];
  loginMethods: LoginMethods;
  /** The provider's end-session address for a single sign-on session, when single sign-on is configured. */
  singleLogout?: () => Promise<URL | undefined>;
}

export const loginMethodsSchema = z.object({
  /** Username and password (POST /api/session). */
  password: z.boolean(),
  /** Single sign-on with the OpenID provider (GET /api/session/oidc). */
  oidc: z.boolean(),
});
export type LoginMethods = z.infer<typeof loginMethodsSchema>;

/** Login attempts per client address: each one costs an argon2 verification or a round trip to the identity provider. */
export const loginRateLimit = (app: FastifyInstance) => ({ max: app.loginRateLimit, timeWindow: '1 minute' });

/** The session cookie, however the person logged in. */
export function setSessionCookie(reply: FastifyReply, token: string, publicOrigin: string): FastifyReply {
  return reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: publicOrigin.startsWith('https:'), path: '/' });
}

/**
 * An event's form: its payload schema, with the organisations of the register a hand-over may name offered as choices
 * (`oneOf` of `const` and `title`, as the form renders choices).
 */
function eventForm(definition: EventDefinition, directory: Directory) {
  const schema = z.toJSONSchema(definition.schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, object> };
  const handsOver = definition.handsOver;
  const field = handsOver && schema.properties?.[handsOver.field];
  if (!handsOver || !field) return schema;
  const choices = directory.organisations
    .filter((organisation) => organisation.type === handsOver.organisationType)
    .map((organisation) => ({ const: organisation.id, title: organisation.name }));
  return { ...schema, properties: { ...schema.properties, [handsOver.field]: { ...field, oneOf: choices } } };
}

/** The pathways a role takes part in: the only ones whose cases it may list or open. */
const pathwaysOf = (role: string) => pathways.filter((pathway) => role in pathway.roles);

function deepestLabelled(pathway: PathwayDefinition | undefined, paths: readonly string[]): { state: string; stateLabel: string } {
  const labelled = paths.filter((path) => pathway?.stateLabels[path]).sort((a, b) => b.split('.').length - a.split('.').length);
  const state = labelled[0] ?? paths[0] ?? '';
  return { state, stateLabel: pathway?.stateLabels[state] ?? state };
}

export async function registerRoutes(
  app: FastifyInstance,
  { client, cases, directory, auth, publicOrigin, audit, auditRoles, loginMethods, singleLogout }: RouteDeps,
) {
  const api = app.withTypeProvider<ZodTypeProvider>();

  app.setErrorHandler((error: Error, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = error.validationContext ?? 'body';
      return reply.code(400).send({
        code: 'InvalidRequest',
        message: 'Richiesta non valida',
        issues: error.validation.map((issue) => ({
          path: [where === 'body' ? '' : where, issue.instancePath.replace(/^\//, '').replaceAll('/', '.')].filter(Boolean).join('.'),
          message: issue.message ?? 'Valore non valido',
        })),
      });
    }
    if (engineBusy(error)) {
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ code: 'Busy', message: 'Il servizio è momentaneamente sovraccarico: riprovare tra qualche secondo' });
    }
    if (error instanceof CaseError) {
      return reply.code(error.status).send({ code: error.code, message: error.message, ...(error.issues.length ? { issues: error.issues } : {}) });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply.code(status).send({ code: (error as { code?: string }).code ?? 'BadRequest', message: error.message });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ code: 'InternalError', message: 'Errore interno: riprovare più tardi' });
  });

  // An unknown address answers in the API's own error shape, like every other refusal.
  app.setNotFoundHandler((request, reply) => fail(reply, 404, 'NotFound', `Indirizzo inesistente: ${request.method} ${request.url.split('?')[0]}`));

  /** Every /api route but the login ones needs a person (session) or, for hospital routes, a system (API key). */
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/') || request.url.startsWith('/api/hospital/')) return;
    if (request.routeOptions.config.public) return;
    const token = request.cookies[SESSION_COOKIE];
    request.user = auth.session(token);
    if (!request.user) return fail(reply, 401, 'Unauthenticated', 'Accesso richiesto');
    // SameSite=Strict already keeps other sites' forms out; the Origin check covers older browsers.
    const origin = request.headers.origin;
    if (request.method !== 'GET' && origin && origin !== publicOrigin && origin !== `${request.protocol}://${request.headers.host}`) {
      return fail(reply, 403, 'CrossOrigin', 'Richiesta da un’origine non ammessa');
    }
  });

  const currentUser = (request: FastifyRequest): SessionUser => request.user!;
  const actorOf = ({ id, role, organisation }: SessionUser): Actor => ({ id, role, organisation });

  api.post(
    '/api/session',
    {
      config: { public: true, rateLimit: loginRateLimit(app) },
      schema: {
        tags: ['sessione'],
        body: z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(500) }),
        response: {
          200: z.object({ user: sessionUserSchema }),
          401: errorSchema,
          403: errorSchema,
        },
      },
    },
    async (request, reply) => {
      if (!loginMethods.password) {
        return fail(reply, 403, 'PasswordLoginDisabled', 'L’accesso con password è disattivato: accedere con il fornitore di identità');
      }
      const user = await auth.login(request.body.username, request.body.password);
      if (!user) return fail(reply, 401, 'InvalidCredentials', 'Credenziali non valide');
      setSessionCookie(reply, auth.openSession(user), publicOrigin);
      return { user: sessionView(user) };
    },
  );

  /** What the login page offers. */
  api.get(
    '/api/session/methods',
    { config: { public: true }, schema: { tags: ['sessione'], response: { 200: loginMethodsSchema } } },
    async () => loginMethods,
  );

  api.get('/api/session', { schema: { tags: ['sessione'], response: { 200: z.object({ user: sessionUserSchema }) } } }, async (request) => ({
    user: sessionView(currentUser(request)),
  }));

  /** Someone who holds several roles acts in one at a time: the lists, tasks and rights of that one. */
  api.put(
    '/api/session/role',
    {
      schema: {
        tags: ['sessione'],
        body: z.object({ role: z.string().min(1).max(100) }),
        response: { 200: z.object({ user: sessionUserSchema }), 400: errorSchema },
      },
    },
    async (request, reply) => {
      const user = auth.switchRole(request.cookies[SESSION_COOKIE], request.body.role);
      if (!user) {
        return reply.code(400).send({
          code: 'RoleNotAssigned',
          message: 'Ruolo non assegnato a questo utente',
          issues: [{ path: 'role', message: `Ruoli disponibili: ${currentUser(request).roles.join(', ')}` }],
        });
      }
      return { user: sessionView(user) };
    },
  );

  api.delete(
    '/api/session',
    { schema: { tags: ['sessione'], response: { 200: z.object({ logoutUrl: z.string() }), 204: z.null() } } },
    async (request, reply) => {
      const { viaProvider } = auth.closeSession(request.cookies[SESSION_COOKIE]);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      // A session from single sign-on ends at the provider too: the page sends the browser there.
      const logoutUrl = viaProvider ? await singleLogout?.() : undefined;
      return logoutUrl ? { logoutUrl: logoutUrl.href } : reply.code(204).send(null);
    },
  );

  api.get('/api/pathways', { schema: { tags: ['percorsi'] } }, async (request) =>
    pathwaysOf(currentUser(request).role)
      .filter((pathway) => currentPathway(pathway.kind) === pathway)
      .map((pathway) => ({
        kind: pathway.kind,
        version: pathway.version,
        title: pathway.title,
        startSchema: z.toJSONSchema(pathway.startSchema, { io: 'input', unrepresentable: 'any' }),
        roles: pathway.roles,
        canStart: pathway.startRoles.includes(currentUser(request).role),
      })),
  );

  api.post(
    '/api/cases',
    {
      schema: {
        tags: ['casi'],
        body: z.object({ kind: z.enum(kinds, { error: 'Percorso sconosciuto' }), data: z.record(z.string(), z.unknown()) }),
        response: { 201: z.object({ caseRef: z.string(), state: z.string(), stateLabel: z.string() }), 400: errorSchema, 403: errorSchema },
      },
    },
    async (request, reply) => {
      const actor = actorOf(currentUser(request));
      const { caseRef } = await cases.start({ kind: request.body.kind, data: request.body.data, actor });
      request.auditCaseRef = caseRef;
      // The case exists from here on: if no worker can say its state yet, answer with the reference anyway, so that
      // nobody retries and opens it twice.
      const view = await cases.view(caseRef, actor.role).catch((error: unknown) => {
        if (engineBusy(error)) return { state: 'opening', stateLabel: 'In apertura' };
        throw error;
      });
      return reply.code(201).send({ caseRef, state: view.state, stateLabel: view.stateLabel });
    },
  );

  async function listCases(
    { role, organisation }: SessionUser,
    filters: { kind?: string; state?: string; pendingRole?: string; overdue?: boolean },
  ): Promise<CaseSummary[]> {
    // A filter on a state or role the role must not learn of finds nothing, whatever the cases: it tells nothing either.
    const visible = [
      ...new Set(
        pathwaysOf(role)
          .filter((pathway) => !(filters.state && concealedParts(pathway, role).states.has(filters.state)))
          .filter((pathway) => !(filters.pendingRole && concealedParts(pathway, role).roles.has(filters.pendingRole)))
          .map((pathway) => pathway.kind),
      ),
    ];
    if (!visible.length || (filters.kind && !visible.includes(filters.kind))) return [];
    const now = new Date().toISOString();
    const clauses = [
      `${searchAttributes.kind.name} IN (${(filters.kind ? [filters.kind] : visible).map((kind) => `'${kind}'`).join(', ')})`,
      // Register ids are keywords ([A-Za-z0-9_.-]): nothing in one can change the query's meaning.
      `${searchAttributes.organisations.name} = '${organisation}'`,
      ...(filters.state ? [`${searchAttributes.state.name} = '${filters.state}'`] : []),
      ...(filters.pendingRole ? [`${searchAttributes.pendingRoles.name} = '${filters.pendingRole}'`] : []),
      ...(filters.overdue ? [`${searchAttributes.nextDeadline.name} < '${now}'`] : []),
    ];
    const summaries: CaseSummary[] = [];
    for await (const execution of client.workflow.list({ query: clauses.join(' AND '), pageSize: 200 })) {
      const attributes = execution.typedSearchAttributes;
      const kind = attributes.get(searchAttributes.kind) ?? '';
      const pathway = findPathway(kind, attributes.get(searchAttributes.version) ?? '');
      const concealed = pathway && concealedParts(pathway, role);
      const deadline = attributes.get(searchAttributes.nextDeadline);
      summaries.push({
        caseRef: execution.workflowId,
        kind,
        title: pathway?.title ?? kind,
        ...deepestLabelled(pathway, (attributes.get(searchAttributes.state) ?? []).filter((path) => !concealed?.states.has(path))),
        pendingRoles: (attributes.get(searchAttributes.pendingRoles) ?? []).filter((pending) => !concealed?.roles.has(pending)),
        ...(deadline ? { nextDeadline: deadline.toISOString() } : {}),
        overdue: !!deadline && deadline.toISOString() < now && execution.status.name === 'RUNNING',
        startedAt: execution.startTime.toISOString(),
      });
      if (summaries.length >= 500) break;
    }
    return summaries;
  }

  api.get(
    '/api/cases',
    {
      schema: {
        tags: ['casi'],
        querystring: z.object({
          kind: z.enum(kinds, { error: 'Percorso sconosciuto' }).optional(),
          state: keyword.optional(),
          pendingRole: keyword.optional(),
          overdue: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
        }),
        response: { 200: z.array(caseSummarySchema), 400: errorSchema },
      },
    },
    async (request) => listCases(currentUser(request), request.query),
  );

  api.get('/api/tasks', { schema: { tags: ['casi'] } }, async (request) => {
    const user = currentUser(request);
    const role = user.role;
    const pending = await listCases(user, { pendingRole: role });
    return pending
      .map(({ caseRef, kind, title, stateLabel, nextDeadline, overdue }) => ({ caseRef, kind, title, stateLabel, role, nextDeadline, overdue }))
      .sort((a, b) => Number(b.overdue) - Number(a.overdue) || (a.nextDeadline ?? '~').localeCompare(b.nextDeadline ?? '~'));
  });

  /**
   * The case as the caller's role sees it: restricted fields left out, and what would reveal them (api/access.ts), with
   * its diagram and the forms of the events it may send now. Someone outside the pathway reads it only by breaking
   * the glass, with a stated reason, and then reads all of it.
   */
  async function caseFor(caseRef: string, user: SessionUser, access: { view?: CaseView; breakGlassReason?: string } = {}) {
    const reason = access.breakGlassReason?.trim();
    // Checked before the case is looked up, so that the answer says nothing of whether it exists.
    if (reason !== undefined && reason.length < MIN_BREAK_GLASS_REASON) {
      throw new CaseError(400, 'BreakGlassReasonTooShort', `La motivazione dell’accesso di emergenza deve avere almeno ${MIN_BREAK_GLASS_REASON} caratteri`);
    }
    const { coOwners, ...current } = access.view ?? (await cases.view(caseRef, user.role));
    const pathway = findPathway(current.kind, current.version);
    const coOwner = coOwnedBy(coOwners, user.organisation);
    const roleOnPathway = !!pathway && user.role in pathway.roles;
    const breakGlass = !(coOwner && roleOnPathway) && !!reason;
    // To an organisation that does not co-own it, the case does not exist.
    if (!coOwner && !breakGlass) throw new CaseError(404, 'CaseNotFound', `Caso ${caseRef} non trovato`);
    if (!pathway || (!roleOnPathway && !breakGlass)) {
      throw new CaseError(403, 'RoleNotAllowed', 'Il tuo ruolo non partecipa a questo percorso: l’accesso di emergenza richiede una motivazione');
    }
    // Breaking the glass gives a role of the pathway its need-to-know view still: an emergency does not make a host
    // company need a judicial measure.
    const view = roleOnPathway ? restrictedView(pathway, user.role, current) : current;
    return {
      ...view,
      ...(breakGlass ? { breakGlass: true, allowedEvents: [] } : {}),
      diagram: mermaidDiagram(
        pathway,
        view.activeStates.map((state) => state.path),
        roleOnPathway ? concealedParts(pathway, user.role) : undefined,
      ),
      eventSchemas: Object.fromEntries((breakGlass ? [] : view.allowedEvents).map(({ type }) => [type, eventForm(pathway.events[type]!, directory)])),
    };
  }

  api.get('/api/cases/:ref', { schema: { tags: ['casi'], params: caseRefParam } }, async (request) => {
    const reason = request.headers[BREAK_GLASS_HEADER];
    const kase = await caseFor(request.params.ref, currentUser(request), { breakGlassReason: typeof reason === 'string' ? reason : undefined });
    if ('breakGlass' in kase) request.breakGlassReason = reason as string;
    return kase;
  });

  api.post(
    '/api/cases/:ref/events',
    {
      schema: {
        tags: ['casi'],
        params: caseRefParam,
        body: z.object({ type: z.string().min(1).max(100), payload: z.unknown().default({}) }),
      },
    },
    async (request) => {
      const user = currentUser(request);
      // No query first: the update validator refuses a role the event does not admit, and every event's roles are
      // roles of its pathway.
      const view = await cases.send(request.params.ref, request.body.type, request.body.payload, actorOf(user));
      // The event handed the case back (a host declining it): recorded, and from now on none of the sender's business.
      if (!coOwnedBy(view.coOwners, user.organisation)) {
        return { caseRef: request.params.ref, handedBack: true, message: 'Risposta registrata: il caso non è più visibile alla tua organizzazione.' };
      }
      return caseFor(request.params.ref, user, { view });
    },
  );

  /** Who accessed a case, when and why: what a person may ask for (GDPR art. 15). Itself recorded as `audit.read`. */
  api.get(
    '/api/cases/:ref/accesses',
    {
      schema: {
        tags: ['casi'],
        params: caseRefParam,
        response: {
          200: z.object({
            caseRef: z.string(),
            accesses: z.array(
              z.object({
                at: z.string(),
                actor: z.object({ id: z.string(), role: z.string(), organisation: z.string() }),
                action: z.string(),
                detail: z.string().optional(),
                reason: z.string().optional(),
                outcome: z.union([z.number(), z.string()]),
              }),
            ),
          }),
          403: errorSchema,
          404: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      if (!auditRoles.includes(user.role)) {
        return fail(reply, 403, 'RoleNotAllowed', 'Il tuo ruolo non può consultare il registro degli accessi');
      }
      // The register answers for the case's joint controllers alone.
      const { coOwners } = await cases.view(request.params.ref);
      if (!coOwnedBy(coOwners, user.organisation)) return fail(reply, 404, 'CaseNotFound', `Caso ${request.params.ref} non trovato`);
      const entries = await audit.entriesForCase(request.params.ref);
      return {
        caseRef: request.params.ref,
        accesses: entries.map(({ at, actor, action, detail, reason, outcome }) => ({ at, actor, action, detail, reason, outcome })),
      };
    },
  );
}

declare module 'fastify' {
  interface FastifyInstance {
    loginRateLimit: number;
  }
}
