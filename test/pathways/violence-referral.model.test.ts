import { readFileSync } from 'node:fs';
import { getStateNodes } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import type { CaseContext } from '../../machines/case-setup.js';
import { caseSettingsSchema, type Actor } from '../../machines/case.js';
import { parametersFileSchema, valuesInForce } from '../../machines/parameters.js';
import { sensitiveFields } from '../../machines/pathway.js';
import { violenceReferral } from '../../machines/violence-referral.js';
import { personalValues } from '../support/log-scan.js';
import { violenceReferralForm } from '../support/samples.js';

const { startSchema, parametersSchema } = violenceReferral;
type Parameters = ReturnType<typeof parametersSchema.parse>;

const configured: Parameters = parametersSchema.parse(
  valuesInForce(parametersFileSchema.parse(JSON.parse(readFileSync('config/parameters/violence-referral.json', 'utf8'))), '2026-03-02'),
);

const actor = (role: string, organisation: string): Actor => ({ id: `${role}-1`, role, organisation });
const physician = actor('physician', 'hospital');
const nurse = actor('nurse', 'hospital');
const cavOperator = actor('cav-operator', 'cav');
const socialWorker = actor('social-worker', 'municipality');
const serviceHead = actor('social-service-head', 'municipality');
const psychologist = actor('psychologist', 'health-authority');
const childProtection = actor('child-protection', 'municipality');

const HOUR = 3_600_000;
const startedAt = '2026-03-02T09:00:00.000Z'; // a Monday

const atEmergencyRoom = violenceReferralForm({ referredAt: '2026-03-02T08:40:00+01:00' });
const secrets = personalValues(startSchema, atEmergencyRoom);

type Snapshot = AnyMachineSnapshot & { context: CaseContext<ReturnType<typeof startSchema.parse>, Parameters> };
type Effect = { type: string; params: Record<string, unknown> };
const effectTypes = ['notify', 'requestSignoff', 'remind', 'escalate'];

/** Guard results seen while driving the chart, by guard name: both sides of each must show up. */
const guardResults = new Map<string, Set<boolean>>();
const record = (name: string, result: boolean) => {
  guardResults.set(name, (guardResults.get(name) ?? new Set()).add(result));
  return result;
};
type GuardImplementation = ((args: unknown, params: unknown) => boolean) & { check?: (snapshot: unknown, args: unknown, self: unknown) => boolean };
const implementedGuards = violenceReferral.machine.implementations.guards as Record<string, GuardImplementation>;
const machine: AnyStateMachine = violenceReferral.machine.provide({
  guards: Object.fromEntries(
    Object.entries(implementedGuards).map(([name, original]) => {
      const check = original.check;
      // Built-in guards such as stateIn are evaluated through `check`, with the guard object itself.
      const observed = check
        ? Object.assign(() => false, original, { check: (snapshot: unknown, args: unknown) => record(name, check(snapshot, args, original)) })
        : (args: unknown, params: unknown) => record(name, original(args, params));
      return [name, observed];
    }),
  ) as never,
});

const visitedStates = new Set<string>();
const allEffects: Effect[] = [];

/** One case driven as the interpreter drives it: events a user sends must pass `can` first, like the update validator. */
class Case {
  snapshot: Snapshot;
  now = Date.parse(startedAt);
  effects: Effect[] = [];
  private actions: readonly { type: string; params?: unknown }[] = [];

  constructor(form: Record<string, unknown>, parameters: Parameters = configured) {
    const [snapshot, actions] = initialTransition(machine, {
      caseRef: 'RAC-2026-MODEL1',
      data: startSchema.parse(form),
      startedBy: physician,
      startedAt,
      settings: caseSettingsSchema.parse({ parameters }),
    });
    this.snapshot = snapshot as Snapshot;
    this.observe(actions);
  }

  get at() {
    return new Date(this.now).toISOString();
  }

