import { formatHl7DateTime, Hl7Context, Hl7Message, Hl7Segment, type Hl7Field } from '@medplum/core';
import { Hl7Connection, type Hl7ErrorEvent, type Hl7MessageEvent } from '@medplum/hl7';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import type { BaseLogger } from 'pino';
import { z } from 'zod';
import type { Actor } from '../machines/case.js';
import type { AuditLog, AuditRecord } from './audit.js';
import { fieldIssues } from '../machines/access.js';
import type { CaseService } from './cases.js';
import { CaseError } from './errors.js';
import { hospitalDischargeSchema, receiveHospitalDischarge, type HospitalDischarge } from './hospital.js';

/**
 * Hospital ADT messages over MLLP, turned into the hospital discharge signal (api/hospital.ts):
 * ADT^A16 (pending discharge) and ADT^A03 (discharge). Every message is answered with an ACK in original mode:
 *
 * | ACK | when |
 * |---|---|
 * | AA | a case was opened, or that encounter's case already exists, or the patient is not homeless |
 * | AE | a supported message whose content is invalid: MSA-3 and one ERR per problem (HL7 table 0357: 101, 102) |
 * | AR | unparseable, without a control id, a type other than ADT^A03/A16 (200, 201), or an internal failure (207) |
 *
 * Incoming ACKs are not answered. Every other message is recorded in the register of accesses before its ACK
 * leaves, like a discharge signalled over REST; when it cannot be recorded the answer is AR (207), so that the
 * hospital sends it again. Logs and the register carry the message type, sending facility, outcome and case reference
 * only: the patient's data and the encounter id never leave the message.
 */

const homelessRulePattern = /^([A-Z][A-Z0-9]{2})-(\d+)(?:\.(\d+))?~(.+)$/s;

/**
 * `SEG-field[.component]~regex`: the patient is homeless when the case-insensitive regex matches the component (or,
 * without one, any component) of any repetition of that field, e.g. `PID-11.1~senza fissa dimora|sfd`.
 * The default lives in worker/config.ts (RACCORDO_HL7_HOMELESS_RULE).
 */
export const homelessRuleSchema = z
  .string()
  .regex(homelessRulePattern, 'expected SEG-field[.component]~regex, e.g. PID-11.1~senza fissa dimora')
  .transform((rule, context) => {
    const [, segment, field, component, regex] = homelessRulePattern.exec(rule)!;
    try {
      return { segment: segment!, field: Number(field), component: component ? Number(component) : undefined, pattern: new RegExp(regex!, 'i') };
    } catch (error) {
      context.addIssue({ code: 'custom', message: `invalid regex: ${(error as Error).message}` });
      return z.NEVER;
    }
  });
export type HomelessRule = z.output<typeof homelessRuleSchema>;

export interface Hl7ListenerOptions {
  port: number;
  host: string;
  cases: CaseService;
  /** Who opens the cases: a system account with the `ward` role, recorded as the author of every message. */
  actor: Actor;
  /** The register of accesses (api/audit.ts) that the API writes too. */
  audit: Pick<AuditLog, 'append'>;
  /** The rule's text, as in RACCORDO_HL7_HOMELESS_RULE. */
  homelessRule: string;
  log: Pick<BaseLogger, 'info' | 'warn' | 'error'>;
}

export interface Hl7Listener {
  /** The port actually bound (useful when asked for port 0). */
  port: number;
  /** Stops accepting connections, answers the messages already received, then closes the connections. */
  close(): Promise<void>;
}

type Trigger = 'A03' | 'A16';
const eventOf: Record<Trigger, HospitalDischarge['event']> = { A03: 'discharge', A16: 'pending-discharge' };
const isTrigger = (value: string): value is Trigger => Object.hasOwn(eventOf, value);

type AckCode = 'AA' | 'AE' | 'AR';
type Outcome = 'started' | 'existing' | 'not-applicable' | 'invalid' | 'unsupported' | 'unparseable' | 'failed';

/** A problem to report in an ERR segment: HL7 table 0357 code, where (when known), and an Italian text. */
interface Problem {
  code: 101 | 102 | 200 | 201 | 207;
  location?: FieldLocation;
  text: string;
}
interface FieldLocation {
  segment: string;
  field: number;
  component?: number;
}

const errorNames: Record<Problem['code'], string> = {
  101: 'Required field missing',
  102: 'Data type error',
  200: 'Unsupported message type',
  201: 'Unsupported event code',
  207: 'Application internal error',
};

