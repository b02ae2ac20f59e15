import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { OIDC_CALLBACK_PATH } from '../../api/oidc.js';
import { freePort } from '../../scripts/services.js';
import { startApi, type ApiStack } from './api.js';

export interface IdentityProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  stop(): Promise<void>;
}

/**
 * A real OpenID provider (panva's oidc-provider, certified) on loopback, with Raccordo registered as a confidential
 * client. Its development interactions are its own login and consent pages: any login with any password signs in as
 * the account of that name, if `accounts` has one. Claims go to the userinfo endpoint, as most providers do with
 * the `profile` scope, not into the ID token.
 */
async function startIdentityProvider(options: {
  redirectUris: string[];
  /** Login → claims (beyond `sub`, which is the login). */
  accounts: Record<string, Record<string, string>>;
}): Promise<IdentityProvider> {
  const port = await freePort();
  // `localhost`, not 127.0.0.1 like Raccordo: a different site, as a real provider is.
  const issuer = `http://localhost:${port}`;
  const clientId = 'raccordo';
  const clientSecret = randomBytes(24).toString('base64url');
  const signingKey = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'test', alg: 'RS256', use: 'sig' };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        // Where Raccordo asks to come back after a logout at the provider: each Raccordo's login page.
        post_logout_redirect_uris: options.redirectUris.map((uri) => `${new URL(uri).origin}/login`),
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], profile: ['preferred_username', 'name'] },
    features: {
      rpInitiatedLogout: {
        enabled: true,
        // The provider's own page, without its default's remote stylesheet; `form` carries the logout's XSRF token.
        async logoutSource(context, form) {
          context.body = `<!DOCTYPE html><html><body>${form}<button type="submit" form="op.logoutForm" value="yes" name="logout">Esci</button></body></html>`;
        },
      },
    },
    // Seconds; set, so that the provider does not warn of its defaults.
    ttl: { AccessToken: 300, AuthorizationCode: 60, Grant: 600, IdToken: 300, Interaction: 600, Session: 600 },
    async findAccount(_context, id) {
      const claims = options.accounts[id];
      return claims && { accountId: id, claims: async () => ({ sub: id, ...claims }) };
    },
  });
  provider.on('server_error', (_context, error) => console.error('[identity provider]', error));
  const handle = provider.callback();
  const server = createServer((request, response) => void handle(request, response)).listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    issuer,
    clientId,
    clientSecret,
    async stop() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export interface SingleSignOnStack {
  api: ApiStack;
  idp: IdentityProvider;
  /** Where Raccordo listens: http://127.0.0.1:port, its PUBLIC_URL. */
  raccordo: string;
  stop(): Promise<void>;
}

/**
 * Raccordo's real API and worker (test/support/api.ts), listening on loopback as the client of a provider of its own
 * with these accounts. `otherRaccordos`: origins of further Raccordo processes the provider must send people back to.
 */
export async function startSingleSignOn(
  name: string,
  accounts: Record<string, Record<string, string>>,
  otherRaccordos: string[] = [],
): Promise<SingleSignOnStack> {
  const port = await freePort();
  const raccordo = `http://127.0.0.1:${port}`;
  const idp = await startIdentityProvider({ redirectUris: [raccordo, ...otherRaccordos].map((origin) => `${origin}${OIDC_CALLBACK_PATH}`), accounts });
  const api = await startApi(name, { PUBLIC_URL: raccordo, ...clientOf(idp) });
  await api.app.listen({ host: '127.0.0.1', port });
  return {
    api,
    idp,
    raccordo,
    async stop() {
      await api.stop();
      await idp.stop();
    },
  };
}

/** The variables that make Raccordo this provider's client. */
export const clientOf = (provider: IdentityProvider) => ({
  RACCORDO_OIDC_ISSUER: provider.issuer,
  RACCORDO_OIDC_CLIENT_ID: provider.clientId,
  RACCORDO_OIDC_CLIENT_SECRET: provider.clientSecret,
});

interface StoredCookie {
  value: string;
  path: string;
}

/**
 * What a browser does with cookies and redirects, by hand: cookies kept per host (not per port, as browsers do) and
 * path, sent back where they belong; redirects returned, not followed, so that a test sees every hop.
 */
