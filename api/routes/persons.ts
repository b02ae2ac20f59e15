import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { mayReadIdentity } from '../../machines/access.js';
import { currentPathway, pathways } from '../../machines/registry.js';
import { findPerson, identityOf, readPerson } from '../../record/persons.js';
import type { CaseRecord } from '../../record/record.js';
import type { Auth } from '../auth.js';
import { listCases } from '../case-list.js';
import { CaseError } from '../errors.js';
import { personMatchSchema, personPageSchema, errorSchema } from '../schemas.js';
import { operatorOf, requireOperator } from '../session-auth.js';

const kinds = [...new Set(pathways.map((pathway) => pathway.kind))] as [string, ...string[]];
const refusals = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema };
const personNotFound = () => new CaseError(404, 'NotFound', 'Persona non trovata');

/**
 * The shared social record's person: who they are, and every case of every pathway the viewer may see about them.
 * A person is shown only through a case the viewer may see and whose identity their role may read.
 */
export async function personRoutes(app: FastifyInstance, { record, auth, publicOrigin }: { record: CaseRecord; auth: Auth; publicOrigin: string }) {
  app.addHook('onRequest', requireOperator(auth, publicOrigin));
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/api/persons/:id',
    { schema: { tags: ['persone'], params: z.object({ id: z.uuid('Persona non trovata') }), response: { 200: personPageSchema, ...refusals } } },
    async (request) => {
      const user = operatorOf(request);
      const { cases, nextCursor } = await listCases(record, user, { personId: request.params.id });
      // Names are read only through a case whose identity the viewer's role may read.
      const readable = cases.filter((summary) => summary.personId === request.params.id);
      const identity = readable.length ? await readPerson(record, request.params.id) : undefined;
      if (!identity) throw personNotFound();
      return {
        id: request.params.id,
        name: identity.name,
        ...(identity.birthDate ? { birthDate: identity.birthDate } : {}),
        ...(identity.fiscalCode ? { fiscalCode: identity.fiscalCode } : {}),
        documents: [...(identity.documents ?? [])],
        cases,
        ...(nextCursor ? { nextCursor } : {}),
      };
    },
  );

  /** For the start form: the person the new case would be linked to, if the coordinator may see them already. */
  api.post(
    '/api/persons/match',
    {
      schema: {
        tags: ['persone'],
        body: z.object({ kind: z.enum(kinds, { error: 'Percorso sconosciuto' }), data: z.record(z.string(), z.unknown()) }),
        response: { 200: personMatchSchema, ...refusals },
      },
    },
    async (request) => {
      const user = operatorOf(request);
      const pathway = currentPathway(request.body.kind);
      const field = pathway?.person?.field;
      if (!pathway || !field || pathway.person?.pseudonymous || !mayReadIdentity(pathway, user.role)) return { match: null };
      // Only the person's own field: the rest of the form may still be half filled in.
      const parsed = pathway.startSchema.shape[field]?.safeParse(request.body.data[field]);
      if (!parsed?.success) return { match: null };
      const personId = await findPerson(record, identityOf(pathway, { [field]: parsed.data })!);
      if (!personId) return { match: null };
      const { cases } = await listCases(record, user, { personId, limit: 20 });
      const visible = cases.filter((summary) => summary.personId === personId);
      const identity = visible.length ? await readPerson(record, personId) : undefined;
      if (!identity) return { match: null };
      return { match: { id: personId, name: identity.name, ...(identity.birthDate ? { birthDate: identity.birthDate } : {}), cases: visible } };
    },
  );
}
