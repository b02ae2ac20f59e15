import { readFileSync } from 'node:fs';
import { getShortestPaths } from '@xstate/graph';
import { beforeAll, describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine } from 'xstate';
import { b1b2Evaluation } from '../../machines/b1b2-evaluation.js';
import type { CaseContext } from '../../machines/case-setup.js';
import type { Actor } from '../../machines/case.js';
import { hello } from '../../machines/hello.js';
import { parametersFileSchema, valuesInForce } from '../../machines/parameters.js';
import { sensitiveFields } from '../../machines/pathway.js';
import type { SignoffRound } from '../../machines/signoff.js';

const { machine, startSchema, parametersSchema } = b1b2Evaluation;
type B12Parameters = ReturnType<typeof parametersSchema.parse>;

const configured: B12Parameters = parametersSchema.parse(
  valuesInForce(parametersFileSchema.parse(JSON.parse(readFileSync('config/parameters/b1b2-evaluation.json', 'utf8'))), '2026-06-01'),
);

const actor = (role: string, organisation: string): Actor => ({ id: `${role}-1`, role, organisation });
const officer = actor('administrative-officer', 'municipality');
const ambitoSocialWorker = actor('social-worker', 'municipality');
const asstSocialWorker = actor('health-social-worker', 'health-authority');
const physician = actor('physician', 'health-authority');
const nurse = actor('nurse', 'health-authority');

const startedAt = '2026-06-01T08:00:00.000Z';
const DAY = 86_400_000;
const daysAfterStart = (days: number) => new Date(Date.parse(startedAt) + days * DAY).toISOString();

const person = { fullName: 'Giulia Ferrari', fiscalCode: 'FRRGLI50A41D142X' };
const parent = { fullName: 'Paolo Ferrari', fiscalCode: 'FRRPLA75B12D142Y', relationship: 'parent' };

const b1Adult = {
  measure: 'B1',
  benefits: ['buono'],
  submittedOn: '2026-05-04',
  applicant: person,
  residenceMunicipality: 'Crema',
  minor: false,
  iseeSociosanitario: { value: 18_000, issuedOn: '2026-02-10' },
  scales: { certifiedOn: '2026-04-01', edss: 9 },
  law104Severe: true,
  attendanceAllowance: true,
  atHome: true,
};
const b1Minor = {
  ...b1Adult,
  minor: true,
  guardian: parent,
  iseeSociosanitario: undefined,
  iseeOrdinary: { value: 60_000, issuedOn: '2026-02-10' },
  scales: { certifiedOn: '2026-04-01', gcs: 8 },
};
const b2 = {
  measure: 'B2',
  benefits: ['buono', 'voucher'],
  submittedOn: '2026-05-04',
  applicant: person,
  residenceMunicipality: 'Crema',
  minor: false,
  iseeSociosanitario: { value: 20_000, issuedOn: '2026-02-10' },
  law104Severe: true,
  attendanceAllowance: false,
  atHome: true,
};
const b2WithHealthNeeds = { ...b2, healthNeeds: true };
type Application = Record<string, unknown>;

function start(application: Application, parameters: B12Parameters = configured) {
  return initialTransition(machine, {
    caseRef: 'RAC-2026-MODEL1',
    data: startSchema.parse(application),
    startedBy: officer,
    startedAt,
    settings: { calendar: {}, parameters },
  });
}
const started = (application: Application, parameters?: B12Parameters) => start(application, parameters)[0];

type Event = { type: string; at: string } & Record<string, unknown>;
const event = (type: string, by: Actor, payload: Record<string, unknown> = {}, at = startedAt): Event => ({ type, payload, actor: by, at });
const sign = (round: string, by: Actor, decision = 'approve', extra: Record<string, unknown> = {}) =>
  event('signoff.submit', by, { round, decision, ...extra });

const checkCompleted = event('check.completed', officer);
const b1TeamApproves = ['physician', 'nurse', 'health-social-worker'].map((role) =>
  sign(
    'b1-evaluation',
    [physician, nurse, asstSocialWorker].find((a) => a.role === role)!,
  ),
);
const signedByPerson = event('plan.signed', asstSocialWorker, { signedBy: 'person' });
const funded = event('ranking.published', officer, { funded: true });
const notFunded = event('ranking.published', officer, { funded: false });