  advanceHours(hours: number) {
    this.now += hours * HOUR;
    return this;
  }

  allows(type: string, payload: Record<string, unknown>, by: Actor) {
    return this.snapshot.can({ type, payload, actor: by, at: this.at } as never);
  }

  send(type: string, payload: Record<string, unknown>, by: Actor) {
    expect(this.allows(type, payload, by), `${type} by ${by.role} in ${JSON.stringify(this.snapshot.value)}`).toBe(true);
    return this.apply({ type, payload, actor: by, at: this.at });
  }

  rejects(type: string, payload: Record<string, unknown>, by: Actor) {
    expect(this.allows(type, payload, by), `${type} by ${by.role} should be refused`).toBe(false);
  }

  /** A timer's event, as the interpreter feeds it back when it fires. */
  fire(timer: { type: 'deadline.expire'; deadline: string } | { type: 'round.remind' | 'round.expire'; round: string }) {
    return this.apply({ ...timer, at: this.at });
  }

  sign(round: string, decision: 'approve' | 'request-changes' | 'reject', by: Actor) {
    return this.send('signoff.submit', { round, decision }, by);
  }

  in(path: string) {
    return this.snapshot._nodes.some((node) => node.id === `violence-referral.${path}`);
  }

  private apply(event: Record<string, unknown> & { type: string }) {
    const [snapshot, actions] = transition(machine, this.snapshot, event as never);
    this.snapshot = snapshot as Snapshot;
    this.observe(actions);
    return this;
  }

  /** The delay of a timer the last step armed, as the interpreter would schedule it. */
  timerDelay(id: string) {
    const raise = this.actions.find((action) => action.type === 'xstate.raise' && (action.params as { id?: string }).id === id);
    return (raise?.params as { delay?: number } | undefined)?.delay;
  }

  private observe(actions: readonly { type: string; params?: unknown }[]) {
    this.actions = actions;
    for (const node of this.snapshot._nodes) visitedStates.add(node.id);
    this.effects = actions
      .filter((action) => effectTypes.includes(action.type))
      .map((action) => ({ type: action.type, params: action.params as Record<string, unknown> }));
    allEffects.push(...this.effects);
  }
}

