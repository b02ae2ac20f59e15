import { hospitalDischargeSignal } from './support/samples.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiStack } from './support/api.js';

let api: ApiStack;
beforeAll(async () => {
  api = await startApi('hospital-api');
});
afterAll(() => api?.stop());

const demoKey = { authorization: 'Bearer raccordo-demo-hospital-key' };
const signal = hospitalDischargeSignal;
const post = (payload: unknown, headers: Record<string, string> = demoKey) =>
  api.app.inject({ method: 'POST', url: '/api/hospital/discharges', headers, payload: payload as object });

describe('POST /api/hospital/discharges', () => {
  it('opens one homeless-discharge case per encounter, however many times the ward sends it', async () => {
    const encounterId = `REST-${Date.now()}`;
    const first = await post(signal(encounterId));
    expect(first.statusCode).toBe(201);
    const { caseRef } = first.json();
    expect(caseRef).toMatch(/^RAC-E/);
    expect(caseRef).not.toContain(encounterId);

    const again = await Promise.all([post(signal(encounterId)), post(signal(encounterId, { event: 'discharge' }))]);
    expect(again.map((response) => [response.statusCode, response.json()])).toEqual([
      [200, { outcome: 'existing', caseRef }],
      [200, { outcome: 'existing', caseRef }],
    ]);
    const view = await api.stack.cases.view(caseRef);
    expect(view).toMatchObject({ kind: 'homeless-discharge', startedBy: { role: 'ward', organisation: 'demo-hospital' } });
  });

  it('starts nothing for a patient who is not homeless', async () => {
    const response = await post(signal(`REST-H-${Date.now()}`, { homeless: false }));
    expect([response.statusCode, response.json()]).toEqual([200, { outcome: 'not-applicable' }]);
  });

  it('answers 401 without a valid key, 403 for another hospital, 400 with the field for a bad signal', async () => {
    expect((await post(signal('X'), {})).statusCode).toBe(401);
    expect((await post({ nonsense: true }, { authorization: 'Bearer wrong' })).statusCode).toBe(401);
    expect((await post(signal('X', { hospital: 'another-hospital' }))).json().code).toBe('HospitalMismatch');
    const invalid = await post(signal('X', { plannedDischargeAt: 'domani' }));
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().issues).toEqual([{ path: 'plannedDischargeAt', message: 'Data e ora della dimissione non valide' }]);
  });
});