function run(snapshot: AnyMachineSnapshot, ...events: Event[]): AnyMachineSnapshot {
  return events.reduce((current, next) => {
    expect(current.can(next as never), `${next.type} in ${JSON.stringify(current.value)}`).toBe(true);
    return transition(machine, current, next as never)[0];
  }, snapshot);
}
const contextOf = (snapshot: AnyMachineSnapshot) => snapshot.context as CaseContext<Record<string, unknown>, B12Parameters>;
const statePaths = (snapshot: AnyMachineSnapshot) => snapshot._nodes.filter((node) => node.path.length > 0).map((node) => node.path.join('.'));
const leaf = (snapshot: AnyMachineSnapshot) => statePaths(snapshot).at(-1);
const openRound = (snapshot: AnyMachineSnapshot) => Object.values(contextOf(snapshot).rounds).find((round) => !round.closedAt);

const inActiveMeasure = (application: Application = b1Adult) => run(started(application), checkCompleted, ...b1TeamApproves, signedByPerson, funded);

// ---- the graph ----

/** The events people would send in a state, and the timers that can fire in it: only clocks that run and rounds that are open. */
function eventsIn(snapshot: AnyMachineSnapshot): Event[] {
  const context = contextOf(snapshot);
  const round = openRound(snapshot);
  const updates = [
    {},
    { iseeSociosanitario: { value: 30_000, issuedOn: '2026-02-10' } },
    {
      iseeSociosanitario: { value: 10_000, issuedOn: '2026-02-10' },
      iseeOrdinary: { value: 10_000, issuedOn: '2026-02-10' },
      scales: { certifiedOn: '2026-04-01', gcs: 5 },
    },
  ];
  const evaluatorsOf = (current: SignoffRound) =>
    [physician, nurse, asstSocialWorker, ambitoSocialWorker].filter((candidate) => current.spec.roles.includes(candidate.role));
  return [
    checkCompleted,
    event('documents.requested', officer, { missing: ['isee'] }),
    ...updates.map((update) => event('documents.received', officer, update)),
    ...updates.map((update) => event('renewal.requested', officer, update)),
    event('evaluation.rescheduled', officer),
    event('plan.signed', ambitoSocialWorker, { signedBy: 'person' }),
    event('plan.signed', ambitoSocialWorker, { signedBy: 'guardian' }),
    funded,
    notFunded,
    event('waitlist.lapsed', officer),
    event('measure.suspended', ambitoSocialWorker, { reason: 'hospitalisation' }),
    event('measure.resumed', ambitoSocialWorker),
    ...['renounced', 'moved-out-of-region', 'death'].map((reason) => event('case.closed', officer, { reason })),
    ...(round
      ? [
          ...evaluatorsOf(round).flatMap((by) => ['approve', 'reject', 'request-changes'].map((decision) => sign(round.spec.id, by, decision))),
          ...evaluatorsOf(round).map((by) => ({ ...event('signoff.claim', by, { round: round.spec.id }) })),
          ...['round.remind', 'round.escalate', 'round.expire'].map((type) => ({ type, round: round.spec.id, at: startedAt })),
        ]
      : []),
    ...Object.values(context.deadlines)
      .filter((clock) => !clock.suspendedAt && !clock.stoppedAt)
      .map((clock) => ({ type: 'deadline.expire', deadline: clock.spec.id, at: startedAt })),
    ...snapshot._nodes.flatMap((node) => node.ownEvents.filter((type) => type.startsWith('xstate.after.')).map((type) => ({ type, at: startedAt }))),
  ];
}

/**
 * What tells two snapshots apart for the pathway: reminder and escalation timers move dates forward for ever,
 * so the graph keys a snapshot on its state, its data, the decisions of the open round and which clocks run.
 */
