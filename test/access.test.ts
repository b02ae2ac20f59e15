import { describe, expect, it } from 'vitest';
import { concealedParts, hiddenFields, redactCaseData } from '../machines/access.js';
import type { CaseState } from '../machines/case-state.js';
import { mermaidDiagram } from '../machines/diagram.js';
import { hello } from '../machines/hello.js';
import { jobPlacement } from '../machines/job-placement.js';
import { definePathway } from '../machines/pathway.js';
import { violenceReferral } from '../machines/violence-referral.js';
import { projectCase } from '../machines/projection.js';
import type { SignoffRound } from '../machines/signoff.js';
import { serdReferral } from './support/samples.js';

const referral = {
  person: { fullName: 'Luca Verdi', fiscalCode: 'VRDLCU80A01F205X' },
  diagnosisCategory: 'addiction',
  invalidityPercent: 50,
  judicialMeasure: { measure: 'probation', probationContact: 'UEPE Milano', restrictions: 'rientro serale' },
  skills: 'magazzino',
};

describe('need-to-know redaction', () => {
  it('leaves out the diagnosis, invalidity and judicial measure for the host company, and nothing for the social worker', () => {
    expect(hiddenFields(jobPlacement, 'host-company')).toEqual(
      expect.arrayContaining(['diagnosisCategory', 'invalidityPercent', 'judicialMeasure', 'employmentCentreRegistered']),
    );
    const forHost = redactCaseData(jobPlacement, 'host-company', referral);
    expect(forHost).toEqual({ person: referral.person, skills: 'magazzino' });
    expect(JSON.stringify(forHost)).not.toMatch(/addiction|UEPE|probation|50/);
    expect(redactCaseData(jobPlacement, 'social-worker', referral)).toEqual(referral);
  });

  it('hides without a trace: the result has the shape of a form where those fields were never filled in', () => {
    const neverFilled = { person: referral.person, skills: 'magazzino' };
    expect(redactCaseData(jobPlacement, 'host-company', referral)).toEqual(redactCaseData(jobPlacement, 'host-company', neverFilled));
  });

  it('changes nothing for a pathway without restrictions', () => {
    expect(hiddenFields(hello, 'nurse')).toEqual([]);
  });
});

describe('what the chart would tell', () => {
  const at = '2026-03-02T09:00:00.000Z';
  const uepe = { id: 'probation', role: 'probation' };
  const round = (id: string, label: string, roles: string[], decisions: SignoffRound['decisions'], closedAt?: string): SignoffRound => ({
    spec: {
      id,
      label,
      roles,
      quorum: 'all',
      deadlineWorkingDays: 5,
      reminders: { firstAfterWorkingDays: 1, repeatEveryWorkingDays: 1, escalateAfterWorkingDays: 2 },
    },
    openedAt: at,
    dueAt: at,
    nextReminderAt: at,
    escalateAt: at,
    escalated: false,
    decisions,
    assignees: {},
    ...(closedAt ? { closedAt } : {}),
  });
  const state: CaseState = {
    caseRef: 'RAC-2026-ABC123',
    kind: 'job-placement',
    version: '1',
    status: 'active',
    value: { active: { tutorReviews: 'scheduled', judgeReports: 'scheduled' } },
    context: {
      caseRef: 'RAC-2026-ABC123',
      data: { ...serdReferral(6), lastJudgeReportAt: at },
      coordinator: { id: 'social-worker', role: 'social-worker', organisation: 'municipality' },
      startedAt: at,
      settings: { calendar: {}, parameters: {} },
      rounds: {
        evaluation: round(
          'evaluation',
          'Valutazione',
          ['probation', 'job-placement'],
          {
            probation: { decision: 'approve', signedBy: 'probation', signedByRole: 'probation', substitute: false, at },
            'job-placement': { decision: 'approve', signedBy: 'job-placement', signedByRole: 'job-placement', substitute: false, at },
          },
          at,
        ),
      },
      deadlines: {},
    } as CaseState['context'],
    startedAt: at,
    timeline: [
      { at, event: 'internship.started', from: 'startPending', to: 'active' },
      { at, event: 'probation.reported', actor: uepe, from: 'active', to: 'active' },
      { at, event: 'xstate.after.judgeReportDue.job-placement.active.judgeReports.scheduled', from: 'active', to: 'active' },
      { at: '2026-03-03T09:00:00.000Z', event: 'notification.unstaffed', from: 'active', to: 'active' },
    ],
    alerts: [{ at: '2026-03-03T09:00:00.000Z', kind: 'unstaffed', roles: ['probation'] }],
  };
  const viewOf = (role: string) =>
    projectCase(jobPlacement, state, { id: role, role, organisation: 'x' }, { access: 'member', organisations: [], now: '2026-03-04T09:00:00.000Z' });

  it('leaves out, for the host company, every state, event, role, timer and recorded field that tells of a judicial measure', () => {
    const forHost = viewOf('host-company');
    expect(forHost.activeStates).toEqual([
      { path: 'active.tutorReviews.scheduled', label: 'Prossima verifica del tutor programmata' },
      { path: 'active', label: 'Tirocinio in corso' },
    ]);
    expect(forHost.actions.map((action) => action.type)).toEqual(['review.recorded', 'host.withdrew']);
    expect(Object.keys(forHost.rounds[0]!.decisions)).toEqual(['job-placement']);
    expect(forHost.timeline.map((entry) => entry.event)).toEqual(['internship.started']);
    expect(forHost.alerts).toEqual([]);
    expect(forHost.data).not.toHaveProperty('lastJudgeReportAt');
    expect(JSON.stringify(forHost)).not.toMatch(/UEPE|giudiziari|judgeReports|probation/i);
  });

  it('leaves the case whole for the roles that need it', () => {
    const forSocialWorker = viewOf('social-worker');
    expect(forSocialWorker.activeStates.map((active) => active.path)).toEqual(['active.tutorReviews.scheduled', 'active.judgeReports.scheduled']);
    expect(forSocialWorker.timeline).toHaveLength(4);
    expect(forSocialWorker.alerts).toHaveLength(1);
    expect(forSocialWorker.data).toHaveProperty('lastJudgeReportAt', at);
  });

  it('draws the host company a diagram without the judge’s reports', () => {
    const diagram = mermaidDiagram(jobPlacement, ['active.tutorReviews.scheduled', 'active'], concealedParts(jobPlacement, 'host-company'));
    expect(diagram).not.toMatch(/judgeReports|giudiziari|UEPE|hasJudicialMeasure/);
    expect(diagram).toContain('state "Verifiche periodiche del tutor" as active_tutorReviews {');
    expect(mermaidDiagram(jobPlacement)).toContain('state "Relazioni all’autorità giudiziaria" as active_judgeReports {');
  });

  it('refuses, when a pathway is defined, a revealing part the view could not leave out', () => {
    expect(() => definePathway({ ...jobPlacement, revealedBy: { criminal: { states: ['active'] } } })).toThrow(/active is a top-level state/);
    expect(() => definePathway({ ...violenceReferral, revealedBy: { criminal: { states: ['active.legalReport'] } } })).toThrow(
      /active\.legalReport holds a sign-off round or deadline/,
    );
    expect(() => definePathway({ ...jobPlacement, revealedBy: { criminal: { events: ['judge.called'], roles: ['judge'] } } })).toThrow(
      /no event judge\.called; no role judge/,
    );
  });
});
