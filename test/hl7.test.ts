import { Hl7Message, Hl7Segment } from '@medplum/core';
import { Hl7Client, type Hl7MessageEvent } from '@medplum/hl7';
import { randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuditLog, verifyAuditLog, type AuditEntry } from '../api/audit.js';
import { CASE_PREFIX, externalReference } from '../api/cases.js';
import { startHl7Listener, type Hl7Listener } from '../api/hl7.js';
import { hospitalDischargeSchema } from '../api/hospital.js';
import type { Actor } from '../machines/case.js';
import { freePort } from '../scripts/services.js';
import { startCaseStack, testConfig, type CaseStack } from './support/harness.js';
import { personalValues } from './support/log-scan.js';
import { runLogFile } from './support/run-logs.js';
import { adtPatient } from './support/samples.js';

const hl7Actor: Actor = { id: 'hl7-listener', role: 'ward', organisation: 'hospital' };
const hospital = 'OSP-BRESCIA';
/** The listener logs as in production, through pino, into a log of the run that this file reads back. */
const listenerLog = runLogFile('hl7-listener');
/** The register of accesses it writes, this file's own. */
const register = runLogFile('hl7-register');
const entries = () =>
  readFileSync(register, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditEntry);

let stack: CaseStack;
let listener: Hl7Listener;
let client: Hl7Client;
beforeAll(async () => {
  stack = await startCaseStack('hl7');
  listener = await startHl7Listener({
    port: await freePort(),
    host: '127.0.0.1',
    cases: stack.cases,
    actor: hl7Actor,
    homelessRule: testConfig().RACCORDO_HL7_HOMELESS_RULE,
    log: pino(pino.destination({ dest: listenerLog, sync: true })),
    audit: await openAuditLog(register),
  });
  client = new Hl7Client({ host: '127.0.0.1', port: listener.port });
});
afterAll(async () => {
  await client?.close();
  await listener?.close();
  await stack?.stop();
});

/** A segment from its fields by HL7 position, e.g. `{ 5: 'Rossi^Mario' }` for PID-5. */
function segment(name: string, fields: Record<number, string>): string {
  const last = Math.max(...Object.keys(fields).map(Number));
  return [name, ...Array.from({ length: last }, (_, index) => fields[index + 1] ?? '')].join('|');
}

interface Adt {
  type?: string;
  visitNumber?: string;
  address?: string;
  dischargeAt?: string;
}

const hl7BirthDate = adtPatient.birthDate.replaceAll('-', '');

/** A real ADT message, the way an Italian hospital information system writes it. */
function adt({ type = 'ADT^A03^ADT_A03', visitNumber, address = 'SENZA FISSA DIMORA^^BRESCIA^^^^H', dischargeAt = '20261123153000' }: Adt) {
  const controlId = randomUUID().slice(0, 20);
  const trigger = type.split('^')[1] ?? '';
  const visit: Record<number, string> = { 1: '1', 2: 'I', 3: 'MED1^101^A^OSPBS' };
  if (visitNumber) visit[19] = visitNumber;
  if (trigger === 'A03') visit[45] = dischargeAt;
  const text = [
    `MSH|^~\\&|HIS|${hospital}|RACCORDO|COMUNE-BS|20261123120000||${type}|${controlId}|P|2.5`,
    segment('EVN', { 1: trigger, 2: '20261123120000' }),
    segment('PID', {
      1: '1',
      3: `${adtPatient.fiscalCode}^^^MEF^NNITA~4455667^^^OSPBS^MR~${adtPatient.documents[0]!.number}^^^ASST^PI`,
      5: `${adtPatient.familyName}^${adtPatient.givenName}^^^^^L`,
      7: hl7BirthDate,
      8: 'M',
      11: address,
      23: adtPatient.birthPlace,
      26: `100^${adtPatient.citizenship}^ISTAT`,
    }),
    segment('PV1', visit),
    ...(trigger === 'A16' ? [segment('PV2', { 9: dischargeAt })] : []),
  ].join('\r');
  return { message: Hl7Message.parse(text), controlId };
}

async function send(message: Hl7Message) {
  const ack = await client.sendAndWait(message, { timeoutMs: 30_000 });
  const msa = ack.getSegment('MSA');
  return {
    code: msa?.getField(1)?.toString(),
    controlId: msa?.getField(2)?.toString(),
    text: msa?.getField(3)?.toString() ?? '',
    errors: ack
      .getAllSegments('ERR')
      .map((err) => ({ location: err.getField(2)?.toString(), code: err.getField(3)?.getComponent(1), text: err.getField(8)?.toString() })),
  };
}

/** Bytes with no MSH segment: the parser fails, so the answer comes on the connection's own terms. */
async function sendGarbage(): Promise<Hl7Message> {
  const connection = await client.connect();
  const reply = new Promise<Hl7Message>((resolve) =>
    connection.addEventListener('message', (event: Hl7MessageEvent) => resolve(event.message), { once: true }),
  );
  connection.send(new Hl7Message([new Hl7Segment(['GARBAGE', 'nessun segmento MSH'])]));
  return reply;
}

