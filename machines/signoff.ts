import { z } from 'zod';
import { addWorkingDays, type WorkingCalendar } from './calendar.js';
import { choice } from './form.js';
import type { Actor } from './case.js';

/**
 * A multidisciplinary sign-off round (UVM, équipe): several roles evaluate in parallel, each decides,
 * a quorum rule closes the round as soon as its outcome is certain, and a reminder policy chases whoever is late.
 * Everything here is pure data and functions; `machines/case-setup.ts` wires it into statecharts.
 */

export const signoffDecisions = ['approve', 'request-changes', 'reject'] as const;
export type SignoffDecision = (typeof signoffDecisions)[number];

export const signoffDecisionLabels: Record<SignoffDecision, string> = {
  approve: 'Approva',
  'request-changes': 'Richiede modifiche',
  reject: 'Respinge',
};
export const signoffDecisionSchema = choice('Decisione', signoffDecisionLabels, 'Scegliere una decisione');

export const signoffPayloadSchema = z.object({
  round: z.string().min(1).meta({ title: 'Valutazione' }),
  decision: signoffDecisionSchema,
  notes: z.string().trim().max(4000, 'Al massimo 4000 caratteri').optional().meta({ title: 'Note' }),
  /** A substitute signing for an absent evaluator names the role signed for; the record keeps both. */
  onBehalfOf: z.string().min(1).optional().meta({ title: 'Firma per conto del ruolo' }),
});
export type SignoffPayload = z.infer<typeof signoffPayloadSchema>;

export const claimPayloadSchema = z.object({
  round: z.string().min(1),
  /** A substitute claims the task of the absent evaluator it may sign for. */
  onBehalfOf: z.string().min(1).optional(),
});
export type ClaimPayload = z.infer<typeof claimPayloadSchema>;

export const reminderPolicySchema = z
  .object({
    firstAfterWorkingDays: z.int().min(1),
    repeatEveryWorkingDays: z.int().min(1),
    escalateAfterWorkingDays: z.int().min(1),
  })
  .refine((p) => p.escalateAfterWorkingDays >= p.firstAfterWorkingDays, {
    message: 'escalation cannot come before the first reminder',
    path: ['escalateAfterWorkingDays'],
  });
export type ReminderPolicy = z.infer<typeof reminderPolicySchema>;

/**
 * A round's timings are protocol assumptions: a pathway's parameters may set them per round under `rounds`,
 * overriding what the chart declares (merge `roundParametersSchema.shape` into the pathway's parametersSchema).
 */
export const roundTimingsSchema = z.object({ deadlineWorkingDays: z.int().min(1), reminders: reminderPolicySchema }).partial();
export type RoundTimings = z.infer<typeof roundTimingsSchema>;
export const roundParametersSchema = z.object({ rounds: z.record(z.string(), roundTimingsSchema).optional() });

export function withConfiguredTimings(spec: RoundSpec, parameters: unknown): RoundSpec {
  const configured = (parameters as { rounds?: Record<string, RoundTimings> } | undefined)?.rounds?.[spec.id];
  return configured ? { ...spec, ...configured } : spec;
}

export type Quorum = 'all' | { atLeast: number };
export type RoundOutcome = 'approved' | 'changes-requested' | 'rejected';

export interface RoundSpec {
  id: string;
  /** Italian, shown to evaluators. */
  label: string;
  roles: readonly string[];
  quorum: Quorum;
  deadlineWorkingDays: number;
  reminders: ReminderPolicy;
  /** role → roles that may sign in its place when it is absent. */
  substitutes?: Readonly<Record<string, readonly string[]>>;
  /**
   * Parties with no account (the trainee, the person): role → operator roles that record their signature.
   * Requests and reminders go to those roles, and recording a party's signature is not the recorder's own.
   */
  recordedBy?: Readonly<Record<string, readonly string[]>>;
  priority?: 'normal' | 'high';
}

export interface RecordedDecision {
  decision: SignoffDecision;
  notes?: string;
  signedBy: string;
  signedByRole: string;
  /** Set when a substitute signed in place of the role's evaluator. */
  substitute: boolean;
  /** Set when an operator recorded the signature of a party with no account. */
  recorded?: boolean;
  at: string;
}

export interface SignoffRound {
  spec: RoundSpec;
  openedAt: string;
  dueAt: string;
  nextReminderAt: string;
  escalateAt: string;
  escalated: boolean;
  /** Set when the round's state is left, whatever the reason: its remaining roles are no longer pending. */
  closedAt?: string;
  /** Earlier sittings of the same round (reopened after changes were requested): their decisions stay on record. */
  earlier?: SignoffRound[];
  decisions: Record<string, RecordedDecision>;
  /** role → operator id of whoever claimed that role's task. */
  assignees: Record<string, string>;
}

const iso = (epochMs: number) => new Date(epochMs).toISOString();

/** Refuses, when a chart is defined, a round that could never close as intended. */
export function assertValidRoundSpec(spec: RoundSpec): void {
  const problems: string[] = [];
  if (spec.quorum !== 'all' && !(spec.quorum.atLeast >= 1 && spec.quorum.atLeast <= spec.roles.length)) {
    problems.push(`a quorum of ${spec.quorum.atLeast} out of ${spec.roles.length} roles`);
  }
  for (const role of Object.keys(spec.substitutes ?? {})) {
    if (!spec.roles.includes(role)) problems.push(`substitutes for ${role}, who is not in the round`);
  }
  if (spec.reminders.escalateAfterWorkingDays > spec.deadlineWorkingDays) problems.push('escalation after the deadline');
  if (problems.length) throw new Error(`sign-off round ${spec.id}: ${problems.join('; ')}`);
}

