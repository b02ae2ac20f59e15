import { referredPerson, serdReferral as referralFromSerd } from '../support/samples.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../machines/case.js';
import { actorFor, mailbox, recipients, startCaseStack, type CaseStack } from '../support/harness.js';

let stack: CaseStack;
beforeAll(async () => {
  stack = await startCaseStack('job-placement');
});
afterAll(() => stack?.stop());

const operator = (role: string, organisation: string, id = `${role}-op`): Actor => ({ id, role, organisation });
const serd = operator('addiction-service', 'health-authority');
const socialWorker = operator('social-worker', 'municipality');
/** The case manager, who records the trainee's signature: another social worker than the one signing for the service. */
const caseManager = operator('social-worker', 'municipality', 'case-manager-op');
const employmentCentre = operator('employment-centre', 'employment-centre');
const nil = operator('job-placement', 'health-authority');
const hostCompany = operator('host-company', 'host');
const uepe = operator('probation', 'justice');

const person = referredPerson;
/** 18 months of TIS already used: two more fit under the cap, three do not. */
const serdReferral = referralFromSerd(18);
const targetedPlacement = {
  person,
  referringService: 'employment-centre',
  caseManager: { name: 'Marco Verdi', role: 'employment-centre' },
  route: 'targeted-placement',
  alreadyInCharge: false,
  employmentCentreRegistered: true,
  invalidityPercent: 67,
};
const project = (plannedMonths: number) => ({ hostName: 'Cooperativa Il Ponte', hostOrganisation: 'host', hostedByHealthAuthority: false, plannedMonths });
const reason = { reason: 'Motivo riportato dal case manager' };

const open = async (data: Record<string, unknown>, by: Actor = serd) => (await stack.cases.start({ kind: 'job-placement', data, actor: by })).caseRef;
const send = (caseRef: string, type: string, by: Actor, payload: Record<string, unknown> = {}) => stack.cases.send(caseRef, type, payload, by);
const sign = (caseRef: string, round: string, by: Actor, extra: Record<string, unknown> = {}) =>
  send(caseRef, 'signoff.submit', by, { round, decision: 'approve', ...extra });
const notAllowedNow = { status: 409, code: 'NotAllowedNow' };

async function evaluateAndMatch(caseRef: string, referrer: Actor, plannedMonths: number) {
  for (const evaluator of new Set([nil, socialWorker, referrer])) await sign(caseRef, 'evaluation', evaluator);
  await send(caseRef, 'host.proposed', nil, project(plannedMonths));
  return send(caseRef, 'host.accepted', hostCompany);
}

/** All four parties sign: the service in charge, the promoter, the host, and the trainee through the case manager. */
async function signAgreement(caseRef: string, serviceInCharge: Actor, traineeRecordedBy: Actor) {
  for (const party of [serviceInCharge, nil, hostCompany]) await sign(caseRef, 'agreement', party);
  return sign(caseRef, 'agreement', traineeRecordedBy, { onBehalfOf: 'trainee' });
}

async function toActiveInternship(caseRef: string) {
  await evaluateAndMatch(caseRef, serd, 6);
  await signAgreement(caseRef, serd, caseManager);
  await send(caseRef, 'insurance.activated', nil, { policyReference: 'INAIL PAT 123 / RC 456' });
  return send(caseRef, 'internship.started', nil);
}

