import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { currentPathway, pathways } from '../../machines/registry.js';
import type { Auth } from '../auth.js';
import { errorSchema } from '../errors.js';
import { operatorOf, requireOperator } from '../session-auth.js';

export const pathwaySummarySchema = z.object({
  kind: z.string(),
  version: z.string(),
  title: z.string(),
  /** The JSON Schema of the start form. */
  startSchema: z.record(z.string(), z.unknown()),
  /** Every role of the pathway, with its Italian name. */
  roles: z.record(z.string(), z.string()),
  canStart: z.boolean(),
});
export type PathwaySummary = z.infer<typeof pathwaySummarySchema>;

/** The pathways a role takes part in: the only ones whose cases it may list or open. */
export const pathwaysOf = (role: string) => pathways.filter((pathway) => role in pathway.roles);

/** The pathways new cases start on, for the start form and the lists' filters. */
export async function pathwayRoutes(app: FastifyInstance, { auth, publicOrigin }: { auth: Auth; publicOrigin: string }) {
  app.addHook('onRequest', requireOperator(auth, publicOrigin));
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/pathways',
    { schema: { tags: ['percorsi'], response: { 200: z.array(pathwaySummarySchema), 401: errorSchema } } },
    async (request) => {
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
        }));
    },
  );
}
