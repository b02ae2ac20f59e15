import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../machines/case.js';
import type { Auth, SessionUser } from './auth.js';
import { fail } from './errors.js';

export const SESSION_COOKIE = 'raccordo_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** The operator of the request's session, set by `requireOperator`. */
    user?: SessionUser;
  }
  interface FastifyInstance {
    loginRateLimit: number;
  }
}

/** The session cookie, however the person logged in. */
export function setSessionCookie(reply: FastifyReply, token: string, publicOrigin: string): FastifyReply {
  return reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: publicOrigin.startsWith('https:'), path: '/' });
}

/** Login attempts per client address: each one costs an argon2 verification or a round trip to the identity provider. */
export const loginRateLimit = (app: FastifyInstance) => ({ max: app.loginRateLimit, timeWindow: '1 minute' });

/**
 * The `onRequest` hook of every route a person reaches with a session: 401 without one, 403 for a write from
 * another origin. A plugin adds it to its own routes; the login routes simply do not.
 */
export function requireOperator(auth: Auth, publicOrigin: string) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    request.user = auth.session(request.cookies[SESSION_COOKIE]);
    if (!request.user) return fail(reply, 401, 'Unauthenticated', 'Accesso richiesto');
    // SameSite=Strict already keeps other sites' forms out; the Origin check covers older browsers.
    const origin = request.headers.origin;
    if (request.method !== 'GET' && origin && origin !== publicOrigin && origin !== `${request.protocol}://${request.headers.host}`) {
      return fail(reply, 403, 'CrossOrigin', 'Richiesta da un’origine non ammessa');
    }
  };
}

/** The operator of a route behind `requireOperator`. */
export function operatorOf(request: FastifyRequest): SessionUser {
  if (!request.user) throw new Error(`${request.url} is served without requireOperator`);
  return request.user;
}

export const actorOf = ({ id, role, organisation }: SessionUser): Actor => ({ id, role, organisation });
