import { serdReferral } from './support/samples.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiStack } from './support/api.js';

let api: ApiStack;
beforeAll(async () => {
  api = await startApi('need-to-know');
});
afterAll(() => api?.stop());

const read = (caseRef: string, cookie: string, headers: Record<string, string> = {}) =>
  api.app.inject({ method: 'GET', url: `/api/cases/${caseRef}`, headers: { cookie, ...headers } });

const referral = serdReferral(6);

describe('need-to-know', () => {
  it('keeps the diagnosis and judicial measure from the host company, without a trace, and shows them to the social worker', async () => {
    const socialWorker = await api.login('social-worker');
    const started = await api.app.inject({ method: 'POST', url: '/api/cases', headers: { cookie: socialWorker }, payload: { kind: 'job-placement', data: referral } });
    expect(started.statusCode).toBe(201);
    const { caseRef } = started.json();

    const forHost = await read(caseRef, await api.login('host-company'));
    expect(forHost.statusCode).toBe(200);
    expect(forHost.json().data).not.toHaveProperty('diagnosisCategory');
    expect(forHost.json().data).not.toHaveProperty('judicialMeasure');
    expect(forHost.json().data.person).toEqual(referral.person);
    expect(forHost.body).not.toMatch(/substance-use|Dott\. Rossi|probation-to-social-services|redact|nascost/i);

    const forSocialWorker = (await read(caseRef, socialWorker)).json();
    expect(forSocialWorker.data).toMatchObject({ diagnosisCategory: 'substance-use', judicialMeasure: referral.judicialMeasure });
  });

  it('lets someone outside the pathway read a case only by breaking the glass with a reason, and never act on it', async () => {
    const socialWorker = await api.login('social-worker');
    const { caseRef } = (
      await api.app.inject({ method: 'POST', url: '/api/cases', headers: { cookie: socialWorker }, payload: { kind: 'hello', data: { summary: 'Vetro' } } })
    ).json();
    const ward = await api.login('ward');

    expect((await read(caseRef, ward)).statusCode).toBe(403);
    expect((await read(caseRef, ward, { 'x-break-glass-reason': 'urgente' })).statusCode).toBe(403);
    const broken = await read(caseRef, ward, { 'x-break-glass-reason': 'Paziente in pronto soccorso, serve il piano in corso' });
    expect(broken.statusCode).toBe(200);
    expect(broken.json()).toMatchObject({ breakGlass: true, allowedEvents: [], eventSchemas: {}, data: { summary: 'Vetro' } });
    const act = await api.app.inject({
      method: 'POST',
      url: `/api/cases/${caseRef}/events`,
      headers: { cookie: ward, 'x-break-glass-reason': 'Paziente in pronto soccorso, serve il piano in corso' },
      payload: { type: 'case.withdraw', payload: { reason: 'x' } },
    });
    expect(act.statusCode).toBe(403);
  });
});
