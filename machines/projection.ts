import { z } from 'zod';
import type { AnyMachineSnapshot } from 'xstate';
import { concealedParts, eventRefusal, redactCaseData, restrictedClasses, type ConcealedParts } from './access.js';
import type { Actor } from './case.js';
import { isRunning } from './deadline.js';
import { leafPaths, topLevelState, type CaseState } from './case-state.js';
import { mermaidDiagram } from './diagram.js';
import { dataFields, formatDate, type JsonSchemaNode } from './case-data.js';
import type { EventDefinition, PathwayDefinition } from './pathway.js';
import { pendingSignoffs, signoffDecisionLabels, signoffDecisions, type PendingSignoff, type SignoffRound } from './signoff.js';

/**
 * The case as one viewer sees it, and what that viewer may do now: computed here once, for every page and answer.
 * The API serves it as the response of a case read; the pages render it and decide nothing of their own.
 */

const labelled = z.object({ value: z.string(), label: z.string() });

const actorView = z.object({ id: z.string(), role: z.string(), roleLabel: z.string() });
const starterView = actorView.extend({ organisation: z.string() });

export const caseActionSchema = z.object({
  /** The event this action sends. */
  type: z.string(),
  label: z.string(),
  /** `signoff` and `claim` act on one of `targets`; `form` sends the payload its form collects. */
  kind: z.enum(['signoff', 'claim', 'form']),
  /** The JSON Schema of what the person fills in (a hand-over's organisations offered as choices). */
  form: z.record(z.string(), z.unknown()),
  /** The sign-offs this action may record: each with the payload that names it (round, and for whom it is signed). */
  targets: z.array(z.object({ label: z.string(), payload: z.record(z.string(), z.string()) })).optional(),
  /** A sign-off's decisions, with their Italian labels. */
  decisions: z.array(labelled).optional(),
});
export type CaseAction = z.infer<typeof caseActionSchema>;

export const caseProjectionSchema = z.object({
  caseRef: z.string(),
  kind: z.string(),
  version: z.string(),
  title: z.string(),
  status: z.enum(['active', 'done']),
  /** The top-level state, and every active leaf state, with their labels. */
  state: z.string(),
  stateLabel: z.string(),
  activeStates: z.array(z.object({ path: z.string(), label: z.string() })),
  outcome: z.string().optional(),
  nextDeadline: z.string().optional(),
  overdue: z.boolean(),
  startedAt: z.string(),
  startedBy: starterView,
  /** Read by breaking the glass: read-only, and recorded as such. */
  breakGlass: z.boolean(),
  actions: z.array(caseActionSchema),
  pendingSignoffs: z.array(
    z.object({
      round: z.string(),
      roundLabel: z.string(),
      candidateRole: z.string(),
      candidateRoleLabel: z.string(),
      /** The viewer's own role is the one awaited. */
      mine: z.boolean(),
      assignee: z.string().optional(),
      dueAt: z.string(),
      followUpAt: z.string(),
      priority: z.enum(['normal', 'high']),
      overdue: z.boolean(),
    }),
  ),
  rounds: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      openedAt: z.string(),
      dueAt: z.string(),
      closedAt: z.string().optional(),
      /** By the role each decision counts for. */
      decisions: z.record(
        z.string(),
        z.object({
          roleLabel: z.string(),
          decision: z.string(),
          decisionLabel: z.string(),
          signedBy: z.string(),
          signedByRole: z.string(),
          signedByRoleLabel: z.string(),
          /** A substitute signed in place of the role's evaluator. */
          substitute: z.boolean(),
          /** An operator recorded the signature of a party with no account. */
          recorded: z.boolean(),
          at: z.string(),
          notes: z.string().optional(),
        }),
      ),
    }),
  ),
  deadlines: z.array(z.object({ id: z.string(), label: z.string(), dueAt: z.string(), suspended: z.boolean(), overdue: z.boolean() })),
  timeline: z.array(
    z.object({
      at: z.string(),
      event: z.string(),
      label: z.string(),
      /** A sign-off's decision, when the entry records one. */
      decision: labelled.optional(),
      /** Who sent it; none for the system's own steps (timers, notifications). */
      actor: actorView.optional(),
      /** The top-level states left and entered, and the same in words. */
      from: z.string(),
      to: z.string(),
      transition: z.string(),
    }),
  ),
  alerts: z.array(z.object({ at: z.string(), kind: z.enum(['undeliverable', 'unstaffed']), message: z.string() })),
  /** The case data, without what the viewer may not read; and the same as the page shows it, field by field. */
  data: z.unknown(),
  dataFields: z.array(z.object({ label: z.string(), text: z.string(), depth: z.number() })),
  /** Mermaid source of the pathway's chart, active states highlighted. */
  diagram: z.string(),
});
export type CaseProjection = z.infer<typeof caseProjectionSchema>;

