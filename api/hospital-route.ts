import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Actor } from '../machines/case.js';
import type { Auth } from './auth.js';
import type { CaseService } from './cases.js';
import { fail } from './errors.js';
import { hospitalDischargeOutcomeSchema, hospitalDischargeSchema, receiveHospitalDischarge } from './hospital.js';
import { errorSchema } from './schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    hospitalSystem?: Actor;
  }
}

/** A ward's discharge signal over REST, the twin of the HL7 listener: idempotent on the hospital's encounter id. */
export async function registerHospitalRoute(app: FastifyInstance, { cases, auth }: { cases: CaseService; auth: Auth }) {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/api/hospital/discharges',
    {
      schema: {
        tags: ['ospedale'],
        security: [{ hospitalKey: [] }],
        body: hospitalDischargeSchema,
        response: {
          200: hospitalDischargeOutcomeSchema,
          201: hospitalDischargeOutcomeSchema,
          400: errorSchema,
          401: errorSchema,
          403: errorSchema,
          503: errorSchema,
        },
      },
      // Before the body is validated: without a valid key the answer is 401, whatever was sent.
      onRequest: async (request, reply) => {
        request.hospitalSystem = auth.hospitalSystem(request.headers.authorization);
        if (!request.hospitalSystem) return fail(reply, 401, 'Unauthenticated', 'Chiave API mancante o non valida');
      },
    },
    async (request, reply) => {
      const system = request.hospitalSystem!;
      if (request.body.hospital !== system.organisation) {
        return fail(reply, 403, 'HospitalMismatch', 'La chiave API non appartiene all’ospedale indicato');
      }
      const result = await receiveHospitalDischarge(cases, request.body, system);
      return reply.code(result.outcome === 'started' ? 201 : 200).send(result);
    },
  );
}
