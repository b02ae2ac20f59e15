import { assign, cancel, raise, setup } from 'xstate';
import type { Actor, CaseEvent, CaseInput, CaseSettings } from './case.js';
import { eventTime } from './case.js';
import { resumeDeadline, startDeadline, suspendDeadline, type DeadlineClock, type DeadlineLength, type DeadlineSpec } from './deadline.js';
import {
  afterReminder,
  assertValidRoundSpec,
  claimRole,
  openRound,
  pendingRoles,
  recordDecision,
  rolesToAsk,
  roundOutcome,
  signingRole,
  type ClaimPayload,
  type RoundOutcome,
  type RoundSpec,
  type SignoffPayload,
  type SignoffRound,
  withConfiguredTimings,
} from './signoff.js';

export interface CaseContext<TData, TParams = Record<string, unknown>> {
  caseRef: string;
  data: TData;
  coordinator: Actor;
  startedAt: string;
  settings: CaseSettings & { parameters: TParams };
  rounds: Record<string, SignoffRound>;
  deadlines: Record<string, DeadlineClock>;
  outcome?: string;
}

/** The context every case starts with; a pathway adds nothing here, its own data lives in `data`. */
export function caseContext<TData, TParams>(input: CaseInput<TData>): CaseContext<TData, TParams> {
  return {
    caseRef: input.caseRef,
    data: input.data,
    coordinator: input.startedBy,
    startedAt: input.startedAt,
    settings: input.settings as CaseSettings & { parameters: TParams },
    rounds: {},
    deadlines: {},
  };
}

export type SignoffEvent = CaseEvent<'signoff.submit', SignoffPayload>;
export type ClaimEvent = CaseEvent<'signoff.claim', ClaimPayload>;
/** Raised by a round's own timers, never sent from outside: the update validator knows no such event. */
export type RoundTimerEvent = { type: 'round.remind' | 'round.escalate' | 'round.expire'; round: string; at?: string };
export type DeadlineTimerEvent = { type: 'deadline.expire'; deadline: string; at?: string };

/** The closed vocabulary of side effects: the interpreter runs each as an activity, and nothing else. */
export interface EffectParams {
  requestSignoff: { round: string; roles: string[] };
  remind: { round: string; roles: string[] };
  escalate: { round: string; pendingRoles: string[]; operators: string[] };
  notify: { roles: string[] };
}
export type EffectType = keyof EffectParams;
export const effectTypes: readonly EffectType[] = ['requestSignoff', 'remind', 'escalate', 'notify'];

const noEffect = () => {};

