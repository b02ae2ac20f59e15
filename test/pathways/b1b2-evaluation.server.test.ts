import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b1b2Evaluation } from '../../machines/b1b2-evaluation.js';
import type { Actor } from '../../machines/case.js';
import { parametersFileSchema, valuesInForce } from '../../machines/parameters.js';
import { actorFor, mailbox, recipients, startCaseStack, type CaseStack } from '../support/harness.js';
import { personalValues } from '../support/log-scan.js';
import { b1b2Applicant } from '../support/samples.js';

let stack: CaseStack;
beforeAll(async () => {
  stack = await startCaseStack('b1b2-evaluation');
});
afterAll(() => stack?.stop());

// The worker pins the values in force today; the applications are dated inside (or just outside) those calls.
const inForce = b1b2Evaluation.parametersSchema.parse(
  valuesInForce(parametersFileSchema.parse(JSON.parse(readFileSync('config/parameters/b1b2-evaluation.json', 'utf8'))), new Date().toISOString().slice(0, 10)),
);
const dayBefore = (date: string) => new Date(Date.parse(date) - 86_400_000).toISOString().slice(0, 10);

const actor = (role: string, organisation: string): Actor => ({ id: `${role}-op`, role, organisation });
const officer = actor('administrative-officer', 'municipality');
const ambitoSocialWorker = actor('social-worker', 'municipality');
const asstSocialWorker = actor('health-social-worker', 'health-authority');
const physician = actor('physician', 'health-authority');
const nurse = actor('nurse', 'health-authority');

const { applicant, guardian, residenceMunicipality } = b1b2Applicant;
const b1Adult = {
  measure: 'B1',
  benefits: ['buono'],
  submittedOn: inForce.B1.callOpensOn,
  applicant,
  residenceMunicipality,
  minor: false,
  iseeSociosanitario: { value: 18_000, issuedOn: inForce.B1.callOpensOn },
  scales: { certifiedOn: inForce.B1.callOpensOn, edss: 9.5 },
  law104Severe: true,
  attendanceAllowance: true,
  atHome: true,
};
const b2 = {
  measure: 'B2',
  benefits: ['buono', 'voucher'],
  submittedOn: inForce.B2.callOpensOn,
  applicant,
  residenceMunicipality,
  minor: false,
  iseeSociosanitario: { value: 20_000, issuedOn: inForce.B2.callOpensOn },
  law104Severe: false,
  attendanceAllowance: true,
  atHome: true,
};

const open = async (data: Record<string, unknown>) => (await stack.cases.start({ kind: 'b1b2-evaluation', data, actor: officer })).caseRef;
const send = (caseRef: string, type: string, by: Actor, payload: Record<string, unknown> = {}) => stack.cases.send(caseRef, type, payload, by);
const approve = (caseRef: string, round: string, by: Actor, extra: Record<string, unknown> = {}) =>
  send(caseRef, 'signoff.submit', by, { round, decision: 'approve', ...extra });
const notAllowedNow = { status: 409, code: 'NotAllowedNow' };
const leaves = (view: { activeStates: { path: string }[] }) => view.activeStates.map((state) => state.path);

/** A plain B2 application, evaluated by the Ambito and signed by the person: it stands before the ranking. */
async function b2AwaitingRanking(data: Record<string, unknown> = b2) {
  const caseRef = await open(data);
  await send(caseRef, 'check.completed', officer);
  await approve(caseRef, 'b2-evaluation', ambitoSocialWorker);
  await send(caseRef, 'plan.signed', ambitoSocialWorker, { signedBy: 'person' });
  return caseRef;
}

