import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { knownRoles } from '../../platform/directory.js';
import type { Auth, SessionUser } from '../auth.js';
import { fail } from '../errors.js';
import { errorSchema, loginMethodsSchema, sessionUserSchema, type LoginMethods } from '../schemas.js';
import { loginRateLimit, operatorOf, requireOperator, SESSION_COOKIE, setSessionCookie } from '../session-auth.js';

const sessionResponse = z.object({ user: sessionUserSchema });

export interface SessionRouteDeps {
  auth: Auth;
  publicOrigin: string;
  loginMethods: LoginMethods;
  /** The provider's end-session address for a single sign-on session, when single sign-on is configured. */
  singleLogout?: () => Promise<URL | undefined>;
}

const roleNames = knownRoles();
const sessionView = (user: SessionUser) => ({
  user: { ...user, roleLabels: Object.fromEntries(user.roles.map((role) => [role, roleNames.get(role) ?? role])) },
});

/** Logging in and out, and the role a person acts in. */
export async function sessionRoutes(app: FastifyInstance, { auth, publicOrigin, loginMethods, singleLogout }: SessionRouteDeps) {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.post(
    '/api/session',
    {
      config: { rateLimit: loginRateLimit(app) },
      schema: {
        tags: ['sessione'],
        body: z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(500) }),
        response: { 200: sessionResponse, 400: errorSchema, 401: errorSchema, 403: errorSchema, 429: errorSchema },
      },
    },
    async (request, reply) => {
      if (!loginMethods.password) {
        return fail(reply, 403, 'PasswordLoginDisabled', 'L’accesso con password è disattivato: accedere con il fornitore di identità');
      }
      const user = await auth.login(request.body.username, request.body.password);
      if (!user) return fail(reply, 401, 'InvalidCredentials', 'Credenziali non valide');
      setSessionCookie(reply, auth.openSession(user), publicOrigin);
      return sessionView(user);
    },
  );

  /** What the login page offers. */
  api.get('/api/session/methods', { schema: { tags: ['sessione'], response: { 200: loginMethodsSchema } } }, async () => loginMethods);

  await app.register(async (withSession) => {
    withSession.addHook('onRequest', requireOperator(auth, publicOrigin));
    const routes = withSession.withTypeProvider<ZodTypeProvider>();

    routes.get('/api/session', { schema: { tags: ['sessione'], response: { 200: sessionResponse, 401: errorSchema } } }, async (request) =>
      sessionView(operatorOf(request)),
    );

    /** Someone who holds several roles acts in one at a time: the lists, tasks and rights of that one. */
    routes.put(
      '/api/session/role',
      {
        schema: {
          tags: ['sessione'],
          body: z.object({ role: z.string().min(1).max(100) }),
          response: { 200: sessionResponse, 400: errorSchema, 401: errorSchema, 403: errorSchema },
        },
      },
      async (request, reply) => {
        const user = auth.switchRole(request.cookies[SESSION_COOKIE], request.body.role);
        if (!user) {
          return fail(reply, 400, 'RoleNotAssigned', 'Ruolo non assegnato a questo utente', [
            { path: 'role', message: `Ruoli disponibili: ${operatorOf(request).roles.join(', ')}` },
          ]);
        }
        return sessionView(user);
      },
    );

    routes.delete(
      '/api/session',
      { schema: { tags: ['sessione'], response: { 200: z.object({ logoutUrl: z.string() }), 204: z.null(), 401: errorSchema, 403: errorSchema } } },
      async (request, reply) => {
        const { viaProvider } = auth.closeSession(request.cookies[SESSION_COOKIE]);
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        // A session from single sign-on ends at the provider too: the page sends the browser there.
        const logoutUrl = viaProvider ? await singleLogout?.() : undefined;
        return logoutUrl ? { logoutUrl: logoutUrl.href } : reply.code(204).send(null);
      },
    );
  });
}