/** An organisation of the register a hand-over may name. */
export interface OrganisationChoice {
  id: string;
  name: string;
  type: string;
}

export interface ProjectionOptions {
  /** 'member': one of the pathway's roles in a co-owner; 'break-glass': anyone else with a stated reason, read-only. */
  access: 'member' | 'break-glass';
  /** The register's organisations, offered by the forms of hand-overs. */
  organisations: readonly OrganisationChoice[];
  /** ISO instant the viewer reads at: what is overdue, and the time the chart's guards are asked about. */
  now: string;
}

const internalEventLabels: Record<string, string> = {
  'xstate.init': 'Apertura del caso',
  'round.remind': 'Sollecito ai valutatori in ritardo',
  'round.escalate': 'Segnalazione del ritardo al coordinatore',
  'round.expire': 'Scadenza della valutazione',
  'deadline.expire': 'Termine scaduto',
  'notification.undeliverable': 'Notifica non recapitabile: indirizzo rifiutato',
  'notification.unstaffed': 'Notifica senza destinatari: nessun operatore con il ruolo',
};

/** The Italian label of an event as the timeline records it: the pathway's own, or the interpreter's. */
export function eventLabel(pathway: PathwayDefinition, type: string): string {
  if (pathway.events[type]) return pathway.events[type].label;
  if (Object.hasOwn(internalEventLabels, type)) return internalEventLabels[type]!;
  return type.startsWith('xstate.after.') ? 'Termine trascorso' : type;
}

const jsonSchemaOf = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
const formsByEvent = new WeakMap<EventDefinition, Record<string, unknown>>();
const dataSchemas = new WeakMap<PathwayDefinition, JsonSchemaNode>();

/** An event's form: its payload schema, with the register's organisations of the right type as a hand-over's choices. */
function eventForm(definition: EventDefinition, organisations: readonly OrganisationChoice[]): Record<string, unknown> {
  let schema = formsByEvent.get(definition);
  if (!schema) formsByEvent.set(definition, (schema = jsonSchemaOf(definition.schema)));
  const handsOver = definition.handsOver;
  const properties = schema.properties as Record<string, object> | undefined;
  const field = handsOver && properties?.[handsOver.field];
  if (!handsOver || !field) return schema;
  const choices = organisations
    .filter((organisation) => organisation.type === handsOver.organisationType)
    .map((organisation) => ({ const: organisation.id, title: organisation.name }));
  return { ...schema, properties: { ...properties, [handsOver.field]: { ...field, oneOf: choices } } };
}

function dataSchemaOf(pathway: PathwayDefinition): JsonSchemaNode {
  let schema = dataSchemas.get(pathway);
  if (!schema) dataSchemas.set(pathway, (schema = jsonSchemaOf(pathway.startSchema)));
  return schema;
}

const decisionSchema = z.object({ decision: z.enum(signoffDecisions), notes: z.string().optional() });
const decisionOptions = signoffDecisions.map((value) => ({ value, label: signoffDecisionLabels[value] }));
const decisionLabel = (value: string) => ({ value, label: signoffDecisionLabels[value as keyof typeof signoffDecisionLabels] ?? value });

/** The pathway's chart in the state the case is in: what the guards are asked about. */
export function resolveSnapshot(pathway: PathwayDefinition, state: Pick<CaseState, 'value' | 'context'>): AnyMachineSnapshot {
  return pathway.machine.resolveState({ value: state.value, context: state.context });
}