describe('b1b2-evaluation on the real Temporal server', () => {
  it('B1: administrative check, ASST team, plan signed by the person, funding, suspension and resumption', async () => {
    const caseRef = await open(b1Adult);
    expect(caseRef).toMatch(/^RAC-\d{4}-[0-9A-Z]{6}$/);
    const opened = await stack.cases.view(caseRef, actorFor('administrative-officer'));
    expect(leaves(opened)).toEqual(['procedure.administrativeCheck']);
    expect(opened.deadlines).toEqual([expect.objectContaining({ id: 'procedure', suspended: false })]);

    const evaluating = await send(caseRef, 'check.completed', officer);
    expect(evaluating.pendingSignoffs.map((task) => task.candidateRole)).toEqual(['physician', 'nurse', 'health-social-worker']);
    // B1 is the ASST's: the Ambito's social worker is not on its team, and nothing can be ranked before a plan.
    await expect(approve(caseRef, 'b1-evaluation', ambitoSocialWorker)).rejects.toMatchObject(notAllowedNow);
    await expect(send(caseRef, 'ranking.published', officer, { funded: true })).rejects.toMatchObject(notAllowedNow);

    await approve(caseRef, 'b1-evaluation', physician);
    await approve(caseRef, 'b1-evaluation', nurse);
    const atPlan = await approve(caseRef, 'b1-evaluation', asstSocialWorker);
    expect(leaves(atPlan)).toEqual(['procedure.plan']);
    await send(caseRef, 'plan.signed', asstSocialWorker, { signedBy: 'person' });
    const active = await send(caseRef, 'ranking.published', officer, { funded: true });
    expect(active.stateLabel).toBe('Misura in corso');
    expect(leaves(active)).toEqual(['measure.active']);
    expect(active.data).toMatchObject({ planSignedBy: 'person', activatedAt: expect.any(String) });
    expect(active.deadlines).toEqual([]);

    await expect(send(caseRef, 'measure.resumed', asstSocialWorker)).rejects.toMatchObject(notAllowedNow);
    const suspended = await send(caseRef, 'measure.suspended', asstSocialWorker, { reason: 'hospitalisation' });
    expect(leaves(suspended)).toEqual(['measure.suspended']);
    const resumed = await send(caseRef, 'measure.resumed', asstSocialWorker);
    expect(leaves(resumed)).toEqual(['measure.active']);
    expect(resumed.status).toBe('active');

    // The team is asked to sign; the ASST's social worker is told to draw the plan and that the measure is active;
    // the office ranks and hears of the suspension and resumption. No message names the person or the place.
    const mails = await mailbox.expectCount(caseRef, 8);
    expect(recipients(mails)).toEqual([
      ...Array(3).fill('administrative-officer@demo.raccordo.local'),
      ...Array(3).fill('health-social-worker@demo.raccordo.local'),
      'nurse@demo.raccordo.local',
      'physician@demo.raccordo.local',
    ]);
    const personal = personalValues(b1b2Evaluation.startSchema, b1b2Applicant);
    expect(mails.filter((mail) => personal.some((value) => `${mail.subject} ${mail.text} ${mail.html}`.includes(value)))).toEqual([]);
  });

  it('B2 with health needs: documents requested with the procedure clock suspended, joint evaluation, guardian signs, waiting list, funded', async () => {
    const caseRef = await open({ ...b2, healthNeeds: true, guardian, iseeSociosanitario: undefined });
    await expect(send(caseRef, 'check.completed', officer)).rejects.toMatchObject(notAllowedNow);

    const waiting = await send(caseRef, 'documents.requested', officer, { missing: ['isee'] });
    expect(leaves(waiting)).toEqual(['procedure.awaitingDocuments']);
    expect(waiting.deadlines).toEqual([
      expect.objectContaining({ id: 'procedure', suspended: true }),
      expect.objectContaining({ id: 'documents', suspended: false }),
    ]);
    const completed = await send(caseRef, 'documents.received', officer, { iseeSociosanitario: { value: 24_000, issuedOn: b2.submittedOn } });
    expect(completed.deadlines).toEqual([expect.objectContaining({ id: 'procedure', suspended: false })]);

    const joint = await send(caseRef, 'check.completed', officer);
    expect(joint.pendingSignoffs.map((task) => task.candidateRole)).toEqual(['social-worker', 'nurse']);
    await approve(caseRef, 'b2-joint-evaluation', physician, { onBehalfOf: 'nurse' });
    await approve(caseRef, 'b2-joint-evaluation', ambitoSocialWorker);
    await send(caseRef, 'plan.signed', ambitoSocialWorker, { signedBy: 'guardian' });

    const listed = await send(caseRef, 'ranking.published', officer, { funded: false });
    expect(listed.state).toBe('waitingList');
    const funded = await send(caseRef, 'ranking.published', officer, { funded: true });
    expect(leaves(funded)).toEqual(['measure.active']);
    expect(funded.data).toMatchObject({ planSignedBy: 'guardian' });
  });

  it('closes an application submitted before the call opened, at once', async () => {
    const view = await stack.cases.view(await open({ ...b2, submittedOn: dayBefore(inForce.B2.callOpensOn) }));
    expect(view).toMatchObject({ status: 'done', state: 'outOfWindow', outcome: 'out-of-window' });
  });

  it('closes an application that does not meet the requirements once it is complete', async () => {
    const caseRef = await open({ ...b2, attendanceAllowance: false });
    const closed = await send(caseRef, 'check.completed', officer);
    expect(closed).toMatchObject({ status: 'done', state: 'notEligible', outcome: 'not-eligible' });
  });

  it('closes on a negative evaluation', async () => {
    const caseRef = await open(b2);
    await send(caseRef, 'check.completed', officer);
    const closed = await send(caseRef, 'signoff.submit', ambitoSocialWorker, { round: 'b2-evaluation', decision: 'reject', notes: 'Autonomia conservata' });
    expect(closed).toMatchObject({ status: 'done', state: 'evaluationNegative', outcome: 'evaluation-negative' });
  });

  it('lets the plan be signed only by someone who may: not by an unnamed guardian, not by a minor', async () => {
    const adult = await open(b2);
    await send(adult, 'check.completed', officer);
    await approve(adult, 'b2-evaluation', ambitoSocialWorker);
    await expect(send(adult, 'plan.signed', ambitoSocialWorker, { signedBy: 'guardian' })).rejects.toMatchObject(notAllowedNow);

    const minor = await open({ ...b1Adult, minor: true, iseeOrdinary: { value: 40_000, issuedOn: b1Adult.submittedOn } });
    await send(minor, 'check.completed', officer);
    for (const by of [physician, nurse, asstSocialWorker]) await approve(minor, 'b1-evaluation', by);
    await expect(send(minor, 'plan.signed', asstSocialWorker, { signedBy: 'person' })).rejects.toMatchObject(notAllowedNow);
  });

  it('closes as not funded when the waiting list lapses, and only from the waiting list', async () => {
    const caseRef = await b2AwaitingRanking();
    await expect(send(caseRef, 'waitlist.lapsed', officer)).rejects.toMatchObject(notAllowedNow);
    await send(caseRef, 'ranking.published', officer, { funded: false });
    const closed = await send(caseRef, 'waitlist.lapsed', officer);
    expect(closed).toMatchObject({ status: 'done', state: 'notFunded', outcome: 'not-funded' });
  });

  it('closes for the reason given: a move out of the region during the evaluation, a death while the measure is active', async () => {
    const moving = await open(b2);
    await send(moving, 'check.completed', officer);
    const moved = await send(moving, 'case.closed', ambitoSocialWorker, { reason: 'moved-out-of-region' });
    expect(moved).toMatchObject({ status: 'done', state: 'closed', outcome: 'moved-out-of-region' });

    const active = await b2AwaitingRanking();
    await send(active, 'ranking.published', officer, { funded: true });
    const closed = await send(active, 'case.closed', officer, { reason: 'death' });
    expect(closed).toMatchObject({ status: 'done', outcome: 'death' });
  });
});
