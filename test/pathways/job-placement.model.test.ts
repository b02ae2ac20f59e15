import { referredPerson, serdReferral as referralFromSerd } from '../support/samples.js';
import { readFileSync } from 'node:fs';
import { getShortestPaths, getStateNodes } from '@xstate/graph';
import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine, type StateValue } from 'xstate';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Actor, CaseInput } from '../../machines/case.js';
import { jobPlacement, monthsLater, type JobPlacementData } from '../../machines/job-placement.js';
import { parametersFileSchema, valuesInForce } from '../../machines/parameters.js';
import { sensitiveFields } from '../../machines/pathway.js';

const parameters = jobPlacement.parametersSchema.parse(
  valuesInForce(parametersFileSchema.parse(JSON.parse(readFileSync('config/parameters/job-placement.json', 'utf8'))), '2026-03-02'),
);

const organisationOf: Record<string, string> = { 'social-worker': 'municipality', 'host-company': 'host', probation: 'justice' };
const actor = (role: string, id = `${role}-operator`): Actor => ({ id, role, organisation: organisationOf[role] ?? 'health-authority' });
/** The case manager records the trainee's signature: a person of their own, since one person signs a round once. */
const caseManagerId = 'case-manager';

const startedAt = '2026-03-02T09:00:00.000Z';
const DAY = 86_400_000;

/** A TIS referral from the SerD, followed by its social worker, under a judicial measure. */
const person = referredPerson;
const serdReferral = referralFromSerd(0);
const { judicialMeasure: _measure, ...withoutMeasure } = serdReferral;
const noMeasureReferral = { ...withoutMeasure, referringService: 'social-worker' };
const targetedPlacement = {
  person,
  referringService: 'employment-centre',
  caseManager: { name: 'Marco Verdi', role: 'employment-centre' },
  route: 'targeted-placement',
  alreadyInCharge: false,
  employmentCentreRegistered: true,
  invalidityPercent: 67,
};

function inputOf(data: Record<string, unknown>): CaseInput<JobPlacementData> {
  return {
    caseRef: 'RAC-2026-MODEL1',
    data: jobPlacement.startSchema.parse(data) as JobPlacementData,
    startedBy: actor('social-worker'),
    startedAt,
    settings: { calendar: {}, parameters },
  };
}

type Action = { type: string; params?: Record<string, unknown> };
type TimerEvent = { type: string; at?: string } & Record<string, unknown>;

/** Drives the chart the way the interpreter does: pure transitions, each event stamped with the time it arrives. */
class Case {
  snapshot: AnyMachineSnapshot;
  actions: Action[];
  now = Date.parse(startedAt);
  private readonly timers = new Map<string, { event: TimerEvent; dueAt: number }>();

  constructor(
    data: Record<string, unknown>,
    private readonly machine: AnyStateMachine = jobPlacement.machine,
  ) {
    const [snapshot, actions] = initialTransition(machine, inputOf(data));
    this.snapshot = snapshot;
    this.actions = actions as Action[];
    this.track();
  }

  get data(): JobPlacementData {
    return this.snapshot.context.data as JobPlacementData;
  }

  event(type: string, payload: unknown, role: string, id?: string) {
    return { type, payload, actor: actor(role, id), at: new Date(this.now).toISOString() };
  }

  can(type: string, payload: unknown, role: string): boolean {
    return this.snapshot.can(this.event(type, payload, role));
  }

  send(type: string, payload: unknown, role: string): this {
    if (!this.can(type, payload, role)) throw new Error(`${type} from ${role} is not allowed in ${JSON.stringify(this.snapshot.value)}`);
    return this.apply(this.event(type, payload, role));
  }

  sign(round: string, role: string, decision = 'approve'): this {
    return this.send('signoff.submit', { round, decision }, role);
  }

  /** The case manager records that the trainee signed the project. */
  traineeSigns(): this {
    const event = this.event('signoff.submit', { round: 'agreement', decision: 'approve', onBehalfOf: 'trainee' }, this.data.caseManager.role, caseManagerId);
    if (!this.snapshot.can(event)) throw new Error('the case manager may not record the trainee’s signature now');
    return this.apply(event);
  }

