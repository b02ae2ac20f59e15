import { and, assign, not } from 'xstate';
import { z } from 'zod';
import { eventTime, type CaseEvent } from './case.js';
import { caseContext, caseSetup, type CaseContext, type ClaimEvent, type DeadlineTimerEvent, type RoundTimerEvent, type SignoffEvent } from './case-setup.js';
import { choice } from './form.js';
import { definePathway, signoffEvents, type EventDefinition } from './pathway.js';
import { roundOutcome } from './signoff.js';

/**
 * Protected discharge of a person with no home (dimissione protetta di persona senza dimora), a LEPS: the ward or the
 * emergency room signals the person to the municipal service for severe adult marginality before the planned discharge;
 * the municipality checks it is competent, the hospital and the municipality assess the needs at discharge together, a
 * placement is found and confirmed by the receiving facility, and only then is the person discharged and followed up.
 * Out of office hours Pronto Intervento Sociale takes over and may find the placement itself.
 */

const text = (max: number, missing: string) => z.string().trim().min(1, missing).max(max, `Al massimo ${max} caratteri`);
const flag = (title: string) => z.boolean({ error: 'Indicare sì o no' }).meta({ title });

const placementType = choice('Tipo di collocazione', {
  'post-acute-homeless-unit': 'Struttura post-acuzie per persone senza dimora',
  'intermediate-care': 'Cure intermedie',
  'low-threshold-shelter': 'Dormitorio a bassa soglia',
  'temporary-housing': 'Alloggio temporaneo',
  'public-housing': 'Alloggio pubblico (Ufficio Casa)',
});
type PlacementType = z.infer<typeof placementType>;

const documentKinds = {
  'identity-card': 'Carta d’identità',
  passport: 'Passaporto',
  'residence-permit': 'Permesso di soggiorno',
  'health-card': 'Tessera sanitaria',
  'stp-card': 'Tesserino STP',
  other: 'Altro documento',
};

const startSchema = z.object({
  plannedDischargeAt: z.iso.datetime({ offset: true, error: 'Data e ora non valide' }).meta({ title: 'Data e ora previste della dimissione' }),
  wardContact: z
    .object({
      unit: text(200, 'Indicare il reparto o il Pronto Soccorso').meta({ title: 'Reparto o Pronto Soccorso' }),
      contactPerson: text(200, 'Indicare il referente del reparto').optional().meta({ title: 'Referente del reparto' }),
      phone: z.string().trim().min(5, 'Indicare un recapito telefonico valido').max(30).optional().meta({ title: 'Telefono del reparto' }),
    })
    .meta({ title: 'Contatto del reparto' }),
  consentGiven: flag('La persona acconsente alla dimissione protetta'),
  identity: z
    .object({
      familyName: text(100, 'Indicare il cognome').meta({ title: 'Cognome' }),
      givenName: text(100, 'Indicare il nome').meta({ title: 'Nome' }),
      birthDate: z.iso.date({ error: 'Data non valida' }).optional().meta({ title: 'Data di nascita' }),
      birthPlace: z.string().trim().max(100).optional().meta({ title: 'Luogo di nascita' }),
      fiscalCode: z.string().trim().max(16, 'Il codice fiscale ha al massimo 16 caratteri').optional().meta({ title: 'Codice fiscale' }),
      documents: z
        .array(
          z.object({
            kind: choice('Tipo di documento', documentKinds),
            number: z.string().trim().max(50).optional().meta({ title: 'Numero del documento' }),
          }),
        )
        .max(10)
        .default([])
        .meta({ title: 'Documenti in possesso' }),
    })
    .meta({ title: 'Identità e documenti', sensitive: 'personal' }),
  // Optional where a hospital's automatic signal (api/hospital.ts, HL7 ADT) cannot know the answer: the teams learn it
  // at the needs assessment.
  citizenship: text(100, 'Indicare la cittadinanza').optional().meta({ title: 'Cittadinanza', sensitive: 'personal' }),
  residencePermit: choice('Permesso di soggiorno', {
    'not-required': 'Non necessario (cittadino UE)',
    valid: 'Valido',
    'renewal-pending': 'In rinnovo',
    expired: 'Scaduto',
    none: 'Assente',
  })
    .optional()
    .meta({ sensitive: 'personal' }),
  residence: z
    .object({
      status: choice('Situazione anagrafica', {
        'registered-here': 'Residente nel Comune',
        'registered-elsewhere': 'Residente in altro Comune',
        'nominal-address': 'Residenza fittizia',
        none: 'Senza residenza',
        unknown: 'Non nota',
      }),
      municipality: z.string().trim().max(100).optional().meta({ title: 'Comune di residenza' }),
    })
    .meta({ title: 'Residenza', sensitive: 'personal' }),
  clinicalNeeds: z
    .object({
      summary: text(4000, 'Descrivere i bisogni alla dimissione').meta({ title: 'Terapie, autonomia e controlli previsti' }),
      autonomy: choice('Autonomia', {
        'self-sufficient': 'Autosufficiente',
        'partially-dependent': 'Parzialmente dipendente',
        dependent: 'Non autosufficiente',
      }),
    })
    .optional()
    .meta({ title: 'Bisogni clinici alla dimissione', sensitive: 'special-category' }),
  mentalHealth: z
    .object({
      activePsychiatricIllness: flag('Patologia psichiatrica in fase attiva'),
      followedByMentalHealthService: flag('In carico al CPS'),
    })
    .optional()
    .meta({ title: 'Salute mentale', sensitive: 'special-category' }),
  addiction: z
    .object({
      substanceUse: flag('Uso di sostanze o alcol'),
      followedByAddictionService: flag('In carico al SerD'),
    })
    .optional()
    .meta({ title: 'Dipendenze', sensitive: 'special-category' }),
  // pathways.md leaves mobility aids unclassified; a wheelchair reveals health, so it is protected like the clinical needs.
  mobilityAids: z
    .array(
      choice('Ausilio', {
        wheelchair: 'Carrozzina',
        walker: 'Deambulatore',
        crutches: 'Stampelle',
        other: 'Altro ausilio',
      }),
    )
    .max(4)
    .default([])
    .meta({ title: 'Ausili per la mobilità', sensitive: 'special-category' }),
});
type StartData = z.infer<typeof startSchema>;

