import { z } from 'zod';
import './italian.js';
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { claimPayloadSchema, signoffPayloadSchema } from './signoff.js';

export interface EventDefinition {
  /** Validates the payload in the API, the form and the update validator alike. */
  schema: z.ZodType;
  /** The roles that may send it at all; the chart's guards decide whether it is allowed now. */
  roles: readonly string[];
  label: string;
  /**
   * The case is handed over to an organisation (a host company, a receiving facility): the payload field naming it
   * by its id in the register, and the type it must be of. From this event on, that organisation co-owns the case.
   */
  handsOver?: { field: string; organisationType: string };
  /**
   * The sender's organisation hands the case back (a host company declining it): it no longer co-owns the case, unless
   * it has from the start.
   */
  handsBack?: boolean;
}

export interface PathwayDefinition {
  kind: string;
  version: string;
  /** Italian, shown in lists and forms. */
  title: string;
  /**
   * The prefix of references this pathway issued before every case got the same neutral one (`RAC-`): a hospital's
   * signal for an encounter it opened then still reaches that case.
   */
  legacyCasePrefix?: string;
  startSchema: z.ZodObject;
  /** The effective-dated values the chart reads from `context.settings.parameters`, validated when a case starts. */
  parametersSchema?: z.ZodObject;
  /** Roles that may open a case of this pathway. */
  startRoles: readonly string[];
  /** Every role the pathway involves, with its Italian name. */
  roles: Readonly<Record<string, string>>;
  /**
   * The types of organisation that co-own each case (joint controllers) with the one that opens it: its partners of
   * these types under a protocol (activities/directory.ts). Events that hand the case over add others (`handsOver`).
   */
  organisations: readonly string[];
  /** Types that co-own a case only when its start data calls for them: UEPE only under a judicial measure. */
  organisationsWhen?: Readonly<Record<string, (data: never) => boolean>>;
  /**
   * Need-to-know: roles that take part in the pathway but must not see a class of sensitive fields (a host company
   * sees neither diagnoses nor judicial measures). The fields are left out of what those roles read, without a trace.
   */
  restrictedFrom?: Readonly<Partial<Record<Sensitivity, readonly string[]>>>;
  /**
   * What the chart itself tells about a class: the states (with everything inside them), events, roles and recorded
   * fields whose presence in a case shows that it holds data of that class (UEPE's reports to the judge show a
   * judicial measure). The roles restricted from the class see the case without them, as if the chart had none.
   */
  revealedBy?: Readonly<Partial<Record<Sensitivity, RevealingParts>>>;
  /**
   * Who the case is about, for the record's person (record/persons.ts). Absent: the case is about no one person.
   */
  person?: PersonDeclaration;
  events: Readonly<Record<string, EventDefinition>>;
  /** Italian label of every state, keyed by its dotted path ("evaluation", "activation.shelter"). */
  stateLabels: Readonly<Record<string, string>>;
  machine: AnyStateMachine;
}

/** A person as the record keeps them: encrypted, and found by blind indexes over the fiscal code and name + birth date. */
export interface PersonIdentity {
  /** As the form has it: "Rossi Mario", "Mario Rossi", or a pseudonym. */
  name: string;
  birthDate?: string;
  fiscalCode?: string;
  documents?: readonly { kind: string; /** Italian. */ label: string; number?: string }[];
}

export interface PersonDeclaration {
  /** The start form's field that holds the identity: who may read it may read the person's name and be shown the match. */
  field: string;
  identify(data: never): PersonIdentity;
  /** Known by a pseudonym only (the violence pathway): never searched for, never linked to another case. */
  pseudonymous?: boolean;
}

export interface RevealingParts {
  /** Dotted state paths, below the top level: the case is always in some top-level state, which is always shown. */
  states?: readonly string[];
  events?: readonly string[];
  roles?: readonly string[];
  /** Dotted paths of what the chart itself records in the case data (the start form's fields carry their own class). */
  fields?: readonly string[];
}

export const pathwayKey = (kind: string, version: string) => `${kind}@${version}`;

/** The two events every sign-off round accepts, open to the given evaluator roles. */
export function signoffEvents(roles: readonly string[]): Record<string, EventDefinition> {
  return {
    'signoff.submit': { schema: signoffPayloadSchema, roles, label: 'Firma della valutazione' },
    'signoff.claim': { schema: claimPayloadSchema, roles, label: 'Presa in carico del compito' },
  };
}

function handledEventTypes(node: AnyStateNode): string[] {
  return [...node.ownEvents, ...Object.values(node.states).flatMap((child: AnyStateNode) => handledEventTypes(child))];
}

const internalEvent = /^(xstate\.|round\.|deadline\.)/;

/**
 * Checks, when the module loads, what would otherwise fail months into a case: a state without an Italian label,
 * an event the chart handles that nobody may send, an event declared but never handled.
 */
