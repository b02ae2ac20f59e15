import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../machines/case.js';
import { homelessDischarge } from '../../machines/homeless-discharge.js';
import { actorFor, mailbox, recipients, startCaseStack, type CaseStack } from '../support/harness.js';
import { personalValues } from '../support/log-scan.js';
import { homelessReferral } from '../support/samples.js';

let stack: CaseStack;
beforeAll(async () => {
  stack = await startCaseStack('homeless-discharge');
});
afterAll(() => stack?.stop());

const actor = (role: string, organisation: string): Actor => ({ id: role, role, organisation });
const ward = actor('ward', 'hospital');
const physician = actor('physician', 'health-authority');
const hospitalSocialWorker = actor('hospital-social-worker', 'hospital');
const socialWorker = actor('social-worker', 'municipality');
const facility = actor('receiving-facility', 'facility');
const emergencyService = actor('emergency-social-service', 'municipality');

const HOUR = 3_600_000;
const notAllowedNow = { status: 409, code: 'NotAllowedNow' };

const open = async (by: Actor = ward, overrides: Record<string, unknown> = {}) =>
  (await stack.cases.start({ kind: 'homeless-discharge', data: homelessReferral(overrides), actor: by })).caseRef;
const send = (caseRef: string, type: string, by: Actor, payload: Record<string, unknown> = {}) => stack.cases.send(caseRef, type, payload, by);
const approve = (caseRef: string, by: Actor) => send(caseRef, 'signoff.submit', by, { round: 'needs-assessment', decision: 'approve' });
const shelter = { placementType: 'low-threshold-shelter' };

async function toPlacementSearch(caseRef: string) {
  await send(caseRef, 'competence.accepted', socialWorker, { nominalResidence: true });
  await approve(caseRef, physician);
  await approve(caseRef, hospitalSocialWorker);
  return approve(caseRef, socialWorker);
}