interface Answer {
  ack: AckCode;
  outcome: Outcome;
  text: string;
  problems?: Problem[];
  caseRef?: string;
}

// HL7 escape sequences, for the delimiters that may appear inside a value.
const escapes = { F: 'fieldSeparator', S: 'componentSeparator', T: 'subcomponentSeparator', R: 'repetitionSeparator' } as const;

function unescapeHl7(value: string, message: Hl7Message): string {
  const escape = message.context.escapeCharacter;
  return value.replace(new RegExp(`\\${escape}([FSTRE])\\${escape}`, 'g'), (_, code: keyof typeof escapes | 'E') =>
    code === 'E' ? escape : message.context[escapes[code]],
  );
}

function escapeHl7(text: string, message: Hl7Message): string {
  const { context } = message;
  const escape = context.escapeCharacter;
  let escaped = text.split(escape).join(`${escape}E${escape}`);
  for (const [code, separator] of Object.entries(escapes)) escaped = escaped.split(context[separator]).join(`${escape}${code}${escape}`);
  return escaped;
}

/** A field of the first segment with that name; undefined beyond the last field, whatever getField's type says. */
function fieldOf(message: Hl7Message, segment: string, field: number): Hl7Field | undefined {
  return message.getSegment(segment)?.getField(field) as Hl7Field | undefined;
}

/** One component's value (its first subcomponent, e.g. a surname without its prefix), unescaped; undefined when empty. */
function valueOf(message: Hl7Message, segment: string, field: number, component = 1): string | undefined {
  const raw = fieldOf(message, segment, field)?.components[0]?.[component - 1];
  const value = raw?.split(message.context.subcomponentSeparator)[0]?.trim();
  return value ? unescapeHl7(value, message) : undefined;
}

export function isHomeless(message: Hl7Message, rule: HomelessRule): boolean {
  const repetitions = fieldOf(message, rule.segment, rule.field)?.components ?? [];
  return repetitions.some((components) => {
    const candidates = rule.component === undefined ? components : [components[rule.component - 1] ?? ''];
    return candidates.some((candidate) => rule.pattern.test(unescapeHl7(candidate, message)));
  });
}

const hl7DateTimePattern = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(?:(\d{2})(?:\.\d{1,4})?)?)?([+-]\d{4})?$/;

const romeOffsetFormat = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Rome', timeZoneName: 'longOffset' });

/** Minutes east of UTC in Europe/Rome at an instant. Intl is fine here: unlike machines/calendar.ts, this is no workflow code. */
function romeOffsetMinutes(epochMs: number): number {
  const name = romeOffsetFormat.formatToParts(epochMs).find((part) => part.type === 'timeZoneName')?.value ?? '';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
}