  /** Lets time pass to the timer's due time and delivers its event, as the workflow's durable timer would. */
  fire(id: string): this {
    const timer = this.timers.get(id);
    if (!timer) throw new Error(`no timer ${id} is armed; armed: ${[...this.timers.keys()].join(', ')}`);
    this.now = timer.dueAt;
    this.timers.delete(id);
    return this.apply({ ...timer.event, at: new Date(this.now).toISOString() });
  }

  dueAt(id: string): string | undefined {
    const timer = this.timers.get(id);
    return timer && new Date(timer.dueAt).toISOString();
  }

  armed(): string[] {
    return [...this.timers.keys()].sort();
  }

  effects(type: string): Record<string, unknown>[] {
    return this.actions.filter((action) => action.type === type).map((action) => action.params ?? {});
  }

  private apply(event: TimerEvent): this {
    const [snapshot, actions] = transition(this.machine, this.snapshot, event as never);
    this.snapshot = snapshot;
    this.actions = actions as Action[];
    this.track();
    return this;
  }

  private track() {
    for (const action of this.actions) {
      const params = action.params ?? {};
      if (action.type === 'xstate.raise' && typeof params.delay === 'number') {
        this.timers.set(params.id as string, { event: params.event as TimerEvent, dueAt: this.now + params.delay });
      } else if (action.type === 'xstate.cancel') {
        this.timers.delete(params.sendId as string);
      }
    }
  }
}

const approveAll = (kase: Case, round: string, roles: string[]) => roles.reduce((acc, role) => acc.sign(round, role), kase);
const project = (plannedMonths = 6) => ({ hostName: 'Cooperativa Il Ponte', hostedByHealthAuthority: false, plannedMonths });
const exit = { reason: 'Motivo registrato' };

/** From the referral to the first day of the internship, the way the services would get there. */
function activeInternship(data: Record<string, unknown> = serdReferral, plannedMonths = 6): Case {
  const kase = new Case(data);
  const referring = kase.data.referringService;
  approveAll(kase, 'evaluation', [...new Set(['job-placement', 'social-worker', referring])]);
  kase.send('host.proposed', project(plannedMonths), 'job-placement').send('host.accepted', {}, 'host-company');
  approveAll(kase, 'agreement', [...new Set([referring, 'job-placement', 'host-company'])]);
  return kase
    .traineeSigns()
    .send('insurance.activated', { policyReference: 'INAIL PAT 123 / RC 456' }, 'job-placement')
    .send('internship.started', {}, 'job-placement');
}

const tutorTimer = 'xstate.after.tutorReviewDue.job-placement.active.tutorReviews.scheduled';
const judgeTimer = 'xstate.after.judgeReportDue.job-placement.active.judgeReports.scheduled';
const plannedEndTimer = 'xstate.after.plannedEnd.job-placement.active';

/** Every state path a snapshot is in, ancestors included ("active", "active.judgeReports", …). */
function activePaths(value: StateValue, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix + value];
  return Object.entries(value).flatMap(([key, child]) => [prefix + key, ...(child ? activePaths(child, `${prefix}${key}.`) : [])]);
}