function serializeSnapshot(snapshot: AnyMachineSnapshot): string {
  const { data, outcome, rounds, deadlines } = contextOf(snapshot);
  return JSON.stringify({
    value: snapshot.value,
    data,
    outcome,
    rounds: Object.values(rounds)
      .filter((round) => !round.closedAt)
      .map((round) => [round.spec.id, Object.entries(round.decisions).map(([role, d]) => [role, d.decision])]),
    deadlines: Object.values(deadlines)
      .filter((clock) => !clock.stoppedAt)
      .map((clock) => [clock.spec.id, !!clock.suspendedAt]),
  });
}

type Guard = (args: unknown, params: unknown) => boolean;

/** The pathway's own guards, each wrapped to record the outcomes it returned. */
function observingGuards(target: AnyStateMachine, seen: Map<string, Set<boolean>>) {
  const engineGuards = new Set(Object.keys(hello.machine.implementations.guards));
  const own = Object.entries(target.implementations.guards as Record<string, Guard>).filter(([name]) => !engineGuards.has(name));
  const guards = Object.fromEntries(
    own.map(([name, guard]) => [
      name,
      (args: unknown, params: unknown) => {
        const outcome = guard(args, params);
        seen.set(name, (seen.get(name) ?? new Set()).add(outcome));
        return outcome;
      },
    ]),
  );
  return { names: own.map(([name]) => name), machine: target.provide({ guards }) };
}

describe('b1b2-evaluation: the statechart as a graph', () => {
  const outsideWindow = { ...b2, submittedOn: '2026-01-10' };
  const fixtures = { b1Adult, b1Minor, b2, b2WithHealthNeeds, outsideWindow, incompleteB1: { ...b1Adult, scales: undefined } };
  const seen = new Map<string, Set<boolean>>();
  const observed = observingGuards(machine, seen);
  /** state path → the fixture and the events of the shortest way there; and the same per fixture. */
  const reached = new Map<string, string[]>();
  const reachedFrom = new Map<string, Map<string, string[]>>();
  beforeAll(() => {
    for (const [name, application] of Object.entries(fixtures)) {
      const paths = getShortestPaths(observed.machine, {
        input: {
          caseRef: 'RAC-2026-GRAPH1',
          data: startSchema.parse(application),
          startedBy: officer,
          startedAt,
          settings: { calendar: {}, parameters: configured },
        },
        events: eventsIn as never,
        serializeState: serializeSnapshot as never,
      });
      const own = new Map<string, string[]>();
      for (const path of paths) {
        const events = path.steps.map((step) => step.event.type).filter((type) => type !== 'xstate.init');
        for (const state of statePaths(path.state)) {
          if (!own.has(state) || own.get(state)!.length > events.length) own.set(state, events);
          if (!reached.has(state) || reached.get(state)!.length > events.length + 1) reached.set(state, [name, ...events]);
        }
      }
      reachedFrom.set(name, own);
    }
  });

  it('reaches every state, final ones included, from a start form and the events people send', () => {
    expect([...reached.keys()].sort()).toEqual(Object.keys(b1b2Evaluation.stateLabels).sort());
    const finals = Object.entries(machine.root.states)
      .filter(([, node]) => node.type === 'final')
      .map(([key]) => key);
    expect(finals.sort()).toEqual(['closed', 'evaluationNegative', 'inadmissible', 'notEligible', 'notFunded', 'notRenewed', 'outOfWindow']);
    for (const final of finals) expect(reached.has(final), final).toBe(true);
    // The successful outcome: a B1 adult is activated through check, ASST evaluation, signed plan and funding.
    expect(reachedFrom.get('b1Adult')?.get('measure.active')).toEqual([
      'check.completed',
      'signoff.submit',
      'signoff.submit',
      'signoff.submit',
      'plan.signed',
      'ranking.published',
    ]);
    expect(reachedFrom.get('outsideWindow')?.get('outOfWindow')).toEqual([]);
  });

  it('exercises every guard of the pathway on both sides', () => {
    expect(observed.names.sort()).toEqual(
      ['applicationComplete', 'eligible', 'funded', 'hasHealthNeeds', 'outsideCallWindow', 'requestsB1', 'signatoryMaySign'].sort(),
    );
    for (const name of observed.names) expect([...(seen.get(name) ?? [])].sort(), name).toEqual([false, true]);
  });
});