export function projectCase(pathway: PathwayDefinition, state: CaseState, viewer: Actor, options: ProjectionOptions): CaseProjection {
  const { now } = options;
  const member = options.access === 'member';
  // Breaking the glass gives a role of the pathway its need-to-know view still: an emergency does not make a host
  // company need a judicial measure.
  const concealed: ConcealedParts =
    viewer.role in pathway.roles ? concealedParts(pathway, viewer.role) : { states: new Set(), events: new Set(), roles: new Set() };
  // Notes are free text, and may hold anything: a role kept from any class reads the notes of its own sign-offs only.
  const readsAllNotes = restrictedClasses(pathway, viewer.role).length === 0;
  const roleLabel = (role: string) => pathway.roles[role] ?? (role === 'system' ? 'Sistema' : role);
  const stateLabel = (path: string) => pathway.stateLabels[path] ?? path;
  const shownState = (path: string): string => (concealed.states.has(path) ? shownState(path.slice(0, path.lastIndexOf('.'))) : path);
  const isOverdue = (iso: string | undefined) => state.status === 'active' && !!iso && iso < now;

  const context = state.context;
  const rounds: SignoffRound[] = Object.values(context.rounds ?? {});
  const openRounds = rounds.filter((round) => !round.closedAt);
  const clocks = Object.values(context.deadlines ?? {});
  const nextDeadline = [...openRounds.map((round) => round.dueAt), ...clocks.filter(isRunning).map((clock) => clock.dueAt)].sort().at(0);
  const top = topLevelState(state.value);

  const pending = openRounds.flatMap(pendingSignoffs).filter((task) => !concealed.roles.has(task.candidateRole));
  const actions = member && state.status === 'active' ? viewerActions(pathway, state, viewer, options, concealed, pending, roleLabel) : [];

  const alerts = state.alerts.flatMap((alert) => {
    const roles = alert.roles?.filter((alerted) => !concealed.roles.has(alerted));
    if (alert.roles && !roles?.length) return [];
    const message =
      alert.kind === 'unstaffed'
        ? `Nessun operatore disponibile per: ${(roles ?? []).map(roleLabel).join(', ') || 'ruolo non indicato'}`
        : `Notifica non recapitata a: ${(alert.operators ?? []).join(', ') || 'destinatari non indicati'}`;
    return [{ at: alert.at, kind: alert.kind, message }];
  });
  // An alert and its timeline entry share their instant: the entry of an alert left out goes with it.
  const shownAlertTimes = new Set(alerts.map((alert) => alert.at));
  const decisionsByEntry = new Map(
    rounds
      .flatMap((round) => [round, ...(round.earlier ?? [])])
      .flatMap((round) => Object.values(round.decisions).map((decision) => [`${decision.signedBy}@${decision.at}`, decision.decision])),
  );
  const stateName = (key: string) => stateLabel(shownState(key));
  const data = viewer.role in pathway.roles ? redactCaseData(pathway, viewer.role, context.data) : context.data;

  return {
    caseRef: state.caseRef,
    kind: pathway.kind,
    version: pathway.version,
    title: pathway.title,
    status: state.status,
    state: top,
    stateLabel: stateLabel(top),
    activeStates: [...new Set(leafPaths(state.value).map(shownState))].map((path) => ({ path, label: stateLabel(path) })),
    ...(context.outcome ? { outcome: context.outcome } : {}),
    ...(nextDeadline ? { nextDeadline } : {}),
    overdue: isOverdue(nextDeadline),
    startedAt: state.startedAt,
    startedBy: { ...context.coordinator, roleLabel: roleLabel(context.coordinator.role) },
    breakGlass: !member,
    actions,
    pendingSignoffs: pending.map((task) => ({
      round: task.round,
      roundLabel: task.roundLabel,
      candidateRole: task.candidateRole,
      candidateRoleLabel: roleLabel(task.candidateRole),
      mine: task.candidateRole === viewer.role,
      ...(task.assignee ? { assignee: task.assignee } : {}),
      dueAt: task.dueAt,
      followUpAt: task.followUpAt,
      priority: task.priority,
      overdue: isOverdue(task.dueAt),
    })),
    rounds: rounds.map((round) => ({
      id: round.spec.id,
      label: round.spec.label,
      openedAt: round.openedAt,
      dueAt: round.dueAt,
      ...(round.closedAt ? { closedAt: round.closedAt } : {}),
      decisions: Object.fromEntries(
        Object.entries(round.decisions)
          .filter(([signedFor, decision]) => !concealed.roles.has(signedFor) && !concealed.roles.has(decision.signedByRole))
          .map(([signedFor, decision]) => [
            signedFor,
            {
              roleLabel: roleLabel(signedFor),
              decision: decision.decision,
              decisionLabel: decisionLabel(decision.decision).label,
              signedBy: decision.signedBy,
              signedByRole: decision.signedByRole,
              signedByRoleLabel: roleLabel(decision.signedByRole),
              substitute: decision.substitute,
              recorded: !!decision.recorded,
              at: decision.at,
              ...(decision.notes !== undefined && (readsAllNotes || decision.signedByRole === viewer.role) ? { notes: decision.notes } : {}),
            },
          ]),
      ),
    })),
    deadlines: clocks
      .filter((clock) => !clock.stoppedAt)
      .map((clock) => ({
        id: clock.spec.id,
        label: clock.spec.label,
        dueAt: clock.dueAt,
        suspended: !!clock.suspendedAt,
        overdue: !clock.suspendedAt && isOverdue(clock.dueAt),
      })),
    timeline: state.timeline
      .filter(
        (entry) =>
          !concealed.events.has(entry.event) &&
          !(entry.actor && concealed.roles.has(entry.actor.role)) &&
          !(entry.event.startsWith('notification.') && !shownAlertTimes.has(entry.at)),
      )
      .map((entry) => {
        const decision = entry.event === 'signoff.submit' && entry.actor ? decisionsByEntry.get(`${entry.actor.id}@${entry.at}`) : undefined;
        return {
          at: entry.at,
          event: entry.event,
          label: eventLabel(pathway, entry.event),
          ...(decision ? { decision: decisionLabel(decision) } : {}),
          ...(entry.actor ? { actor: { ...entry.actor, roleLabel: roleLabel(entry.actor.role) } } : {}),
          from: entry.from && shownState(entry.from),
          to: shownState(entry.to),
          transition: !entry.from
            ? `Inizio in «${stateName(entry.to)}»`
            : entry.from === entry.to
              ? `Resta in «${stateName(entry.to)}»`
              : `${stateName(entry.from)} → ${stateName(entry.to)}`,
        };
      }),
    alerts,
    data,
    dataFields: dataFields(dataSchemaOf(pathway), data),
    diagram: mermaidDiagram(pathway, [...new Set(leafPaths(state.value).map(shownState))], viewer.role in pathway.roles ? concealed : undefined),
  };
}