const notified = (c: Case) => c.effects.filter((effect) => effect.type === 'notify').flatMap((effect) => effect.params.roles as string[]);
/** Each scenario is a story an operator would recognise; together they visit every state and both sides of every guard. */
const scenarios = {
  mainPath() {
    const c = new Case(atEmergencyRoom);
    expect(c.in('active.legalReport.referto.inTime')).toBe(true);
    expect(c.effects).toContainEqual({ type: 'requestSignoff', params: { round: 'referto', roles: ['physician'] } });
    expect(c.in('active.children.notInvolved')).toBe(true);

    c.rejects('cav.intake', {}, cavOperator);
    c.rejects('case.close', { outcome: 'autonomy' }, socialWorker);
    c.sign('referto', 'approve', physician);
    expect(c.in('active.legalReport.filed')).toBe(true);
    expect(c.snapshot.context.deadlines.referto?.stoppedAt).toBeDefined();

    c.send('risk.assessed', { level: 'medium' }, nurse);
    expect(c.in('active.protection.monitored')).toBe(true);

    c.send('consent.cav', {}, nurse);
    expect(notified(c)).toEqual(['cav-operator']);
    expect(c.in('active.referrals.cav.referred.inTime')).toBe(true);
    c.rejects('consent.cav', {}, nurse);
    c.advanceHours(20).send('cav.intake', {}, cavOperator);
    expect(c.in('active.referrals.cav.inCharge')).toBe(true);
    expect(c.snapshot.context.deadlines.cavFirstContact?.stoppedAt).toBeDefined();

    c.rejects('liberty-income.requested', {}, cavOperator);
    c.rejects('internship.started', {}, socialWorker);
    c.send('consent.social-services', {}, cavOperator);
    expect(notified(c)).toEqual(['social-worker']);
    c.send('social-services.intake', {}, socialWorker);

    c.send('liberty-income.requested', {}, cavOperator);
    expect(c.effects).toContainEqual({ type: 'requestSignoff', params: { round: 'libertyIncome', roles: ['cav-operator', 'social-service-head'] } });
    c.send('signoff.claim', { round: 'libertyIncome' }, serviceHead);
    c.sign('libertyIncome', 'approve', cavOperator);
    expect(c.in('active.interventions.libertyIncome.signatures')).toBe(true);
    c.sign('libertyIncome', 'approve', serviceHead);
    expect(c.in('active.interventions.libertyIncome.submitted')).toBe(true);
    c.send('liberty-income.decided', { granted: true }, socialWorker);
    expect(c.in('active.interventions.libertyIncome.granted')).toBe(true);

    c.send('internship.started', {}, socialWorker).send('internship.ended', {}, socialWorker);
    expect(c.in('active.interventions.internship.ended')).toBe(true);

    c.send('case.close', { outcome: 'autonomy' }, cavOperator);
    expect(c.snapshot.status).toBe('done');
    expect(c.snapshot.value).toBe('autonomy');
    expect(c.snapshot.context.outcome).toBe('autonomy');
  },

  highRiskToShelter() {
    const c = new Case({ ...atEmergencyRoom, exOfficioOffence: false, consents: { cav: true } });
    expect(c.in('active.legalReport.notRequired')).toBe(true);
    expect(c.in('active.referrals.cav.referred')).toBe(true);

    c.send('risk.assessed', { level: 'high' }, physician);
    expect(c.in('active.protection.protectedObservation.inTime')).toBe(true);
    c.advanceHours(configured.protectedObservationMaxHours).fire({ type: 'deadline.expire', deadline: 'protectedObservation' });
    expect(c.in('active.protection.protectedObservation.overdue')).toBe(true);
    expect(notified(c)).toEqual(['physician']);

    c.send('observation.ended', {}, physician);
    expect(c.in('active.protection.shelterSearch')).toBe(true);
    // Only the CAV may know: she has not consented to social services.
    expect(notified(c)).toEqual(['cav-operator']);
    c.send('shelter.placed', {}, cavOperator);
    expect(c.in('active.protection.inShelter')).toBe(true);
    c.rejects('risk.assessed', { level: 'low' }, cavOperator);
    c.send('shelter.left', {}, cavOperator);
    expect(c.in('active.protection.monitored')).toBe(true);
    c.send('risk.assessed', { level: 'low' }, cavOperator);
    expect(c.in('active.protection.monitored')).toBe(true);
    c.send('risk.assessed', { level: 'high' }, cavOperator);
    expect(c.in('active.protection.protectedObservation')).toBe(true);
    c.send('shelter.declined', {}, physician);
    c.send('shelter.requested', {}, cavOperator).send('shelter.placed', {}, cavOperator);

    c.send('case.close', { outcome: 'protected-housing' }, cavOperator);
    expect(c.snapshot.value).toBe('protectedHousing');
    expect(c.snapshot.context.outcome).toBe('protected-housing');
  },

  shelterWaitsForConsent() {
    const c = new Case({ ...atEmergencyRoom, exOfficioOffence: false });
    c.send('risk.assessed', { level: 'high' }, physician);
    c.rejects('observation.ended', {}, physician);
    c.send('shelter.declined', {}, physician);
    expect(c.in('active.protection.monitored')).toBe(true);
    c.rejects('shelter.requested', {}, nurse);
    c.send('consent.social-services', {}, nurse);
    c.send('shelter.requested', {}, nurse);
    expect(notified(c)).toEqual(['social-worker']);
    c.send('shelter.declined', {}, socialWorker);
    expect(c.in('active.protection.monitored')).toBe(true);
  },

  childrenAndCourtOrder() {
    const c = new Case({ ...atEmergencyRoom, children: [{ age: 6 }, { age: 11 }], consents: { socialServices: true } });
    expect(c.in('active.children.referred')).toBe(true);
    expect(notified(c)).toContain('child-protection');

    c.send('children.assessment-ready', {}, childProtection);
    expect(c.effects).toContainEqual({ type: 'requestSignoff', params: { round: 'childProtection', roles: ['child-protection', 'social-worker'] } });
    // Two rounds are open at once: each timer and each signature reaches only its own.
    c.advanceHours(24 * 7).fire({ type: 'round.remind', round: 'childProtection' });
    expect(c.effects).toContainEqual({ type: 'remind', params: { round: 'childProtection', roles: ['child-protection', 'social-worker'] } });
    c.send('signoff.claim', { round: 'childProtection' }, socialWorker);
    c.sign('childProtection', 'request-changes', socialWorker);
    expect(c.in('active.children.referred')).toBe(true);
    c.send('children.assessment-ready', {}, childProtection);
    c.fire({ type: 'round.expire', round: 'childProtection' });
    expect(c.in('active.children.referred')).toBe(true);
    c.send('children.assessment-ready', {}, childProtection);
    c.sign('childProtection', 'approve', childProtection).sign('childProtection', 'approve', socialWorker);
    expect(c.in('active.children.assessed')).toBe(true);

    c.sign('referto', 'approve', physician);
    c.rejects('case.close', { outcome: 'child-protection-order' }, socialWorker);
    c.send('children.reported', {}, childProtection);
    expect(c.in('active.children.reportedToProsecutor')).toBe(true);
    c.send('case.close', { outcome: 'child-protection-order' }, socialWorker);
    expect(c.snapshot.value).toBe('childProtectionOrder');
  },

  legalReportRunsOnItsOwn() {
    const c = new Case(atEmergencyRoom);
    c.advanceHours(configured.legalReportHours).fire({ type: 'deadline.expire', deadline: 'referto' });
    expect(c.in('active.legalReport.referto.overdue')).toBe(true);
    expect(notified(c)).toEqual(['physician']);
    // She refuses every referral and leaves: the referto is still due, and the case stays open until it is filed.
    c.rejects('case.close', { outcome: 'dropped-out' }, physician);
    c.sign('referto', 'approve', physician);
    c.send('case.close', { outcome: 'dropped-out' }, physician);
    expect(c.snapshot.value).toBe('droppedOut');
    expect(c.snapshot.context.outcome).toBe('dropped-out');
  },

  legalReportRaisedLater() {
    const c = new Case({ ...atEmergencyRoom, exOfficioOffence: false });
    expect(c.in('active.legalReport.notRequired')).toBe(true);
    c.send('legal-report.required', {}, nurse);
    expect(c.in('active.legalReport.referto.inTime')).toBe(true);
    c.sign('referto', 'reject', physician);
    expect(c.in('active.legalReport.dismissed')).toBe(true);
    c.send('legal-report.required', {}, physician);
    c.advanceHours(48).fire({ type: 'round.expire', round: 'referto' });
    // The round's own term has passed but the referto is still owed: the physician can still sign it.
    expect(c.in('active.legalReport.referto.overdue')).toBe(true);
    c.sign('referto', 'approve', physician);
    expect(c.in('active.legalReport.filed')).toBe(true);
    c.send('case.close', { outcome: 'transferred' }, socialWorker);
    expect(c.snapshot.value).toBe('transferred');
  },

  cavFirstContactLate() {
    const c = new Case({ ...atEmergencyRoom, exOfficioOffence: false, entryChannel: 'helpline-1522' });
    c.send('consent.cav', {}, socialWorker);
    c.advanceHours(configured.cavFirstContactHours).fire({ type: 'deadline.expire', deadline: 'cavFirstContact' });
    expect(c.in('active.referrals.cav.referred.overdue')).toBe(true);
    expect(notified(c)).toEqual(['cav-operator']);
    c.send('cav.intake', {}, cavOperator);
    expect(c.in('active.referrals.cav.inCharge')).toBe(true);
  },

  libertyIncomeNotSupported() {
    const c = new Case({ ...atEmergencyRoom, exOfficioOffence: false, consents: { cav: true, socialServices: true } });
    c.send('social-services.intake', {}, socialWorker);
    // The CAV signs the pathway out of violence: it must have met her first.
    c.rejects('liberty-income.requested', {}, socialWorker);
    c.send('cav.intake', {}, cavOperator);
    c.send('liberty-income.requested', {}, socialWorker);
    c.sign('libertyIncome', 'reject', serviceHead);
    expect(c.in('active.interventions.libertyIncome.notRequested')).toBe(true);
    c.send('liberty-income.requested', {}, socialWorker);
    c.advanceHours(24 * 20).fire({ type: 'round.expire', round: 'libertyIncome' });
    expect(c.in('active.interventions.libertyIncome.notRequested')).toBe(true);
    c.send('liberty-income.requested', {}, socialWorker);
    c.sign('libertyIncome', 'approve', cavOperator).sign('libertyIncome', 'approve', serviceHead);
    c.send('liberty-income.decided', { granted: false }, cavOperator);
    expect(c.in('active.interventions.libertyIncome.refused')).toBe(true);
  },

  treatmentPathway() {
    const c = new Case({ ...atEmergencyRoom, exOfficioOffence: false, entryChannel: 'consultorio' });
    c.send('consent.consultorio', {}, psychologist);
    expect(notified(c)).toEqual(['psychologist']);
    c.rejects('psychotherapy.started', {}, psychologist);
    c.send('consultorio.intake', {}, psychologist);
    c.send('psychotherapy.started', {}, psychologist);
    expect(c.in('active.interventions.psychotherapy.ongoing')).toBe(true);
    c.send('psychotherapy.ended', {}, psychologist);
    expect(c.in('active.interventions.psychotherapy.ended')).toBe(true);
    c.send('case.close', { outcome: 'treatment-pathway' }, socialWorker);
    expect(c.snapshot.value).toBe('treatmentPathway');
  },
};

