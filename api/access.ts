import { descendants, sensitiveFields, type PathwayDefinition, type Sensitivity } from '../machines/pathway.js';
import type { CaseView } from '../workflows/messages.js';

/** Break-glass reasons are audited: they must say something. */
export const BREAK_GLASS_HEADER = 'x-break-glass-reason';
export const MIN_BREAK_GLASS_REASON = 15;

const fieldsByPathway = new Map<PathwayDefinition, [string, Sensitivity][]>();
function fieldsOf(pathway: PathwayDefinition): [string, Sensitivity][] {
  let fields = fieldsByPathway.get(pathway);
  if (!fields) fieldsByPathway.set(pathway, (fields = Object.entries(sensitiveFields(pathway.startSchema))));
  return fields;
}

/** The classes of sensitive data this role must not learn of on this pathway. */
function restrictedClasses(pathway: PathwayDefinition, role: string): Sensitivity[] {
  return Object.entries(pathway.restrictedFrom ?? {})
    .filter(([, roles]) => roles.includes(role))
    .map(([sensitivity]) => sensitivity as Sensitivity);
}

/**
 * The dotted paths ('children[].age') this role must not read on this pathway: the start form's fields of the classes
 * it is restricted from, and what the chart records that reveals those classes.
 */
export function hiddenFields(pathway: PathwayDefinition, role: string): string[] {
  const restricted = restrictedClasses(pathway, role);
  return [
    ...fieldsOf(pathway)
      .filter(([, sensitivity]) => restricted.includes(sensitivity))
      .map(([path]) => path),
    ...restricted.flatMap((sensitivity) => pathway.revealedBy?.[sensitivity]?.fields ?? []),
  ];
}

function without(value: unknown, path: string[]): unknown {
  if (value === null || typeof value !== 'object' || path.length === 0) return value;
  const [head, ...rest] = path as [string, ...string[]];
  if (head.endsWith('[]')) {
    const key = head.slice(0, -2);
    const list = (value as Record<string, unknown>)[key];
    if (!Array.isArray(list)) return value;
    return { ...value, [key]: list.map((item) => (rest.length ? without(item, rest) : item)) };
  }
  if (!(head in value)) return value;
  if (rest.length === 0) {
    const { [head]: _hidden, ...kept } = value as Record<string, unknown>;
    return kept;
  }
  return { ...value, [head]: without((value as Record<string, unknown>)[head], rest) };
}

/**
 * The case data as this role may read it: restricted fields are removed outright, as if never filled in, so that
 * what is hidden cannot be told from what is absent.
 */
export function redactCaseData(pathway: PathwayDefinition, role: string, data: unknown): unknown {
  return hiddenFields(pathway, role).reduce((current, path) => without(current, path.split('.')), data);
}

/** The parts of a pathway's chart a role must not learn of: those that reveal the classes it is restricted from. */
export interface ConcealedParts {
  /** The revealing states and every state inside them, dotted. */
  states: ReadonlySet<string>;
  /** The revealing events, and the timers and completions of the revealing states. */
  events: ReadonlySet<string>;
  roles: ReadonlySet<string>;
}

const concealedByPathway = new Map<PathwayDefinition, Map<string, ConcealedParts>>();

export function concealedParts(pathway: PathwayDefinition, role: string): ConcealedParts {
  const byRole = concealedByPathway.get(pathway) ?? new Map<string, ConcealedParts>();
  concealedByPathway.set(pathway, byRole);
  let parts = byRole.get(role);
  if (!parts) {
    const revealing = restrictedClasses(pathway, role).map((sensitivity) => pathway.revealedBy?.[sensitivity] ?? {});
    const roots = new Set(revealing.flatMap((part) => part.states ?? []));
    const inside = descendants(pathway.machine.root).filter((node) => node.path.some((_, i) => roots.has(node.path.slice(0, i + 1).join('.'))));
    parts = {
      states: new Set(inside.map((node) => node.path.join('.'))),
      events: new Set([
        ...revealing.flatMap((part) => part.events ?? []),
        // A revealing state's own timers reach the timeline as `xstate.after.<delay>.<state id>`.
        ...inside.flatMap((node) => node.ownEvents.filter((type) => type.startsWith('xstate.'))),
      ]),
      roles: new Set(revealing.flatMap((part) => part.roles ?? [])),
    };
    byRole.set(role, parts);
  }
  return parts;
}

/**
 * The case as a role on its pathway may see it: restricted fields left out (`redactCaseData`), and so are the states,
 * events and roles that would tell the role such fields exist. A state left out shows as its nearest shown ancestor:
 * the view has the same entries whether or not the case ever entered it.
 */
export function restrictedView(pathway: PathwayDefinition, role: string, view: CaseView): CaseView {
  const data = redactCaseData(pathway, role, view.data);
  const { states, events, roles } = concealedParts(pathway, role);
  // Notes are free text, and may hold anything: a role kept from any class reads the notes of its own sign-offs only.
  const readsAllNotes = restrictedClasses(pathway, role).length === 0;
  if (readsAllNotes && !states.size && !events.size && !roles.size) return { ...view, data };
  const shownState = (path: string): string => (states.has(path) ? shownState(path.slice(0, path.lastIndexOf('.'))) : path);
  const activeStates = [...new Set(view.activeStates.map(({ path }) => shownState(path)))].map((path) => ({
    path,
    label: pathway.stateLabels[path] ?? path,
  }));
  const alerts = view.alerts.flatMap((alert) => {
    const kept = alert.roles?.filter((alerted) => !roles.has(alerted));
    if (!kept || kept.length === alert.roles!.length) return [alert];
    return kept.length ? [{ ...alert, roles: kept }] : [];
  });
  // An alert and its timeline entry share their instant: the entry of an alert left out goes with it.
  const alertTimes = new Set(alerts.map((alert) => alert.at));
  const droppedAlertTimes = new Set(view.alerts.filter((alert) => !alertTimes.has(alert.at)).map((alert) => alert.at));
  return {
    ...view,
    data,
    activeStates,
    allowedEvents: view.allowedEvents.filter(({ type }) => !events.has(type)),
    pendingSignoffs: view.pendingSignoffs
      .filter((task) => !roles.has(task.candidateRole))
      .map(({ recordedBy, substitutes, ...task }) => {
        const recorders = recordedBy?.filter((recorder) => !roles.has(recorder));
        const stands = substitutes?.filter((substitute) => !roles.has(substitute));
        return { ...task, ...(recorders?.length ? { recordedBy: recorders } : {}), ...(stands?.length ? { substitutes: stands } : {}) };
      }),
    rounds: view.rounds.map((round) => ({
      ...round,
      decisions: Object.fromEntries(
        Object.entries(round.decisions)
          .filter(([signedFor, decision]) => !roles.has(signedFor) && !roles.has(decision.signedByRole))
          .map(([signedFor, { notes, ...decision }]) => [
            signedFor,
            notes !== undefined && (readsAllNotes || decision.signedByRole === role) ? { ...decision, notes } : decision,
          ]),
      ),
    })),
    timeline: view.timeline.filter(
      (entry) =>
        !events.has(entry.event) &&
        !(entry.actor && roles.has(entry.actor.role)) &&
        !(entry.event.startsWith('notification.') && droppedAlertTimes.has(entry.at)),
    ),
    alerts,
  };
}