/**
 * What the viewer may do now, each action asked of the same rule the case applies when it arrives (`eventRefusal`):
 * a sign-off or a claim for each task it may take (its own role's, a party's it records, an absent role's it may stand
 * in for), and every other event the chart accepts from its role. An event whose form can be sent empty is asked with
 * that payload, guards included; the others depend on what the person fills in, and the case answers when it arrives.
 */
function viewerActions(
  pathway: PathwayDefinition,
  state: CaseState,
  viewer: Actor,
  options: ProjectionOptions,
  concealed: ConcealedParts,
  /** The sign-offs still awaited that the viewer may know of. */
  tasks: readonly PendingSignoff[],
  roleLabel: (role: string) => string,
): CaseAction[] {
  const snapshot = resolveSnapshot(pathway, state);
  const accepts = (type: string, payload: unknown) =>
    'payload' in eventRefusal(pathway, snapshot, state.coOwners, { type, payload, actor: viewer }, options.now);
  const handled = new Set(snapshot._nodes.flatMap((node) => node.ownEvents));
  const targetsFor = (type: string, unclaimedOnly: boolean) =>
    tasks
      .filter((task) => !(unclaimedOnly && task.assignee))
      .flatMap((task) => {
        const own = task.candidateRole === viewer.role;
        const payload: Record<string, string> = { round: task.round, ...(own ? {} : { onBehalfOf: task.candidateRole }) };
        if (!accepts(type, type === 'signoff.submit' ? { ...payload, decision: 'approve' } : payload)) return [];
        const forWhom = own
          ? ''
          : (task.recordedBy ?? []).includes(viewer.role)
            ? ` — firma di: ${roleLabel(task.candidateRole)}`
            : ` — in sostituzione di: ${roleLabel(task.candidateRole)}`;
        return [{ label: `${task.roundLabel}${forWhom} (scadenza ${formatDate(task.dueAt)})`, payload }];
      });

  return Object.entries(pathway.events).flatMap(([type, definition]): CaseAction[] => {
    if (!handled.has(type) || concealed.events.has(type) || !definition.roles.includes(viewer.role)) return [];
    if (type === 'signoff.submit' || type === 'signoff.claim') {
      const targets = targetsFor(type, type === 'signoff.claim');
      if (!targets.length) return [];
      return type === 'signoff.submit'
        ? [{ type, label: definition.label, kind: 'signoff', form: jsonSchemaOf(decisionSchema), targets, decisions: decisionOptions }]
        : [{ type, label: definition.label, kind: 'claim', form: { type: 'object', properties: {} }, targets }];
    }
    const empty = definition.schema.safeParse({});
    if (empty.success && !accepts(type, empty.data)) return [];
    return [{ type, label: definition.label, kind: 'form', form: eventForm(definition, options.organisations) }];
  });
}
