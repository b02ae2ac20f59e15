import type { z } from 'zod';
import { hospitalDischargeSchema } from '../../api/hospital.js';
import { b1b2Evaluation } from '../../machines/b1b2-evaluation.js';
import { hello } from '../../machines/hello.js';
import { homelessDischarge } from '../../machines/homeless-discharge.js';
import { jobPlacement } from '../../machines/job-placement.js';
import { violenceReferral } from '../../machines/violence-referral.js';

/**
 * The personal data that tests send to a running system, in one place. Each sample is declared with the schema it is
 * sent as, whose `.meta({ sensitive })` marks say which of its values are about the person: the global teardown looks
 * for exactly those values in every log of the run (test/support/log-scan.ts), and tests that check e-mails, Temporal
 * or the audit register for them read them from here. Pure chart tests (test/pathways/*.model.test.ts) keep their own
 * data: nothing they hold reaches a process that logs.
 */
export interface Sample {
  name: string;
  schema: z.ZodType;
  data: unknown;
}

const declared: Sample[] = [];
export const samples: readonly Sample[] = declared;

function sample<T>(name: string, schema: z.ZodType, data: T): T {
  declared.push({ name, schema, data });
  return data;
}

const HOUR = 3_600_000;
const hoursFromNow = (hours: number) => new Date(Date.now() + hours * HOUR).toISOString();

/** A TIS referral from the SerD, followed by its social worker, under a judicial measure. */
const serdReferralData = sample('job-placement referral', jobPlacement.startSchema, {
  person: { fullName: 'Davide Conti', fiscalCode: 'CNTDVD85M12F205Z' },
  referringService: 'addiction-service',
  caseManager: { name: 'Laura Bianchi', role: 'social-worker' },
  route: 'inclusion-internship',
  alreadyInCharge: true,
  inChargeSince: '2025-06-01',
  diagnosisCategory: 'substance-use',
  judicialMeasure: { measure: 'probation-to-social-services', probationContact: 'Dott. Rossi, UEPE di Milano', restrictions: 'Rientro entro le 22' },
  skills: 'Magazzino, patente B',
  isee: 6200,
  monthlyAllowance: 400,
});
export const serdReferral = (tisMonthsUsed: number) => ({ ...serdReferralData, tisMonthsUsed });
/** The person a job-placement referral is about: tests check that no message ever names them. */
export const referredPerson = serdReferralData.person;

/** The patient of the HL7 ADT messages, as the listener reads them out of PID. */
export const adtPatient = sample('HL7 ADT patient', hospitalDischargeSchema.shape.patient, {
  familyName: 'Rossi',
  givenName: 'Mario',
  birthDate: '1980-01-01',
  birthPlace: 'Milano',
  fiscalCode: 'RSSMRA80A01F205X',
  documents: [{ kind: 'stp-card', number: 'STP0170010000123' }],
  citizenship: 'Italiana',
});

const restPatient = sample('hospital discharge patient', hospitalDischargeSchema.shape.patient, { familyName: 'Bianchi', givenName: 'Carla' });

/** A demo hospital's pending discharge of a homeless patient, three days ahead. */
export const hospitalDischargeSignal = (encounterId: string, overrides: Record<string, unknown> = {}) => ({
  hospital: 'demo-hospital',
  encounterId,
  event: 'pending-discharge',
  plannedDischargeAt: hoursFromNow(72),
  ward: { unit: 'Medicina generale' },
  patient: restPatient,
  homeless: true,
  ...overrides,
});

const homelessReferralData = sample('homeless-discharge referral', homelessDischarge.startSchema, {
  wardContact: { unit: 'Medicina d’urgenza', contactPerson: 'Infermiera di turno', phone: '030 3995111' },
  consentGiven: true,
  identity: {
    familyName: 'Bianchi',
    givenName: 'Giuseppe',
    birthDate: '1968-04-12',
    documents: [{ kind: 'identity-card', number: 'CA00000AA' }],
  },
  citizenship: 'Italiana',
  residencePermit: 'not-required',
  residence: { status: 'none' },
  clinicalNeeds: { summary: 'Terapia antibiotica orale per sette giorni', autonomy: 'self-sufficient' },
  mentalHealth: { activePsychiatricIllness: false, followedByMentalHealthService: false },
  addiction: { substanceUse: false, followedByAddictionService: false },
});
/** A ward's referral of a homeless patient to be discharged in three days. */
export const homelessReferral = (overrides: Record<string, unknown> = {}) => ({
  plannedDischargeAt: hoursFromNow(72),
  ...homelessReferralData,
  ...overrides,
});
export const homelessPatient = homelessReferralData.identity;

const violenceReferralData = sample('violence-referral form', violenceReferral.startSchema, {
  entryChannel: 'emergency-room',
  pseudonym: 'Viola Esposito',
  safeContact: { mayBeContacted: true, how: 'Whatsapp della collega Anna, solo di mattina' },
  injuries: 'Frattura del setto nasale',
  abuser: { relation: 'former-partner', details: 'Luca Ferri' },
  complaintFiled: false,
  exOfficioOffence: true,
});
/** What the Pronto Soccorso nurse types in now: a pseudonym and a safe channel that no message may ever carry. */
export const violenceReferralForm = (overrides: Record<string, unknown> = {}) => ({
  referredAt: new Date().toISOString(),
  ...violenceReferralData,
  ...overrides,
});

/** Who a B1/B2 application is about: the pathway's tests date the applications themselves, within the call in force. */
export const b1b2Applicant = sample('b1b2-evaluation applicant', b1b2Evaluation.startSchema, {
  applicant: { fullName: 'Giulia Ferrari', fiscalCode: 'FRRGLI50A41D142X' },
  guardian: { fullName: 'Paolo Ferrari', fiscalCode: 'FRRPLA75B12D142Y', relationship: 'support-administrator' },
  residenceMunicipality: 'Crema',
});

/** One person known to two pathways: discharged from hospital, then applying for the B1/B2 allowance. */
export const personOfTwoPathways = sample('person of two pathways', homelessDischarge.startSchema.shape.identity, {
  familyName: 'Galli',
  givenName: 'Anna Maria',
  birthDate: '1957-03-14',
  fiscalCode: 'GLLNMR57C54F205K',
  documents: [],
});

/** A signal whose summary names a person and a street, as people write them. */
export const helloNamingPerson = sample('hello summary', hello.startSchema, { summary: 'Mario Rossi, via Roma 1' });