describe('homeless-discharge on the real Temporal server', () => {
  it('runs from the ward’s signal to a confirmed placement, the discharge and the follow-up', async () => {
    const caseRef = await open();
    expect(caseRef).toMatch(/^RAC-\d{4}-[0-9A-Z]{6}$/);
    const opened = await stack.cases.view(caseRef, actorFor('social-worker'));
    expect(opened.activeStates.at(-1)?.label).toBe('Verifica della competenza territoriale');
    expect(opened.data).toMatchObject({ referral: { late: false } });

    const searching = await toPlacementSearch(caseRef);
    expect(searching.activeStates.at(-1)?.label).toBe('Ricerca della collocazione');
    await expect(send(caseRef, 'discharge.completed', ward)).rejects.toMatchObject(notAllowedNow);

    await send(caseRef, 'placement.proposed', socialWorker, { ...shelter, facility: 'facility' });
    await expect(send(caseRef, 'discharge.completed', ward)).rejects.toMatchObject(notAllowedNow);
    await expect(send(caseRef, 'placement.confirmed', facility, { placementType: 'public-housing' })).rejects.toMatchObject(notAllowedNow);
    await send(caseRef, 'placement.confirmed', facility, shelter);

    const discharged = await send(caseRef, 'discharge.completed', ward);
    expect(discharged.state).toBe('followUp');
    await send(caseRef, 'followup.recorded', socialWorker, { area: 'residence' });
    const closed = await send(caseRef, 'case.closed', socialWorker, { outcome: 'in-care-of-services' });
    expect(closed).toMatchObject({ status: 'done', outcome: 'in-care-of-services', stateLabel: 'Chiuso' });
    expect(closed.timeline.map((entry) => entry.event)).toEqual([
      'xstate.init',
      'competence.accepted',
      'signoff.submit',
      'signoff.submit',
      'signoff.submit',
      'placement.proposed',
      'placement.confirmed',
      'discharge.completed',
      'followup.recorded',
      'case.closed',
    ]);

    // The municipality at the signal, the three assessors, the facility, the ward when it may discharge, the municipality for follow-up.
    const mails = await mailbox.expectCount(caseRef, 7);
    expect(recipients(mails)).toEqual([
      'hospital-social-worker@demo.raccordo.local',
      'physician@demo.raccordo.local',
      'receiving-facility@demo.raccordo.local',
      'social-worker@demo.raccordo.local',
      'social-worker@demo.raccordo.local',
      'social-worker@demo.raccordo.local',
      'ward@demo.raccordo.local',
    ]);
    const personal = personalValues(homelessDischarge.startSchema, homelessReferral());
    expect(mails.filter((mail) => personal.some((value) => `${mail.subject} ${mail.text} ${mail.html}`.includes(value)))).toEqual([]);
    expect(mails.some((mail) => /dormitorio/i.test(mail.text + mail.html))).toBe(false);
  });

  it('discharges without a placement only after a waiver with a reason', async () => {
    const caseRef = await open(hospitalSocialWorker);
    await toPlacementSearch(caseRef);
    await expect(send(caseRef, 'placement.waived', socialWorker, { reason: ' ' })).rejects.toMatchObject({
      status: 400,
      issues: [{ path: 'reason', message: 'Indicare il motivo per cui si dimette senza collocazione' }],
    });
    await expect(send(caseRef, 'discharge.completed', ward)).rejects.toMatchObject(notAllowedNow);
    const waived = await send(caseRef, 'placement.waived', socialWorker, { reason: 'Torna a vivere con il fratello' });
    expect(waived.data).toMatchObject({ placement: { status: 'waived', reason: 'Torna a vivere con il fratello' } });
    expect((await send(caseRef, 'discharge.completed', ward)).state).toBe('followUp');
  });

  it('hands the case to Pronto Intervento Sociale out of hours, which confirms a bed itself', async () => {
    const caseRef = await open();
    await send(caseRef, 'handoff.emergency-service', ward);
    await expect(send(caseRef, 'discharge.completed', ward)).rejects.toMatchObject(notAllowedNow);
    // No placement was proposed to a facility: to them the case does not exist.
    await expect(send(caseRef, 'placement.confirmed', facility, shelter)).rejects.toMatchObject({ status: 404, code: 'CaseNotFound' });
    const ready = await send(caseRef, 'placement.confirmed', emergencyService, shelter);
    expect(ready.activeStates.at(-1)?.label).toBe('Collocazione definita, dimissione possibile');
    expect((await send(caseRef, 'discharge.completed', ward)).state).toBe('followUp');
    const mails = await mailbox.expectCount(caseRef, 4);
    expect(recipients(mails)).toEqual([
      'emergency-social-service@demo.raccordo.local',
      'social-worker@demo.raccordo.local',
      'social-worker@demo.raccordo.local',
      'ward@demo.raccordo.local',
    ]);
  });

  it('ends a case at each exceptional exit', async () => {
    const exits: [string, Actor, Record<string, unknown>, string][] = [
      ['person.refused', hospitalSocialWorker, {}, 'refused'],
      ['person.self-discharged', ward, {}, 'self-discharged'],
      ['competence.transferred', socialWorker, { municipality: 'Comune di Cremona' }, 'transferred'],
      ['person.deceased', ward, {}, 'deceased'],
    ];
    const ended = await Promise.all(
      exits.map(async ([type, by, payload]) => {
        const caseRef = await open(socialWorker);
        return send(caseRef, type, by, payload);
      }),
    );
    expect(ended.map((view) => [view.status, view.outcome])).toEqual(exits.map(([, , , outcome]) => ['done', outcome]));
  });

  it('holds the domain rules: consent before a proposal, no cure intermedie in active psychiatric illness, late referrals marked', async () => {
    const caseRef = await open(ward, {
      consentGiven: false,
      plannedDischargeAt: new Date(Date.now() + 12 * HOUR).toISOString(),
      mentalHealth: { activePsychiatricIllness: true, followedByMentalHealthService: true },
    });
    const { referral } = (await stack.cases.view(caseRef)).data as { referral: { late: boolean; hoursBeforeDischarge: number } };
    expect(referral.late).toBe(true);
    expect(referral.hoursBeforeDischarge).toBeLessThanOrEqual(12);
    await toPlacementSearch(caseRef);
    await expect(send(caseRef, 'placement.proposed', socialWorker, shelter)).rejects.toMatchObject(notAllowedNow);
    await send(caseRef, 'consent.given', hospitalSocialWorker);
    await expect(send(caseRef, 'placement.proposed', socialWorker, { placementType: 'intermediate-care' })).rejects.toMatchObject(notAllowedNow);
    const proposed = await send(caseRef, 'placement.proposed', socialWorker, { placementType: 'post-acute-homeless-unit' });
    expect(proposed.activeStates.at(-1)?.label).toBe('In attesa di conferma della struttura');
  });

  it('lets only the ward and the social workers open a case', async () => {
    await expect(stack.cases.start({ kind: 'homeless-discharge', data: homelessReferral(), actor: facility })).rejects.toMatchObject({ status: 403 });
  });
});
