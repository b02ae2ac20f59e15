import { getShortestPaths } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import { caseSettingsSchema, type Actor } from '../../machines/case.js';
import { homelessDischarge } from '../../machines/homeless-discharge.js';
import { sensitiveFields } from '../../machines/pathway.js';
import { personalValues } from '../support/log-scan.js';
import { homelessReferral } from '../support/samples.js';

const { machine } = homelessDischarge;

const actor = (role: string, organisation: string): Actor => ({ id: role, role, organisation });
const ward = actor('ward', 'hospital');
const physician = actor('physician', 'health-authority');
const hospitalSocialWorker = actor('hospital-social-worker', 'hospital');
const socialWorker = actor('social-worker', 'municipality');
const facility = actor('receiving-facility', 'third-sector');
const emergencyService = actor('emergency-social-service', 'municipality');

const referredAt = '2026-03-02T09:00:00.000Z';
const later = '2026-03-02T10:00:00.000Z';
const hoursAfterReferral = (hours: number) => new Date(Date.parse(referredAt) + hours * 3_600_000).toISOString();

function startData(overrides: Record<string, unknown> = {}) {
  return homelessDischarge.startSchema.parse(homelessReferral({ plannedDischargeAt: hoursAfterReferral(72), ...overrides }));
}

function input(data = startData(), referralLeadHours = 48) {
  return {
    caseRef: 'RAC-2026-TEST01',
    data,
    startedBy: ward,
    startedAt: referredAt,
    settings: caseSettingsSchema.parse({ parameters: { referralLeadHours } }),
  };
}

const event = (type: string, by: Actor, payload: Record<string, unknown> = {}) => ({ type, payload, actor: by, at: later });
const approve = (by: Actor) => event('signoff.submit', by, { round: 'needs-assessment', decision: 'approve' });
const proposeShelter = event('placement.proposed', socialWorker, { placementType: 'low-threshold-shelter' });
const facilityConfirmsShelter = event('placement.confirmed', facility, { placementType: 'low-threshold-shelter' });
const emergencyConfirmsShelter = event('placement.confirmed', emergencyService, { placementType: 'low-threshold-shelter' });
const handoff = event('handoff.emergency-service', ward);
const handBack = event('handoff.returned', socialWorker);
const discharge = event('discharge.completed', ward);

const start = (data = startData(), referralLeadHours = 48) => initialTransition(machine, input(data, referralLeadHours))[0];

function run(snapshot: AnyMachineSnapshot, ...events: ReturnType<typeof event>[]) {
  return events.reduce((current, next) => {
    expect(current.can(next as never), `${next.type} by ${next.actor.role}`).toBe(true);
    return transition(machine, current, next as never)[0];
  }, snapshot);
}

const atCompetenceCheck = () => start();
const atNeedsAssessment = () => run(start(), event('competence.accepted', socialWorker));
const atPlacementSearch = (data = startData()) =>
  run(start(data), event('competence.accepted', socialWorker), approve(physician), approve(hospitalSocialWorker), approve(socialWorker));
const atAwaitingConfirmation = () => run(atPlacementSearch(), proposeShelter);

const activePaths = (snapshot: AnyMachineSnapshot) => snapshot._nodes.map((node) => node.path.join('.')).filter(Boolean);
const leaf = (snapshot: AnyMachineSnapshot) => activePaths(snapshot).at(-1);
const notified = (actions: readonly { type: string; params?: unknown }[]) =>
  actions.filter((action) => action.type === 'notify').map((action) => action.params);