const visitNumbers: string[] = [];
const newVisitNumber = () => {
  const visitNumber = `V${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  visitNumbers.push(visitNumber);
  return visitNumber;
};
const caseRefOf = (visitNumber: string) => externalReference(CASE_PREFIX, `${hospital}:${visitNumber}`);
const expectNoCase = (visitNumber: string) => expect(stack.cases.view(caseRefOf(visitNumber))).rejects.toMatchObject({ code: 'CaseNotFound' });

describe('hospital ADT messages over MLLP', () => {
  it('opens a homeless-discharge case for an ADT^A03 of a homeless patient, once however often it arrives', async () => {
    const visitNumber = newVisitNumber();
    const { message, controlId } = adt({ visitNumber });
    const first = await send(message);
    expect(first).toMatchObject({ code: 'AA', controlId, errors: [] });
    const caseRef = caseRefOf(visitNumber);
    expect(first.text).toBe(`Aperto il caso ${caseRef}`);
    expect(caseRef).not.toContain(visitNumber);

    const view = await stack.cases.view(caseRef);
    expect(view).toMatchObject({ kind: 'homeless-discharge', startedBy: hl7Actor });
    expect(view.data).toMatchObject({
      plannedDischargeAt: '2026-11-23T15:30:00+01:00',
      wardContact: { unit: 'MED1' },
      consentGiven: false,
      identity: {
        familyName: adtPatient.familyName,
        givenName: adtPatient.givenName,
        birthDate: adtPatient.birthDate,
        birthPlace: adtPatient.birthPlace,
        fiscalCode: adtPatient.fiscalCode,
        documents: adtPatient.documents,
      },
      citizenship: adtPatient.citizenship,
      residence: { status: 'unknown' },
    });
    expect(JSON.stringify(view.data)).not.toContain(visitNumber);

    const again = await send(message);
    expect(again).toMatchObject({ code: 'AA', text: `Caso ${caseRef} già aperto` });
    expect((await stack.cases.view(caseRef)).timeline).toHaveLength(view.timeline.length);
  });

  it('reaches the same case with the ADT^A16 pending discharge and then the ADT^A03 of the same encounter', async () => {
    const visitNumber = newVisitNumber();
    const pending = await send(adt({ type: 'ADT^A16^ADT_A16', visitNumber, dischargeAt: '20261127' }).message);
    const caseRef = caseRefOf(visitNumber);
    expect(pending).toMatchObject({ code: 'AA', text: `Aperto il caso ${caseRef}` });
    // A date without a time counts from its midnight, Rome time.
    expect((await stack.cases.view(caseRef)).data).toMatchObject({ plannedDischargeAt: '2026-11-27T00:00:00+01:00' });

    const discharged = await send(adt({ visitNumber, dischargeAt: '20261127101500+0100' }).message);
    expect(discharged).toMatchObject({ code: 'AA', text: `Caso ${caseRef} già aperto` });
  });

  it('accepts the discharge of a patient with a home, and opens nothing', async () => {
    const visitNumber = newVisitNumber();
    const answer = await send(adt({ visitNumber, address: 'Via Trieste 12^^Brescia^^25121^^H' }).message);
    expect(answer).toMatchObject({ code: 'AA', text: 'Dimissione non di competenza', errors: [] });
    await expectNoCase(visitNumber);
  });

  it('answers AE with the fields at fault, in Italian, when the content is invalid', async () => {
    const withoutVisitNumber = await send(adt({ dischargeAt: '20261340' }).message);
    expect(withoutVisitNumber.code).toBe('AE');
    expect(withoutVisitNumber.errors).toEqual([
      { location: 'PV1^1^19^1^', code: '101', text: 'Indicare il numero di ricovero o di accesso' },
      { location: 'PV1^1^45^1^', code: '102', text: 'Data e ora della dimissione non valide' },
    ]);
    expect(withoutVisitNumber.text).toBe('PV1-19: Indicare il numero di ricovero o di accesso; PV1-45: Data e ora della dimissione non valide');

    const visitNumber = newVisitNumber();
    const withoutName = Hl7Message.parse(adt({ visitNumber }).message.toString().replace(`${adtPatient.familyName}^${adtPatient.givenName}^^^^^L`, ''));
    expect(await send(withoutName)).toMatchObject({
      code: 'AE',
      errors: [
        { location: 'PID^1^5^1^1', code: '101', text: 'Indicare il cognome' },
        { location: 'PID^1^5^1^2', code: '101', text: 'Indicare il nome' },
      ],
    });
    await expectNoCase(visitNumber);
  });

  it('answers AR to an unsupported message type', async () => {
    const visitNumber = newVisitNumber();
    const admission = await send(adt({ type: 'ADT^A01^ADT_A01', visitNumber }).message);
    expect(admission).toMatchObject({ code: 'AR', errors: [{ location: 'MSH^1^9^1^', code: '201' }] });
    expect(admission.text).toContain('ADT A03 (dimissione) e ADT A16 (dimissione prevista)');
    await expectNoCase(visitNumber);
    expect(await send(adt({ type: 'ORU^R01^ORU_R01', visitNumber }).message)).toMatchObject({ code: 'AR', errors: [{ code: '200' }] });
  });

  it('answers AR to bytes that are no HL7 message, and keeps listening', async () => {
    const rejection = await sendGarbage();
    expect(rejection.getSegment('MSA')?.getField(1)?.toString()).toBe('AR');
    expect(rejection.getSegment('MSA')?.getField(3)?.toString()).toBe('Il messaggio non è un messaggio HL7 leggibile');

    const visitNumber = newVisitNumber();
    expect(await send(adt({ visitNumber, address: 'Via Trieste 12' }).message)).toMatchObject({ code: 'AA' });
  });

  it('records every message in the register of accesses before its ACK, refusals included, like a REST signal', async () => {
    const recordedBefore = entries().length;
    const from = new Date().toISOString();
    const visitNumber = newVisitNumber();
    const { message } = adt({ visitNumber });
    expect((await send(message)).code).toBe('AA');
    expect((await send(message)).code).toBe('AA');
    expect((await send(adt({ visitNumber: newVisitNumber(), address: 'Via Trieste 12' }).message)).code).toBe('AA');
    expect((await send(adt({ dischargeAt: '20261340' }).message)).code).toBe('AE');
    expect((await send(adt({ type: 'ORU^R01^ORU_R01', visitNumber: newVisitNumber() }).message)).code).toBe('AR');
    await sendGarbage();
    const to = new Date().toISOString();

    const recorded = entries().slice(recordedBefore);
    const caseRef = caseRefOf(visitNumber);
    expect(recorded.map(({ action, actor, caseRef, detail, outcome }) => ({ action, actor, caseRef, detail, outcome }))).toEqual([
      { action: 'case.start', actor: hl7Actor, caseRef, detail: `hl7:started:ADT^A03:${hospital}`, outcome: 'ok' },
      { action: 'case.start', actor: hl7Actor, caseRef, detail: `hl7:existing:ADT^A03:${hospital}`, outcome: 'ok' },
      { action: 'case.start', actor: hl7Actor, caseRef: undefined, detail: `hl7:not-applicable:ADT^A03:${hospital}`, outcome: 'ok' },
      { action: 'case.start', actor: hl7Actor, caseRef: undefined, detail: `hl7:invalid:ADT^A03:${hospital}`, outcome: 'denied' },
      { action: 'case.start', actor: hl7Actor, caseRef: undefined, detail: `hl7:unsupported:ORU^R01:${hospital}`, outcome: 'denied' },
      { action: 'case.start', actor: hl7Actor, caseRef: undefined, detail: 'hl7:unparseable', outcome: 'denied' },
    ]);
    for (const entry of recorded) expect(entry.at >= from && entry.at <= to, `${entry.at} within ${from}..${to}`).toBe(true);
    expect(await verifyAuditLog(register)).toMatchObject({ ok: true });
    const text = readFileSync(register, 'utf8');
    for (const personal of [...personalValues(hospitalDischargeSchema.shape.patient, adtPatient), hl7BirthDate, ...visitNumbers]) {
      expect(text).not.toContain(personal);
    }
  });

  it('answers AR when the access cannot be recorded, so that the hospital sends it again, and records the retransmission', async () => {
    const intact = readFileSync(register);
    // Another writer died halfway through a line: the register refuses to continue its chain.
    appendFileSync(register, '{"seq":');
    const visitNumber = newVisitNumber();
    const { message } = adt({ visitNumber });
    expect(await send(message)).toMatchObject({ code: 'AR', errors: [{ code: '207', text: 'Errore interno: ritrasmettere il messaggio più tardi' }] });

    writeFileSync(register, intact);
    expect(await send(message)).toMatchObject({ code: 'AA', text: `Caso ${caseRefOf(visitNumber)} già aperto` });
    expect(entries().at(-1)).toMatchObject({ caseRef: caseRefOf(visitNumber), detail: `hl7:existing:ADT^A03:${hospital}`, outcome: 'ok' });
  });

  it('logs message types, control ids, outcomes and case references, never the patient or the encounter', () => {
    const all = readFileSync(listenerLog, 'utf8');
    expect(all).toContain('"outcome":"started"');
    expect(all).toContain('"messageType":"ADT^A03"');
    // Besides the patient's sample: what only the message holds, in its own spelling.
    for (const personal of [...personalValues(hospitalDischargeSchema.shape.patient, adtPatient), hl7BirthDate, 'FISSA', 'Trieste', 'MED1', ...visitNumbers]) {
      expect(all).not.toContain(personal);
    }
  });
});
