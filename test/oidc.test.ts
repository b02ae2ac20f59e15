import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuditEntry } from '../api/audit.js';
import { OIDC_CALLBACK_PATH } from '../api/oidc.js';
import { buildServer } from '../api/server.js';
import { freePort } from '../scripts/services.js';
import { loadConfig } from '../platform/config.js';
import type { ApiStack } from './support/api.js';
import { eventually, testConfig } from './support/harness.js';
import { spawnApi } from './support/processes.js';
import {
  authorizeAtProvider,
  clientOf,
  CookieJarClient,
  firstPrompt,
  logoutAtProvider,
  startSingleSignOn,
  type IdentityProvider,
  type SingleSignOnStack,
} from './support/oidc.js';

/**
 * Single sign-on against a real OpenID provider on loopback (oidc-provider), through Raccordo's real API server over
 * HTTP: the browser's part (redirects, cookies, the provider's login and consent forms) is played by hand.
 */

/** Provider accounts: their subjects are the provider's own ids; `preferred_username` names the directory operator. */
const PHYSICIAN_AT_PROVIDER = 'u-1029';
const STRANGER_AT_PROVIDER = 'u-7731';

let sso: SingleSignOnStack;
let api: ApiStack;
let idp: IdentityProvider;
let raccordo: string;
/** Where the production entry point listens, in the test of its logs. */
let raccordoProcess: string;

beforeAll(async () => {
  raccordoProcess = `http://127.0.0.1:${await freePort()}`;
  sso = await startSingleSignOn(
    'oidc',
    {
      [PHYSICIAN_AT_PROVIDER]: { preferred_username: 'physician', name: 'Anna Bianchi' },
      [STRANGER_AT_PROVIDER]: { preferred_username: 'ospite.esterno', name: 'Ospite Esterno' },
    },
    [raccordoProcess],
  );
  ({ api, idp, raccordo } = sso);
});
afterAll(() => sso?.stop());

const loginStart = (next?: string) => `${raccordo}/api/session/oidc${next ? `?next=${encodeURIComponent(next)}` : ''}`;
const json = { accept: 'application/json' };