/** The base every pathway machine extends: its context, the sign-off round's actions and guards, the effects. */
export function caseSetup<TData, TEvent extends CaseEvent, TParams = Record<string, unknown>>() {
  type Context = CaseContext<TData, TParams>;
  type Event = TEvent | SignoffEvent | ClaimEvent | RoundTimerEvent | DeadlineTimerEvent;
  const round = (context: Context, id: string): SignoffRound => {
    const found = context.rounds[id];
    if (!found) throw new Error(`sign-off round ${id} is not open`);
    return found;
  };
  const signoff = (event: Event) => event as SignoffEvent;
  const clock = (context: Context, id: string): DeadlineClock => {
    const found = context.deadlines[id];
    if (!found) throw new Error(`deadline ${id} was never started`);
    return found;
  };

  const base = setup({
    types: {} as { context: Context; events: Event; input: CaseInput<TData> },
    actions: {
      requestSignoff: noEffect as (_: unknown, params: EffectParams['requestSignoff']) => void,
      remind: noEffect as (_: unknown, params: EffectParams['remind']) => void,
      escalate: noEffect as (_: unknown, params: EffectParams['escalate']) => void,
      notify: noEffect as (_: unknown, params: EffectParams['notify']) => void,
      openRound: assign(({ context, event }, params: { spec: RoundSpec }) => ({
        rounds: {
          ...context.rounds,
          [params.spec.id]: openRound(
            withConfiguredTimings(params.spec, context.settings.parameters),
            eventTime(event),
            context.settings.calendar,
            context.rounds[params.spec.id],
          ),
        },
      })),
      recordSignoff: assign(({ context, event }, params: { round: string }) => {
        const e = signoff(event);
        return { rounds: { ...context.rounds, [params.round]: recordDecision(round(context, params.round), e.actor, e.payload, e.at) } };
      }),
      claimSignoff: assign(({ context, event }, params: { round: string }) => ({
        rounds: {
          ...context.rounds,
          [params.round]: claimRole(round(context, params.round), (event as ClaimEvent).actor, (event as ClaimEvent).payload),
        },
      })),
      advanceReminder: assign(({ context }, params: { round: string }) => ({
        rounds: { ...context.rounds, [params.round]: afterReminder(round(context, params.round), context.settings.calendar) },
      })),
      closeRound: assign(({ context, event }, params: { round: string }) => ({
        rounds: { ...context.rounds, [params.round]: { ...round(context, params.round), closedAt: new Date(eventTime(event)).toISOString() } },
      })),
      markEscalated: assign(({ context }, params: { round: string }) => ({
        rounds: { ...context.rounds, [params.round]: { ...round(context, params.round), escalated: true } },
      })),
      setOutcome: assign((_, params: { outcome: string }) => ({ outcome: params.outcome })),
      startDeadline: assign(({ context, event }, params: { spec: DeadlineSpec }) => ({
        deadlines: { ...context.deadlines, [params.spec.id]: startDeadline(params.spec, eventTime(event), context.settings.calendar) },
      })),
      suspendDeadline: assign(({ context, event }, params: { id: string }) => ({
        deadlines: { ...context.deadlines, [params.id]: suspendDeadline(clock(context, params.id), eventTime(event), context.settings.calendar) },
      })),
      resumeDeadline: assign(({ context, event }, params: { id: string }) => ({
        deadlines: { ...context.deadlines, [params.id]: resumeDeadline(clock(context, params.id), eventTime(event), context.settings.calendar) },
      })),
      stopDeadline: assign(({ context, event }, params: { id: string }) => ({
        deadlines: { ...context.deadlines, [params.id]: { ...clock(context, params.id), stoppedAt: new Date(eventTime(event)).toISOString() } },
      })),
    },
    guards: {
      canSign: ({ context, event }, params: { round: string }) => {
        const e = signoff(event);
        const open = context.rounds[params.round];
        return e.payload.round === params.round && !!open && signingRole(open, e.actor, e.payload) !== undefined;
      },
      signoffCloses: ({ context, event }, params: { round: string; outcome: RoundOutcome }) => {
        const e = signoff(event);
        const open = context.rounds[params.round];
        if (e.payload.round !== params.round || !open || !signingRole(open, e.actor, e.payload)) return false;
        return roundOutcome(recordDecision(open, e.actor, e.payload, e.at)) === params.outcome;
      },
      canClaim: ({ context, event }, params: { round: string }) => {
        const e = event as ClaimEvent;
        const open = context.rounds[params.round];
        return e.payload.round === params.round && !!open && signingRole(open, e.actor, e.payload) !== undefined;
      },
      isRoundTimer: ({ event }, params: { round: string }) => (event as RoundTimerEvent).round === params.round,
      isDeadline: ({ event }, params: { id: string }) => (event as DeadlineTimerEvent).deadline === params.id,
    },
  });

  const armDeadline = (id: string) => {
    const timerEvent: DeadlineTimerEvent = { type: 'deadline.expire', deadline: id };
    return raise<Context, Event, Event, undefined>(timerEvent, {
      id: deadlineTimerId(id),
      delay: ({ context, event }) => Math.max(0, Date.parse(clock(context, id).dueAt) - eventTime(event)),
    });
  };
  const disarmDeadline = (id: string) => cancel<Context, Event, undefined, Event>(deadlineTimerId(id));

  /**
   * Actions for a procedural deadline: spread them into a transition's or a state's actions. When it passes,
   * the chart receives `deadline.expire`; guard its handler with `{ type: 'isDeadline', params: { id } }`.
   */
  const deadline = {
    /** A length given as a function is read from the case (its pinned parameters) when the clock starts. */
    start: (spec: DeadlineSpec | ResolvedDeadlineSpec<Context>) => [
      {
        type: 'startDeadline' as const,
        params:
          typeof spec.length === 'function'
            ? ({ context }: { context: Context }) => ({ spec: { ...spec, length: (spec as ResolvedDeadlineSpec<Context>).length(context) } })
            : { spec: spec as DeadlineSpec },
      },
      armDeadline(spec.id),
    ],
    suspend: (id: string) => [{ type: 'suspendDeadline' as const, params: { id } }, disarmDeadline(id)],
    resume: (id: string) => [{ type: 'resumeDeadline' as const, params: { id } }, armDeadline(id)],
    stop: (id: string) => [{ type: 'stopDeadline' as const, params: { id } }, disarmDeadline(id)],
  };

  /**
   * The state config of one sign-off round: open it on entry, notify the evaluators, arm its reminder, escalation
   * and deadline timers, record each decision, leave as soon as the quorum rule decides, and cancel the timers on exit.
   */
  function signoffRound(spec: RoundSpec | ResolvedRoundSpec<Context>, targets: RoundTargets) {
    if (!('resolve' in spec)) assertValidRoundSpec(spec);
    const id = spec.id;
    const params = { round: id };
    const opening = 'resolve' in spec ? ({ context }: { context: Context }) => ({ spec: { ...spec.resolve(context), id, label: spec.label } }) : { spec };
    const dueIn =
      (field: 'nextReminderAt' | 'escalateAt' | 'dueAt') =>
      ({ context, event }: { context: Context; event: Event }) =>
        Math.max(0, Date.parse(round(context, id)[field]) - eventTime(event));
    const arm = (type: RoundTimerEvent['type'], timer: TimerName, due: 'nextReminderAt' | 'escalateAt' | 'dueAt') => {
      const timerEvent: RoundTimerEvent = { type, round: id };
      return raise<Context, Event, Event, undefined>(timerEvent, { id: timerId(id, timer), delay: dueIn(due) });
    };
    const closing = (outcome: RoundOutcome, target: string) => ({
      guard: { type: 'signoffCloses' as const, params: { round: id, outcome } },
      target,
      actions: { type: 'recordSignoff' as const, params },
    });
    return {
      entry: [
        { type: 'openRound' as const, params: opening },
        {
          type: 'requestSignoff' as const,
          params: ({ context }: { context: Context }) => {
            const opened = round(context, id);
            return { round: id, roles: rolesToAsk(opened, opened.spec.roles) };
          },
        },
        arm('round.remind', 'remind', 'nextReminderAt'),
        arm('round.escalate', 'escalate', 'escalateAt'),
        arm('round.expire', 'expire', 'dueAt'),
      ],
      exit: [...timerNames.map((timer) => cancel<Context, Event, undefined, Event>(timerId(id, timer))), { type: 'closeRound' as const, params }],
      on: {
        'signoff.submit': [
          closing('approved', targets.approved),
          closing('changes-requested', targets.changesRequested ?? targets.rejected),
          closing('rejected', targets.rejected),
          { guard: { type: 'canSign' as const, params }, actions: { type: 'recordSignoff' as const, params } },
        ],
        'signoff.claim': { guard: { type: 'canClaim' as const, params }, actions: { type: 'claimSignoff' as const, params } },
        'round.remind': {
          guard: { type: 'isRoundTimer' as const, params },
          actions: [
            {
              type: 'remind' as const,
              params: ({ context }: { context: Context }) => ({ round: id, roles: rolesToAsk(round(context, id), pendingRoles(round(context, id))) }),
            },
            { type: 'advanceReminder' as const, params },
            arm('round.remind', 'remind', 'nextReminderAt'),
          ],
        },
        'round.escalate': {
          guard: { type: 'isRoundTimer' as const, params },
          actions: [
            {
              type: 'escalate' as const,
              params: ({ context }: { context: Context }) => ({
                round: id,
                pendingRoles: rolesToAsk(round(context, id), pendingRoles(round(context, id))),
                operators: [context.coordinator.id],
              }),
            },
            { type: 'markEscalated' as const, params },
          ],
        },
        'round.expire': { guard: { type: 'isRoundTimer' as const, params }, target: targets.expired },
      },
    };
  }

  return Object.assign(base, { signoffRound, deadline });
}

export interface ResolvedDeadlineSpec<TContext> extends Omit<DeadlineSpec, 'length'> {
  length: (context: TContext) => DeadlineLength;
}

/** A round whose signers or timings depend on the case: resolved from the context when the round opens. */
export interface ResolvedRoundSpec<TContext> {
  id: string;
  label: string;
  resolve(context: TContext): Omit<RoundSpec, 'id' | 'label'>;
}

export interface RoundTargets {
  approved: string;
  rejected: string;
  /** Defaults to `rejected`'s target when the pathway has no separate way back. */
  changesRequested?: string;
  /** Where the case goes when the round's deadline passes with the outcome still open. */
  expired: string;
}

const timerNames = ['remind', 'escalate', 'expire'] as const;
type TimerName = (typeof timerNames)[number];
const timerId = (round: string, timer: TimerName) => `round.${round}.${timer}`;
const deadlineTimerId = (id: string) => `deadline.${id}`;