describe('job placement: reachability and guards', () => {
  const guardOutcomes = new Map<string, Set<boolean>>();
  const guards = jobPlacement.machine.implementations.guards as Record<string, (...args: unknown[]) => boolean>;
  const observed = jobPlacement.machine.provide({
    guards: Object.fromEntries(
      Object.entries(guards).map(([name, guard]) => [
        name,
        (...args: unknown[]) => {
          const result = guard(...args);
          guardOutcomes.set(name, (guardOutcomes.get(name) ?? new Set()).add(result));
          return result;
        },
      ]),
    ) as never,
  });

  const at = '2026-03-02T10:00:00.000Z';
  const from = (type: string, payload: unknown, role: string, id?: string) => ({ type, payload, actor: actor(role, id), at });
  const signers = ['job-placement', 'social-worker', 'addiction-service', 'host-company', 'probation'];
  /** What the services may send, with payloads on both sides of each rule, and the timers the chart arms. */
  const userEvents = (snapshot: AnyMachineSnapshot) => {
    const rounds = Object.keys(snapshot.context.rounds as object);
    return [
      ...rounds.flatMap((round) => [
        ...signers.flatMap((role) => ['approve', 'reject', 'request-changes'].map((decision) => from('signoff.submit', { round, decision }, role))),
        from('signoff.submit', { round, decision: 'approve', onBehalfOf: 'trainee' }, 'social-worker', caseManagerId),
        from('signoff.submit', { round, decision: 'approve', onBehalfOf: 'trainee' }, 'host-company'),
        { type: 'round.expire', round, at },
      ]),
      from('evaluation.reopened', {}, 'job-placement'),
      from('host.proposed', project(6), 'job-placement'),
      from('host.proposed', project(25), 'job-placement'),
      from('host.accepted', {}, 'host-company'),
      from('host.declined', {}, 'host-company'),
      from('insurance.activated', { policyReference: 'INAIL 1' }, 'job-placement'),
      from('internship.started', {}, 'job-placement'),
      from('review.recorded', {}, 'job-placement'),
      from('probation.reported', {}, 'probation'),
      from('certificate.issued', {}, 'job-placement'),
      from('internship.extended', { months: 12 }, 'job-placement'),
      from('trainee.hired', { contract: 'fixed-term' }, 'host-company'),
      from('case.closed', exit, 'job-placement'),
      from('trainee.withdrew', exit, 'social-worker'),
      from('host.withdrew', exit, 'host-company'),
      from('dropout.recorded', exit, 'social-worker'),
      ...[tutorTimer, judgeTimer, plannedEndTimer].map((type) => ({ type, at })),
    ];
  };

  /**
   * What tells two cases apart for the chart: the state, who has signed the open rounds, whether the insurance is on,
   * the months agreed. Timestamps and closed rounds are history, and would make the graph endless.
   */
  const serializeState = (snapshot: AnyMachineSnapshot) => {
    const context = snapshot.context as { data: JobPlacementData; rounds: Record<string, { closedAt?: string; decisions: object }> };
    const openRounds = Object.entries(context.rounds)
      .filter(([, round]) => !round.closedAt)
      .map(([id, round]) => [id, Object.keys(round.decisions).sort()]);
    const months = (context.data.periods ?? []).reduce((sum, period) => sum + period.months, 0);
    return JSON.stringify([snapshot.value, openRounds, !!context.data.insurance, months]);
  };
  const reached = new Map<string, AnyMachineSnapshot>();
  beforeAll(() => {
    for (const data of [serdReferral, noMeasureReferral, targetedPlacement, { ...serdReferral, alreadyInCharge: false }]) {
      for (const path of getShortestPaths(observed, { input: inputOf(data), events: userEvents as never, serializeState })) {
        for (const statePath of activePaths(path.state.value)) if (!reached.has(statePath)) reached.set(statePath, path.state);
      }
    }
  });

  it('reaches every state of the chart with events the services send', () => {
    const nodes = getStateNodes(jobPlacement.machine.root);
    const all = nodes.map((node) => node.path.join('.'));
    expect(all.sort()).toEqual(Object.keys(jobPlacement.stateLabels).sort());
    // A decision state is left in the same step it is entered: it is reached when every branch out of it is.
    const decisions = nodes.filter((node) => node.always?.length);
    expect(decisions.map((node) => node.path.join('.')).sort()).toEqual(['active.judgeReports.assessing', 'eligibility']);
    const branches = decisions.flatMap((node) => node.always!.flatMap((branch) => branch.target!.map((target) => target.path.join('.'))));
    expect(branches.filter((path) => !reached.has(path))).toEqual([]);
    const decisionPaths = decisions.map((node) => node.path.join('.'));
    expect(all.filter((path) => !decisionPaths.includes(path) && !reached.has(path))).toEqual([]);
  });

  it('reaches every final state as a finished case with its outcome', () => {
    const finals = Object.entries(jobPlacement.machine.root.states)
      .filter(([, node]) => node.type === 'final')
      .map(([key]) => key);
    expect(finals.sort()).toEqual(['closed', 'droppedOut', 'hired', 'interrupted', 'notEligible']);
    const outcomes = Object.fromEntries(finals.map((key) => [key, reached.get(key)?.status === 'done' && reached.get(key)?.context.outcome]));
    expect(outcomes).toEqual({
      closed: 'closed',
      droppedOut: 'dropped-out',
      hired: 'hired',
      interrupted: expect.stringMatching(/^interrupted-by-(trainee|host)$/),
      notEligible: 'not-eligible',
    });
  });

  it('exercises every guard of the chart on both sides', () => {
    const used = [
      'isEligible',
      'projectFitsTisCap',
      'extensionFitsTisCap',
      'insuranceActive',
      'hasJudicialMeasure',
      'signoffCloses',
      'canSign',
      'isRoundTimer',
    ];
    expect(Object.fromEntries(used.map((name) => [name, [...(guardOutcomes.get(name) ?? [])].sort()]))).toEqual(
      Object.fromEntries(used.map((name) => [name, [false, true]])),
    );
  });
});