const parametersSchema = z.object({
  referralLeadHours: z
    .number({ error: 'Indicare il numero di ore' })
    .int('Indicare un numero intero di ore')
    .min(1, 'Almeno un’ora')
    .max(168, 'Al massimo una settimana'),
});
type Parameters = z.infer<typeof parametersSchema>;

const followUpArea = choice('Ambito del follow-up', {
  'case-management': 'Presa in carico e case management',
  residence: 'Residenza anagrafica',
  benefits: 'Prestazioni e sostegni economici',
  'general-practitioner': 'Medico di medicina generale',
});

const noPayload = z.object({});
const reason = (missing: string) => z.object({ reason: text(1000, missing).meta({ title: 'Motivo', sensitive: 'personal' }) });

const events = {
  'competence.accepted': {
    schema: z.object({ nominalResidence: flag('Da attivare la residenza fittizia').default(false) }),
    roles: ['social-worker'],
    label: 'Competenza accettata dal Comune',
  },
  'competence.transferred': {
    schema: z.object({
      municipality: text(100, 'Indicare il Comune competente').meta({ title: 'Comune competente', sensitive: 'personal' }),
      /** The competent Comune, when it works in Raccordo: it finds the referral among its cases. */
      competentMunicipality: z.string().trim().max(100).optional().meta({ title: 'Comune competente registrato in Raccordo (se c’è)' }),
    }),
    roles: ['social-worker'],
    label: 'Trasferimento al Comune competente',
    handsOver: { field: 'competentMunicipality', organisationType: 'municipality' },
  },
  'assessment.reopened': {
    schema: noPayload,
    roles: ['social-worker', 'hospital-social-worker'],
    label: 'Riapertura della valutazione dei bisogni',
  },
  'consent.given': {
    schema: noPayload,
    roles: ['social-worker', 'hospital-social-worker'],
    label: 'Consenso della persona acquisito',
  },
  'placement.proposed': {
    schema: z.object({
      placementType,
      /** The facility that confirms the placement, when it has operators in Raccordo. */
      facility: z.string().trim().max(100).optional().meta({ title: 'Struttura registrata in Raccordo (se c’è)' }),
    }),
    roles: ['social-worker'],
    label: 'Proposta di collocazione',
    handsOver: { field: 'facility', organisationType: 'facility' },
  },
  'placement.confirmed': {
    schema: z.object({ placementType }),
    roles: ['receiving-facility', 'emergency-social-service'],
    label: 'Collocazione confermata',
  },
  'placement.declined': {
    schema: reason('Indicare il motivo del rifiuto'),
    roles: ['receiving-facility'],
    label: 'Collocazione non disponibile',
    handsBack: true,
  },
  'placement.waived': {
    schema: reason('Indicare il motivo per cui si dimette senza collocazione'),
    roles: ['social-worker'],
    label: 'Dimissione senza collocazione, motivata',
  },
  'handoff.emergency-service': {
    schema: noPayload,
    roles: ['ward', 'hospital-social-worker'],
    label: 'Affidamento al Pronto Intervento Sociale',
  },
  'handoff.returned': { schema: noPayload, roles: ['social-worker'], label: 'Ripresa in carico da parte del Comune' },
  'discharge.completed': { schema: noPayload, roles: ['ward'], label: 'Dimissione avvenuta' },
  'person.refused': {
    schema: noPayload,
    roles: ['ward', 'hospital-social-worker', 'social-worker'],
    label: 'La persona rifiuta la dimissione protetta',
  },
  'person.self-discharged': {
    schema: noPayload,
    roles: ['ward', 'hospital-social-worker'],
    label: 'La persona si allontana contro il parere medico',
  },
  'person.deceased': { schema: noPayload, roles: ['ward', 'hospital-social-worker', 'social-worker'], label: 'Decesso' },
  'followup.recorded': { schema: z.object({ area: followUpArea }), roles: ['social-worker'], label: 'Intervento di follow-up' },
  'case.closed': {
    schema: z.object({
      outcome: choice('Esito', {
        'stable-housing': 'Soluzione abitativa stabile',
        'in-care-of-services': 'In carico ai servizi territoriali',
        'lost-contact': 'Persona non più reperibile',
        'refused-follow-up': 'La persona rifiuta il follow-up',
        'moved-away': 'Trasferita in altro territorio',
      }),
    }),
    roles: ['social-worker'],
    label: 'Chiusura del follow-up',
  },
} as const satisfies Record<string, EventDefinition>;