// ---- the domain rules ----

describe('b1b2-evaluation: the call window', () => {
  const on = (application: Application, submittedOn: string) => started({ ...application, submittedOn });

  it('accepts applications submitted from the opening to the closing day of the measure’s own call, both included', () => {
    for (const [application, window] of [
      [b2, configured.B2],
      [b1Adult, configured.B1],
    ] as const) {
      expect(leaf(on(application, window.callOpensOn))).toBe('procedure.administrativeCheck');
      expect(leaf(on(application, window.callClosesOn))).toBe('procedure.administrativeCheck');
    }
  });

  it('closes an application submitted the day before the call opens or the day after it closes, with no clock left running', () => {
    const dayBefore = new Date(Date.parse(configured.B2.callOpensOn) - DAY).toISOString().slice(0, 10);
    const dayAfter = new Date(Date.parse(configured.B2.callClosesOn) + DAY).toISOString().slice(0, 10);
    for (const submittedOn of [dayBefore, dayAfter]) {
      const [snapshot, actions] = start({ ...b2, submittedOn });
      expect(snapshot.status).toBe('done');
      expect(contextOf(snapshot).outcome).toBe('out-of-window');
      expect(contextOf(snapshot).deadlines.procedure?.stoppedAt).toBeDefined();
      expect(actions.some((action) => (action.type as string) === 'xstate.cancel')).toBe(true);
    }
  });
});

describe('b1b2-evaluation: administrative check and documents', () => {
  it('refuses to call an application complete without the ISEE the measure is assessed on, or B1 without a certified score', () => {
    const incomplete = [
      { ...b2, iseeSociosanitario: undefined },
      { ...b1Adult, scales: undefined },
      { ...b1Adult, scales: { certifiedOn: '2026-04-01' } },
      // A minor's B1 is assessed on the ordinary ISEE: the sociosanitario alone does not do.
      { ...b1Minor, iseeOrdinary: undefined, iseeSociosanitario: { value: 10_000, issuedOn: '2026-02-10' } },
    ];
    for (const application of incomplete) expect(started(application).can(checkCompleted as never)).toBe(false);
    expect(started(b2).can(checkCompleted as never)).toBe(true);
  });

  it('suspends the procedure clock while documents are awaited, gives the applicant their own deadline, and resumes on receipt', () => {
    const requestedAt = daysAfterStart(7);
    const receivedAt = daysAfterStart(21);
    const waiting = run(started({ ...b2, iseeSociosanitario: undefined }), event('documents.requested', officer, { missing: ['isee'] }, requestedAt));
    expect(leaf(waiting)).toBe('procedure.awaitingDocuments');
    const { procedure, documents } = contextOf(waiting).deadlines;
    expect(procedure).toMatchObject({ suspendedAt: requestedAt });
    expect(documents?.spec.length).toEqual({ workingDays: configured.documentsWorkingDays });
    expect(documents?.startedAt).toBe(requestedAt);

    const back = run(waiting, event('documents.received', officer, { iseeSociosanitario: { value: 20_000, issuedOn: '2026-06-10' } }, receivedAt));
    expect(leaf(back)).toBe('procedure.administrativeCheck');
    const resumed = contextOf(back).deadlines;
    expect(resumed.procedure?.suspendedAt).toBeUndefined();
    expect(Date.parse(resumed.procedure!.dueAt)).toBeGreaterThan(Date.parse(procedure!.dueAt));
    expect(resumed.documents?.stoppedAt).toBe(receivedAt);
    expect(contextOf(back).data.iseeSociosanitario).toEqual({ value: 20_000, issuedOn: '2026-06-10' });
    expect(leaf(run(back, checkCompleted))).toBe('procedure.b2Evaluation');
  });

  it('declares the application inadmissible when the documents do not arrive in time', () => {
    const waiting = run(started(b2), event('documents.requested', officer, { missing: ['identity-document'] }));
    const closed = transition(machine, waiting, { type: 'deadline.expire', deadline: 'documents', at: daysAfterStart(45) } as never)[0];
    expect(closed.status).toBe('done');
    expect(contextOf(closed).outcome).toBe('inadmissible');
  });

  it('counts the procedure from the application in working days from the parameters, and tells the office when it is overdue', () => {
    const [snapshot] = start(b1Adult);
    expect(contextOf(snapshot).deadlines.procedure?.spec.length).toEqual({ workingDays: configured.procedureWorkingDays });
    const [overdue, actions] = transition(machine, snapshot, { type: 'deadline.expire', deadline: 'procedure', at: daysAfterStart(90) } as never);
    expect(leaf(overdue)).toBe('procedure.administrativeCheck');
    expect(actions).toContainEqual(expect.objectContaining({ type: 'notify', params: { roles: ['administrative-officer'] } }));
  });
});

