import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../api/server.js';
import { eventually, testConfig } from './support/harness.js';
import { startApi, type ApiStack } from './support/api.js';

let api: ApiStack;
let coordinator: string;
let physician: string;
beforeAll(async () => {
  api = await startApi('api');
  coordinator = await api.login('social-worker');
  physician = await api.login('physician');
});
afterAll(() => api?.stop());

const call = (method: 'GET' | 'POST' | 'DELETE', url: string, cookie?: string, payload?: unknown) =>
  api.app.inject({ method, url, ...(cookie ? { headers: { cookie } } : {}), ...(payload !== undefined ? { payload: payload as object } : {}) });

async function openHelloCase(): Promise<string> {
  const response = await call('POST', '/api/cases', coordinator, { kind: 'hello', data: { summary: 'Caso aperto dal modulo' } });
  expect(response.statusCode).toBe(201);
  return response.json().caseRef;
}

describe('sessions', () => {
  it('log in with the demo account of a role, and refuse a wrong password in Italian', async () => {
    const ok = await call('POST', '/api/session', undefined, { username: 'nurse', password: 'raccordo-demo' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().user).toMatchObject({ id: 'nurse', role: 'nurse', organisation: 'health-authority' });
    const cookie = ok.cookies.find((c) => c.name === 'raccordo_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    const wrong = await call('POST', '/api/session', undefined, { username: 'nurse', password: 'sbagliata' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toEqual({ code: 'InvalidCredentials', message: 'Credenziali non valide' });
    const unknown = await call('POST', '/api/session', undefined, { username: 'nessuno', password: 'raccordo-demo' });
    expect(unknown.statusCode).toBe(401);
  });

  it('end with logout', async () => {
    const cookie = await api.login('nurse');
    expect((await call('GET', '/api/session', cookie)).statusCode).toBe(200);
    expect((await call('DELETE', '/api/session', cookie)).statusCode).toBe(204);
    expect((await call('GET', '/api/session', cookie)).statusCode).toBe(401);
  });
});

describe('every route', () => {
  const routes: [method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown][] = [
    ['GET', '/api/session'],
    ['DELETE', '/api/session'],
    ['GET', '/api/pathways'],
    ['POST', '/api/cases', { kind: 'hello', data: { summary: 'x' } }],
    ['GET', '/api/cases'],
    ['GET', '/api/tasks'],
    ['GET', '/api/cases/RAC-2026-ABCDEF'],
    ['POST', '/api/cases/RAC-2026-ABCDEF/events', { type: 'case.withdraw', payload: { reason: 'x' } }],
  ];

  it.each(routes)('%s %s answers 401 without credentials', async (method, url, payload) => {
    const response = await call(method, url, undefined, payload);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ code: 'Unauthenticated', message: 'Accesso richiesto' });
  });

  it('refuses with 403 a role that may not act', async () => {
    const start = await call('POST', '/api/cases', physician, { kind: 'hello', data: { summary: 'x' } });
    expect(start.statusCode).toBe(403);
    const caseRef = await openHelloCase();
    const withdraw = await call('POST', `/api/cases/${caseRef}/events`, physician, { type: 'case.withdraw', payload: { reason: 'x' } });
    expect(withdraw.statusCode).toBe(403);
    expect(withdraw.json().code).toBe('RoleNotAllowed');
    // Of the ASST, which co-owns the case, but not a role of its pathway.
    const officer = await call('GET', `/api/cases/${caseRef}`, await api.login('administrative-officer'));
    expect([officer.statusCode, officer.json().code]).toEqual([403, 'RoleNotAllowed']);
  });

  it('refuses a state-changing request from another origin', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { cookie: coordinator, origin: 'https://attacker.example' },
      payload: { kind: 'hello', data: { summary: 'x' } },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('CrossOrigin');
  });
});

