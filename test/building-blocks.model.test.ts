import { getShortestPaths, getSimplePaths, type StatePath } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type EventFromLogic, type InputFrom, type SnapshotFrom } from 'xstate';
import { addWorkingDays } from '../machines/calendar.js';
import { effectTypes } from '../machines/case-setup.js';
import type { Actor } from '../machines/case.js';
import { hello } from '../machines/hello.js';
import { openRound, pendingRoles, pendingSignoffs, roundOutcome, signingRole, type SignoffDecision } from '../machines/signoff.js';

/**
 * Model-based tests of the building blocks (sign-off round, its timers, withdrawal, scheduled start) through the
 * hello pathway: @xstate/graph enumerates the paths, xstate's pure `initialTransition` / `transition` (what the
 * workflow calls) replays them, and every step's returned actions are checked against what the round promises.
 */

type Hello = typeof hello.machine;
type Snapshot = SnapshotFrom<Hello>;
type ModelEvent = EventFromLogic<Hello>;
type Effect = { type: string; params?: Record<string, unknown> };
interface Step {
  before?: Snapshot;
  event: ModelEvent | { type: 'xstate.init'; at: string };
  after: Snapshot;
  effects: Effect[];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (epochMs: number) => new Date(epochMs).toISOString();
const at = (isoWithOffset: string) => iso(Date.parse(isoWithOffset));

const ROUND = 'evaluation';
const EVALUATORS = ['physician', 'social-worker'];
const TIMERS = { remind: 'round.evaluation.remind', escalate: 'round.evaluation.escalate', expire: 'round.evaluation.expire' };
/** xstate's id (and event type) for hello's `after: { untilEvaluation }` in `scheduled`. */
const EVALUATION_DATE_TIMER = 'xstate.after.untilEvaluation.hello.scheduled';

const coordinator: Actor = { id: 'op-coordinator', role: 'social-worker', organisation: 'municipality' };
const physician: Actor = { id: 'op-physician', role: 'physician', organisation: 'health-authority' };
const socialWorker: Actor = { id: 'op-social-worker', role: 'social-worker', organisation: 'municipality' };
const nurse: Actor = { id: 'op-nurse', role: 'nurse', organisation: 'health-authority' };

// Friday 6 March 2026, 09:00 in Rome; the joint evaluation is set for Monday 9 at 09:00.
const startedAt = at('2026-03-06T09:00:00+01:00');
const evaluationFrom = '2026-03-09T09:00:00+01:00';
const caseInput = (evaluation: { evaluationFrom?: string }): InputFrom<Hello> => ({
  caseRef: 'RAC-2026-000001',
  data: { summary: 'Segnalazione di prova', ...evaluation },
  startedBy: coordinator,
  startedAt,
  settings: { calendar: {}, parameters: {} },
});
const scheduledStart = caseInput({ evaluationFrom });
const immediateStart = caseInput({});

const submit = (actor: Actor, decision: SignoffDecision, when: string, extra: { onBehalfOf?: string; round?: string } = {}): ModelEvent => ({
  type: 'signoff.submit',
  payload: { round: ROUND, decision, ...extra },
  actor,
  at: when,
});
const claim = (actor: Actor, when: string, round = ROUND): ModelEvent => ({ type: 'signoff.claim', payload: { round }, actor, at: when });
const withdraw = (when: string): ModelEvent => ({ type: 'case.withdraw', payload: { reason: 'La persona ha rinunciato' }, actor: coordinator, at: when });
const timer = (type: 'round.remind' | 'round.escalate' | 'round.expire', when: string, round = ROUND): ModelEvent => ({ type, round, at: when });
// Raised by xstate itself, so it is not in the chart's event types.
const evaluationDate = (when: string) => ({ type: EVALUATION_DATE_TIMER, at: when }) as unknown as ModelEvent;

const decisions: SignoffDecision[] = ['approve', 'request-changes', 'reject'];

/**
 * What may happen next that moves the case: each evaluator's decisions (the nurse signing for the physician), each
 * timer at its due instant, the withdrawal. People act an hour after the round opened: machines read time only from
 * events, so the model need not order people and timers.
 */
function decisiveEvents(snapshot: Snapshot): ModelEvent[] {
  if (snapshot.status !== 'active') return [];
  const { context } = snapshot;
  const round = context.rounds[ROUND];
  const now = iso(Date.parse(round?.openedAt ?? context.startedAt) + HOUR);
  if (!round) return [evaluationDate(context.data.evaluationFrom ?? context.startedAt), withdraw(now)];
  return [
    ...decisions.flatMap((decision) => [
      submit(physician, decision, now),
      submit(socialWorker, decision, now),
      submit(nurse, decision, now, { onBehalfOf: 'physician' }),
    ]),
    timer('round.remind', round.nextReminderAt),
    timer('round.escalate', round.escalateAt),
    timer('round.expire', round.dueAt),
    withdraw(now),
  ];
}

/** The decisive events plus claims and everything the round must refuse. */
function everyEvent(snapshot: Snapshot): ModelEvent[] {
  if (snapshot.status !== 'active') return [];
  const round = snapshot.context.rounds[ROUND];
  const now = iso(Date.parse(round?.openedAt ?? snapshot.context.startedAt) + HOUR);
  return [
    ...decisiveEvents(snapshot),
    claim(physician, now),
    claim(socialWorker, now),
    claim(nurse, now), // the nurse may sign for the physician but has no task of its own to claim
    claim(physician, now, 'another-round'),
    submit(nurse, 'approve', now), // a nurse is not an evaluator in its own right
    submit(nurse, 'approve', now, { onBehalfOf: 'social-worker' }),
    submit(socialWorker, 'approve', now, { onBehalfOf: 'physician' }),
    submit(physician, 'approve', now, { round: 'another-round' }),
    timer('round.remind', now, 'another-round'),
  ];
}

/**
 * The state as far as the round's promises go. Timestamps are left out (each reminder moves the next one, which
 * would make the graph infinite): "has reminded" stands for them.
 */
const abstractStates = new WeakMap<Snapshot, string>();
function abstractState(snapshot: Snapshot): string {
  const known = abstractStates.get(snapshot);
  if (known !== undefined) return known;
  const round = snapshot.context.rounds[ROUND];
  const key = JSON.stringify({
    value: snapshot.value,
    outcome: snapshot.context.outcome,
    round: round && {
      decisions: Object.entries(round.decisions)
        .map(([role, decision]) => `${role}: ${decision.decision}${decision.substitute ? ' (substitute)' : ''}`)
        .sort(),
      claimed: Object.keys(round.assignees).sort(),
      reminded: round.nextReminderAt !== openRound(round.spec, Date.parse(round.openedAt), {}).nextReminderAt,
      escalated: round.escalated,
      closed: round.closedAt !== undefined,
    },
  });
  abstractStates.set(snapshot, key);
  return key;
}

const effectsOf = (actions: readonly { type: string; params?: unknown }[]): Effect[] =>
  actions.map(({ type, params }) => ({ type, ...(params === undefined ? {} : { params: params as Record<string, unknown> }) }));

/** Replays events from the start with the pure functions the workflow uses. */
function replay(input: InputFrom<Hello>, events: readonly ModelEvent[]): Step[] {
  const [first, initialActions] = initialTransition(hello.machine, input);
  const steps: Step[] = [{ event: { type: 'xstate.init', at: input.startedAt }, after: first, effects: effectsOf(initialActions) }];
  for (const event of events) {
    const before = steps.at(-1)!.after;
    const [after, actions] = transition(hello.machine, before, event);
    steps.push({ before, event, after, effects: effectsOf(actions) });
  }
  return steps;
}

const eventsOf = (path: StatePath<Snapshot, ModelEvent>) => path.steps.slice(1).map((step) => step.event);
const describePath = (events: readonly { type: string }[]) => events.map((event) => event.type).join(' → ') || '(start)';

/** Everything the round promises about one step, whatever the path that led there. */
function checkStep({ before, event, after, effects }: Step, where: string): void {
  if (event.at === undefined) throw new Error(`${where}: the interpreter stamps every event with its time`);
  const now = Date.parse(event.at);
  const ofType = (type: string) => effects.filter((effect) => effect.type === type);
  const raised = (id: string) => ofType('xstate.raise').filter((effect) => effect.params?.id === id);
  const cancelled = ofType('xstate.cancel').map((effect) => effect.params?.sendId);
  const round = after.context.rounds[ROUND];
  const previous = before?.context.rounds[ROUND];
  const wasOpen = before?.matches(ROUND) ?? false;
  const isOpen = after.matches(ROUND);

  // The workflow runs effects, arms and cancels timers, and nothing else: any other action would be lost.
  for (const effect of effects) expect([...effectTypes, 'xstate.raise', 'xstate.cancel'], where).toContain(effect.type);
  for (const raise of ofType('xstate.raise')) {
    expect(raise.params, where).toMatchObject({ id: expect.any(String), delay: expect.any(Number) });
    expect(raise.params!.delay as number, where).toBeGreaterThanOrEqual(0);
  }

  // Scheduled start: the evaluation date is a timer while waiting, cancelled whenever the wait ends.
  const wasScheduled = before ? before.matches('scheduled') : true;
  if (!before && after.matches('scheduled')) {
    expect(
      raised(EVALUATION_DATE_TIMER).map((effect) => effect.params!.delay),
      where,
    ).toEqual([Date.parse(evaluationFrom) - now]);
  }
  if (wasScheduled && !after.matches('scheduled')) expect(cancelled, where).toContain(EVALUATION_DATE_TIMER);

  if (isOpen && !wasOpen) {
    expect(round!.openedAt, where).toBe(iso(now));
    expect(ofType('requestSignoff'), where).toEqual([{ type: 'requestSignoff', params: { round: ROUND, roles: EVALUATORS } }]);
    expect(
      raised(TIMERS.remind).map((effect) => effect.params!.delay),
      where,
    ).toEqual([Date.parse(round!.nextReminderAt) - now]);
    expect(
      raised(TIMERS.escalate).map((effect) => effect.params!.delay),
      where,
    ).toEqual([Date.parse(round!.escalateAt) - now]);
    expect(
      raised(TIMERS.expire).map((effect) => effect.params!.delay),
      where,
    ).toEqual([Date.parse(round!.dueAt) - now]);
  } else {
    expect(ofType('requestSignoff'), where).toEqual([]);
  }

  if (wasOpen && !isOpen) {
    // Closing, whatever the reason, cancels all three timers and arms none; nobody is left with a task.
    expect(cancelled, where).toEqual(expect.arrayContaining(Object.values(TIMERS)));
    expect(ofType('xstate.raise'), where).toEqual([]);
    expect(round!.closedAt, where).toBe(iso(now));
    expect(pendingSignoffs(round!), where).toEqual([]);
  }
  if (wasOpen && isOpen) expect(cancelled, where).toEqual([]);

  const ownTimer = 'round' in event && event.round === ROUND;
  if (wasOpen && event.type === 'round.remind' && ownTimer) {
    // Reminders go to the roles still pending only, and the next one comes the policy's working days later.
    expect(ofType('remind'), where).toEqual([{ type: 'remind', params: { round: ROUND, roles: pendingRoles(previous!) } }]);
    expect(pendingRoles(previous!).length, where).toBeGreaterThan(0);
    const repeat = previous!.spec.reminders.repeatEveryWorkingDays;
    expect(round!.nextReminderAt, where).toBe(iso(addWorkingDays(Date.parse(previous!.nextReminderAt), repeat, {})));
    expect(
      raised(TIMERS.remind).map((effect) => effect.params!.delay),
      where,
    ).toEqual([Date.parse(round!.nextReminderAt) - now]);
  } else {
    expect(ofType('remind'), where).toEqual([]);
  }

  if (wasOpen && event.type === 'round.escalate' && ownTimer) {
    // Escalation goes to the coordinator, naming the roles that are late.
    expect(ofType('escalate'), where).toEqual([
      { type: 'escalate', params: { round: ROUND, pendingRoles: pendingRoles(previous!), operators: [coordinator.id] } },
    ]);
    expect(round!.escalated, where).toBe(true);
  } else {
    expect(ofType('escalate'), where).toEqual([]);
  }

  if (wasOpen && event.type === 'signoff.submit') {
    const role = event.payload.round === ROUND ? signingRole(previous!, event.actor, event.payload) : undefined;
    // The update validator asks `can`: it must agree with the round's own rule.
    expect(before!.can(event), where).toBe(role !== undefined);
    if (role) {
      expect(round!.decisions[role], where).toEqual({
        decision: event.payload.decision,
        signedBy: event.actor.id,
        signedByRole: event.actor.role,
        substitute: role !== event.actor.role,
        at: event.at,
      });
    }
  }
  if (wasOpen && event.type === 'signoff.claim') {
    const allowed = event.payload.round === ROUND && pendingRoles(previous!).includes(event.actor.role);
    expect(before!.can(event), where).toBe(allowed);
    if (allowed) expect(round!.assignees[event.actor.role], where).toBe(event.actor.id);
  }

  // What the chart refuses changes nothing and does nothing.
  if (before && event.type !== 'xstate.init' && !before.can(event)) {
    expect(after.value, where).toEqual(before.value);
    expect(after.context, where).toEqual(before.context);
    expect(effects, where).toEqual([]);
  }

  if (after.matches('approved')) {
    expect(roundOutcome(round!), where).toBe('approved');
    expect(after.context.outcome, where).toBe('approved');
  }
  if (after.matches('closed') && event.type === 'case.withdraw') expect(after.context.outcome, where).toBe('withdrawn');
  if (after.matches('closed') && event.type === 'round.expire') expect(roundOutcome(round!), where).toBeUndefined();
  if (after.matches('closed') && event.type === 'signoff.submit') {
    expect(['rejected', 'changes-requested'], where).toContain(roundOutcome(round!));
  }
  expect(after.status, where).toBe(after.matches('approved') || after.matches('closed') ? 'done' : 'active');
}

/** How a finished case ended, in the round's terms. */
function ending(snapshot: Snapshot, last: { type: string }): string {
  if (snapshot.context.outcome === 'withdrawn') return 'withdrawn';
  if (last.type === 'round.expire') return 'expired';
  return roundOutcome(snapshot.context.rounds[ROUND]!) ?? 'still open';
}

const leafStates = Object.keys(hello.stateLabels);

describe.each([
  ['scheduled', scheduledStart],
  ['immediate', immediateStart],
])('every path through the hello round (%s start)', (_start, input) => {
  let memo: StatePath<Snapshot, ModelEvent>[] | undefined;
  const paths = () => (memo ??= getSimplePaths(hello.machine, { input, events: decisiveEvents, serializeState: abstractState }));

  it('replays each path with the pure functions and checks every step', () => {
    expect(paths().length).toBeGreaterThan(100);
    for (const path of paths()) {
      const events = eventsOf(path);
      const steps = replay(input, events);
      steps.forEach((step, index) => checkStep(step, `${describePath(events.slice(0, index))} (step ${index})`));
      expect(abstractState(steps.at(-1)!.after), describePath(events)).toBe(abstractState(path.state));
    }
  });

  it('reaches every state the start allows', () => {
    const reached = new Set(paths().map((path) => String(path.state.value)));
    const expected = input.data.evaluationFrom ? leafStates : leafStates.filter((state) => state !== 'scheduled');
    expect([...reached].sort()).toEqual([...expected].sort());
  });

  it('reaches every ending of the round, each in its target state', () => {
    const endings = new Map<string, Set<string>>();
    for (const path of paths().filter((candidate) => candidate.state.status === 'done')) {
      const how = ending(path.state, eventsOf(path).at(-1)!);
      endings.set(how, (endings.get(how) ?? new Set()).add(String(path.state.value)));
    }
    expect(Object.fromEntries([...endings].map(([how, states]) => [how, [...states]]))).toEqual({
      approved: ['approved'],
      rejected: ['closed'],
      // hello has no separate way back, so changes requested go where a rejection goes
      'changes-requested': ['closed'],
      expired: ['closed'],
      withdrawn: ['closed'],
    });
  });

  it('reaches approval and rejection with the nurse signing for the physician', () => {
    const physicianDecisions = paths()
      .filter((path) => path.state.status === 'done')
      .map((path) => ({ value: path.state.value, signed: path.state.context.rounds[ROUND]?.decisions.physician }))
      .filter(({ signed }) => signed?.substitute);
    expect(physicianDecisions).toEqual(
      expect.arrayContaining([
        { value: 'approved', signed: expect.objectContaining({ signedBy: nurse.id, decision: 'approve' }) },
        { value: 'closed', signed: expect.objectContaining({ signedBy: nurse.id, decision: 'reject' }) },
      ]),
    );
  });
});

describe('every transition of the hello round, claims and refused events included', () => {
  const paths = getShortestPaths(hello.machine, { input: scheduledStart, events: everyEvent, serializeState: abstractState });
  const open = paths.filter((path) => path.state.status === 'active');

  it('checks every event in every state reachable', () => {
    expect(open.length).toBeGreaterThan(30);
    for (const path of open) {
      for (const event of everyEvent(path.state)) {
        const [after, actions] = transition(hello.machine, path.state, event);
        const where = `${describePath(eventsOf(path))} then ${JSON.stringify(event)}`;
        checkStep({ before: path.state, event, after, effects: effectsOf(actions) }, where);
      }
    }
  });

  it('reaches claimed, reminded and escalated rounds, and refuses every claim but the evaluators’ own', () => {
    const rounds = open.map((path) => path.state.context.rounds[ROUND]).filter((round) => round !== undefined);
    const claimed = new Set(rounds.flatMap((round) => Object.keys(round.assignees)));
    expect([...claimed].sort()).toEqual(EVALUATORS);
    expect(rounds.some((round) => round.escalated)).toBe(true);
    expect(rounds.some((round) => round.nextReminderAt !== openRound(round.spec, Date.parse(round.openedAt), {}).nextReminderAt)).toBe(true);
  });
});

describe('the hello round, step by step', () => {
  const open = () => initialTransition(hello.machine, immediateStart)[0];
  const raise = (id: string, delay: number) => expect.objectContaining({ type: 'xstate.raise', params: expect.objectContaining({ id, delay }) });
  const cancel = (id: string) => expect.objectContaining({ type: 'xstate.cancel', params: { sendId: id } });

  it('opens at once without an evaluation date: asks both evaluators and arms its timers in working days', () => {
    const [snapshot, actions] = initialTransition(hello.machine, immediateStart);
    expect(snapshot.value).toBe('evaluation');
    expect(actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'requestSignoff', params: { round: ROUND, roles: EVALUATORS } }),
        raise(TIMERS.remind, 4 * DAY), // Tuesday 10: two working days after Friday
        raise(TIMERS.escalate, 7 * DAY), // Friday 13: five working days
        raise(TIMERS.expire, 14 * DAY), // Friday 20: ten working days
        // Entered and left in the same step: the workflow never arms this one.
        raise(EVALUATION_DATE_TIMER, 0),
        cancel(EVALUATION_DATE_TIMER),
      ]),
    );
  });

  it('waits for the evaluation date, then opens the round on that day', () => {
    const [waiting, actions] = initialTransition(hello.machine, scheduledStart);
    expect(waiting.value).toBe('scheduled');
    expect(actions).toEqual([raise(EVALUATION_DATE_TIMER, 3 * DAY)]);
    const [evaluating, opening] = transition(hello.machine, waiting, evaluationDate(at(evaluationFrom)));
    expect(evaluating.value).toBe('evaluation');
    expect(evaluating.context.rounds[ROUND]).toMatchObject({ openedAt: at(evaluationFrom), dueAt: at('2026-03-23T09:00:00+01:00') });
    expect(opening).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'requestSignoff' }), raise(TIMERS.expire, 14 * DAY)]));
  });

  it('withdrawn while waiting, cancels the evaluation date and records why the case ended', () => {
    const [waiting] = initialTransition(hello.machine, scheduledStart);
    const [withdrawn, actions] = transition(hello.machine, waiting, withdraw(at('2026-03-06T12:00:00+01:00')));
    expect(withdrawn).toMatchObject({ value: 'closed', status: 'done', context: { outcome: 'withdrawn', rounds: {} } });
    expect(actions).toEqual([cancel(EVALUATION_DATE_TIMER)]);
  });

  it('after the physician signed, reminds only the social worker and re-arms the reminder', () => {
    const [signed] = transition(hello.machine, open(), submit(physician, 'approve', at('2026-03-06T10:00:00+01:00')));
    const [, actions] = transition(hello.machine, signed, timer('round.remind', at('2026-03-10T09:00:00+01:00')));
    expect(actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'remind', params: { round: ROUND, roles: ['social-worker'] } }),
        raise(TIMERS.remind, 2 * DAY), // Thursday 12
      ]),
    );
  });

  it('escalates to the coordinator, naming the late roles', () => {
    const [, actions] = transition(hello.machine, open(), timer('round.escalate', at('2026-03-13T09:00:00+01:00')));
    expect(actions).toEqual([expect.objectContaining({ type: 'escalate', params: { round: ROUND, pendingRoles: EVALUATORS, operators: [coordinator.id] } })]);
  });

  it('closes on the last approval, cancels its timers, and ignores a timer that fires late', () => {
    const [signed] = transition(hello.machine, open(), submit(physician, 'approve', at('2026-03-06T10:00:00+01:00')));
    const [approved, actions] = transition(hello.machine, signed, submit(socialWorker, 'approve', at('2026-03-09T10:00:00+01:00')));
    expect(approved).toMatchObject({ value: 'approved', status: 'done', context: { outcome: 'approved' } });
    expect(actions).toEqual(expect.arrayContaining(Object.values(TIMERS).map(cancel)));
    expect(actions.filter((action) => action.type === 'xstate.raise')).toEqual([]);
    const [after, late] = transition(hello.machine, approved, timer('round.remind', at('2026-03-10T09:00:00+01:00')));
    expect(late).toEqual([]);
    expect(after.context).toEqual(approved.context);
  });

  it('lets the nurse sign for the physician, recording the substitution, but not for the social worker', () => {
    const round = open();
    expect(round.can(submit(nurse, 'approve', at('2026-03-06T10:00:00+01:00'), { onBehalfOf: 'social-worker' }))).toBe(false);
    const [signed] = transition(hello.machine, round, submit(nurse, 'approve', at('2026-03-06T10:00:00+01:00'), { onBehalfOf: 'physician' }));
    expect(signed.context.rounds[ROUND]!.decisions).toEqual({
      physician: { decision: 'approve', signedBy: nurse.id, signedByRole: 'nurse', substitute: true, at: at('2026-03-06T10:00:00+01:00') },
    });
    expect(signed.can(submit(physician, 'reject', at('2026-03-06T11:00:00+01:00')))).toBe(false);
  });

  it('closes at the first rejection or request for changes, without waiting for the other evaluator', () => {
    for (const decision of ['reject', 'request-changes'] as const) {
      const [closed] = transition(hello.machine, open(), submit(socialWorker, decision, at('2026-03-06T10:00:00+01:00')));
      expect(closed.value).toBe('closed');
      expect(pendingRoles(closed.context.rounds[ROUND]!)).toEqual(['physician']);
      expect(pendingSignoffs(closed.context.rounds[ROUND]!)).toEqual([]);
    }
  });

  it('expires at its deadline with the round undecided', () => {
    const [expired, actions] = transition(hello.machine, open(), timer('round.expire', at('2026-03-20T09:00:00+01:00')));
    expect(expired).toMatchObject({ value: 'closed', status: 'done' });
    expect(roundOutcome(expired.context.rounds[ROUND]!)).toBeUndefined();
    expect(actions).toEqual(expect.arrayContaining(Object.values(TIMERS).map(cancel)));
  });

  it('refuses a claim from the nurse, who may sign for the physician but cannot claim the physician’s task', () => {
    expect(open().can(claim(nurse, at('2026-03-06T10:00:00+01:00')))).toBe(false);
    expect(open().can(claim(physician, at('2026-03-06T10:00:00+01:00')))).toBe(true);
  });
});