describe('homeless-discharge: reachability', () => {
  /** What a user could send in any state; timers stand for a round left unsigned at its deadline. */
  const userEvents = [
    event('competence.accepted', socialWorker),
    event('competence.transferred', socialWorker, { municipality: 'Comune di Brescia' }),
    approve(physician),
    approve(hospitalSocialWorker),
    approve(socialWorker),
    event('signoff.submit', physician, { round: 'needs-assessment', decision: 'request-changes', notes: 'Terapia da rivedere' }),
    event('signoff.claim', socialWorker, { round: 'needs-assessment' }),
    { type: 'round.expire', round: 'needs-assessment', at: later },
    event('assessment.reopened', hospitalSocialWorker),
    event('consent.given', hospitalSocialWorker),
    proposeShelter,
    facilityConfirmsShelter,
    emergencyConfirmsShelter,
    event('placement.declined', facility, { reason: 'Posti esauriti' }),
    event('placement.waived', socialWorker, { reason: 'Ospitato dalla sorella' }),
    handoff,
    handBack,
    discharge,
    event('person.refused', ward),
    event('person.self-discharged', ward),
    event('person.deceased', ward),
    event('followup.recorded', socialWorker, { area: 'residence' }),
    event('case.closed', socialWorker, { outcome: 'in-care-of-services' }),
  ];
  const paths = getShortestPaths(machine, {
    input: input(startData({ consentGiven: false })),
    events: userEvents as never,
    // Reminder dates do not make a state new; the position, the record and the sign-offs given do.
    serializeState: (snapshot) => {
      const { data, outcome, rounds } = snapshot.context;
      const signed = Object.values(rounds).map((round) => Object.keys(round.decisions).sort());
      return JSON.stringify({ value: snapshot.value, data, outcome, signed });
    },
  });
  const reached = new Set(paths.flatMap((path) => activePaths(path.state as AnyMachineSnapshot)));

  it('reaches every labelled state from the signal', () => {
    expect([...reached].sort()).toEqual(Object.keys(homelessDischarge.stateLabels).sort());
  });

  it('reaches every final state, each with its outcome', () => {
    const outcomes = Object.fromEntries(
      paths
        .filter((path) => path.state.status === 'done')
        .map((path) => [leaf(path.state as AnyMachineSnapshot), (path.state as AnyMachineSnapshot).context.outcome]),
    );
    expect(outcomes).toEqual({
      closed: 'in-care-of-services',
      refused: 'refused',
      selfDischarged: 'self-discharged',
      transferred: 'transferred',
      deceased: 'deceased',
    });
  });
});

describe('homeless-discharge: the main path', () => {
  it('goes from signal to follow-up closure, notifying each service that must act', () => {
    const [opened, openingActions] = initialTransition(machine, input());
    expect(leaf(opened)).toBe('inHospital.municipalService.competenceCheck');
    expect(notified(openingActions)).toEqual([{ roles: ['social-worker'] }]);

    const [proposed, proposalActions] = transition(machine, atPlacementSearch(), proposeShelter as never);
    expect(notified(proposalActions)).toEqual([{ roles: ['receiving-facility'] }]);
    const [ready, readyActions] = transition(machine, proposed, facilityConfirmsShelter as never);
    expect(leaf(ready)).toBe('inHospital.readyForDischarge');
    expect(notified(readyActions)).toEqual([{ roles: ['ward'] }]);
    expect(ready.context.data.placement).toMatchObject({ status: 'confirmed', placementType: 'low-threshold-shelter', confirmedByRole: 'receiving-facility' });

    const followed = run(ready, discharge, event('followup.recorded', socialWorker, { area: 'general-practitioner' }));
    expect(leaf(followed)).toBe('followUp');
    expect(followed.context.data).toMatchObject({ dischargedAt: later, followUp: { 'general-practitioner': later } });
    const closed = run(followed, event('case.closed', socialWorker, { outcome: 'stable-housing' }));
    expect(closed.status).toBe('done');
    expect(closed.context.outcome).toBe('stable-housing');
  });

  it('opens the needs assessment as a sign-off of physician, hospital and municipal social workers, all required', () => {
    const [assessing, actions] = transition(machine, atCompetenceCheck(), event('competence.accepted', socialWorker, { nominalResidence: true }) as never);
    expect(actions.filter((action) => action.type === 'requestSignoff').map((action) => action.params)).toEqual([
      { round: 'needs-assessment', roles: ['physician', 'hospital-social-worker', 'social-worker'] },
    ]);
    expect(assessing.context.data.competence).toEqual({ acceptedAt: later, nominalResidence: true });
    const twoOfThree = run(assessing, approve(physician), approve(socialWorker));
    expect(leaf(twoOfThree)).toBe('inHospital.municipalService.needsAssessment');
    expect(leaf(run(twoOfThree, approve(hospitalSocialWorker)))).toBe('inHospital.municipalService.placementSearch');
  });

  it('sends an assessment that is not approved, or not signed in time, back for review, and reopens it', () => {
    const rejected = run(atNeedsAssessment(), event('signoff.submit', physician, { round: 'needs-assessment', decision: 'reject' }));
    expect(leaf(rejected)).toBe('inHospital.municipalService.assessmentReview');
    const expired = transition(machine, atNeedsAssessment(), { type: 'round.expire', round: 'needs-assessment', at: later } as never)[0];
    expect(leaf(expired)).toBe('inHospital.municipalService.assessmentReview');
    expect(leaf(run(expired, event('assessment.reopened', socialWorker)))).toBe('inHospital.municipalService.needsAssessment');
  });

  it('notifies no personal data: every effect names only roles and rounds', () => {
    const [, actions] = transition(machine, atPlacementSearch(), proposeShelter as never);
    const effects = actions.filter((action) => ['notify', 'requestSignoff'].includes(action.type)).map((action) => action.params);
    expect(effects).not.toHaveLength(0);
    for (const personal of [...personalValues(homelessDischarge.startSchema, startData()), 'shelter']) expect(JSON.stringify(effects)).not.toContain(personal);
  });
});