type EventType = keyof typeof events;
type DischargeEvent = { [K in EventType]: CaseEvent<K, z.output<(typeof events)[K]['schema']>> }[EventType];
type AnyEvent = DischargeEvent | SignoffEvent | ClaimEvent | RoundTimerEvent | DeadlineTimerEvent;

/** What the case learns along the way, beside the signal itself; optional because the signal arrives without it. */
interface CaseRecord {
  referral?: { hoursBeforeDischarge: number; late: boolean };
  consentGivenAt?: string;
  competence?: { acceptedAt: string; nominalResidence: boolean };
  transferredTo?: string;
  placement?: {
    status: 'proposed' | 'declined' | 'confirmed' | 'waived';
    placementType?: PlacementType;
    reason?: string;
    confirmedByRole?: string;
    at: string;
  };
  emergencyHandoffAt?: string;
  dischargedAt?: string;
  followUp?: Partial<Record<z.infer<typeof followUpArea>, string>>;
}
type DischargeData = StartData & CaseRecord;
type Context = CaseContext<DischargeData, Parameters>;

const HOUR = 3_600_000;

/**
 * The protocol wants the referral `referralLeadHours` before the planned discharge. A late referral is never refused,
 * because the person must be helped all the same: it is marked, so that the teams see the hurry and the Ambito can
 * monitor the protocol. A flag rather than a deadline clock: the planned discharge is a fixed instant set by the ward,
 * and nothing in the chart waits for it.
 */
function referralTiming(data: StartData, referredAt: string, leadHours: number): NonNullable<CaseRecord['referral']> {
  const hours = (Date.parse(data.plannedDischargeAt) - Date.parse(referredAt)) / HOUR;
  return { hoursBeforeDischarge: Math.floor(hours), late: hours < leadHours };
}

/** What each event adds to the case record. */
function recorded(data: DischargeData, event: AnyEvent): DischargeData {
  const at = new Date(eventTime(event)).toISOString();
  switch (event.type) {
    case 'consent.given':
      return { ...data, consentGiven: true, consentGivenAt: at };
    case 'competence.accepted':
      return { ...data, competence: { acceptedAt: at, nominalResidence: event.payload.nominalResidence } };
    case 'competence.transferred':
      return { ...data, transferredTo: event.payload.municipality };
    case 'placement.proposed':
      return { ...data, placement: { status: 'proposed', placementType: event.payload.placementType, at } };
    case 'placement.confirmed':
      return {
        ...data,
        placement: { status: 'confirmed', placementType: event.payload.placementType, confirmedByRole: event.actor.role, at },
      };
    case 'placement.declined':
      return { ...data, placement: { ...data.placement, status: 'declined', reason: event.payload.reason, at } };
    case 'placement.waived':
      return { ...data, placement: { status: 'waived', reason: event.payload.reason, at } };
    case 'handoff.emergency-service':
      return { ...data, emergencyHandoffAt: at };
    case 'discharge.completed':
      return { ...data, dischargedAt: at };
    case 'followup.recorded':
      return { ...data, followUp: { ...data.followUp, [event.payload.area]: at } };
    default:
      return data;
  }
}