describe('single sign-on with the identity provider', () => {
  it('is offered to the login page', async () => {
    const response = await fetch(`${raccordo}/api/session/methods`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ password: true, oidc: true });
  });

  it('sends the browser to the provider with PKCE, state and nonce, kept in a short-lived Lax cookie', async () => {
    const browser = new CookieJarClient();
    const response = await browser.fetch(loginStart('/cases'));
    expect(response.status).toBe(303);
    const authorization = new URL(response.headers.get('location')!);
    expect(authorization.origin).toBe(idp.issuer);
    const query = Object.fromEntries(authorization.searchParams);
    expect(query).toMatchObject({
      response_type: 'code',
      client_id: idp.clientId,
      redirect_uri: `${raccordo}${OIDC_CALLBACK_PATH}`,
      scope: 'openid profile',
      code_challenge_method: 'S256',
    });
    for (const check of ['state', 'nonce', 'code_challenge']) expect(query[check]).toMatch(/^[\w-]{32,}$/);
    const cookie = response.headers.getSetCookie().find((line) => line.startsWith('raccordo_oidc='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\/api\/session\/oidc(;|$)/);
    expect(cookie).toMatch(/Max-Age=600/);
    // The verifier stays with the browser; only its hash goes to the provider.
    expect(authorization.href).not.toContain(browser.cookie(loginStart(), 'raccordo_oidc'));
  });

  it('logs in as the directory operator the provider names, with that operator’s role, until logout', async () => {
    const browser = new CookieJarClient();
    const callback = await authorizeAtProvider(browser, loginStart('/cases'), { login: PHYSICIAN_AT_PROVIDER });
    expect(callback.href.startsWith(`${raccordo}${OIDC_CALLBACK_PATH}?`)).toBe(true);

    const back = await browser.fetch(callback);
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe('/login?next=%2Fcases');
    const sessionCookie = back.headers.getSetCookie().find((line) => line.startsWith('raccordo_session='));
    expect(sessionCookie).toMatch(/HttpOnly/);
    expect(sessionCookie).toMatch(/SameSite=Strict/);
    expect(browser.cookie(loginStart(), 'raccordo_oidc')).toBeUndefined();

    const session = await browser.fetch(`${raccordo}/api/session`);
    expect(session.status).toBe(200);
    expect(((await session.json()) as { user: unknown }).user).toEqual({
      id: 'physician',
      name: 'Medico (demo)',
      role: 'physician',
      roles: ['physician'],
      roleLabels: { physician: expect.any(String) },
      organisation: 'health-authority',
    });

    // A case waiting for the physician's sign-off shows among this session's tasks, under the physician's role.
    const opened = await api.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { cookie: await api.login('social-worker') },
      payload: { kind: 'hello', data: { summary: 'Caso per l’accesso unico' } },
    });
    expect(opened.statusCode).toBe(201);
    const { caseRef } = opened.json() as { caseRef: string };
    const task = await eventually(
      async () => {
        const tasks = (await (await browser.fetch(`${raccordo}/api/tasks`)).json()) as { caseRef: string; role: string }[];
        return tasks.find((item) => item.caseRef === caseRef);
      },
      20_000,
      'the physician’s task',
    );
    expect(task.role).toBe('physician');

    // The same session as a password login: recorded in the register under the operator, held to the same origin rule.
    const register = readFileSync(testConfig().RACCORDO_AUDIT_FILE, 'utf8');
    const lists = register
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditEntry)
      .filter((entry) => entry.detail === 'tasks');
    expect(lists.at(-1)).toMatchObject({ action: 'case.list', actor: { id: 'physician', role: 'physician', organisation: 'health-authority' }, outcome: 200 });
    const crossOrigin = await browser.fetch(`${raccordo}/api/cases`, {
      method: 'POST',
      headers: { origin: 'https://attacker.example', 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'hello', data: { summary: 'x' } }),
    });
    expect(crossOrigin.status).toBe(403);

    expect((await browser.fetch(`${raccordo}/api/session`, { method: 'DELETE' })).status).toBe(200);
    expect((await browser.fetch(`${raccordo}/api/session`)).status).toBe(401);
  });

  it('logs out at the provider too, so that the next person at the computer must sign in there again', async () => {
    const browser = new CookieJarClient();
    await browser.fetch(await authorizeAtProvider(browser, loginStart(), { login: PHYSICIAN_AT_PROVIDER }));
    await browser.fetch(`${raccordo}/api/session`, { method: 'DELETE' });
    // While the provider's session lasts, logging in again asks nothing: anyone at this browser would be let in.
    expect(await firstPrompt(browser, loginStart())).toBe('none');

    await browser.fetch(await authorizeAtProvider(browser, loginStart(), { login: PHYSICIAN_AT_PROVIDER }));
    const logout = await browser.fetch(`${raccordo}/api/session`, { method: 'DELETE' });
    expect(logout.status).toBe(200);
    const logoutUrl = new URL(((await logout.json()) as { logoutUrl: string }).logoutUrl);
    expect(logoutUrl.origin).toBe(idp.issuer);
    expect(Object.fromEntries(logoutUrl.searchParams)).toEqual({ post_logout_redirect_uri: `${raccordo}/login`, client_id: idp.clientId });
    expect((await browser.fetch(`${raccordo}/api/session`)).status).toBe(401);

    expect((await logoutAtProvider(browser, logoutUrl)).href).toBe(`${raccordo}/login`);
    expect(await firstPrompt(browser, loginStart())).toBe('login');

    // A password session has nothing to end elsewhere.
    const password = await api.app.inject({ method: 'DELETE', url: '/api/session', headers: { cookie: await api.login('nurse') } });
    expect(password.statusCode).toBe(204);
  });

  it('refuses an answer whose state was altered or left out, and opens no session', async () => {
    for (const alter of [(url: URL) => url.searchParams.set('state', `${url.searchParams.get('state')}x`), (url: URL) => url.searchParams.delete('state')]) {
      const browser = new CookieJarClient();
      const callback = await authorizeAtProvider(browser, loginStart(), { login: PHYSICIAN_AT_PROVIDER });
      alter(callback);
      const response = await browser.fetch(callback, { headers: json });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ code: 'InvalidLoginResponse', message: 'Risposta di accesso non valida o scaduta: ripetere l’accesso' });
      expect(response.headers.getSetCookie().some((line) => line.startsWith('raccordo_session='))).toBe(false);
      expect((await browser.fetch(`${raccordo}/api/session`)).status).toBe(401);
    }
  });

  it('refuses an answer that reaches a browser which did not ask for it, or a second time', async () => {
    const browser = new CookieJarClient();
    const callback = await authorizeAtProvider(browser, loginStart(), { login: PHYSICIAN_AT_PROVIDER });

    // Someone else's browser, lured to the callback: it holds no pending login.
    const victim = new CookieJarClient();
    const lured = await victim.fetch(callback, { headers: json });
    expect(lured.status).toBe(400);
    expect(((await lured.json()) as { code: string }).code).toBe('LoginExpired');
    expect((await victim.fetch(`${raccordo}/api/session`)).status).toBe(401);

    expect((await browser.fetch(callback)).status).toBe(303);
    const again = await browser.fetch(callback, { headers: json });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { code: string }).code).toBe('LoginExpired');
  });

  it('refuses, in Italian, a person the provider knows but the directory does not', async () => {
    const browser = new CookieJarClient();
    const callback = await authorizeAtProvider(browser, loginStart(), { login: STRANGER_AT_PROVIDER });
    const page = await browser.fetch(callback, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(page.status).toBe(403);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<html lang="it">');
    expect(html).toContain('Utente non abilitato');
    expect(html).toContain('href="/login"');
    expect(page.headers.getSetCookie().some((line) => line.startsWith('raccordo_session='))).toBe(false);
    expect((await browser.fetch(`${raccordo}/api/session`)).status).toBe(401);

    const client = new CookieJarClient();
    const answer = await client.fetch(await authorizeAtProvider(client, loginStart(), { login: STRANGER_AT_PROVIDER }), { headers: json });
    expect(answer.status).toBe(403);
    expect(await answer.json()).toMatchObject({ code: 'UserNotEnabled', message: expect.stringMatching(/^Utente non abilitato/) });
  });

  it('says so when the person cancels at the provider', async () => {
    const browser = new CookieJarClient();
    const callback = await authorizeAtProvider(browser, loginStart(), { login: PHYSICIAN_AT_PROVIDER, cancel: true });
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const response = await browser.fetch(callback, { headers: json });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ code: 'IdentityProviderRefused', message: 'Il fornitore di identità non ha concesso l’accesso' });
  });

  it('keeps the authorization code, the state and the client secret out of the logs, and logs why a login was refused', async () => {
    const entryPoint = await spawnApi({
      PUBLIC_URL: raccordoProcess,
      PORT: new URL(raccordoProcess).port,
      RACCORDO_AUDIT_FILE: join(inject('logDir'), `audit-entry-point-${Date.now()}.jsonl`),
      ...clientOf(idp),
    });
    try {
      const physician = new CookieJarClient();
      const accepted = await authorizeAtProvider(physician, `${raccordoProcess}/api/session/oidc`, { login: PHYSICIAN_AT_PROVIDER });
      expect((await physician.fetch(accepted)).status).toBe(303);
      const stranger = new CookieJarClient();
      const refused = await authorizeAtProvider(stranger, `${raccordoProcess}/api/session/oidc`, { login: STRANGER_AT_PROVIDER });
      expect((await stranger.fetch(refused, { headers: json })).status).toBe(403);

      // The process writes its log line after the answer has left.
      const refusal = 'no operator \\"ospite.esterno\\" in the directory';
      const logs = await eventually(async () => entryPoint.output().includes(refusal) && entryPoint.output(), 10_000, 'the refusal in the log');
      expect(logs).toContain(`"url":"${OIDC_CALLBACK_PATH}"`);
      const secrets = [accepted, refused].flatMap((callback) => [callback.searchParams.get('code')!, callback.searchParams.get('state')!]);
      for (const secret of [...secrets, idp.clientSecret]) expect(logs).not.toContain(secret);
    } finally {
      await entryPoint.kill('SIGTERM');
    }
  });
});