describe('homeless-discharge: discharge is blocked until a placement is confirmed or waived', () => {
  it.each([
    ['the competence check', atCompetenceCheck],
    ['the needs assessment', atNeedsAssessment],
    ['the placement search', atPlacementSearch],
    ['a proposal awaiting the facility', atAwaitingConfirmation],
    ['a hand-off to Pronto Intervento Sociale', () => run(atPlacementSearch(), handoff)],
    ['a declined proposal', () => run(atAwaitingConfirmation(), event('placement.declined', facility, { reason: 'Posti esauriti' }))],
  ])('refuses the discharge during %s', (_, at) => {
    expect(at().can(discharge as never)).toBe(false);
  });

  it('allows the discharge once the facility confirms', () => {
    expect(run(atAwaitingConfirmation(), facilityConfirmsShelter).can(discharge as never)).toBe(true);
  });

  it('allows the discharge after a waiver, keeping its reason', () => {
    const waived = run(atAwaitingConfirmation(), event('placement.waived', socialWorker, { reason: 'Rientra presso un familiare' }));
    expect(waived.context.data.placement).toMatchObject({ status: 'waived', reason: 'Rientra presso un familiare' });
    expect(waived.can(discharge as never)).toBe(true);
  });

  it('requires a non-empty reason for a waiver, in Italian', () => {
    const schema = homelessDischarge.events['placement.waived'].schema;
    const blank = schema.safeParse({ reason: '   ' });
    expect(blank.success).toBe(false);
    expect(blank.error?.issues[0]?.message).toBe('Indicare il motivo per cui si dimette senza collocazione');
    expect(schema.safeParse({}).success).toBe(false);
  });

  it('lets only the receiving facility confirm the placement that was proposed', () => {
    const awaiting = atAwaitingConfirmation();
    expect(awaiting.can(event('placement.confirmed', facility, { placementType: 'temporary-housing' }) as never)).toBe(false);
    expect(awaiting.can(emergencyConfirmsShelter as never)).toBe(false);
    expect(awaiting.can(facilityConfirmsShelter as never)).toBe(true);
  });
});

describe('homeless-discharge: placement proposals', () => {
  it('needs the person’s consent before any placement is proposed', () => {
    const withoutConsent = atPlacementSearch(startData({ consentGiven: false }));
    expect(withoutConsent.can(proposeShelter as never)).toBe(false);
    const consented = run(withoutConsent, event('consent.given', hospitalSocialWorker));
    expect(consented.context.data).toMatchObject({ consentGiven: true, consentGivenAt: later });
    expect(consented.can(event('consent.given', socialWorker) as never)).toBe(false);
    expect(consented.can(proposeShelter as never)).toBe(true);
  });

  it('does not propose cure intermedie to a person with an active psychiatric illness', () => {
    const intermediateCare = event('placement.proposed', socialWorker, { placementType: 'intermediate-care' });
    const psychiatric = atPlacementSearch(startData({ mentalHealth: { activePsychiatricIllness: true, followedByMentalHealthService: true } }));
    expect(psychiatric.can(intermediateCare as never)).toBe(false);
    expect(psychiatric.can(proposeShelter as never)).toBe(true);
    expect(atPlacementSearch().can(intermediateCare as never)).toBe(true);
  });

  it('returns a declined proposal to the search', () => {
    const declined = run(atAwaitingConfirmation(), event('placement.declined', facility, { reason: 'Posti esauriti' }));
    expect(leaf(declined)).toBe('inHospital.municipalService.placementSearch');
    expect(declined.context.data.placement).toMatchObject({ status: 'declined', placementType: 'low-threshold-shelter' });
  });
});

