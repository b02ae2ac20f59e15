import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Auth } from './auth.js';
import { OIDC_CALLBACK_PATH, OidcLoginError, pendingLoginSchema, type OidcLogin, type PendingLogin } from './oidc.js';
import { fail } from './errors.js';
import { errorSchema } from './schemas.js';
import { loginRateLimit, setSessionCookie } from './session-auth.js';
import { loginRefusedPage } from './web/index.js';

/** Both routes answer with a redirect: to the provider, or back to the login page. */
const redirect = z.null().describe('Redirezione (Location)');

/** Holds the checks of one login under way (state, nonce, PKCE verifier), sent only to the two routes below. */
const PENDING_LOGIN_COOKIE = 'raccordo_oidc';
const PENDING_LOGIN_PATH = '/api/session/oidc';
/** Long enough to log in at the provider, short enough that a forgotten tab's checks soon stop counting. */
const PENDING_LOGIN_SECONDS = 600;

function readPendingLogin(cookie: string | undefined): PendingLogin | undefined {
  if (!cookie) return undefined;
  try {
    return pendingLoginSchema.parse(JSON.parse(Buffer.from(cookie, 'base64url').toString('utf8')));
  } catch {
    return undefined;
  }
}

export interface OidcRouteDeps {
  /** Absent when single sign-on is not configured: the routes then answer 404. */
  login: OidcLogin | undefined;
  auth: Auth;
  publicOrigin: string;
}

/** `GET /api/session/oidc` sends the browser to the provider; the provider sends it back to the callback. */
export async function registerOidcRoutes(app: FastifyInstance, { login, auth, publicOrigin }: OidcRouteDeps) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  // Lax, not Strict: the provider's redirect back is a navigation from another site, which Strict cookies miss.
  const pendingLoginCookie = { httpOnly: true, sameSite: 'lax', secure: publicOrigin.startsWith('https:'), path: PENDING_LOGIN_PATH } as const;
  const config = { rateLimit: loginRateLimit(app) };

  /** People arrive here by following redirects and get a page; API clients get the API's error shape. */
  function refuse(request: FastifyRequest, reply: FastifyReply, error: OidcLoginError) {
    if (error.reason) request.log.warn({ code: error.code, reason: error.reason }, 'single sign-on refused');
    if (!request.headers.accept?.includes('text/html')) return fail(reply, error.status, error.code, error.message);
    return reply.code(error.status).header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(loginRefusedPage(error.message));
  }
  const notConfigured = (reply: FastifyReply) => fail(reply, 404, 'OidcNotConfigured', 'L’accesso con il fornitore di identità non è configurato');

  api.get(
    '/api/session/oidc',
    {
      config,
      schema: {
        tags: ['sessione'],
        description: 'Accesso con il fornitore di identità: 303 verso il fornitore, che poi torna a /api/session/oidc/callback.',
        querystring: z.object({ next: z.string().startsWith('/').max(2000).optional() }),
        response: { 303: redirect, 404: errorSchema, 503: errorSchema },
      },
    },
    async (request, reply) => {
      if (!login) return notConfigured(reply);
      try {
        const { authorizationUrl, pending } = await login.start(request.query.next);
        const cookie = Buffer.from(JSON.stringify(pending)).toString('base64url');
        return reply.setCookie(PENDING_LOGIN_COOKIE, cookie, { ...pendingLoginCookie, maxAge: PENDING_LOGIN_SECONDS }).redirect(authorizationUrl.href, 303);
      } catch (error) {
        if (error instanceof OidcLoginError) return refuse(request, reply, error);
        throw error;
      }
    },
  );

  api.get(
    OIDC_CALLBACK_PATH,
    {
      config,
      // The query holds the authorization code: this route's requests are logged without it.
      logSerializers: { req: (request: FastifyRequest) => ({ method: request.method, url: OIDC_CALLBACK_PATH }) },
      schema: {
        tags: ['sessione'],
        description:
          'Ritorno dal fornitore di identità: apre la sessione dell’operatore dell’elenco con quel nome utente e rimanda alla pagina ' +
          'di accesso, che prosegue verso la pagina richiesta. Pagina HTML di errore ai browser, JSON agli altri client.',
        querystring: z.object({
          code: z.string().optional(),
          state: z.string().optional(),
          iss: z.string().optional(),
          error: z.string().optional(),
          error_description: z.string().optional(),
        }),
        response: { 303: redirect, 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 503: errorSchema },
      },
    },
    async (request, reply) => {
      if (!login) return notConfigured(reply);
      const pending = readPendingLogin(request.cookies[PENDING_LOGIN_COOKIE]);
      // One use, whatever the outcome.
      reply.clearCookie(PENDING_LOGIN_COOKIE, pendingLoginCookie);
      try {
        if (!pending) throw new OidcLoginError(400, 'LoginExpired', 'Richiesta di accesso scaduta o non valida: ripetere l’accesso');
        const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
        const username = await login.finish(query, pending);
        const user = auth.operatorNamed(username);
        if (!user) {
          throw new OidcLoginError(
            403,
            'UserNotEnabled',
            'Utente non abilitato: il fornitore di identità la riconosce, ma Raccordo non ha un operatore con il suo nome utente. Rivolgersi all’amministratore.',
            `no operator "${username}" in the directory`,
          );
        }
        setSessionCookie(reply, auth.openSession(user, { viaProvider: true }), publicOrigin);
        // Browsers withhold the SameSite=Strict session cookie on this navigation, which began on the provider's site:
        // the login page asks for the session with a same-site request, then goes on to the page asked for.
        return reply.redirect(pending.next ? `/login?next=${encodeURIComponent(pending.next)}` : '/login', 303);
      } catch (error) {
        if (error instanceof OidcLoginError) return refuse(request, reply, error);
        throw error;
      }
    },
  );
}