describe('job placement on the real Temporal server', () => {
  it('runs a TIS from the SerD referral to hiring, within the 24-month cap and with insurance before the start', async () => {
    const caseRef = await open(serdReferral);
    expect(caseRef).toMatch(/^RAC-\d{4}-[0-9A-Z]{6}$/);
    const opened = await stack.cases.view(caseRef, actorFor('job-placement'));
    expect(opened.stateLabel).toBe('Valutazione multidimensionale');
    expect(opened.pendingSignoffs.map((task) => task.candidateRole)).toEqual(['job-placement', 'social-worker', 'addiction-service']);

    for (const evaluator of [nil, socialWorker, serd]) await sign(caseRef, 'evaluation', evaluator);
    // 18 months used: a 7-month project would pass the 24-month cap.
    await expect(send(caseRef, 'host.proposed', nil, project(7))).rejects.toMatchObject(notAllowedNow);
    await send(caseRef, 'host.proposed', nil, project(4));
    await stack.cases.act(caseRef, 'host.declined', {}, hostCompany);
    await send(caseRef, 'host.proposed', nil, project(4));
    const agreement = await send(caseRef, 'host.accepted', hostCompany);
    expect(agreement.pendingSignoffs.map((task) => task.candidateRole)).toEqual(['addiction-service', 'job-placement', 'host-company', 'trainee']);

    // Only the case manager's service may record the trainee's signature.
    await expect(sign(caseRef, 'agreement', hostCompany, { onBehalfOf: 'trainee' })).rejects.toMatchObject(notAllowedNow);
    const signed = await signAgreement(caseRef, serd, caseManager);
    expect(signed.stateLabel).toBe('In attesa di avvio');
    expect(signed.rounds.find((round) => round.id === 'agreement')?.decisions.trainee).toMatchObject({ signedBy: 'case-manager-op', recorded: true });

    await expect(send(caseRef, 'internship.started', nil)).rejects.toMatchObject(notAllowedNow);
    await send(caseRef, 'insurance.activated', nil, { policyReference: 'INAIL PAT 123 / RC 456' });
    const active = await send(caseRef, 'internship.started', nil);
    expect(active.activeStates.map((state) => state.path)).toEqual(['active.tutorReviews.scheduled', 'active.judgeReports.scheduled']);

    await send(caseRef, 'review.recorded', hostCompany);
    await send(caseRef, 'probation.reported', uepe);
    await send(caseRef, 'certificate.issued', nil);
    // 18 + 4 months: two more fit, three do not.
    await expect(send(caseRef, 'internship.extended', nil, { months: 3 })).rejects.toMatchObject(notAllowedNow);
    await send(caseRef, 'internship.extended', nil, { months: 2 });
    await send(caseRef, 'certificate.issued', nil);
    await expect(send(caseRef, 'internship.extended', nil, { months: 1 })).rejects.toMatchObject(notAllowedNow);
    const hired = await send(caseRef, 'trainee.hired', hostCompany, { contract: 'fixed-term' });

    expect(hired).toMatchObject({ status: 'done', outcome: 'hired', stateLabel: 'Assunto' });
    expect(hired.data).toMatchObject({ periods: [{ months: 4 }, { months: 2 }], contract: 'fixed-term' });
    // The host company reads no trace of the judicial measure; the case holds it.
    expect(hired.data).not.toHaveProperty('lastJudgeReportAt');
    expect((await stack.cases.view(caseRef)).data).toMatchObject({ lastJudgeReportAt: expect.any(String) });
    // Events in order; a delivery alert (a role nobody holds in this directory) lands whenever its e-mail is tried.
    const events = (await stack.cases.view(caseRef)).timeline.map((entry) => entry.event).filter((event) => !event.startsWith('notification.'));
    expect(events).toEqual([
      'xstate.init',
      ...Array(3).fill('signoff.submit'),
      'host.proposed',
      'host.declined',
      'host.proposed',
      'host.accepted',
      ...Array(4).fill('signoff.submit'),
      'insurance.activated',
      'internship.started',
      'review.recorded',
      'probation.reported',
      'certificate.issued',
      'internship.extended',
      'certificate.issued',
      'trainee.hired',
    ]);

    // The host heard of each proposal and the social worker was asked for the trainee's signature; no message names the person.
    const mails = await mailbox.expectCount(caseRef, 10);
    expect(recipients(mails)).not.toContain('trainee@demo.raccordo.local');
    expect(recipients(mails).filter((address) => address.startsWith('host-company'))).toHaveLength(3);
    expect(mails.some((mail) => `${mail.subject} ${mail.text} ${mail.html}`.includes(person.fullName))).toBe(false);
  });

  it('closes a TIS referral at once when the person is not in charge of a service', async () => {
    const caseRef = await open({ ...serdReferral, alreadyInCharge: false, inChargeSince: undefined });
    expect(await stack.cases.view(caseRef)).toMatchObject({ status: 'done', outcome: 'not-eligible', stateLabel: 'Non ammissibile' });
  });

  it('closes an L.68/99 referral with invalidity at the threshold, and admits one above it', async () => {
    const atThreshold = await open({ ...targetedPlacement, invalidityPercent: 45 }, employmentCentre);
    expect(await stack.cases.view(atThreshold)).toMatchObject({ status: 'done', outcome: 'not-eligible' });
    const above = await open({ ...targetedPlacement, invalidityPercent: 46 }, employmentCentre);
    expect((await stack.cases.view(above)).state).toBe('evaluation');
  });

  it('closes as not eligible when the evaluation team rejects', async () => {
    const caseRef = await open(serdReferral);
    const rejected = await send(caseRef, 'signoff.submit', nil, { round: 'evaluation', decision: 'reject', notes: 'Non pronto per un tirocinio' });
    expect(rejected).toMatchObject({ status: 'done', outcome: 'not-eligible' });
  });

  it('ends an L.68/99 placement without hiring, with no TIS cap and no judge reports', async () => {
    const caseRef = await open(targetedPlacement, employmentCentre);
    await evaluateAndMatch(caseRef, employmentCentre, 30);
    await signAgreement(caseRef, employmentCentre, operator('employment-centre', 'employment-centre', 'case-manager-op'));
    await send(caseRef, 'insurance.activated', nil, { policyReference: 'INAIL PAT 789' });
    const active = await send(caseRef, 'internship.started', nil);
    expect(active.activeStates.map((state) => state.path)).toContain('active.judgeReports.notRequired');
    // Without a judicial measure UEPE does not co-own the placement: to it the case does not exist.
    await expect(send(caseRef, 'probation.reported', uepe)).rejects.toMatchObject({ status: 404, code: 'CaseNotFound' });
    await send(caseRef, 'certificate.issued', nil);
    const closed = await send(caseRef, 'case.closed', nil, reason);
    expect(closed).toMatchObject({ status: 'done', outcome: 'closed', stateLabel: 'Chiuso senza assunzione' });
  });

  it('records an interruption by the trainee during the internship', async () => {
    const caseRef = await open(serdReferral);
    await toActiveInternship(caseRef);
    const interrupted = await send(caseRef, 'trainee.withdrew', caseManager, reason);
    expect(interrupted).toMatchObject({ status: 'done', outcome: 'interrupted-by-trainee', stateLabel: 'Interrotto' });
  });

  it('records an interruption by the host before the start', async () => {
    const caseRef = await open(serdReferral);
    await evaluateAndMatch(caseRef, serd, 6);
    await signAgreement(caseRef, serd, caseManager);
    const interrupted = await send(caseRef, 'host.withdrew', hostCompany, reason);
    expect(interrupted).toMatchObject({ status: 'done', outcome: 'interrupted-by-host' });
    expect(interrupted.data).not.toHaveProperty('exitReason');
    expect((await stack.cases.view(caseRef)).data).toMatchObject({ exitReason: reason.reason });
  });

  it('records that the person dropped out while the team was evaluating', async () => {
    const caseRef = await open(serdReferral);
    await sign(caseRef, 'evaluation', nil);
    // No host proposed yet: to any host company the case does not exist.
    await expect(send(caseRef, 'dropout.recorded', hostCompany, reason)).rejects.toMatchObject({ status: 404, code: 'CaseNotFound' });
    const dropped = await send(caseRef, 'dropout.recorded', serd, reason);
    expect(dropped).toMatchObject({ status: 'done', outcome: 'dropped-out', stateLabel: 'Abbandonato' });
  });
});