const formatOffset = (minutes: number) => {
  const magnitude = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(magnitude / 60)).padStart(2, '0')}:${String(magnitude % 60).padStart(2, '0')}`;
};

/**
 * An HL7 DTM (20261123153000, 20261123153000+0100) as an ISO date-time with its offset; Europe/Rome when it has none.
 * A date without a time is its midnight: the earliest the discharge can be, so the referral's lead time is never
 * overstated. Undefined when the value is no real date.
 */
export function isoDateTimeOf(value: string): string | undefined {
  const match = hl7DateTimePattern.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour = '00', minute = '00', second = '00', zone] = match;
  const wallClockMs = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  const local = `${year}-${month}-${day}T${hour}:${minute}:${second}`;
  // Date.UTC rolls 2026-02-30 or 25:00 over; the round trip catches that.
  if (new Date(wallClockMs).toISOString().slice(0, 19) !== local) return undefined;
  if (zone) return `${local}${zone.slice(0, 3)}:${zone.slice(3)}`;
  // The offset at the wall-clock time read as UTC may be the wrong side of a switch: read it again at the instant found.
  const offset = romeOffsetMinutes(wallClockMs - romeOffsetMinutes(wallClockMs) * 60_000);
  return `${local}${formatOffset(offset)}`;
}

/** The date of an HL7 DTM (a birth date may carry a time), or undefined when it is no real date. */
const isoDateOf = (value: string) => isoDateTimeOf(value)?.slice(0, 10);

type DocumentKind = HospitalDischarge['patient']['documents'][number]['kind'];

/** PID-3 identifier types (HL7 table 0203) naming a document the person holds; hospital-internal ids are left out. */
const documentKinds: Record<string, DocumentKind> = { PPN: 'passport', HC: 'health-card', PRC: 'residence-permit' };
// Italy's codes for foreigners without a residence permit (Straniero Temporaneamente Presente) have no type of their own.
const stpCode = /^STP\d{13}$/i;

function identifiersOf(message: Hl7Message): Pick<HospitalDischarge['patient'], 'fiscalCode' | 'documents'> {
  let fiscalCode: string | undefined;
  const documents: { kind: DocumentKind; number: string }[] = [];
  for (const components of fieldOf(message, 'PID', 3)?.components ?? []) {
    const number = unescapeHl7(components[0] ?? '', message).trim();
    const type = (components[4] ?? '').toUpperCase();
    if (!number) continue;
    if (type === 'NNITA') fiscalCode = number;
    else if (stpCode.test(number)) documents.push({ kind: 'stp-card', number });
    else if (documentKinds[type]) documents.push({ kind: documentKinds[type], number });
  }
  return { fiscalCode, documents };
}

/** Where each field of the signal comes from, to point the sender at the field at fault. */
function sourcesOf(trigger: Trigger): Record<string, FieldLocation> {
  return {
    hospital: { segment: 'MSH', field: 4 },
    encounterId: { segment: 'PV1', field: 19 },
    plannedDischargeAt: trigger === 'A03' ? { segment: 'PV1', field: 45 } : { segment: 'PV2', field: 9 },
    'ward.unit': { segment: 'PV1', field: 3, component: 1 },
    'patient.familyName': { segment: 'PID', field: 5, component: 1 },
    'patient.givenName': { segment: 'PID', field: 5, component: 2 },
    'patient.birthDate': { segment: 'PID', field: 7 },
    'patient.birthPlace': { segment: 'PID', field: 23 },
    'patient.fiscalCode': { segment: 'PID', field: 3 },
    'patient.documents': { segment: 'PID', field: 3 },
    'patient.citizenship': { segment: 'PID', field: 26 },
  };
}

const locationText = (location: FieldLocation) => `${location.segment}-${location.field}${location.component ? `.${location.component}` : ''}`;

/** The signal as the message states it; unreadable dates are passed on as they are, for the schema to reject. */
function signalCandidate(message: Hl7Message, trigger: Trigger, homeless: boolean) {
  const dischargeAt = trigger === 'A03' ? valueOf(message, 'PV1', 45) : valueOf(message, 'PV2', 9);
  const birthDate = valueOf(message, 'PID', 7);
  return {
    hospital: valueOf(message, 'MSH', 4),
    encounterId: valueOf(message, 'PV1', 19),
    event: eventOf[trigger],
    plannedDischargeAt: dischargeAt && (isoDateTimeOf(dischargeAt) ?? dischargeAt),
    ward: { unit: valueOf(message, 'PV1', 3) },
    patient: {
      familyName: valueOf(message, 'PID', 5, 1),
      givenName: valueOf(message, 'PID', 5, 2),
      birthDate: birthDate && (isoDateOf(birthDate) ?? birthDate),
      birthPlace: valueOf(message, 'PID', 23),
      ...identifiersOf(message),
      citizenship: valueOf(message, 'PID', 26, 2) ?? valueOf(message, 'PID', 26, 1),
    },
    homeless,
  };
}

function problemsOf(issues: { path: string; message: string; missing: boolean }[], trigger: Trigger): Problem[] {
  const sources = Object.entries(sourcesOf(trigger));
  return issues.map((issue) => ({
    code: issue.missing ? 101 : 102,
    location: sources.find(([path]) => issue.path === path || issue.path.startsWith(`${path}.`))?.[1],
    text: issue.message,
  }));
}

const describe = (problems: Problem[]) =>
  problems.map((problem) => (problem.location ? `${locationText(problem.location)}: ${problem.text}` : problem.text)).join('; ');

/** Errors are logged by name and message: Temporal's and the engine's carry codes and references, never case data. */
const errorSummary = (error: unknown) => ({ name: (error as Error).name, message: (error as Error).message });

function internalFailure(): Answer {
  const problems: Problem[] = [{ code: 207, text: 'Errore interno: ritrasmettere il messaggio più tardi' }];
  return { ack: 'AR', outcome: 'failed', text: describe(problems), problems };
}

async function answerTo(message: Hl7Message, options: Hl7ListenerOptions, rule: HomelessRule): Promise<Answer> {
  const type = valueOf(message, 'MSH', 9, 1);
  const trigger = valueOf(message, 'MSH', 9, 2) ?? '';
  if (!valueOf(message, 'MSH', 10)) {
    const problems: Problem[] = [{ code: 101, location: { segment: 'MSH', field: 10 }, text: 'Manca l’identificativo del messaggio' }];
    return { ack: 'AR', outcome: 'unparseable', text: describe(problems), problems };
  }
  if (type !== 'ADT' || !isTrigger(trigger)) {
    const problems: Problem[] = [
      {
        code: type === 'ADT' ? 201 : 200,
        location: { segment: 'MSH', field: 9 },
        text: 'Sono accettati soltanto i messaggi ADT A03 (dimissione) e ADT A16 (dimissione prevista)',
      },
    ];
    return { ack: 'AR', outcome: 'unsupported', text: describe(problems), problems };
  }
  // Anyone else's discharge is none of our business: not validated, so the hospital never gets errors about it.
  if (!isHomeless(message, rule)) return { ack: 'AA', outcome: 'not-applicable', text: 'Dimissione non di competenza' };

  const signal = hospitalDischargeSchema.safeParse(signalCandidate(message, trigger, true));
  if (!signal.success) {
    const problems = problemsOf(
      signal.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message, missing: issue.code === 'invalid_type' })),
      trigger,
    );
    return { ack: 'AE', outcome: 'invalid', text: describe(problems), problems };
  }
  try {
    const result = await receiveHospitalDischarge(options.cases, signal.data, options.actor);
    if (result.outcome === 'not-applicable') return { ack: 'AA', outcome: result.outcome, text: 'Dimissione non di competenza' };
    const text = result.outcome === 'started' ? `Aperto il caso ${result.caseRef}` : `Caso ${result.caseRef} già aperto`;
    return { ack: 'AA', outcome: result.outcome, text, caseRef: result.caseRef };
  } catch (error) {
    // The pathway's own start schema may still refuse what the signal's schema let through.
    if (error instanceof CaseError && error.status === 400) {
      const issues = error.issues.length ? error.issues : [{ path: '', message: error.message }];
      const problems = problemsOf(
        issues.map((issue) => ({ ...issue, missing: false })),
        trigger,
      );
      return { ack: 'AE', outcome: 'invalid', text: describe(problems), problems };
    }
    options.log.error({ err: errorSummary(error) }, 'HL7 discharge signal failed');
    return internalFailure();
  }
}

const registerOutcome: Record<Outcome, AuditRecord['outcome']> = {
  started: 'ok',
  existing: 'ok',
  'not-applicable': 'ok',
  invalid: 'denied',
  unsupported: 'denied',
  unparseable: 'denied',
  failed: 'failed',
};

/** Only what looks like an identifier reaches the register: a message may put anything in any field. */
const identifier = /^[A-Za-z0-9_.^-]{1,60}$/;

/** `hl7:<outcome>:<message type>:<sending facility>`, the parts the message does not make readable left out. */
function auditDetail(outcome: Outcome, message?: Hl7Message): string {
  const parts = message ? [[valueOf(message, 'MSH', 9, 1), valueOf(message, 'MSH', 9, 2)].filter(Boolean).join('^'), valueOf(message, 'MSH', 4)] : [];
  const readable = parts.map((part) => (part && identifier.test(part) ? part : '-'));
  while (readable.at(-1) === '-') readable.pop();
  return ['hl7', outcome, ...readable].join(':');
}

function auditRecord(actor: Actor, outcome: Outcome, caseRef: string | undefined, message?: Hl7Message): AuditRecord {
  return {
    actor: { id: actor.id, role: actor.role, organisation: actor.organisation },
    action: 'case.start',
    caseRef,
    detail: auditDetail(outcome, message),
    outcome: registerOutcome[outcome],
  };
}

function errSegment(problem: Problem, message: Hl7Message): Hl7Segment {
  const { componentSeparator: sep } = message.context;
  const location = problem.location
    ? [problem.location.segment, '1', String(problem.location.field), '1', String(problem.location.component ?? '')].join(sep)
    : '';
  // ERR-2 location, ERR-3 HL7 error code, ERR-4 severity, ERR-8 message for people.
  return new Hl7Segment(
    ['ERR', '', location, [String(problem.code), errorNames[problem.code], 'HL70357'].join(sep), 'E', '', '', '', escapeHl7(problem.text, message)],
    message.context,
  );
}

function ackOf(message: Hl7Message, answer: Answer): Hl7Message {
  const ack = message.buildAck({ ackCode: answer.ack });
  ack.getSegment('MSA')!.setField(3, escapeHl7(answer.text, message));
  for (const problem of answer.problems ?? []) ack.setSegment(ack.segments.length, errSegment(problem, message));
  return ack;
}

/** The reply to bytes that are no HL7 message: there is no control id to acknowledge. */
function rejectionOfUnparseable(): Hl7Message {
  const context = new Hl7Context();
  const now = new Date();
  return new Hl7Message(
    [
      new Hl7Segment(['MSH', context.getMsh2(), 'RACCORDO', '', '', '', formatHl7DateTime(now), '', 'ACK', String(now.getTime()), 'P', '2.5'], context),
      new Hl7Segment(['MSA', 'AR', '', 'Il messaggio non è un messaggio HL7 leggibile'], context),
    ],
    context,
  );
}

const isParseFailure = (error: unknown) => (error as { type?: unknown } | undefined)?.type === 'entity.parse.failed';

/** Listens for ADT messages over MLLP and turns hospital discharges of homeless patients into cases. */
export async function startHl7Listener(options: Hl7ListenerOptions): Promise<Hl7Listener> {
  const rule = homelessRuleSchema.safeParse(options.homelessRule);
  if (!rule.success) {
    throw new Error(
      `RACCORDO_HL7_HOMELESS_RULE: ${fieldIssues(rule.error)
        .map((issue) => issue.message)
        .join('; ')}`,
    );
  }
  const { log } = options;
  // Each connection's messages are answered in the order they came: the last answer in the works, per connection.
  const inFlight = new Map<Hl7Connection, Promise<void>>();

  const reply = async (connection: Hl7Connection, message: Hl7Message) => {
    const type = valueOf(message, 'MSH', 9, 1);
    const messageType = [type, valueOf(message, 'MSH', 9, 2)].filter(Boolean).join('^');
    const controlId = valueOf(message, 'MSH', 10);
    // An acknowledgement is never acknowledged: two systems would answer each other forever.
    if (type === 'ACK') {
      log.warn({ messageType, controlId }, 'HL7 acknowledgement received and ignored');
      return;
    }
    let answer = await answerTo(message, options, rule.data);
    try {
      await options.audit.append(auditRecord(options.actor, answer.outcome, answer.caseRef, message));
    } catch (error) {
      // A message whose access cannot be recorded is not acknowledged: the hospital sends it again, and then it is.
      log.error({ err: errorSummary(error), messageType, controlId }, 'HL7 message not recorded in the register of accesses');
      answer = internalFailure();
    }
    log.info({ messageType, controlId, ack: answer.ack, outcome: answer.outcome, caseRef: answer.caseRef }, 'HL7 message answered');
    if (!connection.isClosed()) connection.send(ackOf(message, answer));
  };

  const server = createServer((socket) => {
    const connection = new Hl7Connection(socket);
    inFlight.set(connection, Promise.resolve());
    const enqueue = (work: () => Promise<void>) => {
      const next = inFlight
        .get(connection)!
        .then(work)
        .catch((error: unknown) => log.error({ err: errorSummary(error) }, 'HL7 reply failed'));
      inFlight.set(connection, next);
    };
    connection.addEventListener('message', (event: Hl7MessageEvent) => enqueue(() => reply(connection, event.message)));
    connection.addEventListener('error', (event: Hl7ErrorEvent) => {
      if (isParseFailure(event.error)) {
        log.warn({ outcome: 'unparseable', ack: 'AR' }, 'HL7 message unparseable');
        enqueue(async () => {
          // Refused either way: a register that cannot be written changes nothing in the answer.
          await options.audit
            .append(auditRecord(options.actor, 'unparseable', undefined))
            .catch((error: unknown) => log.error({ err: errorSummary(error) }, 'HL7 message not recorded in the register of accesses'));
          if (!connection.isClosed()) connection.send(rejectionOfUnparseable());
        });
      } else {
        log.warn({ err: errorSummary(event.error) }, 'HL7 connection error');
      }
    });
    connection.addEventListener('close', () => void inFlight.get(connection)?.then(() => inFlight.delete(connection)));
  });
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  log.info({ port }, 'HL7 listener started');

  return {
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(inFlight.values());
      await Promise.all([...inFlight.keys()].map((connection) => connection.close()));
      await closed;
    },
  };
}
