import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { mayReadIdentity } from '../../machines/access.js';
import { currentPathway, pathways } from '../../machines/registry.js';
import type { Auth } from '../auth.js';
import { errorSchema, pathwaySummarySchema } from '../schemas.js';
import { operatorOf, requireOperator } from '../session-auth.js';

/** The pathways a role takes part in: the only ones whose cases it may list or open. */
export const pathwaysOf = (role: string) => pathways.filter((pathway) => role in pathway.roles);

/** The pathways new cases start on, for the start form and the lists' filters. */
export async function pathwayRoutes(app: FastifyInstance, { auth, publicOrigin }: { auth: Auth; publicOrigin: string }) {
  app.addHook('onRequest', requireOperator(auth, publicOrigin));
  app
    .withTypeProvider<ZodTypeProvider>()
    .get('/api/pathways', { schema: { tags: ['percorsi'], response: { 200: z.array(pathwaySummarySchema), 401: errorSchema } } }, async (request) => {
      const { role } = operatorOf(request);
      return pathwaysOf(role)
        .filter((pathway) => currentPathway(pathway.kind) === pathway)
        .map((pathway) => ({
          kind: pathway.kind,
          version: pathway.version,
          title: pathway.title,
          startSchema: z.toJSONSchema(pathway.startSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
          roles: { ...pathway.roles },
          canStart: pathway.startRoles.includes(role),
          ...(pathway.person && !pathway.person.pseudonymous && mayReadIdentity(pathway, role) ? { personField: pathway.person.field } : {}),
        }));
    });
}
