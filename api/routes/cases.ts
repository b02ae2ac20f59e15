import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { coOwnedBy, notFound } from '../../machines/access.js';
import { caseProjectionSchema } from '../../machines/projection.js';
import { pathways } from '../../machines/registry.js';
import type { AuditLog } from '../audit.js';
import type { Auth } from '../auth.js';
import { cursorParam, listCases, MAX_PAGE } from '../case-list.js';
import type { CaseRecord } from '../../record/record.js';
import { fail, refusalError } from '../errors.js';
import { casePageSchema, errorSchema, handedBackSchema, taskSchema } from '../schemas.js';
import type { CaseService } from '../cases.js';
import { actorOf, operatorOf, requireOperator } from '../session-auth.js';

/** Break-glass reasons travel in this header, and are recorded with the read. */
export const BREAK_GLASS_HEADER = 'x-break-glass-reason';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when a case was read by breaking the glass: the audit trail records the reason and flags the access. */
    breakGlassReason?: string;
  }
}

const kinds = [...new Set(pathways.map((pathway) => pathway.kind))] as [string, ...string[]];
/** Values that go into a visibility query: nothing that could change the query's meaning. */
const keyword = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'Valore non valido');
const caseRefParam = z.object({ ref: z.string().regex(/^[A-Z0-9]{2,5}-[A-Z0-9-]{4,20}$/, 'Riferimento del caso non valido') });
const refusals = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 409: errorSchema, 503: errorSchema };

const accessEntrySchema = z.object({
  at: z.string(),
  actor: z.object({ id: z.string(), role: z.string(), organisation: z.string() }),
  action: z.string(),
  detail: z.string().optional(),
  reason: z.string().optional(),
  outcome: z.union([z.number(), z.string()]),
});

export interface CaseRouteDeps {
  record: CaseRecord;
  cases: CaseService;
  auth: Auth;
  publicOrigin: string;
  audit: AuditLog;
  /** Roles that may read a case's register of accesses. */
  auditRoles: readonly string[];
}

