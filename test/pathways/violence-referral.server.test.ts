import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../machines/case.js';
import { violenceReferral } from '../../machines/violence-referral.js';
import { actorFor, eventually, mailbox, recipients, startCaseStack, type CaseStack } from '../support/harness.js';
import { personalValues } from '../support/log-scan.js';
import { violenceReferralForm } from '../support/samples.js';

let stack: CaseStack;
beforeAll(async () => {
  stack = await startCaseStack('violence-referral');
});
afterAll(() => stack?.stop());

const actor = (role: string, organisation: string): Actor => ({ id: role, role, organisation });
const physician = actor('physician', 'hospital');
const nurse = actor('nurse', 'hospital');
const cavOperator = actor('cav-operator', 'cav');
const socialWorker = actor('social-worker', 'municipality');
const serviceHead = actor('social-service-head', 'municipality');
const childProtection = actor('child-protection', 'municipality');

const HOUR = 3_600_000;
const notAllowedNow = { status: 409, code: 'NotAllowedNow' };

/** Every value here is something no e-mail may ever carry. */
const secrets = personalValues(violenceReferral.startSchema, violenceReferralForm());

const open = async (by: Actor, overrides: Record<string, unknown> = {}) =>
  (await stack.cases.start({ kind: 'violence-referral', data: violenceReferralForm(overrides), actor: by })).caseRef;
const send = (caseRef: string, type: string, by: Actor, payload: Record<string, unknown> = {}) => stack.cases.send(caseRef, type, payload, by);
const sign = (caseRef: string, round: string, by: Actor) => send(caseRef, 'signoff.submit', by, { round, decision: 'approve' });
const active = (view: { activeStates: { path: string }[] }) => view.activeStates.map((state) => state.path);

