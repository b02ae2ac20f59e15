import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiStack } from './support/api.js';
import { eventually } from './support/harness.js';
import { serdReferral } from './support/samples.js';

let api: ApiStack;
beforeAll(async () => {
  api = await startApi('need-to-know');
});
afterAll(() => api?.stop());

const read = (caseRef: string, cookie: string, headers: Record<string, string> = {}) =>
  api.app.inject({ method: 'GET', url: `/api/cases/${caseRef}`, headers: { cookie, ...headers } });

const referral = serdReferral(6);
const { judicialMeasure: _measure, ...referralWithoutMeasure } = referral;

const cookies: Record<string, string> = {};
const as = async (role: string) => (cookies[role] ??= await api.login(role));

async function start(data: object): Promise<string> {
  const started = await api.app.inject({
    method: 'POST',
    url: '/api/cases',
    headers: { cookie: await as('social-worker') },
    payload: { kind: 'job-placement', data },
  });
  expect(started.statusCode).toBe(201);
  return started.json().caseRef;
}

async function send(caseRef: string, role: string, type: string, payload: object = {}) {
  const response = await api.app.inject({
    method: 'POST',
    url: `/api/cases/${caseRef}/events`,
    headers: { cookie: await as(role) },
    payload: { type, payload },
  });
  expect(response.statusCode, `${type} by ${role}: ${response.body}`).toBe(200);
}

const hostNotes = 'Tutor aziendale: il responsabile di magazzino';

/** Referred by the SerD, evaluated, matched with the host, agreement signed by all four parties, insured, started. */
async function activeInternship(data: object): Promise<string> {
  const caseRef = await start(data);
  for (const role of ['job-placement', 'social-worker', 'addiction-service'])
    await send(caseRef, role, 'signoff.submit', { round: 'evaluation', decision: 'approve' });
  await send(caseRef, 'job-placement', 'host.proposed', { hostName: 'Cooperativa Il Ponte', hostOrganisation: 'host', plannedMonths: 6 });
  await send(caseRef, 'host-company', 'host.accepted');
  for (const role of ['addiction-service', 'job-placement']) await send(caseRef, role, 'signoff.submit', { round: 'agreement', decision: 'approve' });
  await send(caseRef, 'host-company', 'signoff.submit', { round: 'agreement', decision: 'approve', notes: hostNotes });
  await send(caseRef, 'social-worker', 'signoff.submit', { round: 'agreement', decision: 'approve', onBehalfOf: 'trainee' });
  await send(caseRef, 'job-placement', 'insurance.activated', { policyReference: 'INAIL PAT 123 / RC 456' });
  await send(caseRef, 'job-placement', 'internship.started');
  return caseRef;
}

/** A view with what always differs between two cases (reference, instants) made equal, to compare the rest. */
const shapeOf = (view: unknown, caseRef: string) =>
  JSON.parse(
    JSON.stringify(view)
      .replaceAll(caseRef, '<caseRef>')
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g, '<instant>'),
  );

/** What would tell of a judicial measure: UEPE, the judge's reports, their state and event names. */
const judicialTrace = /UEPE|giudiziari|judgeReports|judicial|probation/i;

