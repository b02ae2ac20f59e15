import type { AnyMachineSnapshot } from 'xstate';
import type { z } from 'zod';
import type { Actor } from './case.js';
import { topLevelState, type EventRequest } from './case-state.js';
import { descendants, sensitiveFields, type PathwayDefinition, type Sensitivity } from './pathway.js';

/**
 * Who may reach, read and act on a case: the rules, each in one place. The workflow's update validator, the
 * projection (machines/projection.ts) and the API's lists all ask here.
 */

/** Break-glass reasons are audited: they must say something. */
export const MIN_BREAK_GLASS_REASON = 15;

const fieldsByPathway = new Map<PathwayDefinition, [string, Sensitivity][]>();
function fieldsOf(pathway: PathwayDefinition): [string, Sensitivity][] {
  let fields = fieldsByPathway.get(pathway);
  if (!fields) fieldsByPathway.set(pathway, (fields = Object.entries(sensitiveFields(pathway.startSchema))));
  return fields;
}

/** The classes of sensitive data this role must not learn of on this pathway. */
export function restrictedClasses(pathway: PathwayDefinition, role: string): Sensitivity[] {
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

/**
 * Whether this role may read who a case of this pathway is about: it takes part in the pathway and is kept from no part
 * of the person's field. Only then does it see names in lists, find cases by name or fiscal code, or see a match.
 */
export function mayReadIdentity(pathway: PathwayDefinition, role: string): boolean {
  const field = pathway.person?.field;
  if (!field || !(role in pathway.roles)) return false;
  return !hiddenFields(pathway, role).some((path) => path === field || path.startsWith(`${field}.`) || field.startsWith(`${path}.`));
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
 * Whether an organisation may reach a case (read it, act on it, hear of it): only its co-owners may, except on cases
 * opened before co-ownership, which record none.
 */
export const coOwnedBy = (coOwners: readonly string[] | undefined, organisation: string): boolean => !coOwners || coOwners.includes(organisation);

export interface FieldIssue {
  path: string;
  message: string;
}

export const fieldIssues = (error: z.ZodError): FieldIssue[] => error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));

/** Why a case or an event is refused: a stable code (the API maps each to its HTTP status), an Italian message. */
export const refusalCodes = {
  /** To an organisation that does not co-own it, the case does not exist. */
  notFound: 'CaseNotFound',
  roleNotAllowed: 'RoleNotAllowed',
  breakGlassReasonTooShort: 'BreakGlassReasonTooShort',
  unknownEvent: 'UnknownEvent',
  invalidPayload: 'InvalidPayload',
  notAllowedNow: 'NotAllowedNow',
} as const;
export type RefusalCode = (typeof refusalCodes)[keyof typeof refusalCodes];
export const isRefusalCode = (code: string | null | undefined): code is RefusalCode => (Object.values(refusalCodes) as string[]).includes(code ?? '');

export interface Refusal {
  code: RefusalCode;
  message: string;
  issues?: FieldIssue[];
}

/** To anyone it is hidden from, and for a reference no case has, the same answer. */
export const notFound = (caseRef: string): Refusal => ({ code: refusalCodes.notFound, message: `Caso ${caseRef} non trovato` });

/** A break-glass reason must say something; checked before the case is looked up, so that it tells nothing of it. */
export function breakGlassReasonRefusal(breakGlassReason: string | undefined): Refusal | undefined {
  const reason = breakGlassReason?.trim();
  if (reason === undefined || reason.length >= MIN_BREAK_GLASS_REASON) return undefined;
  return {
    code: refusalCodes.breakGlassReasonTooShort,
    message: `La motivazione dell’accesso di emergenza deve avere almeno ${MIN_BREAK_GLASS_REASON} caratteri`,
  };
}

/**
 * How a viewer reads a case: as one of its pathway's roles in a co-owner ('member'), or by breaking the glass with a
 * stated reason, read-only. The reason is checked first, so that a refusal for it says nothing of whether the case exists.
 */
export type ReadAccess = { mode: 'member' | 'break-glass' } | { refusal: Refusal };

export function readAccess(
  pathway: PathwayDefinition,
  caseRef: string,
  coOwners: readonly string[] | undefined,
  viewer: Actor,
  breakGlassReason?: string,
): ReadAccess {
  const tooShort = breakGlassReasonRefusal(breakGlassReason);
  if (tooShort) return { refusal: tooShort };
  const reason = breakGlassReason?.trim();
  const member = coOwnedBy(coOwners, viewer.organisation) && viewer.role in pathway.roles;
  if (member) return { mode: 'member' };
  if (reason) return { mode: 'break-glass' };
  if (!coOwnedBy(coOwners, viewer.organisation)) return { refusal: notFound(caseRef) };
  return {
    refusal: {
      code: refusalCodes.roleNotAllowed,
      message: 'Il tuo ruolo non partecipa a questo percorso: l’accesso di emergenza richiede una motivazione',
    },
  };
}

/** The fields through which each event of a pathway hands the case over to another organisation. */
export function handOverFields(pathways: readonly PathwayDefinition[], eventType: string): string[] {
  return [...new Set(pathways.flatMap((pathway) => pathway.events[eventType]?.handsOver?.field ?? []))];
}

/**
 * Whether the case accepts this event from this actor now, in the order a person would want to be told: the case
 * exists for them, the event exists, its payload is valid (hand-overs included), their role may send it, and the chart
 * accepts it in its current state, guards included. The parsed payload when it does.
 */
export function eventRefusal(
  pathway: PathwayDefinition,
  snapshot: AnyMachineSnapshot,
  coOwners: readonly string[] | undefined,
  request: EventRequest,
  at: string,
): { refusal: Refusal } | { payload: unknown } {
  const caseRef = (snapshot.context as { caseRef: string }).caseRef;
  if (!coOwnedBy(coOwners, request.actor.organisation)) return { refusal: notFound(caseRef) };
  const definition = pathway.events[request.type];
  if (!definition) return { refusal: { code: refusalCodes.unknownEvent, message: `Evento sconosciuto: ${request.type}` } };
  const parsed = definition.schema.safeParse(request.payload);
  const invalid = (issues: FieldIssue[]) => ({ refusal: { code: refusalCodes.invalidPayload, message: 'Dati dell’evento non validi', issues } });
  if (!parsed.success) return invalid(fieldIssues(parsed.error));
  const handsOver = definition.handsOver;
  const named = handsOver && (parsed.data as Record<string, unknown>)[handsOver.field];
  if (handsOver && typeof named === 'string' && named !== '' && request.registered?.[named] !== handsOver.organisationType) {
    return invalid([{ path: handsOver.field, message: 'Organizzazione non presente nel registro, o di un tipo diverso da quello richiesto' }]);
  }
  if (!definition.roles.includes(request.actor.role)) {
    return {
      refusal: {
        code: refusalCodes.roleNotAllowed,
        message: `Il ruolo ${pathway.roles[request.actor.role] ?? request.actor.role} non può inviare l’evento «${definition.label}»`,
      },
    };
  }
  if (snapshot.status !== 'active' || !snapshot.can({ type: request.type, payload: parsed.data, actor: request.actor, at } as never)) {
    return {
      refusal: {
        code: refusalCodes.notAllowedNow,
        message: `L’azione «${definition.label}» non è ammessa nello stato attuale del caso (${stateLabel(pathway, snapshot)})`,
      },
    };
  }
  return { payload: parsed.data };
}

const stateLabel = (pathway: PathwayDefinition, snapshot: AnyMachineSnapshot): string => {
  const key = topLevelState(snapshot.value);
  return pathway.stateLabels[key] ?? key;
};