describe('b1b2-evaluation: eligibility from the parameters', () => {
  const afterCheck = (application: Application, parameters?: B12Parameters) => leaf(run(started(application, parameters), checkCompleted));
  const scales = (scores: Record<string, unknown>) => ({ scales: { certifiedOn: '2026-04-01', ...scores } });
  const mrc = (worst: number) => ({ mrc: { upperLeft: 1, upperRight: 0, lowerLeft: 1, lowerRight: worst } });

  it.each([
    ['ISEE sociosanitario at the ceiling', true, { iseeSociosanitario: { value: 50_000, issuedOn: '2026-02-10' } }],
    ['ISEE sociosanitario above the ceiling', false, { iseeSociosanitario: { value: 50_000.01, issuedOn: '2026-02-10' } }],
    ['GCS 10', true, scales({ gcs: 10 })],
    ['GCS 11', false, scales({ gcs: 11 })],
    ['CDRS 4', true, scales({ cdrs: 4 })],
    ['CDRS 3', false, scales({ cdrs: 3 })],
    ['ASIA B', true, scales({ asia: 'B' })],
    ['ASIA C', false, scales({ asia: 'C' })],
    ['MRC ≤ 1 on all four limbs', true, scales(mrc(1))],
    ['MRC 2 on one limb', false, scales(mrc(2))],
    ['EDSS 9', true, scales({ edss: 9 })],
    ['EDSS 8.5', false, scales({ edss: 8.5 })],
    ['Hoehn & Yahr 5', true, scales({ hoehnYahr: 5 })],
    ['Hoehn & Yahr 4', false, scales({ hoehnYahr: 4 })],
    ['one score past its cut-off among others that are not', true, scales({ gcs: 14, edss: 9.5 })],
    ['not living at home', false, { atHome: false }],
  ])('B1 adult, %s → eligible: %s', (_, eligible, change) => {
    expect(afterCheck({ ...b1Adult, ...change })).toBe(eligible ? 'procedure.b1Evaluation' : 'notEligible');
  });

  it.each([
    ['ordinary ISEE at the minors’ ceiling', true, 65_000],
    ['ordinary ISEE above the minors’ ceiling', false, 65_000.01],
  ])('B1 minor, %s → eligible: %s', (_, eligible, value) => {
    expect(afterCheck({ ...b1Minor, iseeOrdinary: { value, issuedOn: '2026-02-10' } })).toBe(eligible ? 'procedure.b1Evaluation' : 'notEligible');
  });

  it.each([
    ['L.104 art.3 c.3 only', true, { law104Severe: true, attendanceAllowance: false }],
    ['attendance allowance only', true, { law104Severe: false, attendanceAllowance: true }],
    ['neither L.104 severe nor attendance allowance', false, { law104Severe: false, attendanceAllowance: false }],
    ['ISEE sociosanitario at the ceiling', true, { iseeSociosanitario: { value: 25_000, issuedOn: '2026-02-10' } }],
    ['ISEE sociosanitario above the ceiling', false, { iseeSociosanitario: { value: 25_001, issuedOn: '2026-02-10' } }],
  ])('B2, %s → eligible: %s', (_, eligible, change) => {
    expect(afterCheck({ ...b2, ...change })).toBe(eligible ? 'procedure.b2Evaluation' : 'notEligible');
  });

  it('closes an ineligible application with its outcome', () => {
    const closed = run(started({ ...b2, law104Severe: false }), checkCompleted);
    expect(closed.status).toBe('done');
    expect(contextOf(closed).outcome).toBe('not-eligible');
  });

  it('reads the thresholds pinned in the case, not constants: a new DGR ceiling changes the outcome', () => {
    const application = { ...b2, iseeSociosanitario: { value: 27_000, issuedOn: '2026-02-10' } };
    expect(afterCheck(application)).toBe('notEligible');
    expect(afterCheck(application, { ...configured, B2: { ...configured.B2, maxIseeSociosanitario: 30_000 } })).toBe('procedure.b2Evaluation');
  });
});