describe('pathways and cases', () => {
  it('offer the start form as JSON Schema with Italian titles and sensitive fields marked', async () => {
    const response = await call('GET', '/api/pathways', coordinator);
    const hello = response.json().find((pathway: { kind: string }) => pathway.kind === 'hello');
    expect(hello).toMatchObject({ title: 'Percorso di prova', canStart: true });
    expect(hello.startSchema.properties.summary).toMatchObject({ title: 'Sintesi della segnalazione', sensitive: 'personal' });
    const forPhysician = (await call('GET', '/api/pathways', physician)).json();
    expect(forPhysician.find((pathway: { kind: string }) => pathway.kind === 'hello').canStart).toBe(false);
  });

  it('reject invalid start data with field paths and Italian messages, creating nothing', async () => {
    const response = await call('POST', '/api/cases', coordinator, { kind: 'hello', data: { summary: '' } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'InvalidPayload', issues: [{ path: 'summary', message: 'Indicare una sintesi della segnalazione' }] });
    const unknownKind = await call('POST', '/api/cases', coordinator, { kind: 'nessuno', data: {} });
    expect(unknownKind.statusCode).toBe(400);
    expect(unknownKind.json().issues).toEqual([{ path: 'kind', message: 'Percorso sconosciuto' }]);
  });

  it('run a sign-off from the evaluator’s task list to the new state', async () => {
    const caseRef = await openHelloCase();
    const tasks = await eventually(
      async () => {
        const list = (await call('GET', '/api/tasks', physician)).json() as { caseRef: string }[];
        return list.some((task) => task.caseRef === caseRef) ? list : undefined;
      },
      20_000,
      'the physician’s task',
    );
    expect(tasks.find((task) => task.caseRef === caseRef)).toMatchObject({ title: 'Percorso di prova', stateLabel: 'In valutazione', role: 'physician' });

    const page = (await call('GET', `/api/cases/${caseRef}`, physician)).json();
    expect(page.actions.map((action: { type: string }) => action.type)).toEqual(['signoff.submit', 'signoff.claim']);
    expect(page.diagram).toContain('stateDiagram-v2');
    expect(page.diagram).toMatch(/class \w*evaluation\w* active/);
    expect(page.actions[0].decisions).toEqual([
      { value: 'approve', label: 'Approva' },
      { value: 'request-changes', label: 'Richiede modifiche' },
      { value: 'reject', label: 'Respinge' },
    ]);
    expect(page.actions[0].targets).toEqual([{ label: expect.stringMatching(/^Valutazione congiunta \(scadenza /), payload: { round: 'evaluation' } }]);

    const signed = await call('POST', `/api/cases/${caseRef}/events`, physician, {
      type: 'signoff.submit',
      payload: { round: 'evaluation', decision: 'approve', notes: 'Parere favorevole' },
    });
    expect(signed.statusCode).toBe(200);
    expect(signed.json().pendingSignoffs.map((task: { candidateRole: string }) => task.candidateRole)).toEqual(['social-worker']);
    const twice = await call('POST', `/api/cases/${caseRef}/events`, physician, {
      type: 'signoff.submit',
      payload: { round: 'evaluation', decision: 'approve' },
    });
    expect(twice.statusCode).toBe(409);
    const invalid = await call('POST', `/api/cases/${caseRef}/events`, coordinator, {
      type: 'signoff.submit',
      payload: { round: 'evaluation', decision: 'forse' },
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().issues[0].path).toBe('decision');

    const listed = await eventually(
      async () => {
        const list = (await call('GET', '/api/cases?kind=hello&pendingRole=social-worker', coordinator)).json().cases as { caseRef: string }[];
        return list.find((item) => item.caseRef === caseRef);
      },
      20_000,
      'the case in the list',
    );
    expect(listed).toMatchObject({ state: 'evaluation', stateLabel: 'In valutazione', pendingRoles: ['social-worker'], overdue: false });
  });

  it('answer an unknown address with a 404 in the API’s error shape', async () => {
    // fast-check found it: '/api/cases/./events' normalises to an address no route serves.
    const response = await call('POST', '/api/cases/./events', coordinator, { type: 'x', payload: {} });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'NotFound', message: expect.stringContaining('Indirizzo inesistente') });
  });

  it('answer 404 for a case that does not exist and 400 for a malformed reference or filter', async () => {
    expect((await call('GET', '/api/cases/RAC-2026-ZZZZZZ', coordinator)).statusCode).toBe(404);
    expect((await call('GET', '/api/cases/nonsense', coordinator)).statusCode).toBe(400);
    const injection = await call('GET', `/api/cases?state=${encodeURIComponent("x' OR PathwayKind != '")}`, coordinator);
    expect(injection.statusCode).toBe(400);
  });
});