describe('violence-referral on the real Temporal server', () => {
  it('runs from the Pronto Soccorso to autonomy: referto in 48 h, each referral after its consent, two signatures', async () => {
    const caseRef = await open(nurse);
    expect(caseRef).toMatch(/^RAC-\d{4}-[0-9A-Z]{6}$/);
    const opened = await stack.cases.view(caseRef, actorFor('physician'));
    expect(opened.state).toBe('active');
    expect(active(opened)).toContain('active.legalReport.referto.inTime');
    expect(opened.pendingSignoffs).toEqual([expect.objectContaining({ round: 'referto', candidateRole: 'physician', priority: 'high' })]);
    const referto = opened.deadlines.find((deadline) => deadline.id === 'referto');
    expect(Date.parse(referto!.dueAt) - Date.parse(opened.startedAt)).toBe(48 * HOUR);

    await expect(send(caseRef, 'cav.intake', cavOperator)).rejects.toMatchObject(notAllowedNow);
    await expect(send(caseRef, 'case.close', socialWorker, { outcome: 'autonomy' })).rejects.toMatchObject(notAllowedNow);

    const filed = await sign(caseRef, 'referto', physician);
    expect(active(filed)).toContain('active.legalReport.filed');
    expect(filed.deadlines.map((deadline) => deadline.id)).not.toContain('referto');

    await send(caseRef, 'risk.assessed', nurse, { level: 'medium' });
    await send(caseRef, 'consent.cav', nurse);
    await expect(send(caseRef, 'consent.cav', nurse)).rejects.toMatchObject(notAllowedNow);
    await send(caseRef, 'cav.intake', cavOperator);
    await expect(send(caseRef, 'liberty-income.requested', cavOperator)).rejects.toMatchObject(notAllowedNow);
    await send(caseRef, 'consent.social-services', cavOperator);
    await send(caseRef, 'social-services.intake', socialWorker);

    const signing = await send(caseRef, 'liberty-income.requested', cavOperator);
    expect(signing.pendingSignoffs.map((task) => task.candidateRole)).toEqual(['cav-operator', 'social-service-head']);
    await sign(caseRef, 'libertyIncome', cavOperator);
    const submitted = await sign(caseRef, 'libertyIncome', serviceHead);
    expect(active(submitted)).toContain('active.interventions.libertyIncome.submitted');
    await send(caseRef, 'liberty-income.decided', socialWorker, { granted: true });
    await send(caseRef, 'internship.started', socialWorker);

    const closed = await send(caseRef, 'case.close', cavOperator, { outcome: 'autonomy' });
    expect(closed).toMatchObject({ status: 'done', state: 'autonomy', outcome: 'autonomy', stateLabel: 'Chiuso: autonomia raggiunta' });

    // The referto for the physician, each service when her consent reached it, both signatories of the Reddito di libertà.
    const mails = await mailbox.expectCount(caseRef, 5);
    expect(recipients(mails)).toEqual([
      'cav-operator@demo.raccordo.local',
      'cav-operator@demo.raccordo.local',
      'physician@demo.raccordo.local',
      'social-service-head@demo.raccordo.local',
      'social-worker@demo.raccordo.local',
    ]);
    for (const mail of mails) {
      expect(['Raccordo: hai un nuovo compito', 'Raccordo: aggiornamento su un caso']).toContain(mail.subject);
      for (const secret of secrets) expect(`${mail.subject} ${mail.text} ${mail.html}`).not.toContain(secret);
    }

    const listed = await eventually(
      async () => {
        const found = [];
        const query = `PathwayKind='violence-referral' AND PathwayState='autonomy' AND CaseRef='${caseRef}'`;
        for await (const execution of stack.client.workflow.list({ query })) {
          found.push(execution.workflowId);
        }
        return found.length ? found : undefined;
      },
      20_000,
      'the closed case in visibility',
    );
    expect(listed).toEqual([caseRef]);
  });

  it('takes her from high risk through protected observation to a shelter, asking only the services she allowed', async () => {
    const caseRef = await open(physician, { exOfficioOffence: false, consents: { cav: true } });
    const observing = await send(caseRef, 'risk.assessed', physician, { level: 'high' });
    expect(active(observing)).toContain('active.protection.protectedObservation.inTime');
    expect(observing.deadlines.map((deadline) => deadline.id)).toEqual(expect.arrayContaining(['protectedObservation', 'cavFirstContact']));
    await expect(send(caseRef, 'observation.ended', cavOperator)).rejects.toMatchObject({ status: 403, code: 'RoleNotAllowed' });

    await send(caseRef, 'observation.ended', physician);
    await send(caseRef, 'shelter.placed', cavOperator);
    await send(caseRef, 'cav.intake', cavOperator);
    const closed = await send(caseRef, 'case.close', cavOperator, { outcome: 'protected-housing' });
    expect(closed).toMatchObject({ status: 'done', state: 'protectedHousing', outcome: 'protected-housing' });

    // The CAV twice (her referral, then the shelter search); social services never, since she did not consent.
    const mails = await mailbox.expectCount(caseRef, 2);
    expect(recipients(mails)).toEqual(['cav-operator@demo.raccordo.local', 'cav-operator@demo.raccordo.local']);
  });

  it('brings her children to the Tutela Minori and closes with a child-protection order only after its report', async () => {
    const caseRef = await open(socialWorker, { exOfficioOffence: false, entryChannel: 'social-services', children: [{ age: 4 }] });
    await expect(send(caseRef, 'case.close', socialWorker, { outcome: 'child-protection-order' })).rejects.toMatchObject(notAllowedNow);
    await send(caseRef, 'children.assessment-ready', childProtection);
    await sign(caseRef, 'childProtection', childProtection);
    const assessed = await sign(caseRef, 'childProtection', socialWorker);
    expect(active(assessed)).toContain('active.children.assessed');
    await expect(send(caseRef, 'case.close', socialWorker, { outcome: 'child-protection-order' })).rejects.toMatchObject(notAllowedNow);

    await send(caseRef, 'children.reported', childProtection);
    const closed = await send(caseRef, 'case.close', socialWorker, { outcome: 'child-protection-order' });
    expect(closed).toMatchObject({ status: 'done', state: 'childProtectionOrder', outcome: 'child-protection-order' });
  });

  it('keeps the referto due when she refuses every referral and drops out', async () => {
    const caseRef = await open(nurse);
    await expect(send(caseRef, 'case.close', physician, { outcome: 'dropped-out' })).rejects.toMatchObject(notAllowedNow);
    const stillOpen = await stack.cases.view(caseRef, actorFor('physician'));
    expect(stillOpen.status).toBe('active');
    expect(stillOpen.timeline.map((entry) => entry.event)).toEqual(['xstate.init']);

    await sign(caseRef, 'referto', physician);
    const closed = await send(caseRef, 'case.close', physician, { outcome: 'dropped-out' });
    expect(closed).toMatchObject({ status: 'done', state: 'droppedOut', outcome: 'dropped-out' });
  });

  it('closes as transferred when she moves to another territory', async () => {
    const caseRef = await open(cavOperator, { entryChannel: 'cav', exOfficioOffence: false, consents: { cav: true } });
    await send(caseRef, 'cav.intake', cavOperator);
    await expect(send(caseRef, 'case.close', cavOperator, { outcome: 'moved' })).rejects.toMatchObject({ status: 400, code: 'InvalidPayload' });
    const closed = await send(caseRef, 'case.close', cavOperator, { outcome: 'transferred' });
    expect(closed).toMatchObject({ status: 'done', state: 'transferred', outcome: 'transferred' });
  });
});