describe('job placement: eligibility', () => {
  const stateAfterReferral = (data: Record<string, unknown>) => {
    const kase = new Case(data);
    return { state: kase.snapshot.value, outcome: kase.snapshot.context.outcome };
  };

  it('admits a TIS only for a person already in charge with months left under the 24-month cap', () => {
    expect(parameters.tisMaxMonths).toBe(24);
    expect(stateAfterReferral({ ...serdReferral, tisMonthsUsed: 23 }).state).toBe('evaluation');
    expect(stateAfterReferral({ ...serdReferral, tisMonthsUsed: 24 })).toEqual({ state: 'notEligible', outcome: 'not-eligible' });
    expect(stateAfterReferral({ ...serdReferral, alreadyInCharge: false, inChargeSince: undefined })).toEqual({
      state: 'notEligible',
      outcome: 'not-eligible',
    });
  });

  it('admits L.68/99 targeted placement only when registered and with invalidity above 45%', () => {
    expect(stateAfterReferral({ ...targetedPlacement, invalidityPercent: 46 }).state).toBe('evaluation');
    expect(stateAfterReferral({ ...targetedPlacement, invalidityPercent: 45 }).state).toBe('notEligible');
    expect(stateAfterReferral({ ...targetedPlacement, employmentCentreRegistered: false }).state).toBe('notEligible');
  });

  it('tells the referring service, by role only, that the referral was not admitted', () => {
    const kase = new Case({ ...serdReferral, tisMonthsUsed: 24 });
    expect(kase.effects('notify')).toEqual([{ roles: ['addiction-service', 'probation'] }]);
  });

  it('asks for what each route needs, in Italian', () => {
    const issues = (data: Record<string, unknown>) =>
      jobPlacement.startSchema.safeParse(data).error?.issues.map((issue) => [issue.path.join('.'), issue.message]);
    expect(issues({ ...serdReferral, tisMonthsUsed: undefined })).toEqual([
      ['tisMonthsUsed', 'Indicare i mesi di tirocinio di inclusione già fruiti (0 se nessuno)'],
    ]);
    expect(issues({ ...targetedPlacement, invalidityPercent: undefined })).toEqual([['invalidityPercent', 'Indicare la percentuale di invalidità']]);
    expect(issues({ ...serdReferral, inChargeSince: undefined })).toEqual([['inChargeSince', 'Indicare da quando la persona è in carico']]);
    expect(issues({ ...serdReferral, caseManager: { name: 'Anna', role: 'mental-health' } })).toEqual([
      ['caseManager.role', 'Il case manager è l’assistente sociale o un operatore del servizio inviante'],
    ]);
  });

  it('marks health, disability and criminal data in the start form', () => {
    expect(sensitiveFields(jobPlacement.startSchema)).toEqual({
      person: 'personal',
      'person.fullName': 'personal',
      'person.fiscalCode': 'personal',
      employmentCentreRegistered: 'special-category',
      invalidityPercent: 'special-category',
      diagnosisCategory: 'special-category',
      judicialMeasure: 'criminal',
      'judicialMeasure.measure': 'criminal',
      'judicialMeasure.probationContact': 'criminal',
      'judicialMeasure.restrictions': 'criminal',
      skills: 'personal',
      isee: 'personal',
      monthlyAllowance: 'personal',
    });
  });
});