describe('other configurations', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  const serve = async (overrides: Record<string, string>) => {
    ({ app } = await buildServer(testConfig(overrides)));
    return app;
  };
  const oidcFor = (issuer: string) => clientOf({ ...idp, issuer });

  it('without single sign-on: its routes answer 404 and the login page is told there is none', async () => {
    const server = await serve({});
    for (const url of ['/api/session/oidc', `${OIDC_CALLBACK_PATH}?code=x&state=y`]) {
      const response = await server.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ code: 'OidcNotConfigured', message: 'L’accesso con il fornitore di identità non è configurato' });
    }
    expect((await server.inject({ method: 'GET', url: '/api/session/methods' })).json()).toEqual({ password: true, oidc: false });
  });

  it('answers 503 while the provider cannot be reached, and keeps serving the rest', async () => {
    const server = await serve(oidcFor(`http://127.0.0.1:${await freePort()}`));
    const response = await server.inject({ method: 'GET', url: '/api/session/oidc', headers: json });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ code: 'IdentityProviderUnavailable', message: 'Il fornitore di identità non risponde: riprovare tra qualche minuto' });
    const password = await server.inject({ method: 'POST', url: '/api/session', payload: { username: 'nurse', password: 'raccordo-demo' } });
    expect(password.statusCode).toBe(200);
    const health = await server.inject({ method: 'GET', url: '/health' });
    expect([health.statusCode, health.json()]).toEqual([503, { status: 'degraded', temporal: 'up', smtp: 'up', record: 'up', oidc: 'down' }]);
  });

  it('names the provider in the health report when it answers', async () => {
    const health = await (await serve(oidcFor(idp.issuer))).inject({ method: 'GET', url: '/health' });
    expect([health.statusCode, health.json()]).toEqual([200, { status: 'ok', temporal: 'up', smtp: 'up', record: 'up', oidc: 'up' }]);
  });

  it('with password login turned off: only the provider lets anyone in', async () => {
    const server = await serve({ ...oidcFor(idp.issuer), RACCORDO_PASSWORD_LOGIN: 'false' });
    expect((await server.inject({ method: 'GET', url: '/api/session/methods' })).json()).toEqual({ password: false, oidc: true });
    const response = await server.inject({ method: 'POST', url: '/api/session', payload: { username: 'nurse', password: 'raccordo-demo' } });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({ code: 'PasswordLoginDisabled', message: 'L’accesso con password è disattivato: accedere con il fornitore di identità' });
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('refuses to start on half a configuration, naming what is missing', () => {
    const start = (env: Record<string, string>) => () => loadConfig({ RACCORDO_PAYLOAD_KEYS: 'unused', ...env });
    expect(start({ RACCORDO_OIDC_ISSUER: 'https://idp.example.org/realms/asl' })).toThrow(
      /RACCORDO_OIDC_CLIENT_ID: required when RACCORDO_OIDC_ISSUER is set\n\s+RACCORDO_OIDC_CLIENT_SECRET: required when RACCORDO_OIDC_ISSUER is set/,
    );
    expect(start({ RACCORDO_OIDC_CLIENT_ID: 'raccordo', RACCORDO_OIDC_CLIENT_SECRET: 's' })).toThrow(
      /RACCORDO_OIDC_ISSUER: required when RACCORDO_OIDC_CLIENT_ID is set/,
    );
    expect(start(oidcFor('http://idp.example.org'))).toThrow(/RACCORDO_OIDC_ISSUER: must be an https URL/);
    expect(start({ RACCORDO_PASSWORD_LOGIN: 'false' })).toThrow(/RACCORDO_PASSWORD_LOGIN: false needs single sign-on/);
    expect(start(oidcFor('https://idp.example.org/realms/asl'))()).toMatchObject({ RACCORDO_OIDC_USERNAME_CLAIM: 'preferred_username' });
  });
});
