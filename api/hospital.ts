import { z } from 'zod';
import type { Actor } from '../machines/case.js';
import type { CaseService } from './cases.js';

/**
 * A hospital's discharge signal, the same whether it arrives as JSON (REST) or as an ADT message (api/hl7.ts): what a
 * hospital system knows when it plans or records a discharge. Everything else about the person (consent, clinical and
 * social needs) is gathered by the teams once the case is open.
 */

const text = (max: number, missing: string) => z.string({ error: missing }).trim().min(1, missing).max(max, `Al massimo ${max} caratteri`);

export const hospitalDischargeSchema = z.object({
  hospital: text(100, 'Indicare la struttura ospedaliera che invia la segnalazione'),
  encounterId: text(100, 'Indicare il numero di ricovero o di accesso'),
  event: z.enum(['pending-discharge', 'discharge'], { error: 'Indicare se la dimissione è prevista o avvenuta' }),
  plannedDischargeAt: z.iso.datetime({ offset: true, error: 'Data e ora della dimissione non valide' }),
  ward: z.object(
    {
      unit: text(200, 'Indicare il reparto o il Pronto Soccorso'),
      contactPerson: text(200, 'Indicare il referente del reparto').optional(),
      phone: z.string().trim().min(5, 'Indicare un recapito telefonico valido').max(30, 'Al massimo 30 caratteri').optional(),
    },
    { error: 'Indicare il reparto' },
  ),
  patient: z
    .object(
      {
        familyName: text(100, 'Indicare il cognome'),
        givenName: text(100, 'Indicare il nome'),
        birthDate: z.iso.date({ error: 'Data di nascita non valida' }).optional(),
        birthPlace: z.string().trim().max(100, 'Al massimo 100 caratteri').optional(),
        fiscalCode: z.string().trim().max(16, 'Il codice fiscale ha al massimo 16 caratteri').optional(),
        documents: z
          .array(
            z.object({
              kind: z.enum(['identity-card', 'passport', 'residence-permit', 'health-card', 'stp-card', 'other'], {
                error: 'Tipo di documento non previsto',
              }),
              number: z.string().trim().max(50, 'Al massimo 50 caratteri').optional(),
            }),
          )
          .max(10, 'Al massimo 10 documenti')
          .default([]),
        citizenship: text(100, 'Indicare la cittadinanza').optional(),
      },
      { error: 'Indicare i dati della persona' },
    )
    .meta({ sensitive: 'personal' }),
  homeless: z.boolean({ error: 'Indicare se la persona è senza dimora' }),
});

export type HospitalDischarge = z.infer<typeof hospitalDischargeSchema>;

export const hospitalDischargeOutcomeSchema = z.union([
  z.object({ outcome: z.literal('not-applicable') }),
  z.object({ outcome: z.enum(['started', 'existing']), caseRef: z.string() }),
]);
export type HospitalDischargeOutcome = z.infer<typeof hospitalDischargeOutcomeSchema>;

/** The homeless-discharge start data a hospital can give; consent is collected later (`consent.given`). */
function startDataOf(signal: HospitalDischarge) {
  const { familyName, givenName, birthDate, birthPlace, fiscalCode, documents, citizenship } = signal.patient;
  return {
    plannedDischargeAt: signal.plannedDischargeAt,
    wardContact: signal.ward,
    consentGiven: false,
    identity: { familyName, givenName, birthDate, birthPlace, fiscalCode, documents },
    citizenship,
    // The pathway's own "not known": a hospital's records say where a person lives, not their registry status.
    residence: { status: 'unknown' },
  };
}

/**
 * Opens the protected discharge of a homeless person, once per hospital encounter: the same signal again (or the
 * discharge after the pending discharge) reaches the same case. The encounter id is only hashed into the case
 * reference (`externalReference`), never stored or logged.
 */
export async function receiveHospitalDischarge(cases: CaseService, signal: HospitalDischarge, actor: Actor): Promise<HospitalDischargeOutcome> {
  if (!signal.homeless) return { outcome: 'not-applicable' };
  const { caseRef, created } = await cases.start({
    kind: 'homeless-discharge',
    data: startDataOf(signal),
    actor,
    externalKey: `${signal.hospital}:${signal.encounterId}`,
  });
  return { outcome: created ? 'started' : 'existing', caseRef };
}