export class CookieJarClient {
  private readonly jar = new Map<string, Map<string, StoredCookie>>();

  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(target);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    this.store(target, response.headers.getSetCookie());
    return response;
  }

  cookie(url: string | URL, name: string): string | undefined {
    const target = new URL(url);
    const found = this.jar.get(target.hostname)?.get(name);
    return found && target.pathname.startsWith(found.path) ? found.value : undefined;
  }

  private cookieHeader(target: URL): string {
    return [...(this.jar.get(target.hostname) ?? [])]
      .filter(([, cookie]) => target.pathname.startsWith(cookie.path))
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join('; ');
  }

  private store(target: URL, setCookies: string[]) {
    const cookies = this.jar.get(target.hostname) ?? new Map<string, StoredCookie>();
    this.jar.set(target.hostname, cookies);
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const attribute = (key: string) => attributes.find((part) => part.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
      const expires = attribute('expires');
      const removed = attribute('max-age') === '0' || (expires !== undefined && Date.parse(expires) <= Date.now());
      if (removed) cookies.delete(name);
      else cookies.set(name, { value, path: attribute('path') ?? '/' });
    }
  }
}

/** The form on one of the provider's interaction pages, filled in as a person would. */
function formOf(html: string, base: URL): { action: URL; prompt: string } {
  const action = html.match(/<form[^>]*action="([^"]+)"/)?.[1];
  const prompt = html.match(/name="prompt" value="([^"]+)"/)?.[1];
  if (!action || !prompt) throw new Error(`no interaction form on the provider's page:\n${html.slice(0, 2000)}`);
  return { action: new URL(action.replaceAll('&amp;', '&'), base), prompt };
}

/** Confirms a logout at the provider, as a person does on its page: returns where the provider then sends the browser. */
export async function logoutAtProvider(browser: CookieJarClient, logoutUrl: URL): Promise<URL> {
  const page = await (await browser.fetch(logoutUrl)).text();
  const action = page.match(/<form[^>]*action="([^"]+)"/)?.[1];
  if (!action) throw new Error(`no logout form on the provider's page:\n${page.slice(0, 2000)}`);
  const fields = Object.fromEntries([...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map(([, name, value]) => [name!, value!]));
  const confirmed = await browser.fetch(new URL(action.replaceAll('&amp;', '&'), logoutUrl), {
    method: 'POST',
    body: new URLSearchParams({ ...fields, logout: 'yes' }),
  });
  if (confirmed.status < 300 || confirmed.status >= 400) throw new Error(`the provider's logout form answered ${confirmed.status}`);
  return new URL(confirmed.headers.get('location')!, logoutUrl);
}

/** What the provider asks first when the browser arrives to log in: `login`, `consent`, or nothing (`none`: straight back). */
export async function firstPrompt(browser: CookieJarClient, loginStart: string): Promise<string> {
  const raccordo = new URL(loginStart).origin;
  let next = new URL((await browser.fetch(loginStart)).headers.get('location')!);
  for (let step = 0; step < 12; step++) {
    if (next.origin === raccordo) return 'none';
    const response = await browser.fetch(next);
    if (response.status >= 300 && response.status < 400) {
      next = new URL(response.headers.get('location')!, next);
      continue;
    }
    return formOf(await response.text(), next).prompt;
  }
  throw new Error('the provider kept redirecting');
}

/**
 * From Raccordo's `GET /api/session/oidc` to the provider and through its login and consent pages, like a person
 * with a browser, up to the redirect back to Raccordo: returns that callback address, not yet visited.
 * `cancel` follows the provider's "Cancel" link on the login page instead of signing in.
 */
export async function authorizeAtProvider(
  browser: CookieJarClient,
  loginStart: string,
  { login, cancel = false }: { login: string; cancel?: boolean },
): Promise<URL> {
  const start = await browser.fetch(loginStart);
  if (start.status !== 303) throw new Error(`${loginStart} answered ${start.status}: ${await start.text()}`);
  const raccordo = new URL(loginStart).origin;
  let next = new URL(start.headers.get('location')!);
  for (let step = 0; step < 12; step++) {
    if (next.origin === raccordo) return next;
    const response = await browser.fetch(next);
    if (response.status >= 300 && response.status < 400) {
      next = new URL(response.headers.get('location')!, next);
      continue;
    }
    const page = await response.text();
    if (response.status !== 200) throw new Error(`the provider answered ${response.status} at ${next.pathname}:\n${page.slice(0, 2000)}`);
    const cancelLink = page.match(/href="([^"]+)">\[ Cancel \]/)?.[1];
    if (cancel && cancelLink) {
      next = new URL(cancelLink.replaceAll('&amp;', '&'), next);
      continue;
    }
    const form = formOf(page, next);
    const fields: Record<string, string> = form.prompt === 'login' ? { prompt: 'login', login, password: 'any password' } : { prompt: form.prompt };
    const submitted = await browser.fetch(form.action, { method: 'POST', body: new URLSearchParams(fields) });
    if (submitted.status < 300 || submitted.status >= 400) throw new Error(`the provider's ${form.prompt} form answered ${submitted.status}`);
    next = new URL(submitted.headers.get('location')!, form.action);
  }
  throw new Error('the provider did not send the browser back to Raccordo within 12 steps');
}