describe('violence-referral: the chart', () => {
  for (const [name, run] of Object.entries(scenarios)) it(`runs the story "${name}"`, run);

  it('reaches every state, every final state, and both sides of every guard, with events a user would send', () => {
    visitedStates.clear();
    guardResults.clear();
    for (const run of Object.values(scenarios)) run();

    const allStates = getStateNodes(violenceReferral.machine).map((node) => node.id);
    expect(allStates.filter((id) => !visitedStates.has(id))).toEqual([]);
    const finals = getStateNodes(violenceReferral.machine)
      .filter((node) => node.type === 'final')
      .map((node) => node.key);
    expect(finals.sort()).toEqual(['autonomy', 'childProtectionOrder', 'droppedOut', 'protectedHousing', 'transferred', 'treatmentPathway']);

    const oneSided = Object.keys(implementedGuards).filter((name) => guardResults.get(name)?.size !== 2);
    expect(oneSided).toEqual([]);
  });
});

describe('violence-referral: domain rules', () => {
  it('blocks each referral until its own consent, and takes each consent once', () => {
    const c = new Case({ ...atEmergencyRoom, exOfficioOffence: false });
    for (const [consent, intake, by] of [
      ['consent.cav', 'cav.intake', cavOperator],
      ['consent.social-services', 'social-services.intake', socialWorker],
      ['consent.consultorio', 'consultorio.intake', psychologist],
    ] as const) {
      c.rejects(intake, {}, by);
      c.send(consent, {}, nurse);
      c.rejects(consent, {}, nurse);
      c.send(intake, {}, by);
    }
    expect(c.snapshot.context.data.consents).toEqual({ cav: true, socialServices: true, consultorio: true });
  });

  it('consent to one service opens no other', () => {
    const c = new Case({ ...atEmergencyRoom, consents: { consultorio: true } });
    expect(c.in('active.referrals.consultorio.referred')).toBe(true);
    expect(c.in('active.referrals.cav.awaitingConsent')).toBe(true);
    expect(c.in('active.referrals.socialServices.awaitingConsent')).toBe(true);
    expect(notified(c)).toEqual(['psychologist']);
  });

  it('starts the referto clock at opening for an ex officio offence, for the hours in force, whatever her consents', () => {
    const c = new Case(atEmergencyRoom);
    expect(c.snapshot.context.deadlines.referto?.dueAt).toBe(new Date(Date.parse(startedAt) + 48 * HOUR).toISOString());
    expect(c.timerDelay('deadline.referto')).toBe(48 * HOUR);
    expect(new Case(atEmergencyRoom, { ...configured, legalReportHours: 24 }).timerDelay('deadline.referto')).toBe(24 * HOUR);
    expect(new Case({ ...atEmergencyRoom, exOfficioOffence: false }).timerDelay('deadline.referto')).toBeUndefined();
  });

  it('takes every term from configuration: 48 h referto, 72 h CAV first contact (an assumption), 72 h observation', () => {
    const c = new Case({ ...atEmergencyRoom, exOfficioOffence: false, consents: { cav: true } }, { ...configured, cavFirstContactHours: 24 });
    expect(c.snapshot.context.deadlines.cavFirstContact?.dueAt).toBe(new Date(Date.parse(startedAt) + 24 * HOUR).toISOString());
    expect(configured).toEqual({ legalReportHours: 48, cavFirstContactHours: 72, protectedObservationMaxHours: 72 });
  });

  it('involves the Tutela Minori only when she has children', () => {
    const c = new Case({ ...atEmergencyRoom, exOfficioOffence: false });
    expect(c.in('active.children.notInvolved')).toBe(true);
    expect(notified(c)).not.toContain('child-protection');
    c.rejects('children.assessment-ready', {}, childProtection);
    c.rejects('case.close', { outcome: 'child-protection-order' }, socialWorker);
  });

  it('never addresses the woman and never carries her data: every effect names operators’ roles only', () => {
    allEffects.length = 0;
    for (const run of Object.values(scenarios)) run();
    const roles = Object.keys(violenceReferral.roles);
    expect(allEffects.length).toBeGreaterThan(20);
    for (const effect of allEffects) {
      expect(Object.keys(effect.params).every((key) => ['roles', 'round', 'pendingRoles', 'operators'].includes(key))).toBe(true);
      const recipients = [...((effect.params.roles as string[]) ?? []), ...((effect.params.pendingRoles as string[]) ?? [])];
      expect(
        recipients.every((role) => roles.includes(role)),
        JSON.stringify(effect),
      ).toBe(true);
      for (const secret of secrets) expect(JSON.stringify(effect)).not.toContain(secret);
    }
  });

  it('marks every sensitive field of the opening form', () => {
    expect(sensitiveFields(startSchema)).toEqual({
      pseudonym: 'personal',
      safeContact: 'personal',
      children: 'personal',
      injuries: 'special-category',
      abuser: 'personal',
      complaintFiled: 'criminal',
      exOfficioOffence: 'criminal',
      residencePermit: 'personal',
    });
    expect(sensitiveFields(violenceReferral.events['risk.assessed'].schema)).toEqual({ level: 'personal' });
  });

  it('asks how to reach her safely whenever she may be contacted, in Italian', () => {
    const parsed = startSchema.safeParse({ ...atEmergencyRoom, safeContact: { mayBeContacted: true } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues).toContainEqual(expect.objectContaining({ path: ['safeContact', 'how'], message: 'Indicare come contattarla in sicurezza' }));
    expect(startSchema.safeParse({ ...atEmergencyRoom, safeContact: { mayBeContacted: false } }).success).toBe(true);
  });
});