/** Cases: open, list, read, act on, and who accessed them; and the inbox of the operator's role. */
export async function caseRoutes(app: FastifyInstance, { record, cases, auth, publicOrigin, audit, auditRoles }: CaseRouteDeps) {
  app.addHook('onRequest', requireOperator(auth, publicOrigin));
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.post(
    '/api/cases',
    {
      schema: {
        tags: ['casi'],
        body: z.object({ kind: z.enum(kinds, { error: 'Percorso sconosciuto' }), data: z.record(z.string(), z.unknown()) }),
        response: { 201: z.object({ caseRef: z.string(), state: z.string(), stateLabel: z.string() }), ...refusals },
      },
    },
    async (request, reply) => {
      const user = operatorOf(request);
      const { caseRef, state } = await cases.start({ kind: request.body.kind, data: request.body.data, actor: actorOf(user) });
      request.auditCaseRef = caseRef;
      // The case exists from here on: if no worker could file it in time, answer with the reference anyway, so that
      // nobody retries and opens it twice.
      const view = state ? cases.project(state, actorOf(user)) : { state: 'opening', stateLabel: 'In apertura' };
      return reply.code(201).send({ caseRef, state: view.state, stateLabel: view.stateLabel });
    },
  );

  api.get(
    '/api/cases',
    {
      schema: {
        tags: ['casi'],
        querystring: z.object({
          kind: z.enum(kinds, { error: 'Percorso sconosciuto' }).optional(),
          state: keyword.optional(),
          pendingRole: keyword.optional(),
          overdue: z
            .enum(['true', 'false'])
            .transform((value) => value === 'true')
            .optional(),
          q: z.string().trim().min(2, 'Almeno 2 caratteri').max(200, 'Al massimo 200 caratteri').optional(),
          sort: z.enum(['started', 'deadline'], { error: 'Ordinamento sconosciuto: started o deadline' }).default('started'),
          cursor: cursorParam.optional(),
          limit: z.coerce.number().int('Un numero intero').min(1, 'Almeno 1').max(MAX_PAGE, `Al massimo ${MAX_PAGE}`).default(MAX_PAGE),
        }),
        response: { 200: casePageSchema, ...refusals },
      },
    },
    async (request) => {
      const { cursor, ...filters } = request.query;
      return listCases(record, operatorOf(request), { ...filters, ...(cursor ? { after: cursor } : {}) });
    },
  );

  api.get('/api/tasks', { schema: { tags: ['casi'], response: { 200: z.array(taskSchema), ...refusals } } }, async (request) => {
    const user = operatorOf(request);
    const { cases: pending } = await listCases(record, user, { pendingRole: user.role, sort: 'deadline' });
    return pending
      .map(({ caseRef, kind, title, stateLabel, nextDeadline, overdue, pendingRoles, pendingRoleLabels }) => ({
        caseRef,
        kind,
        title,
        stateLabel,
        role: user.role,
        roleLabel: pendingRoleLabels[pendingRoles.indexOf(user.role)] ?? user.role,
        ...(nextDeadline ? { nextDeadline } : {}),
        overdue,
      }))
      .sort((a, b) => Number(b.overdue) - Number(a.overdue) || (a.nextDeadline ?? '~').localeCompare(b.nextDeadline ?? '~'));
  });

  /**
   * The case as the caller sees it (machines/projection.ts). Someone outside the pathway reads it only by breaking
   * the glass, with a stated reason, and then reads it without acting on it.
   */
  api.get('/api/cases/:ref', { schema: { tags: ['casi'], params: caseRefParam, response: { 200: caseProjectionSchema, ...refusals } } }, async (request) => {
    const header = request.headers[BREAK_GLASS_HEADER];
    const reason = typeof header === 'string' ? header : undefined;
    const view = await cases.view(request.params.ref, actorOf(operatorOf(request)), reason);
    if (view.breakGlass) request.breakGlassReason = reason;
    return view;
  });

  api.post(
    '/api/cases/:ref/events',
    {
      schema: {
        tags: ['casi'],
        params: caseRefParam,
        body: z.object({ type: z.string().min(1).max(100), payload: z.unknown().default({}) }),
        response: { 200: z.union([caseProjectionSchema, handedBackSchema]), ...refusals },
      },
    },
    async (request) => {
      const user = operatorOf(request);
      // No query first: the update validator applies the same rule the projection offers actions by.
      const state = await cases.act(request.params.ref, request.body.type, request.body.payload, actorOf(user));
      // The event handed the case back (a host declining it): recorded, and from now on none of the sender's business.
      if (!coOwnedBy(state.coOwners, user.organisation)) {
        return { caseRef: request.params.ref, handedBack: true as const, message: 'Risposta registrata: il caso non è più visibile alla tua organizzazione.' };
      }
      return cases.project(state, actorOf(user));
    },
  );

  /** Who accessed a case, when and why: what a person may ask for (GDPR art. 15). Itself recorded as `audit.read`. */
  api.get(
    '/api/cases/:ref/accesses',
    {
      schema: {
        tags: ['casi'],
        params: caseRefParam,
        response: { 200: z.object({ caseRef: z.string(), accesses: z.array(accessEntrySchema) }), ...refusals },
      },
    },
    async (request, reply) => {
      const user = operatorOf(request);
      if (!auditRoles.includes(user.role)) return fail(reply, 403, 'RoleNotAllowed', 'Il tuo ruolo non può consultare il registro degli accessi');
      // The register answers for the case's joint controllers alone.
      const { coOwners } = await cases.state(request.params.ref);
      if (!coOwnedBy(coOwners, user.organisation)) throw refusalError(notFound(request.params.ref));
      const entries = await audit.entriesForCase(request.params.ref);
      return {
        caseRef: request.params.ref,
        accesses: entries.map(({ at, actor, action, detail, reason, outcome }) => ({ at, actor, action, detail, reason, outcome })),
      };
    },
  );
}