describe('job placement: evaluation and agreement', () => {
  it('evaluates in one round with the NIL/SIL, the social worker and the referring service, on the configured deadline', () => {
    const serd = new Case(serdReferral);
    expect(serd.effects('requestSignoff')).toEqual([{ round: 'evaluation', roles: ['job-placement', 'social-worker', 'addiction-service'] }]);
    expect(serd.snapshot.context.rounds.evaluation.dueAt).toBe('2026-03-23T09:00:00.000Z'); // 15 working days
    expect(new Case(noMeasureReferral).effects('requestSignoff')).toEqual([{ round: 'evaluation', roles: ['job-placement', 'social-worker'] }]);
  });

  it('suspends the evaluation when changes are requested or the deadline passes, and reopens it on request', () => {
    const kase = new Case(serdReferral).sign('evaluation', 'addiction-service', 'request-changes');
    expect(kase.snapshot.value).toBe('evaluationSuspended');
    kase.send('evaluation.reopened', {}, 'addiction-service');
    const reopened = kase.snapshot.context.rounds.evaluation;
    expect(reopened.decisions).toEqual({});
    expect(reopened.earlier.map((sitting: { decisions: object }) => Object.keys(sitting.decisions))).toEqual([['addiction-service']]);
    kase.fire('round.evaluation.expire');
    expect(kase.snapshot.value).toBe('evaluationSuspended');
  });

  it('closes as not eligible when the team rejects', () => {
    const kase = new Case(serdReferral).sign('evaluation', 'job-placement', 'reject');
    expect(kase.snapshot.status).toBe('done');
    expect(kase.snapshot.context.outcome).toBe('not-eligible');
  });

  it('rejects a project longer than the months left under the TIS cap, and accepts one that fits', () => {
    const kase = approveAll(new Case({ ...serdReferral, tisMonthsUsed: 18 }), 'evaluation', ['job-placement', 'social-worker', 'addiction-service']);
    expect(kase.can('host.proposed', project(7), 'job-placement')).toBe(false);
    kase.send('host.proposed', project(6), 'job-placement');
    expect(kase.snapshot.value).toBe('hostPending');
    expect(kase.effects('notify')).toEqual([{ roles: ['host-company'] }]);
    kase.send('host.declined', {}, 'host-company');
    expect(kase.snapshot.value).toBe('hostMatching');
  });

  it('places no TIS cap on an L.68/99 placement', () => {
    const kase = approveAll(new Case(targetedPlacement), 'evaluation', ['job-placement', 'social-worker', 'employment-centre']);
    expect(kase.can('host.proposed', project(36), 'job-placement')).toBe(true);
  });

  it('needs all four parties, the trainee signing through the case manager', () => {
    const kase = approveAll(new Case(serdReferral), 'evaluation', ['job-placement', 'social-worker', 'addiction-service'])
      .send('host.proposed', project(), 'job-placement')
      .send('host.accepted', {}, 'host-company');
    expect(kase.snapshot.value).toBe('agreement');
    expect(kase.snapshot.context.rounds.agreement.spec.roles).toEqual(['addiction-service', 'job-placement', 'host-company', 'trainee']);
    // The trainee signs on paper: the case manager (here the social worker, who signs nothing else) is told to record it.
    // Nobody holds the trainee's role: the case manager (here a social worker) is asked to collect that signature.
    expect(kase.effects('requestSignoff')).toEqual([{ round: 'agreement', roles: ['addiction-service', 'job-placement', 'host-company', 'social-worker'] }]);
    expect(kase.effects('notify')).toEqual([]);
    expect(kase.can('signoff.submit', { round: 'agreement', decision: 'approve', onBehalfOf: 'trainee' }, 'host-company')).toBe(false);
    approveAll(kase, 'agreement', ['addiction-service', 'job-placement', 'host-company']);
    expect(kase.snapshot.value).toBe('agreement');
    kase.traineeSigns();
    expect(kase.snapshot.value).toBe('startPending');
    expect(kase.snapshot.context.rounds.agreement.decisions.trainee).toMatchObject({ signedByRole: 'social-worker', recorded: true, substitute: false });
  });

  it('asks the case manager once when their service also signs for the service in charge', () => {
    const referral = { ...serdReferral, referringService: 'mental-health', caseManager: { name: 'Paolo Neri', role: 'mental-health' } };
    const kase = approveAll(new Case(referral), 'evaluation', ['job-placement', 'social-worker', 'mental-health'])
      .send('host.proposed', project(), 'job-placement')
      .send('host.accepted', {}, 'host-company');
    expect(kase.effects('requestSignoff')).toEqual([{ round: 'agreement', roles: ['mental-health', 'job-placement', 'host-company'] }]);
    expect(kase.effects('notify')).toEqual([]);
  });

  it('sends the project back to host matching when a party refuses to sign', () => {
    const kase = approveAll(new Case(serdReferral), 'evaluation', ['job-placement', 'social-worker', 'addiction-service'])
      .send('host.proposed', project(), 'job-placement')
      .send('host.accepted', {}, 'host-company')
      .sign('agreement', 'host-company', 'reject');
    expect(kase.snapshot.value).toBe('hostMatching');
  });
});

