import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiStack } from './support/api.js';
import { eventually, mailbox, recipients } from './support/harness.js';
import { homelessReferral, serdReferral } from './support/samples.js';

/**
 * Two territories under their own protocols: Nordvalle with ASST Nord, Sudvalle with ASST Sud; one UEPE serves both,
 * and each has a host company. Every operator below belongs to one of them (test/fixtures/directory-two-territories.json).
 */
let api: ApiStack;
beforeAll(async () => {
  api = await startApi('co-ownership', {
    RACCORDO_DIRECTORY_FILE: join(import.meta.dirname, 'fixtures', 'directory-two-territories.json'),
    RACCORDO_AUDIT_ROLES: 'social-worker',
  });
});
afterAll(() => api?.stop());

const cookies: Record<string, string> = {};
const as = async (operator: string) => (cookies[operator] ??= await api.login(operator));

async function call(operator: string, method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = {}) {
  return api.app.inject({ method, url, headers: { cookie: await as(operator), ...headers }, ...(payload ? { payload } : {}) });
}

async function open(operator: string, kind: string, data: object): Promise<string> {
  const started = await call(operator, 'POST', '/api/cases', { kind, data });
  expect(started.statusCode, started.body).toBe(201);
  return started.json().caseRef;
}

const send = (operator: string, caseRef: string, type: string, payload: object = {}) =>
  call(operator, 'POST', `/api/cases/${caseRef}/events`, { type, payload });

/** The rows of a list: a page of cases, or the inbox's tasks. */
const rows = async (operator: string, url: string): Promise<{ caseRef: string }[]> => {
  const body = (await call(operator, 'GET', url)).json() as { cases: { caseRef: string }[] } | { caseRef: string }[];
  return Array.isArray(body) ? body : body.cases;
};

/** The record shows a case once the answer that moved it has left: the operator who should see it does. */
const listed = (operator: string, url: string, caseRef: string) =>
  eventually(
    async () => {
      const list = await rows(operator, url);
      return list.some((summary) => summary.caseRef === caseRef) && list;
    },
    30_000,
    `${caseRef} in ${operator}'s ${url}`,
  );
const refs = async (operator: string, url: string) => (await rows(operator, url)).map((summary) => summary.caseRef);