export function openRound(spec: RoundSpec, now: number, calendar: WorkingCalendar, previous?: SignoffRound): SignoffRound {
  return {
    ...(previous ? { earlier: [...(previous.earlier ?? []), { ...previous, earlier: [] }] } : {}),
    spec,
    openedAt: iso(now),
    dueAt: iso(addWorkingDays(now, spec.deadlineWorkingDays, calendar)),
    nextReminderAt: iso(addWorkingDays(now, spec.reminders.firstAfterWorkingDays, calendar)),
    escalateAt: iso(addWorkingDays(now, spec.reminders.escalateAfterWorkingDays, calendar)),
    escalated: false,
    decisions: {},
    assignees: {},
  };
}

export function pendingRoles(round: SignoffRound): string[] {
  return round.spec.roles.filter((role) => !(role in round.decisions));
}

function requiredApprovals(round: SignoffRound): number {
  return round.spec.quorum === 'all' ? round.spec.roles.length : round.spec.quorum.atLeast;
}

/** The outcome once it is certain, or undefined while approval is still possible and not yet reached. */
export function roundOutcome(round: SignoffRound): RoundOutcome | undefined {
  const decisions = Object.values(round.decisions);
  const approvals = decisions.filter((d) => d.decision === 'approve').length;
  if (approvals >= requiredApprovals(round)) return 'approved';
  if (approvals + pendingRoles(round).length >= requiredApprovals(round)) return undefined;
  return decisions.some((d) => d.decision === 'reject') ? 'rejected' : 'changes-requested';
}

/**
 * The role a sign-off or a claim counts for, or undefined when this actor may not act on it now. One person signs once
 * per round: a multidisciplinary evaluation needs as many professionals as it has roles.
 */
export function signingRole(round: SignoffRound, actor: Actor, payload: SignoffPayload | ClaimPayload): string | undefined {
  const role = payload.onBehalfOf ?? actor.role;
  if (!pendingRoles(round).includes(role)) return undefined;
  const recorders = round.spec.recordedBy?.[role];
  if (recorders) return recorders.includes(actor.role) ? role : undefined;
  if (Object.values(round.decisions).some((decision) => decision.signedBy === actor.id && !decision.recorded)) return undefined;
  if (role === actor.role) return role;
  return round.spec.substitutes?.[role]?.includes(actor.role) ? role : undefined;
}

export function recordDecision(round: SignoffRound, actor: Actor, payload: SignoffPayload, at: string): SignoffRound {
  const role = signingRole(round, actor, payload);
  if (!role) return round;
  const recorded = !!round.spec.recordedBy?.[role];
  const decision: RecordedDecision = {
    decision: payload.decision,
    signedBy: actor.id,
    signedByRole: actor.role,
    substitute: role !== actor.role && !recorded,
    ...(recorded ? { recorded } : {}),
    at,
    ...(payload.notes ? { notes: payload.notes } : {}),
  };
  return { ...round, decisions: { ...round.decisions, [role]: decision } };
}

export function claimRole(round: SignoffRound, actor: Actor, payload: ClaimPayload): SignoffRound {
  const role = signingRole(round, actor, payload);
  return role ? { ...round, assignees: { ...round.assignees, [role]: actor.id } } : round;
}

export function afterReminder(round: SignoffRound, calendar: WorkingCalendar): SignoffRound {
  const next = addWorkingDays(Date.parse(round.nextReminderAt), round.spec.reminders.repeatEveryWorkingDays, calendar);
  return { ...round, nextReminderAt: iso(next) };
}

/** The operator roles to ask for these roles' signatures: a party with no account is asked through its recorders. */
export function rolesToAsk(round: SignoffRound, roles: readonly string[]): string[] {
  return [...new Set(roles.flatMap((role) => round.spec.recordedBy?.[role] ?? [role]))];
}

/** What an evaluator's task inbox shows for each role still to sign. */
export interface PendingSignoff {
  round: string;
  roundLabel: string;
  candidateRole: string;
  /** For a party with no account: the roles that record its signature, whose inboxes show the task. */
  recordedBy?: string[];
  /** The roles that may sign in its place when its evaluator is absent. */
  substitutes?: string[];
  assignee?: string;
  dueAt: string;
  followUpAt: string;
  priority: 'normal' | 'high';
}

export function pendingSignoffs(round: SignoffRound): PendingSignoff[] {
  if (round.closedAt) return [];
  return pendingRoles(round).map((role) => ({
    round: round.spec.id,
    roundLabel: round.spec.label,
    candidateRole: role,
    ...(round.spec.recordedBy?.[role] ? { recordedBy: [...round.spec.recordedBy[role]] } : {}),
    ...(round.spec.substitutes?.[role] ? { substitutes: [...round.spec.substitutes[role]] } : {}),
    ...(round.assignees[role] ? { assignee: round.assignees[role] } : {}),
    dueAt: round.dueAt,
    followUpAt: round.nextReminderAt,
    priority: round.spec.priority ?? 'normal',
  }));
}