describe('job placement: insurance, monitoring and end', () => {
  it('starts the internship only once the insurance is active', () => {
    const kase = approveAll(new Case(noMeasureReferral), 'evaluation', ['job-placement', 'social-worker'])
      .send('host.proposed', project(), 'job-placement')
      .send('host.accepted', {}, 'host-company');
    approveAll(kase, 'agreement', ['social-worker', 'job-placement', 'host-company']).traineeSigns();
    expect(kase.snapshot.value).toBe('startPending');
    expect(kase.can('internship.started', {}, 'job-placement')).toBe(false);
    kase.send('insurance.activated', { policyReference: 'INAIL PAT 123' }, 'job-placement');
    expect(kase.can('internship.started', {}, 'job-placement')).toBe(true);
  });

  it('reminds the tutor every month, for as long as the internship runs', () => {
    const kase = activeInternship(noMeasureReferral);
    expect(kase.dueAt(tutorTimer)).toBe('2026-04-02T09:00:00.000Z');
    kase.fire(tutorTimer);
    expect(kase.effects('notify')).toEqual([{ roles: ['job-placement'] }]);
    expect(kase.dueAt(tutorTimer)).toBe('2026-05-02T09:00:00.000Z');
    kase.send('review.recorded', {}, 'host-company');
    expect(kase.data.lastTutorReviewAt).toBe('2026-04-02T09:00:00.000Z');
  });

  it('asks UEPE for its report to the judge every 3 months under a judicial measure', () => {
    const kase = activeInternship(serdReferral);
    expect(parameters.judgeReportEveryMonths).toBe(3);
    expect(kase.dueAt(judgeTimer)).toBe('2026-06-02T09:00:00.000Z');
    kase.fire(tutorTimer).fire(tutorTimer).fire(tutorTimer);
    expect(kase.effects('notify')).toEqual([{ roles: ['job-placement'] }]);
    // The monthly reviews run on their own clock: they never push the report to the judge further away.
    expect(kase.dueAt(judgeTimer)).toBe('2026-06-02T09:00:00.000Z');
    kase.fire(judgeTimer);
    expect(kase.effects('notify')).toEqual([{ roles: ['probation'] }]);
    expect(kase.dueAt(judgeTimer)).toBe('2026-09-02T09:00:00.000Z');
    kase.send('probation.reported', {}, 'probation');
    expect(kase.data.lastJudgeReportAt).toBe('2026-06-02T09:00:00.000Z');
  });

  it('neither schedules nor accepts judge reports without a judicial measure', () => {
    const kase = activeInternship(noMeasureReferral);
    expect(kase.armed()).toEqual([plannedEndTimer, tutorTimer]);
    expect(kase.snapshot.value).toEqual({ active: { tutorReviews: 'scheduled', judgeReports: 'notRequired' } });
    expect(kase.can('probation.reported', {}, 'probation')).toBe(false);
  });

  it('tells the promoter when the planned months are over, so that it issues the end certificate', () => {
    const kase = activeInternship(noMeasureReferral, 6);
    expect(kase.dueAt(plannedEndTimer)).toBe('2026-09-02T09:00:00.000Z');
    kase.fire(plannedEndTimer);
    expect(kase.effects('notify')).toEqual([{ roles: ['job-placement'] }]);
    expect(kase.can('trainee.hired', { contract: 'permanent' }, 'host-company')).toBe(false);
    kase.send('certificate.issued', {}, 'job-placement');
    expect(kase.snapshot.value).toBe('ended');
  });

  it('extends only within the 24-month cap, counting the months used before the referral', () => {
    const kase = activeInternship({ ...noMeasureReferral, tisMonthsUsed: 12 }, 6).send('certificate.issued', {}, 'job-placement');
    expect(kase.can('internship.extended', { months: 7 }, 'job-placement')).toBe(false);
    kase.send('internship.extended', { months: 6 }, 'job-placement');
    expect(kase.snapshot.value).toMatchObject({ active: {} });
    expect(kase.data.periods?.map((period) => period.months)).toEqual([6, 6]);
    kase.send('certificate.issued', {}, 'job-placement');
    expect(kase.can('internship.extended', { months: 1 }, 'job-placement')).toBe(false);
    kase.send('trainee.hired', { contract: 'apprenticeship' }, 'host-company');
    expect(kase.snapshot.context.outcome).toBe('hired');
  });

  it('re-arms the monitoring for the extension from the day it is granted', () => {
    const kase = activeInternship(noMeasureReferral, 6);
    kase.fire(plannedEndTimer).send('certificate.issued', {}, 'job-placement').send('internship.extended', { months: 2 }, 'job-placement');
    expect(kase.dueAt(plannedEndTimer)).toBe('2026-11-02T09:00:00.000Z');
    expect(kase.dueAt(tutorTimer)).toBe('2026-10-02T09:00:00.000Z');
  });

  it('hands the person back to the service in charge, and to UEPE, when the internship is interrupted or abandoned', () => {
    const byHost = activeInternship(serdReferral).send('host.withdrew', exit, 'host-company');
    expect(byHost.snapshot.context.outcome).toBe('interrupted-by-host');
    expect(byHost.effects('notify')).toEqual([{ roles: ['addiction-service', 'probation'] }]);
    expect(byHost.armed()).toEqual([]);
    const byTrainee = activeInternship(noMeasureReferral).send('trainee.withdrew', exit, 'social-worker');
    expect(byTrainee.snapshot.context.outcome).toBe('interrupted-by-trainee');
    expect(byTrainee.effects('notify')).toEqual([{ roles: ['social-worker'] }]);
    const dropped = new Case(serdReferral).send('dropout.recorded', exit, 'addiction-service');
    expect({ outcome: dropped.snapshot.context.outcome, reason: dropped.data.exitReason }).toEqual({ outcome: 'dropped-out', reason: exit.reason });
  });

  it('computes calendar months without running past the end of a short month', () => {
    expect(new Date(monthsLater(Date.parse('2026-01-31T09:00:00Z'), 1)).toISOString()).toBe('2026-02-28T09:00:00.000Z');
    expect(new Date(monthsLater(Date.parse('2026-11-30T09:00:00Z'), 3)).toISOString()).toBe('2027-02-28T09:00:00.000Z');
    expect(monthsLater(Date.parse('2026-03-02T09:00:00Z'), 1) - Date.parse('2026-03-02T09:00:00Z')).toBe(31 * DAY);
  });
});