export function definePathway<T extends PathwayDefinition>(definition: T): T {
  const where = pathwayKey(definition.kind, definition.version);
  const unlabelled = descendants(definition.machine.root)
    .map((node) => node.path.join('.'))
    .filter((path) => !(path in definition.stateLabels));
  if (unlabelled.length) throw new Error(`${where}: states without an Italian label: ${unlabelled.join(', ')}`);
  const handled = new Set(handledEventTypes(definition.machine.root).filter((type) => !internalEvent.test(type)));
  const undeclared = [...handled].filter((type) => !(type in definition.events));
  if (undeclared.length) throw new Error(`${where}: the chart handles events with no definition: ${undeclared.join(', ')}`);
  const unhandled = Object.keys(definition.events).filter((type) => !handled.has(type));
  if (unhandled.length) throw new Error(`${where}: events defined but handled by no state: ${unhandled.join(', ')}`);
  const unknownRoles = Object.values(definition.events)
    .flatMap((event) => event.roles)
    .concat(definition.startRoles)
    .filter((role) => !(role in definition.roles));
  if (unknownRoles.length) throw new Error(`${where}: roles without a name: ${[...new Set(unknownRoles)].join(', ')}`);
  checkRevealingParts(where, definition);
  const badHandOvers = Object.entries(definition.events)
    .filter(([, event]) => event.handsOver && !(event.schema instanceof z.ZodObject && event.handsOver.field in event.schema.shape))
    .map(([type]) => type);
  if (badHandOvers.length) throw new Error(`${where}: events hand over through a field their payload lacks: ${badHandOvers.join(', ')}`);
  // Keys here arrive from outside (an event type, a role): without a prototype, 'valueOf' or 'constructor' finds nothing.
  return {
    ...definition,
    events: lookupTable(definition.events),
    stateLabels: lookupTable(definition.stateLabels),
    roles: lookupTable(definition.roles),
  };
}

/** Events every sign-off round and deadline handles: their view entries (rounds, deadlines, timeline) name no state. */
const stateless = /^(round|deadline)\./;

/**
 * A revealing part the view could not leave out would be a trace: a top-level state (the case is always in one), a
 * state holding a round or a deadline, a name the pathway does not have.
 */
function checkRevealingParts(where: string, definition: PathwayDefinition): void {
  const nodes = new Map(descendants(definition.machine.root).map((node) => [node.path.join('.'), node]));
  for (const [sensitivity, parts] of Object.entries(definition.revealedBy ?? {})) {
    const problems = [
      ...(parts.states ?? []).flatMap((path) => {
        const node = nodes.get(path);
        if (!node) return [`no state ${path}`];
        if (node.parent === definition.machine.root) return [`${path} is a top-level state`];
        const timed = [node, ...descendants(node)].flatMap((inner) => inner.ownEvents).filter((type) => stateless.test(type));
        return timed.length ? [`${path} holds a sign-off round or deadline (${[...new Set(timed)].join(', ')})`] : [];
      }),
      ...(parts.events ?? []).filter((type) => !(type in definition.events)).map((type) => `no event ${type}`),
      ...(parts.roles ?? []).filter((role) => !(role in definition.roles)).map((role) => `no role ${role}`),
    ];
    if (problems.length) throw new Error(`${where}: what reveals ${sensitivity} cannot be left out of the view: ${problems.join('; ')}`);
  }
}

/** Every state below a node, parents before children, in the order the chart declares them. */
export function descendants(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states).flatMap((child: AnyStateNode) => [child, ...descendants(child)]);
}

function lookupTable<T extends object>(record: T): T {
  return Object.assign(Object.create(null) as T, record);
}

/** GDPR classes of a form field: personal (S), special category (art. 9, A9), criminal data (art. 10). */
export type Sensitivity = 'personal' | 'special-category' | 'criminal';

type JsonSchemaNode = { properties?: Record<string, JsonSchemaNode>; items?: JsonSchemaNode; sensitive?: Sensitivity; anyOf?: JsonSchemaNode[] };

/** Dotted paths of the fields marked `.meta({ sensitive })`, for redaction, logs and forms ('children[].age'). */
export function sensitiveFields(schema: z.ZodType): Record<string, Sensitivity> {
  const found: Record<string, Sensitivity> = {};
  const walk = (node: JsonSchemaNode, path: string) => {
    if (node.sensitive && path) found[path] = node.sensitive;
    for (const [key, child] of Object.entries(node.properties ?? {})) walk(child, path ? `${path}.${key}` : key);
    if (node.items) walk(node.items, `${path}[]`);
    for (const option of node.anyOf ?? []) walk(option, path);
  };
  walk(z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as JsonSchemaNode, '');
  return found;
}