describe('co-ownership of each case by its organisations', () => {
  it('shows a case, its task and its e-mails to the opener’s partners only: to another territory it does not exist', async () => {
    const caseRef = await open('as-nord', 'hello', { summary: 'Caso del territorio nord' });

    // The evaluation's task reaches Nordvalle's social workers (its head is one too) and ASST Nord's physician;
    // Sudvalle's, nothing.
    const mails = await mailbox.expectCount(caseRef, 3);
    expect(recipients(mails)).toEqual(['as@comune-nord.raccordo.test', 'medico@asst-nord.raccordo.test', 'responsabile@comune-nord.raccordo.test']);
    await listed('med-nord', '/api/tasks', caseRef);
    expect(await refs('med-sud', '/api/tasks')).not.toContain(caseRef);
    expect(await refs('as-sud', '/api/cases')).not.toContain(caseRef);

    for (const [method, url, payload] of [
      ['GET', `/api/cases/${caseRef}`],
      ['POST', `/api/cases/${caseRef}/events`, { type: 'signoff.submit', payload: { round: 'evaluation', decision: 'approve' } }],
    ] as const) {
      const refused = await call('med-sud', method, url, payload);
      expect([refused.statusCode, refused.json()]).toEqual([404, { code: 'CaseNotFound', message: `Caso ${caseRef} non trovato` }]);
    }
    // Not even the register of accesses: it answers for the case's controllers alone.
    expect((await call('as-sud', 'GET', `/api/cases/${caseRef}/accesses`)).statusCode).toBe(404);

    const signed = await send('med-nord', caseRef, 'signoff.submit', { round: 'evaluation', decision: 'approve' });
    expect(signed.statusCode, signed.body).toBe(200);
    const accesses = (await call('as-nord', 'GET', `/api/cases/${caseRef}/accesses`)).json().accesses as { actor: { id: string }; outcome: number }[];
    expect(accesses.filter((entry) => entry.actor.id === 'med-sud').map((entry) => entry.outcome)).toEqual([404, 404]);
  });

  it('lets another territory read a case only by breaking the glass, flagged in the register, and never act on it', async () => {
    const caseRef = await open('as-nord', 'hello', { summary: 'Accesso di emergenza' });
    const reason = 'Persona in pronto soccorso a Sudvalle, serve il piano';
    const short = await call('med-sud', 'GET', `/api/cases/${caseRef}`, undefined, { 'x-break-glass-reason': 'urgente' });
    expect([short.statusCode, short.json().code]).toEqual([400, 'BreakGlassReasonTooShort']);
    // The same answer for a case that does not exist: it tells nothing.
    const shortForNone = await call('med-sud', 'GET', '/api/cases/HEL-2026-000000', undefined, { 'x-break-glass-reason': 'urgente' });
    expect(shortForNone.json().code).toBe('BreakGlassReasonTooShort');

    const broken = await call('med-sud', 'GET', `/api/cases/${caseRef}`, undefined, { 'x-break-glass-reason': reason });
    expect(broken.statusCode).toBe(200);
    expect(broken.json()).toMatchObject({ breakGlass: true, actions: [], data: { summary: 'Accesso di emergenza' } });
    expect(broken.json()).not.toHaveProperty('coOwners');
    expect((await send('med-sud', caseRef, 'signoff.submit', { round: 'evaluation', decision: 'approve' })).statusCode).toBe(404);

    const accesses = (await call('as-nord', 'GET', `/api/cases/${caseRef}/accesses`)).json().accesses as object[];
    expect(accesses).toContainEqual(
      expect.objectContaining({ actor: { id: 'med-sud', role: 'physician', organisation: 'asst-sud' }, detail: 'break-glass', reason }),
    );
  });

  it('makes UEPE a co-owner of a placement under a judicial measure, and of no other', async () => {
    const { judicialMeasure: _measure, ...withoutMeasure } = serdReferral(6);
    const [underMeasure, free] = [await open('serd-nord', 'job-placement', serdReferral(6)), await open('serd-nord', 'job-placement', withoutMeasure)];

    expect((await call('uepe-op', 'GET', `/api/cases/${underMeasure}`)).statusCode).toBe(200);
    expect((await call('uepe-op', 'GET', `/api/cases/${free}`)).statusCode).toBe(404);
    await listed('uepe-op', '/api/cases?kind=job-placement', underMeasure);
    expect(await refs('uepe-op', '/api/cases?kind=job-placement')).not.toContain(free);
  });

  it('lets a Comune that is not competent transfer a discharge to the one that is, which then finds it', async () => {
    const caseRef = await open('as-ospedale-nord', 'homeless-discharge', homelessReferral());
    expect((await call('as-sud', 'GET', `/api/cases/${caseRef}`)).statusCode).toBe(404);
    const transfer = { municipality: 'Comune di Sudvalle', competentMunicipality: 'comune-sud' };
    expect((await send('as-nord', caseRef, 'competence.transferred', transfer)).statusCode).toBe(200);
    const forSud = await call('as-sud', 'GET', `/api/cases/${caseRef}`);
    expect([forSud.statusCode, forSud.json().stateLabel]).toEqual([200, 'Trasferito al Comune competente']);
    await listed('as-sud', '/api/cases?kind=homeless-discharge', caseRef);
    // Its ASST was not handed the case.
    expect((await call('med-sud', 'GET', `/api/cases/${caseRef}`)).statusCode).toBe(404);
  });

  it('hands a placement over to the host company the promoter names from the register, and to no other', async () => {
    const { judicialMeasure: _measure, ...referral } = serdReferral(6);
    const caseRef = await open('serd-nord', 'job-placement', referral);
    for (const operator of ['nil-nord', 'as-nord', 'serd-nord']) {
      expect((await send(operator, caseRef, 'signoff.submit', { round: 'evaluation', decision: 'approve' })).statusCode).toBe(200);
    }
    expect((await call('tutor-ponte', 'GET', `/api/cases/${caseRef}`)).statusCode).toBe(404);

    // The form offers the register's host companies, by name.
    const form = (await call('nil-nord', 'GET', `/api/cases/${caseRef}`))
      .json()
      .actions.find((action: { type: string }) => action.type === 'host.proposed').form;
    expect(form.properties.hostOrganisation.oneOf).toEqual([
      { const: 'coop-ponte', title: 'Cooperativa Il Ponte' },
      { const: 'coop-sud', title: 'Cooperativa del Sud' },
    ]);
    const proposal = { hostName: 'Cooperativa Il Ponte', plannedMonths: 6 };
    for (const hostOrganisation of ['asst-sud', 'coop-nowhere']) {
      const refused = await send('nil-nord', caseRef, 'host.proposed', { ...proposal, hostOrganisation });
      expect([refused.statusCode, refused.json().issues]).toEqual([400, [{ path: 'hostOrganisation', message: expect.stringContaining('registro') }]]);
    }
    expect((await send('nil-nord', caseRef, 'host.proposed', { ...proposal, hostOrganisation: 'coop-ponte' })).statusCode).toBe(200);

    // Its tutor is told, reads the case (without the diagnosis) and answers; the other cooperative's is not, and cannot.
    await eventually(
      async () => (await mailbox.forCase(caseRef)).some((mail) => mail.to[0]!.address === 'tutor@coop-ponte.raccordo.test'),
      20_000,
      'the host’s e-mail',
    );
    expect(recipients(await mailbox.forCase(caseRef))).not.toContain('tutor@coop-sud.raccordo.test');
    const forHost = await call('tutor-ponte', 'GET', `/api/cases/${caseRef}`);
    expect(forHost.statusCode).toBe(200);
    expect(forHost.json().data).not.toHaveProperty('diagnosisCategory');
    expect((await send('tutor-sud', caseRef, 'host.accepted')).statusCode).toBe(404);
    await listed('tutor-ponte', '/api/cases?kind=job-placement', caseRef);
    expect(await refs('tutor-sud', '/api/cases?kind=job-placement')).not.toContain(caseRef);

    // A host that declines hands the case back: it no longer reads it, and the next one proposed does.
    const declined = await send('tutor-ponte', caseRef, 'host.declined');
    expect([declined.statusCode, declined.json()]).toEqual([200, { caseRef, handedBack: true, message: expect.stringContaining('non è più visibile') }]);
    expect((await call('tutor-ponte', 'GET', `/api/cases/${caseRef}`)).statusCode).toBe(404);
    expect((await send('nil-nord', caseRef, 'host.proposed', { ...proposal, hostName: 'Cooperativa del Sud', hostOrganisation: 'coop-sud' })).statusCode).toBe(
      200,
    );
    expect((await send('tutor-sud', caseRef, 'host.accepted')).statusCode).toBe(200);
    await eventually(
      async () => !(await refs('tutor-ponte', '/api/cases?kind=job-placement')).includes(caseRef),
      30_000,
      'the case gone from the declining host’s list',
    );
  });
});