describe('b1b2-evaluation: the right evaluation team', () => {
  const roundAfterCheck = (application: Application) => openRound(run(started(application), checkCompleted));

  it('sends B1 to the ASST team, B2 to the Ambito social worker, joined by the ASST when there are health needs', () => {
    expect(roundAfterCheck(b1Adult)?.spec).toMatchObject({ id: 'b1-evaluation', roles: ['physician', 'nurse', 'health-social-worker'] });
    expect(roundAfterCheck(b2)?.spec).toMatchObject({ id: 'b2-evaluation', roles: ['social-worker'] });
    expect(roundAfterCheck(b2WithHealthNeeds)?.spec).toMatchObject({ id: 'b2-joint-evaluation', roles: ['social-worker', 'nurse'] });
  });

  it('gives the team the deadline the parameters set for its round', () => {
    const configuredRound = roundAfterCheck(b1Adult)!;
    expect(configuredRound.spec.deadlineWorkingDays).toBe(configured.rounds?.['b1-evaluation']?.deadlineWorkingDays);
    const shorter = { ...configured, rounds: { 'b1-evaluation': { deadlineWorkingDays: 15 } } };
    const shortened = openRound(run(started(b1Adult, shorter), checkCompleted))!;
    expect(Date.parse(shortened.dueAt)).toBeLessThan(Date.parse(configuredRound.dueAt));
  });

  it('lets nobody outside the team sign: the Ambito social worker cannot sign B1, the ASST cannot sign a social-only B2', () => {
    const b1 = run(started(b1Adult), checkCompleted);
    expect(b1.can(sign('b1-evaluation', ambitoSocialWorker) as never)).toBe(false);
    const b2Only = run(started(b2), checkCompleted);
    expect(b2Only.can(sign('b2-evaluation', physician) as never)).toBe(false);
    expect(b2Only.can(sign('b2-evaluation', asstSocialWorker) as never)).toBe(false);
  });

  it('reaches the plan only when the whole team has approved, and lets a physician sign for an absent nurse in the joint B2', () => {
    const joint = run(started(b2WithHealthNeeds), checkCompleted, sign('b2-joint-evaluation', ambitoSocialWorker));
    expect(leaf(joint)).toBe('procedure.b2JointEvaluation');
    const done = run(joint, sign('b2-joint-evaluation', physician, 'approve', { onBehalfOf: 'nurse' }));
    expect(leaf(done)).toBe('procedure.plan');
    expect(contextOf(done).rounds['b2-joint-evaluation']?.decisions.nurse).toMatchObject({ signedByRole: 'physician', substitute: true });
  });

  it('closes on a negative evaluation, and sends the application back to the office when the team asks for changes', () => {
    const negative = run(started(b2), checkCompleted, sign('b2-evaluation', ambitoSocialWorker, 'reject'));
    expect(contextOf(negative).outcome).toBe('evaluation-negative');
    const changes = run(started(b2), checkCompleted, sign('b2-evaluation', ambitoSocialWorker, 'request-changes'));
    expect(leaf(changes)).toBe('procedure.administrativeCheck');
  });

  it('tells the office when the round expires, and reopens it with the same team', () => {
    const inRound = run(started(b1Adult), checkCompleted, b1TeamApproves[0]!);
    const [overdue, actions] = transition(machine, inRound, { type: 'round.expire', round: 'b1-evaluation', at: daysAfterStart(30) } as never);
    expect(leaf(overdue)).toBe('procedure.evaluationOverdue');
    expect(actions).toContainEqual(expect.objectContaining({ type: 'notify', params: { roles: ['administrative-officer'] } }));
    const reopened = run(overdue, event('evaluation.rescheduled', officer, {}, daysAfterStart(31)));
    expect(leaf(reopened)).toBe('procedure.b1Evaluation');
    expect(openRound(reopened)?.decisions).toEqual({});
  });
});