const assessors = ['physician', 'hospital-social-worker', 'social-worker'] as const;
const NEEDS_ASSESSMENT = 'needs-assessment';

const base = caseSetup<DischargeData, DischargeEvent, Parameters>();
const pathway = base.extend({
  actions: {
    record: assign(({ context, event }) => ({ data: recorded(context.data, event) })),
    closeWithOutcome: assign(({ event }) => (event.type === 'case.closed' ? { outcome: event.payload.outcome } : {})),
  },
  guards: {
    /** The discharge rule: a confirmed placement, or a waiver with its reason. */
    placementSettled: ({ context }) => context.data.placement?.status === 'confirmed' || context.data.placement?.status === 'waived',
    personConsented: ({ context }) => context.data.consentGiven,
    /**
     * Cure intermedie do not admit people with an active psychiatric illness. Unknown (a hospital's automatic signal)
     * does not block the proposal: the needs assessment came first, and the facility still confirms or declines.
     */
    placementSuitsPerson: ({ context, event }) =>
      event.type === 'placement.proposed' && (event.payload.placementType !== 'intermediate-care' || !context.data.mentalHealth?.activePsychiatricIllness),
    confirmsProposal: ({ context, event }) =>
      event.type === 'placement.confirmed' &&
      context.data.placement?.status === 'proposed' &&
      context.data.placement.placementType === event.payload.placementType,
    sentBy: ({ event }, params: { role: string }) => 'actor' in event && event.actor.role === params.role,
    competenceAccepted: ({ context }) => context.data.competence !== undefined,
    needsAssessed: ({ context }) => {
      const round = context.rounds[NEEDS_ASSESSMENT];
      return round !== undefined && roundOutcome(round) === 'approved';
    },
  },
});

const notify = (...roles: string[]) => ({ type: 'notify' as const, params: { roles } });
const endWith = (target: string, outcome: string) => ({ target, actions: { type: 'setOutcome' as const, params: { outcome } } });
const readyForDischarge = '#homeless-discharge.inHospital.readyForDischarge';
const waiver = { target: readyForDischarge, actions: 'record' as const };