describe('the OpenAPI document', () => {
  it('describes the routes, with the request schemas', async () => {
    const spec = (await api.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/api/session',
        '/api/session/methods',
        '/api/session/oidc',
        '/api/session/oidc/callback',
        '/api/cases',
        '/api/cases/{ref}',
        '/api/cases/{ref}/events',
      ]),
    );
    expect((await api.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
  });
});

describe('the contact point for data-subject requests', () => {
  it('is shown without a session, linked from every page, and required once demo mode is off', async () => {
    const withContact = (await buildServer(testConfig({ RACCORDO_PRIVACY_CONTACT: 'https://www.comune.example/privacy' }))).app;
    try {
      const page = await withContact.inject({ method: 'GET', url: '/privacy' });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<a href="https://www.comune.example/privacy">https://www.comune.example/privacy</a>');
      expect(page.body).toMatch(/contitolari\s+del trattamento/);
      expect((await withContact.inject({ method: 'GET', url: '/login' })).body).toContain('<a href="/privacy">Privacy e diritti degli interessati</a>');
    } finally {
      await withContact.close();
    }
    const directory = join(import.meta.dirname, 'fixtures', 'directory-two-territories.json');
    await expect(buildServer(testConfig({ RACCORDO_DEMO_MODE: 'false', RACCORDO_DIRECTORY_FILE: directory }))).rejects.toThrow(
      /RACCORDO_PRIVACY_CONTACT is required when demo mode is off/,
    );
  });
});

describe('sessions', () => {
  it('outlive a restart of the API, but not a logout, and the file holds no token', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'raccordo-sessions-')), 'sessions.jsonl');
    const config = testConfig({ RACCORDO_SESSION_FILE: file });
    const serve = async () => (await buildServer(config)).app;
    const cookieOf = (response: { cookies: { name: string; value: string }[] }) =>
      `raccordo_session=${response.cookies.find((cookie) => cookie.name === 'raccordo_session')!.value}`;
    const login = (app: Awaited<ReturnType<typeof serve>>, username: string) =>
      app.inject({ method: 'POST', url: '/api/session', payload: { username, password: 'raccordo-demo' } });

    const before = await serve();
    const [staying, leaving] = [cookieOf(await login(before, 'nurse')), cookieOf(await login(before, 'physician'))];
    expect((await before.inject({ method: 'DELETE', url: '/api/session', headers: { cookie: leaving } })).statusCode).toBe(204);
    await before.close();

    const after = await serve();
    try {
      const session = await after.inject({ method: 'GET', url: '/api/session', headers: { cookie: staying } });
      expect([session.statusCode, session.json().user.id]).toEqual([200, 'nurse']);
      expect((await after.inject({ method: 'GET', url: '/api/session', headers: { cookie: leaving } })).statusCode).toBe(401);
    } finally {
      await after.close();
    }
    const stored = readFileSync(file, 'utf8');
    expect(stored).toContain('"id":"nurse"');
    expect(stored).not.toContain(staying.split('=')[1]);
    expect(stored).not.toContain('physician');
  });
});