describe('b1b2-evaluation: Progetto Individuale', () => {
  const atPlan = (application: Application) =>
    application.measure === 'B1'
      ? run(started(application), checkCompleted, ...b1TeamApproves)
      : run(started(application), checkCompleted, sign('b2-evaluation', ambitoSocialWorker));
  const signedBy = (signatory: string) => event('plan.signed', asstSocialWorker, { signedBy: signatory });

  it('is signed by an adult person, or by the guardian the application names; never by a minor, never by an unnamed guardian', () => {
    expect(atPlan(b1Adult).can(signedBy('person') as never)).toBe(true);
    expect(atPlan(b1Adult).can(signedBy('guardian') as never)).toBe(false);
    expect(atPlan(b1Minor).can(signedBy('person') as never)).toBe(false);
    const signed = run(atPlan(b1Minor), signedBy('guardian'));
    expect(leaf(signed)).toBe('procedure.ranking');
    expect(contextOf(signed).data.planSignedBy).toBe('guardian');
  });

  it('tells the service running the measure that a plan is to be drawn up: the ASST for B1, the Ambito for B2', () => {
    const notifiedOnPlan = (application: Application, evaluation: Event[]) => {
      const before = run(started(application), checkCompleted, ...evaluation.slice(0, -1));
      return transition(machine, before, evaluation.at(-1)! as never)[1]
        .filter((action) => action.type === 'notify')
        .map((action) => action.params);
    };
    expect(notifiedOnPlan(b1Adult, b1TeamApproves)).toEqual([{ roles: ['health-social-worker'] }]);
    expect(notifiedOnPlan(b2, [sign('b2-evaluation', ambitoSocialWorker)])).toEqual([{ roles: ['social-worker'] }]);
  });
});

describe('b1b2-evaluation: ranking, funding and the active measure', () => {
  const ranked = () => run(started(b1Adult), checkCompleted, ...b1TeamApproves, signedByPerson);

  it('cannot be ranked before the plan is signed', () => {
    expect(run(started(b1Adult), checkCompleted, ...b1TeamApproves).can(funded as never)).toBe(false);
  });

  it('activates a funded application and arms the renewal one year after activation', () => {
    const activationAt = daysAfterStart(40);
    const [active, actions] = transition(machine, ranked(), { ...funded, at: activationAt } as never);
    expect(leaf(active)).toBe('measure.active');
    expect(contextOf(active).data.activatedAt).toBe(activationAt);
    expect(contextOf(active).deadlines.procedure?.stoppedAt).toBe(activationAt);
    const renewalTimer = actions.find(
      (action) => action.type === 'xstate.raise' && String((action.params as { event: { type: string } }).event.type).startsWith('xstate.after.'),
    );
    const dueAt = Date.parse(activationAt) + (renewalTimer?.params as { delay: number }).delay;
    expect(new Date(dueAt).toISOString()).toBe('2027-07-11T08:00:00.000Z');
  });

  it('puts an unfunded application on the waiting list, from which it is funded later or lapses', () => {
    const waiting = run(ranked(), notFunded);
    expect(leaf(waiting)).toBe('waitingList');
    expect(waiting.can(notFunded as never)).toBe(false);
    expect(leaf(run(waiting, funded))).toBe('measure.active');
    const lapsed = run(waiting, event('waitlist.lapsed', officer));
    expect(contextOf(lapsed).outcome).toBe('not-funded');
  });

  it('suspends and resumes the measure without touching the renewal timer, and only in that order', () => {
    const active = inActiveMeasure();
    expect(active.can(event('measure.resumed', asstSocialWorker) as never)).toBe(false);
    const [suspended, actions] = transition(machine, active, event('measure.suspended', asstSocialWorker, { reason: 'hospitalisation' }) as never);
    expect(leaf(suspended)).toBe('measure.suspended');
    expect(actions.some((action) => (action.type as string) === 'xstate.cancel')).toBe(false);
    expect(actions).toContainEqual(expect.objectContaining({ type: 'notify', params: { roles: ['administrative-officer'] } }));
    expect(suspended.can(event('measure.suspended', asstSocialWorker, { reason: 'other' }) as never)).toBe(false);
    expect(leaf(run(suspended, event('measure.resumed', asstSocialWorker)))).toBe('measure.active');
  });
});