const machine = pathway.createMachine({
  id: 'homeless-discharge',
  context: ({ input }): Context => {
    const context = caseContext<DischargeData, Parameters>(input);
    const referral = referralTiming(context.data, context.startedAt, context.settings.parameters.referralLeadHours);
    return { ...context, data: { ...context.data, referral } };
  },
  initial: 'inHospital',
  states: {
    inHospital: {
      initial: 'municipalService',
      on: {
        'discharge.completed': { guard: 'placementSettled', target: 'followUp', actions: 'record' },
        'consent.given': { guard: not('personConsented'), actions: 'record' },
        'person.refused': endWith('refused', 'refused'),
        'person.self-discharged': endWith('selfDischarged', 'self-discharged'),
      },
      states: {
        municipalService: {
          initial: 'competenceCheck',
          on: { 'handoff.emergency-service': { target: 'emergencyHandoff', actions: 'record' } },
          states: {
            competenceCheck: {
              entry: notify('social-worker'),
              on: {
                'competence.accepted': { target: 'needsAssessment', actions: 'record' },
                'competence.transferred': {
                  target: '#homeless-discharge.transferred',
                  actions: ['record', { type: 'setOutcome', params: { outcome: 'transferred' } }],
                },
              },
            },
            needsAssessment: {
              ...base.signoffRound(
                {
                  id: NEEDS_ASSESSMENT,
                  label: 'Valutazione dei bisogni alla dimissione',
                  roles: assessors,
                  quorum: 'all',
                  // The ward is waiting for the bed: the shortest round the working-day calendar allows.
                  deadlineWorkingDays: 2,
                  reminders: { firstAfterWorkingDays: 1, repeatEveryWorkingDays: 1, escalateAfterWorkingDays: 1 },
                  priority: 'high',
                },
                { approved: 'placementSearch', rejected: 'assessmentReview', expired: 'assessmentReview' },
              ),
            },
            assessmentReview: { on: { 'assessment.reopened': 'needsAssessment' } },
            placementSearch: {
              on: {
                'placement.proposed': {
                  guard: and(['personConsented', 'placementSuitsPerson']),
                  target: 'awaitingConfirmation',
                  actions: 'record',
                },
                'placement.waived': waiver,
              },
            },
            awaitingConfirmation: {
              entry: notify('receiving-facility'),
              on: {
                'placement.confirmed': {
                  guard: and([{ type: 'sentBy', params: { role: 'receiving-facility' } }, 'confirmsProposal']),
                  target: readyForDischarge,
                  actions: 'record',
                },
                'placement.declined': { target: 'placementSearch', actions: 'record' },
                'placement.waived': waiver,
              },
            },
          },
        },
        emergencyHandoff: {
          entry: notify('emergency-social-service'),
          on: {
            'placement.confirmed': {
              guard: { type: 'sentBy', params: { role: 'emergency-social-service' } },
              target: 'readyForDischarge',
              actions: 'record',
            },
            // The municipal service resumes in the morning where it had stopped.
            'handoff.returned': [
              { guard: not('competenceAccepted'), target: 'municipalService.competenceCheck' },
              { guard: not('needsAssessed'), target: 'municipalService.needsAssessment' },
              { target: 'municipalService.placementSearch' },
            ],
          },
        },
        readyForDischarge: { entry: notify('ward') },
      },
    },
    followUp: {
      entry: notify('social-worker'),
      on: {
        'followup.recorded': { actions: 'record' },
        'case.closed': { target: 'closed', actions: 'closeWithOutcome' },
      },
    },
    closed: { type: 'final' },
    refused: { type: 'final' },
    selfDischarged: { type: 'final' },
    transferred: { type: 'final' },
    deceased: { type: 'final' },
  },
  on: { 'person.deceased': endWith('.deceased', 'deceased') },
});

export const homelessDischarge = definePathway({
  kind: 'homeless-discharge',
  version: '1',
  title: 'Dimissione protetta di persona senza dimora',
  legacyCasePrefix: 'DSD',
  startSchema,
  person: {
    field: 'identity',
    identify: ({ identity }: StartData) => ({
      name: `${identity.familyName} ${identity.givenName}`,
      ...(identity.birthDate ? { birthDate: identity.birthDate } : {}),
      ...(identity.fiscalCode ? { fiscalCode: identity.fiscalCode } : {}),
      documents: identity.documents.map((document) => ({ ...document, label: documentKinds[document.kind] })),
    }),
  },
  parametersSchema,
  startRoles: ['ward', 'hospital-social-worker', 'social-worker'],
  roles: {
    ward: 'Reparto o Pronto Soccorso',
    physician: 'Medico che dimette',
    'hospital-social-worker': 'Assistente sociale ospedaliero',
    'social-worker': 'Assistente sociale del Comune',
    'receiving-facility': 'Struttura di accoglienza',
    'emergency-social-service': 'Pronto Intervento Sociale',
  },
  // The hospital's ASST with the Comune; a receiving facility once a placement there is proposed.
  organisations: ['hospital', 'municipality', 'health-authority'],
  events: { ...signoffEvents(assessors), ...events },
  stateLabels: {
    inHospital: 'In ospedale, dimissione da preparare',
    'inHospital.municipalService': 'In carico al servizio sociale del Comune',
    'inHospital.municipalService.competenceCheck': 'Verifica della competenza territoriale',
    'inHospital.municipalService.needsAssessment': 'Valutazione dei bisogni alla dimissione',
    'inHospital.municipalService.assessmentReview': 'Valutazione da rivedere',
    'inHospital.municipalService.placementSearch': 'Ricerca della collocazione',
    'inHospital.municipalService.awaitingConfirmation': 'In attesa di conferma della struttura',
    'inHospital.emergencyHandoff': 'Affidato al Pronto Intervento Sociale',
    'inHospital.readyForDischarge': 'Collocazione definita, dimissione possibile',
    followUp: 'Dimesso, in follow-up',
    closed: 'Chiuso',
    refused: 'Rifiutato dalla persona',
    selfDischarged: 'Allontanamento volontario',
    transferred: 'Trasferito al Comune competente',
    deceased: 'Deceduto',
  },
  machine,
});