describe('homeless-discharge: out-of-hours hand-off to Pronto Intervento Sociale', () => {
  it('notifies the emergency service, which may confirm a placement itself', () => {
    const [handedOff, actions] = transition(machine, atCompetenceCheck(), handoff as never);
    expect(leaf(handedOff)).toBe('inHospital.emergencyHandoff');
    expect(notified(actions)).toEqual([{ roles: ['emergency-social-service'] }]);
    expect(handedOff.can(facilityConfirmsShelter as never)).toBe(false);
    const ready = run(handedOff, emergencyConfirmsShelter);
    expect(ready.context.data.placement).toMatchObject({ status: 'confirmed', confirmedByRole: 'emergency-social-service' });
    expect(ready.can(discharge as never)).toBe(true);
  });

  it.each([
    ['before the competence check', atCompetenceCheck, 'competenceCheck'],
    ['during the needs assessment', atNeedsAssessment, 'needsAssessment'],
    ['during the placement search', atAwaitingConfirmation, 'placementSearch'],
  ])('hands the case back to the municipality where it stopped, %s', (_, at, resumed) => {
    expect(leaf(run(at(), handoff, handBack))).toBe(`inHospital.municipalService.${resumed}`);
  });
});

describe('homeless-discharge: exits', () => {
  it('transfers the case to the competent municipality at the competence check', () => {
    const transferred = run(atCompetenceCheck(), event('competence.transferred', socialWorker, { municipality: 'Comune di Bergamo' }));
    expect(transferred.status).toBe('done');
    expect(transferred.context).toMatchObject({ outcome: 'transferred', data: { transferredTo: 'Comune di Bergamo' } });
    expect(atNeedsAssessment().can(event('competence.transferred', socialWorker, { municipality: 'Comune di Bergamo' }) as never)).toBe(false);
  });

  it('ends on refusal or self-discharge at any point in hospital, and not after the discharge', () => {
    for (const at of [atCompetenceCheck, atNeedsAssessment, atAwaitingConfirmation, () => run(atPlacementSearch(), handoff)]) {
      expect(run(at(), event('person.refused', hospitalSocialWorker)).context.outcome).toBe('refused');
      expect(run(at(), event('person.self-discharged', ward)).context.outcome).toBe('self-discharged');
    }
    const followingUp = run(atAwaitingConfirmation(), facilityConfirmsShelter, discharge);
    expect(followingUp.can(event('person.self-discharged', ward) as never)).toBe(false);
  });

  it('records a death in hospital or during follow-up', () => {
    const followingUp = run(atAwaitingConfirmation(), facilityConfirmsShelter, discharge);
    for (const at of [atNeedsAssessment(), followingUp]) {
      const ended = run(at, event('person.deceased', socialWorker));
      expect(leaf(ended)).toBe('deceased');
      expect(ended.context.outcome).toBe('deceased');
    }
  });
});

describe('homeless-discharge: referral lead time', () => {
  it('marks a referral that arrives less than the configured hours before the planned discharge, and still opens the case', () => {
    const late = start(startData({ plannedDischargeAt: hoursAfterReferral(24) }));
    expect(late.context.data.referral).toEqual({ hoursBeforeDischarge: 24, late: true });
    expect(leaf(late)).toBe('inHospital.municipalService.competenceCheck');
    expect(start(startData({ plannedDischargeAt: hoursAfterReferral(48) })).context.data.referral).toEqual({ hoursBeforeDischarge: 48, late: false });
    expect(start(startData({ plannedDischargeAt: hoursAfterReferral(24) }), 12).context.data.referral?.late).toBe(false);
  });

  it('marks a referral sent after the planned discharge time as late', () => {
    expect(start(startData({ plannedDischargeAt: hoursAfterReferral(-2) })).context.data.referral).toEqual({ hoursBeforeDischarge: -2, late: true });
  });
});

describe('homeless-discharge: the start form', () => {
  it('marks identity, nationality, permit and residence as personal, and health data as special category', () => {
    expect(sensitiveFields(homelessDischarge.startSchema)).toEqual({
      identity: 'personal',
      citizenship: 'personal',
      residencePermit: 'personal',
      residence: 'personal',
      clinicalNeeds: 'special-category',
      mentalHealth: 'special-category',
      addiction: 'special-category',
      mobilityAids: 'special-category',
    });
  });

  it('rejects a signal without a planned discharge time or ward contact, with Italian messages', () => {
    const parsed = homelessDischarge.startSchema.safeParse({
      ...startData(),
      plannedDischargeAt: 'domani',
      wardContact: { unit: '', contactPerson: 'X', phone: '030 1' },
    });
    expect(parsed.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['plannedDischargeAt', 'Data e ora non valide'],
      ['wardContact.unit', 'Indicare il reparto o il Pronto Soccorso'],
    ]);
  });

  it('validates the configured parameters', () => {
    expect(homelessDischarge.parametersSchema.safeParse({ referralLeadHours: 48 }).success).toBe(true);
    expect(homelessDischarge.parametersSchema.safeParse({}).success).toBe(false);
  });
});