describe('b1b2-evaluation: yearly renewal and closure', () => {
  const renewalDue = () => {
    const active = inActiveMeasure();
    const timer = active._nodes.flatMap((node) => node.ownEvents).find((type) => type.startsWith('xstate.after.'))!;
    return transition(machine, active, { type: timer, at: daysAfterStart(366) } as never)[0];
  };

  it('opens the renewal a year on, with its own deadline, and re-checks the renewed application from the start', () => {
    const due = renewalDue();
    expect(leaf(due)).toBe('renewalDue');
    expect(contextOf(due).deadlines.renewal?.spec.length).toEqual({ workingDays: configured.renewalWorkingDays });
    const newIsee = { value: 21_000, issuedOn: '2027-02-01' };
    const renewed = run(due, event('renewal.requested', officer, { iseeSociosanitario: newIsee }, daysAfterStart(370)));
    expect(leaf(renewed)).toBe('procedure.administrativeCheck');
    expect(contextOf(renewed).data.iseeSociosanitario).toEqual(newIsee);
    expect(contextOf(renewed).deadlines.procedure?.startedAt).toBe(daysAfterStart(370));
    expect(leaf(run(renewed, { ...checkCompleted, at: daysAfterStart(371) }))).toBe('procedure.b1Evaluation');
  });

  it('closes the case when the renewal is not presented in time', () => {
    const lapsed = transition(machine, renewalDue(), { type: 'deadline.expire', deadline: 'renewal', at: daysAfterStart(420) } as never)[0];
    expect(contextOf(lapsed).outcome).toBe('not-renewed');
  });

  it.each(['renounced', 'moved-out-of-region', 'death'])('closes for %s at any open stage, recording the reason', (reason) => {
    for (const snapshot of [started(b2), run(started(b2), checkCompleted), inActiveMeasure(), renewalDue()]) {
      const closed = run(snapshot, event('case.closed', officer, { reason }));
      expect(closed.status).toBe('done');
      expect(contextOf(closed).outcome).toBe(reason);
    }
  });
});

describe('b1b2-evaluation: forms', () => {
  it('marks personal and special-category fields in the start form and in the documents sent later', () => {
    expect(sensitiveFields(startSchema)).toEqual({
      applicant: 'personal',
      guardian: 'personal',
      residenceMunicipality: 'personal',
      minor: 'personal',
      iseeSociosanitario: 'personal',
      iseeOrdinary: 'personal',
      atHome: 'personal',
      scales: 'special-category',
      law104Severe: 'special-category',
      attendanceAllowance: 'special-category',
      healthNeeds: 'special-category',
    });
    expect(sensitiveFields(b1b2Evaluation.events['documents.received']!.schema)).toMatchObject({ scales: 'special-category', iseeSociosanitario: 'personal' });
    expect(sensitiveFields(b1b2Evaluation.events['measure.suspended']!.schema)).toEqual({ reason: 'special-category' });
  });

  it('explains a wrong form in Italian, field by field', () => {
    const result = startSchema.safeParse({
      ...b1Adult,
      measure: 'B3',
      benefits: [],
      applicant: { fullName: '', fiscalCode: 'X' },
      scales: { certifiedOn: '2026-04-01', gcs: 2 },
    });
    expect(result.success).toBe(false);
    expect(Object.fromEntries(result.error!.issues.map((issue) => [issue.path.join('.'), issue.message]))).toEqual({
      measure: 'Indicare la misura richiesta (B1 o B2)',
      benefits: 'Indicare buono e/o voucher',
      'applicant.fullName': 'Indicare nome e cognome',
      'applicant.fiscalCode': 'Codice fiscale non valido',
      'scales.gcs': 'GCS da 3 a 15',
    });
  });
});