describe('need-to-know', () => {
  it('keeps the diagnosis and judicial measure from the host company, without a trace, and shows them to the social worker', async () => {
    const socialWorker = await api.login('social-worker');
    const started = await api.app.inject({
      method: 'POST',
      url: '/api/cases',
      headers: { cookie: socialWorker },
      payload: { kind: 'job-placement', data: referral },
    });
    expect(started.statusCode).toBe(201);
    const { caseRef } = started.json();
    // Notes are free text: the SerD's tell of the therapy.
    const notes = 'In terapia sostitutiva da due anni, esami negativi';
    for (const role of ['job-placement', 'social-worker']) await send(caseRef, role, 'signoff.submit', { round: 'evaluation', decision: 'approve' });
    await send(caseRef, 'addiction-service', 'signoff.submit', { round: 'evaluation', decision: 'approve', notes });
    await send(caseRef, 'job-placement', 'host.proposed', { hostName: 'Cooperativa Il Ponte', hostOrganisation: 'host', plannedMonths: 6 });

    const forHost = await read(caseRef, await api.login('host-company'));
    expect(forHost.statusCode).toBe(200);
    expect(forHost.json().data).not.toHaveProperty('diagnosisCategory');
    expect(forHost.json().data).not.toHaveProperty('judicialMeasure');
    expect(forHost.json().data.person).toEqual(referral.person);
    expect(forHost.body).not.toMatch(/substance-use|Dott\. Rossi|probation-to-social-services|redact|nascost/i);
    expect(forHost.body).not.toContain(notes);
    expect(forHost.json().rounds[0].decisions['addiction-service']).toMatchObject({ decision: 'approve', signedByRole: 'addiction-service' });

    const forSocialWorker = (await read(caseRef, socialWorker)).json();
    expect(forSocialWorker.data).toMatchObject({ diagnosisCategory: 'substance-use', judicialMeasure: referral.judicialMeasure });
    expect(forSocialWorker.rounds[0].decisions['addiction-service'].notes).toBe(notes);
  });

  it('keeps from the host company the reason a placement ended, and the other parties’ notes, but not its own', async () => {
    const caseRef = await activeInternship(referralWithoutMeasure);
    const reason = 'Ricaduta, ricoverato in SPDC';
    await send(caseRef, 'job-placement', 'trainee.withdrew', { reason });
    const forHost = await read(caseRef, await as('host-company'));
    expect(forHost.json()).toMatchObject({ status: 'done', outcome: 'interrupted-by-trainee' });
    const agreement = forHost.json().rounds.find((round: { id: string }) => round.id === 'agreement');
    expect(agreement.decisions['host-company'].notes).toBe(hostNotes);
    expect(forHost.json().data).not.toHaveProperty('exitReason');
    expect(forHost.body).not.toContain(reason);
    expect((await read(caseRef, await as('addiction-service'))).json().data.exitReason).toBe(reason);
  });

  it('shows the host company a case under a judicial measure exactly as one without: no state, event, role or diagram node tells', async () => {
    const [withMeasure, withoutMeasure] = [await activeInternship(referral), await activeInternship(referralWithoutMeasure)];
    // UEPE reports to the judge: only possible under a measure.
    await send(withMeasure, 'probation', 'probation.reported');

    const [forHostWith, forHostWithout] = await Promise.all(
      [withMeasure, withoutMeasure].map(async (caseRef) => (await read(caseRef, await as('host-company'))).json()),
    );
    expect(forHostWith.state).toBe('active');
    expect(shapeOf(forHostWith, withMeasure)).toEqual(shapeOf(forHostWithout, withoutMeasure));
    expect(JSON.stringify(forHostWith)).not.toMatch(judicialTrace);
    expect(forHostWith.activeStates.map((state: { path: string }) => state.path)).toEqual(['active.tutorReviews.scheduled', 'active']);
    expect(forHostWith.diagram).toContain('active_tutorReviews_scheduled');

    // The roles that need it see all of it.
    for (const role of ['social-worker', 'job-placement', 'probation']) {
      const view = (await read(withMeasure, await as(role))).json();
      expect(view.activeStates).toContainEqual({ path: 'active.judgeReports.scheduled', label: 'Relazioni periodiche dell’UEPE' });
      expect(view.timeline.map((entry: { event: string }) => entry.event)).toContain('probation.reported');
      expect(view.diagram).toContain('state "Relazioni all’autorità giudiziaria" as active_judgeReports');
      expect(view.data.judicialMeasure).toEqual(referral.judicialMeasure);
    }
    expect((await read(withoutMeasure, await as('social-worker'))).json().activeStates).toContainEqual({
      path: 'active.judgeReports.notRequired',
      label: 'Relazioni non previste',
    });
  });

  it('lists those cases alike to the host company, and a filter on a state or role it must not know finds nothing', async () => {
    const list = async (role: string, query: string) =>
      (await api.app.inject({ method: 'GET', url: `/api/cases?kind=job-placement${query}`, headers: { cookie: await as(role) } })).json().cases as {
        caseRef: string;
        state: string;
        stateLabel: string;
        pendingRoles: string[];
      }[];
    const withMeasure = await activeInternship(referral);
    const withoutMeasure = await activeInternship(referralWithoutMeasure);
    await send(withMeasure, 'probation', 'probation.reported');
    const judgeReports = '&state=active.judgeReports.scheduled';
    // Visibility catches up with the cases' states within moments.
    await eventually(
      async () => (await list('social-worker', judgeReports)).some((summary) => summary.caseRef === withMeasure),
      30_000,
      'the case in visibility',
    );

    const forHost = (await list('host-company', '')).filter((summary) => [withMeasure, withoutMeasure].includes(summary.caseRef));
    expect(forHost).toHaveLength(2);
    expect(forHost[0]).toMatchObject({ state: 'active.tutorReviews.scheduled', stateLabel: 'Prossima verifica del tutor programmata' });
    expect(forHost[1]).toMatchObject({ state: forHost[0]!.state, stateLabel: forHost[0]!.stateLabel, pendingRoles: forHost[0]!.pendingRoles });
    expect(await list('host-company', judgeReports)).toEqual([]);
    expect(await list('host-company', '&pendingRole=probation')).toEqual([]);
    expect((await list('social-worker', judgeReports)).map((summary) => summary.caseRef)).toContain(withMeasure);
  });

  it('lets someone outside the pathway read a case only by breaking the glass with a reason, and never act on it', async () => {
    const socialWorker = await api.login('social-worker');
    const { caseRef } = (
      await api.app.inject({ method: 'POST', url: '/api/cases', headers: { cookie: socialWorker }, payload: { kind: 'hello', data: { summary: 'Vetro' } } })
    ).json();
    const ward = await api.login('ward');

    // The hospital co-owns no hello case: to it the case does not exist, unless it breaks the glass.
    expect((await read(caseRef, ward)).statusCode).toBe(404);
    expect((await read(caseRef, ward, { 'x-break-glass-reason': 'urgente' })).json()).toMatchObject({ code: 'BreakGlassReasonTooShort' });
    const broken = await read(caseRef, ward, { 'x-break-glass-reason': 'Paziente in pronto soccorso, serve il piano in corso' });
    expect(broken.statusCode).toBe(200);
    expect(broken.json()).toMatchObject({ breakGlass: true, actions: [], data: { summary: 'Vetro' } });
    const act = await api.app.inject({
      method: 'POST',
      url: `/api/cases/${caseRef}/events`,
      headers: { cookie: ward, 'x-break-glass-reason': 'Paziente in pronto soccorso, serve il piano in corso' },
      payload: { type: 'case.withdraw', payload: { reason: 'x' } },
    });
    expect(act.statusCode).toBe(404);
  });
});
