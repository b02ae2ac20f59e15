import { isGrpcServiceError, ServiceError } from '@temporalio/client';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { refusalCodes, type FieldIssue, type Refusal, type RefusalCode } from '../machines/access.js';

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503;

/** An error a caller can act on, thrown anywhere and answered by the one error handler. */
export class CaseError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
  }
}

const refusalStatus: Record<RefusalCode, ErrorStatus> = {
  [refusalCodes.notFound]: 404,
  [refusalCodes.roleNotAllowed]: 403,
  [refusalCodes.breakGlassReasonTooShort]: 400,
  [refusalCodes.unknownEvent]: 400,
  [refusalCodes.invalidPayload]: 400,
  [refusalCodes.notAllowedNow]: 409,
};

/** A refusal of the case's rules (machines/access.ts) as the HTTP answer it gets; an unknown code is not a refusal. */
export function refusalError({ code, message, issues }: Refusal): CaseError {
  const status = Object.hasOwn(refusalStatus, code) ? refusalStatus[code] : undefined;
  if (!status) throw new Error(`unknown refusal ${code}: ${message}`);
  return new CaseError(status, code, message, issues ?? []);
}

/** Answers with the API's error shape: the routes' one way of refusing. */
export const fail = (reply: FastifyReply, status: ErrorStatus, code: string, message: string, issues?: FieldIssue[]) =>
  reply.code(status).send({ code, message, ...(issues?.length ? { issues } : {}) });

// gRPC status codes of an engine that is there but cannot answer in time: DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE.
const busyCodes = new Set([4, 8, 14]);
/** Temporal did not answer in time (a query waiting for a worker under a backlog): worth a retry, not a 500. */
export function engineBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
  return (error instanceof ServiceError || isGrpcServiceError(error)) && typeof code === 'number' && busyCodes.has(code);
}

/** The one place where a thrown error becomes an answer: bad requests by field, refusals, a busy engine, or a 500. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: Error, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = error.validationContext ?? 'body';
      return fail(
        reply,
        400,
        'InvalidRequest',
        'Richiesta non valida',
        error.validation.map((issue) => ({
          path: [where === 'body' ? '' : where, issue.instancePath.replace(/^\//, '').replaceAll('/', '.')].filter(Boolean).join('.'),
          message: issue.message ?? 'Valore non valido',
        })),
      );
    }
    if (engineBusy(error)) {
      reply.header('retry-after', '5');
      return fail(reply, 503, 'Busy', 'Il servizio è momentaneamente sovraccarico: riprovare tra qualche secondo');
    }
    if (error instanceof CaseError) return fail(reply, error.status, error.code, error.message, error.issues);
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply.code(status).send({ code: (error as { code?: string }).code ?? 'BadRequest', message: italianClientError(status, error.message) });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ code: 'InternalError', message: 'Errore interno: riprovare più tardi' });
  });
  // An unknown address answers in the API's own error shape, like every other refusal.
  app.setNotFoundHandler((request, reply) => fail(reply, 404, 'NotFound', `Indirizzo inesistente: ${request.method} ${request.url.split('?')[0]}`));
}

/** Fastify's own refusals (a body that is not JSON, too large, an unsupported type) speak English: said in Italian. */
function italianClientError(status: number, message: string): string {
  if (status === 413) return 'Richiesta troppo grande';
  if (status === 415) return 'Tipo di contenuto non supportato';
  if (status === 429) return 'Troppi tentativi ravvicinati: attendere un minuto e riprovare';
  if (/JSON/i.test(message)) return 'Il corpo della richiesta non è un JSON valido';
  return 'Richiesta non valida';
}
