import { z } from 'zod';
import { and, assertEvent, assign, not, stateIn } from 'xstate';
import type { CaseEvent } from './case.js';
import { caseContext, caseSetup, type CaseContext } from './case-setup.js';
import { choice } from './form.js';
import { definePathway, signoffEvents, type EventDefinition } from './pathway.js';

/**
 * Gender-violence case referral (contrasto alla violenza di genere), pathways.md §1.
 *
 * Everything runs at once inside `active`: the legal report, which the law requires whatever she decides; her
 * protection (risk, protected observation, shelter); the referrals to CAV, social services and consultorio, each
 * waiting for its own consent; Tutela Minori when she has children; the interventions. The woman is never a
 * recipient: she is contacted only by operators, through the safe channel she declared.
 */

const roles = {
  physician: 'Medico',
  nurse: 'Infermiere',
  'cav-operator': 'Operatrice del Centro Antiviolenza',
  'social-worker': 'Assistente sociale',
  'social-service-head': 'Responsabile del servizio sociale',
  psychologist: 'Psicologo del consultorio',
  'child-protection': 'Tutela Minori',
} as const;
type Role = keyof typeof roles;

/** Whoever meets her first may open the case or record what she says; police and 1522 reach Raccordo through them. */
const frontLine = ['physician', 'nurse', 'cav-operator', 'social-worker', 'psychologist'] as const satisfies readonly Role[];

/** The services she must consent to, each separately, before anything about her reaches them. */
const consentLabels = {
  cav: 'Consenso all’invio al Centro Antiviolenza',
  socialServices: 'Consenso alla condivisione con i servizi sociali',
  consultorio: 'Consenso alla condivisione con il consultorio',
};
type Service = keyof typeof consentLabels;

const startSchema = z.object({
  entryChannel: z
    .enum(['emergency-room', 'cav', 'social-services', 'consultorio', 'police', 'helpline-1522'], { error: 'Indicare il canale di accesso' })
    .meta({ title: 'Canale di accesso (Pronto Soccorso – Percorso Rosa, CAV, servizi sociali, consultorio, forze dell’ordine, 1522)' }),
  referredAt: z.iso.datetime({ offset: true, error: 'Data e ora non valide' }).meta({ title: 'Data e ora della segnalazione' }),
  pseudonym: z
    .string()
    .trim()
    .min(1, 'Indicare uno pseudonimo o l’identità')
    .max(200, 'Al massimo 200 caratteri')
    .meta({ title: 'Pseudonimo o identità', sensitive: 'personal' }),
  safeContact: z
    .object({
      mayBeContacted: z.boolean({ error: 'Indicare se può essere contattata' }).meta({ title: 'Può essere contattata' }),
      how: z.string().trim().max(500, 'Al massimo 500 caratteri').optional().meta({ title: 'Come contattarla senza che l’autore se ne accorga' }),
    })
    .refine((contact) => !contact.mayBeContacted || !!contact.how, { message: 'Indicare come contattarla in sicurezza', path: ['how'] })
    .meta({ title: 'Canale di contatto sicuro', sensitive: 'personal' }),
  children: z
    .array(z.object({ age: z.int('Età non valida').min(0, 'Età non valida').max(17, 'Indicare solo i figli minorenni').meta({ title: 'Età' }) }))
    .default([])
    .meta({ title: 'Figli minori', sensitive: 'personal' }),
  injuries: z.string().trim().max(2000, 'Al massimo 2000 caratteri').optional().meta({ title: 'Lesioni', sensitive: 'special-category' }),
  abuser: z
    .object({
      relation: z
        .enum(['partner', 'former-partner', 'family-member', 'acquaintance', 'stranger'], { error: 'Indicare la relazione con l’autore' })
        .meta({ title: 'Relazione con l’autore' }),
      details: z.string().trim().max(2000, 'Al massimo 2000 caratteri').optional().meta({ title: 'Dati dell’autore' }),
    })
    .meta({ title: 'Autore delle violenze', sensitive: 'personal' }),
  complaintFiled: z.boolean({ error: 'Indicare se è stata presentata denuncia' }).meta({ title: 'Denuncia presentata', sensitive: 'criminal' }),
  exOfficioOffence: z
    .boolean({ error: 'Indicare se il reato è procedibile d’ufficio' })
    .meta({ title: 'Reato procedibile d’ufficio (obbligo di referto)', sensitive: 'criminal' }),
  residencePermit: z
    .enum(['not-needed', 'valid', 'expired', 'none', 'unknown'], { error: 'Situazione del permesso non valida' })
    .optional()
    .meta({ title: 'Permesso di soggiorno', sensitive: 'personal' }),
  consents: z
    .object({
      cav: z.boolean().default(false).meta({ title: consentLabels.cav }),
      socialServices: z.boolean().default(false).meta({ title: consentLabels.socialServices }),
      consultorio: z.boolean().default(false).meta({ title: consentLabels.consultorio }),
    })
    .default({ cav: false, socialServices: false, consultorio: false })
    .meta({ title: 'Consensi della donna' }),
  immediateHousingNeed: z.boolean().default(false).meta({ title: 'Bisogno abitativo immediato' }),
});
export type ViolenceReferralData = z.infer<typeof startSchema>;

const hours = (title: string) => z.int('Indicare un numero intero di ore').positive('Indicare un numero di ore maggiore di zero').meta({ title });

/** Set by law (48 h referto, 36–72 h observation) or by nobody yet (the CAV's first contact): all configuration. */
const parametersSchema = z.object({
  legalReportHours: hours('Termine del referto per i reati procedibili d’ufficio (ore)'),
  cavFirstContactHours: hours('Termine del primo contatto del Centro Antiviolenza (ore)'),
  protectedObservationMaxHours: hours('Durata massima dell’osservazione protetta (ore)'),
});
type Parameters = z.infer<typeof parametersSchema>;

interface OutcomeSpec {
  /** The final state, which is also what PathwayState shows once the case is closed. */
  state: string;
  label: string;
  requires?: 'childrenReportedToProsecutor';
}
const outcomes = {
  autonomy: { state: 'autonomy', label: 'Chiuso: autonomia raggiunta' },
  'protected-housing': { state: 'protectedHousing', label: 'Chiuso: in alloggio protetto' },
  'treatment-pathway': { state: 'treatmentPathway', label: 'Chiuso: in percorso di cura' },
  // Only the juvenile court orders it, and only after the Tutela Minori has reported to its prosecutor.
  'child-protection-order': {
    state: 'childProtectionOrder',
    label: 'Chiuso: provvedimento a tutela dei minori',
    requires: 'childrenReportedToProsecutor',
  },
  'dropped-out': { state: 'droppedOut', label: 'Chiuso: percorso interrotto dalla donna' },
  transferred: { state: 'transferred', label: 'Chiuso: trasferito ad altro territorio' },
} satisfies Record<string, OutcomeSpec>;
type Outcome = keyof typeof outcomes;
const outcomeSpecs = Object.entries(outcomes) as [Outcome, OutcomeSpec][];

const noPayload = z.object({});
const event = <S extends z.ZodObject = typeof noPayload>(label: string, senders: readonly Role[], schema?: S) => ({
  schema: (schema ?? noPayload) as S,
  roles: senders,
  label,
});

const pathwayEvents = {
  'consent.cav': event(consentLabels.cav, frontLine),
  'consent.social-services': event(consentLabels.socialServices, frontLine),
  'consent.consultorio': event(consentLabels.consultorio, frontLine),
  'cav.intake': event('Primo contatto e accoglienza del Centro Antiviolenza', ['cav-operator']),
  'social-services.intake': event('Presa in carico dei servizi sociali', ['social-worker']),
  'consultorio.intake': event('Presa in carico del consultorio', ['psychologist']),
  'legal-report.required': event('Reato procedibile d’ufficio: referto dovuto', ['physician', 'nurse']),
  'risk.assessed': event(
    'Valutazione del rischio',
    frontLine,
    z.object({
      level: z.enum(['low', 'medium', 'high'], { error: 'Indicare il livello di rischio' }).meta({ title: 'Livello di rischio', sensitive: 'personal' }),
    }),
  ),
  'observation.ended': event('Fine dell’osservazione protetta', ['physician']),
  'shelter.requested': event('Richiesta di casa rifugio', frontLine),
  'shelter.placed': event('Accolta in casa rifugio', ['cav-operator', 'social-worker']),
  'shelter.declined': event('Casa rifugio rifiutata dalla donna', frontLine),
  'shelter.left': event('Uscita dalla casa rifugio', ['cav-operator', 'social-worker']),
  'children.assessment-ready': event('Valutazione dei minori pronta per la firma', ['child-protection']),
  'children.reported': event('Segnalazione alla Procura per i minorenni', ['child-protection']),
  'liberty-income.requested': event('Avvio della domanda di Reddito di libertà', ['cav-operator', 'social-worker']),
  'liberty-income.decided': event(
    'Esito INPS del Reddito di libertà',
    ['cav-operator', 'social-worker'],
    z.object({ granted: z.boolean({ error: 'Indicare se la domanda è stata accolta' }).meta({ title: 'Domanda accolta' }) }),
  ),
  'internship.started': event('Avvio del tirocinio', ['social-worker']),
  'internship.ended': event('Fine del tirocinio', ['social-worker']),
  'psychotherapy.started': event('Avvio della psicoterapia', ['psychologist']),
  'psychotherapy.ended': event('Fine della psicoterapia', ['psychologist']),
  'case.close': event(
    'Chiusura del percorso',
    ['cav-operator', 'social-worker', 'physician'],
    z.object({
      outcome: choice(
        'Esito del percorso',
        Object.fromEntries(outcomeSpecs.map(([outcome, spec]) => [outcome, spec.label])) as Record<Outcome, string>,
        'Esito non valido',
      ),
    }),
  ),
} satisfies Record<string, EventDefinition>;

type PathwayEventType = keyof typeof pathwayEvents;
type ViolenceEvent = { [T in PathwayEventType]: CaseEvent<T, z.infer<(typeof pathwayEvents)[T]['schema']>> }[PathwayEventType];

const base = caseSetup<ViolenceReferralData, ViolenceEvent, Parameters>();
type Context = CaseContext<ViolenceReferralData, Parameters>;

const pathway = base.extend({
  guards: {
    consentGiven: ({ context }, params: { service: Service }) => context.data.consents[params.service],
    exOfficioOffence: ({ context }) => context.data.exOfficioOffence,
    hasChildren: ({ context }) => context.data.children.length > 0,
    highRisk: ({ event }) => {
      assertEvent(event, 'risk.assessed');
      return event.payload.level === 'high';
    },
    /** A shelter is found by the CAV network or by social services: at least one of them must be allowed to know. */
    shelterCanBeArranged: ({ context }) => context.data.consents.cav || context.data.consents.socialServices,
    libertyIncomeGranted: ({ event }) => {
      assertEvent(event, 'liberty-income.decided');
      return event.payload.granted;
    },
    outcomeIs: ({ event }, params: { outcome: Outcome }) => {
      assertEvent(event, 'case.close');
      return event.payload.outcome === params.outcome;
    },
    legalReportPending: stateIn('#violence-referral.active.legalReport.referto'),
    childrenReportedToProsecutor: stateIn('#violence-referral.active.children.reportedToProsecutor'),
    cavInCharge: stateIn('#violence-referral.active.referrals.cav.inCharge'),
    socialServicesInCharge: stateIn('#violence-referral.active.referrals.socialServices.inCharge'),
    consultorioInCharge: stateIn('#violence-referral.active.referrals.consultorio.inCharge'),
  },
  actions: {
    recordConsent: assign(({ context }: { context: Context }, params: { service: Service }) => ({
      data: { ...context.data, consents: { ...context.data.consents, [params.service]: true } },
    })),
  },
});

const notify = (...recipients: Role[]) => ({ type: 'notify' as const, params: { roles: recipients } });

/**
 * A state that runs a procedural clock in hours and shows when it has run out, telling the roles that must act.
 * Its length is the parameter pinned in the case when it started.
 */
function hoursClock(id: string, label: string, length: keyof Parameters, lateRecipients: Role[]) {
  return {
    entry: base.deadline.start({ id, label, length: (context: Context) => ({ hours: context.settings.parameters[length] }) }),
    exit: base.deadline.stop(id),
    initial: 'inTime' as const,
    states: {
      inTime: { on: { 'deadline.expire': { guard: { type: 'isDeadline' as const, params: { id } }, target: 'overdue' } } },
      overdue: { entry: notify(...lateRecipients) },
    },
  };
}

/** A referral waits for its own consent, recorded at opening or later, then for the service to take her in charge. */
function referral<Referred>(service: Service, referred: Referred) {
  return {
    initial: 'awaitingConsent' as const,
    states: {
      awaitingConsent: { always: { guard: { type: 'consentGiven' as const, params: { service } }, target: 'referred' } },
      referred,
      inCharge: {},
    },
  };
}

const consentTransition = (service: Service) => ({
  guard: not({ type: 'consentGiven' as const, params: { service } }),
  actions: { type: 'recordConsent' as const, params: { service } },
});

const refertoClock = hoursClock('referto', 'Termine del referto', 'legalReportHours', ['physician']);
const refertoRound = base.signoffRound(
  {
    id: 'referto',
    label: 'Referto all’autorità giudiziaria',
    roles: ['physician'],
    quorum: 'all',
    deadlineWorkingDays: 2,
    reminders: { firstAfterWorkingDays: 1, repeatEveryWorkingDays: 1, escalateAfterWorkingDays: 1 },
    priority: 'high',
  },
  // The physician approves by signing the referto; with a single signatory, any other decision records that she finds
  // no offence prosecutable ex officio, and a later finding opens the referto again.
  { approved: 'filed', rejected: 'dismissed', expired: '.overdue' },
);

const riskAssessment = [{ guard: 'highRisk' as const, target: 'protectedObservation' }, { target: 'monitored' }];
const observationClock = hoursClock('protectedObservation', 'Osservazione protetta', 'protectedObservationMaxHours', ['physician']);
const cavFirstContactClock = hoursClock('cavFirstContact', 'Primo contatto del Centro Antiviolenza', 'cavFirstContactHours', ['cav-operator']);

/** Only the services she has allowed to know are asked to find a shelter. */
const shelterServices = ({ context }: { context: Context }) => ({
  roles: [...(context.data.consents.cav ? ['cav-operator'] : []), ...(context.data.consents.socialServices ? ['social-worker'] : [])],
});

function intervention(
  guard: 'socialServicesInCharge' | 'consultorioInCharge',
  start: 'internship.started' | 'psychotherapy.started',
  end: 'internship.ended' | 'psychotherapy.ended',
) {
  return {
    initial: 'notStarted' as const,
    states: {
      notStarted: { on: { [start]: { guard, target: 'ongoing' } } },
      ongoing: { on: { [end]: 'ended' } },
      ended: {},
    },
  };
}

const closing = outcomeSpecs.map(([outcome, { state, requires }]) => ({
  guard: and([not('legalReportPending'), { type: 'outcomeIs' as const, params: { outcome } }, ...(requires ? [requires] : [])]),
  target: `#violence-referral.${state}`,
}));

const outcomeStates = Object.fromEntries(
  outcomeSpecs.map(([outcome, { state }]) => [state, { type: 'final' as const, entry: { type: 'setOutcome' as const, params: { outcome } } }]),
);

const machine = pathway.createMachine({
  id: 'violence-referral',
  context: ({ input }) => caseContext(input),
  initial: 'active',
  states: {
    active: {
      type: 'parallel',
      on: {
        'consent.cav': consentTransition('cav'),
        'consent.social-services': consentTransition('socialServices'),
        'consent.consultorio': consentTransition('consultorio'),
        // Whatever she decides, the case cannot close while the referto is still due.
        'case.close': closing,
      },
      states: {
        legalReport: {
          initial: 'notRequired',
          states: {
            notRequired: {
              always: { guard: 'exOfficioOffence', target: 'referto' },
              on: { 'legal-report.required': 'referto' },
            },
            referto: {
              ...refertoClock,
              ...refertoRound,
              entry: [...refertoClock.entry, ...refertoRound.entry],
              exit: [...refertoRound.exit, ...refertoClock.exit],
            },
            dismissed: { on: { 'legal-report.required': 'referto' } },
            filed: {},
          },
        },
        protection: {
          initial: 'awaitingAssessment',
          states: {
            awaitingAssessment: { on: { 'risk.assessed': riskAssessment } },
            // A new assessment is recorded whatever it finds; only high risk moves her again.
            monitored: {
              on: {
                'risk.assessed': riskAssessment,
                'shelter.requested': { guard: 'shelterCanBeArranged', target: 'shelterSearch' },
              },
            },
            protectedObservation: {
              ...observationClock,
              on: {
                'observation.ended': { guard: 'shelterCanBeArranged', target: 'shelterSearch' },
                'shelter.declined': 'monitored',
              },
            },
            shelterSearch: {
              entry: { type: 'notify', params: shelterServices },
              on: { 'shelter.placed': 'inShelter', 'shelter.declined': 'monitored' },
            },
            inShelter: { on: { 'shelter.left': 'monitored' } },
          },
        },
        referrals: {
          type: 'parallel',
          states: {
            cav: referral('cav', {
              ...cavFirstContactClock,
              entry: [notify('cav-operator'), ...cavFirstContactClock.entry],
              on: { 'cav.intake': 'inCharge' },
            }),
            socialServices: referral('socialServices', { entry: notify('social-worker'), on: { 'social-services.intake': 'inCharge' } }),
            consultorio: referral('consultorio', { entry: notify('psychologist'), on: { 'consultorio.intake': 'inCharge' } }),
          },
        },
        // Child protection does not wait for her consent: witnessed violence is the Tutela Minori's to assess.
        children: {
          initial: 'notInvolved',
          states: {
            notInvolved: { always: { guard: 'hasChildren', target: 'referred' } },
            referred: { entry: notify('child-protection'), on: { 'children.assessment-ready': 'assessment' } },
            assessment: {
              ...base.signoffRound(
                {
                  id: 'childProtection',
                  label: 'Valutazione della Tutela Minori',
                  roles: ['child-protection', 'social-worker'],
                  quorum: 'all',
                  deadlineWorkingDays: 20,
                  reminders: { firstAfterWorkingDays: 5, repeatEveryWorkingDays: 3, escalateAfterWorkingDays: 10 },
                },
                { approved: 'assessed', rejected: 'referred', expired: 'referred' },
              ),
            },
            assessed: { on: { 'children.reported': 'reportedToProsecutor' } },
            reportedToProsecutor: {},
          },
        },
        interventions: {
          type: 'parallel',
          states: {
            libertyIncome: {
              initial: 'notRequested',
              states: {
                notRequested: {
                  on: { 'liberty-income.requested': { guard: and(['cavInCharge', 'socialServicesInCharge']), target: 'signatures' } },
                },
                // INPS form SR208: the CAV signs the pathway out of violence, the social service head signs the state of need.
                signatures: {
                  ...base.signoffRound(
                    {
                      id: 'libertyIncome',
                      label: 'Reddito di libertà: firme del CAV e del servizio sociale',
                      roles: ['cav-operator', 'social-service-head'],
                      quorum: 'all',
                      deadlineWorkingDays: 10,
                      reminders: { firstAfterWorkingDays: 3, repeatEveryWorkingDays: 2, escalateAfterWorkingDays: 7 },
                    },
                    { approved: 'submitted', rejected: 'notRequested', expired: 'notRequested' },
                  ),
                },
                submitted: {
                  on: { 'liberty-income.decided': [{ guard: 'libertyIncomeGranted', target: 'granted' }, { target: 'refused' }] },
                },
                granted: {},
                refused: {},
              },
            },
            internship: intervention('socialServicesInCharge', 'internship.started', 'internship.ended'),
            psychotherapy: intervention('consultorioInCharge', 'psychotherapy.started', 'psychotherapy.ended'),
          },
        },
      },
    },
    ...outcomeStates,
  },
});

const serviceLabels = (service: string) => ({
  [`active.referrals.${service}.awaitingConsent`]: 'In attesa del consenso',
  [`active.referrals.${service}.referred`]: 'Inviata, in attesa della presa in carico',
  [`active.referrals.${service}.inCharge`]: 'Presa in carico',
});

const interventionLabels = (intervention: string) => ({
  [`active.interventions.${intervention}.notStarted`]: 'Non avviato',
  [`active.interventions.${intervention}.ongoing`]: 'In corso',
  [`active.interventions.${intervention}.ended`]: 'Concluso',
});

export const violenceReferral = definePathway({
  kind: 'violence-referral',
  version: '1',
  title: 'Percorso per donne che subiscono violenza',
  startSchema,
  // She is known by the name she chose to give: her cases are never searched for, nor tied to any other.
  person: { field: 'pseudonym', identify: ({ pseudonym }: ViolenceReferralData) => ({ name: pseudonym }), pseudonymous: true },
  parametersSchema,
  startRoles: frontLine,
  roles,
  organisations: ['hospital', 'cav', 'municipality', 'health-authority'],
  events: {
    ...signoffEvents(['physician', 'cav-operator', 'social-service-head', 'child-protection', 'social-worker']),
    ...pathwayEvents,
  },
  stateLabels: {
    active: 'Percorso in corso',
    'active.legalReport': 'Referto all’autorità giudiziaria',
    'active.legalReport.notRequired': 'Referto non dovuto',
    'active.legalReport.referto': 'Referto da trasmettere',
    'active.legalReport.referto.inTime': 'Referto nei termini',
    'active.legalReport.referto.overdue': 'Referto oltre il termine',
    'active.legalReport.dismissed': 'Referto escluso dal medico',
    'active.legalReport.filed': 'Referto trasmesso',
    'active.protection': 'Protezione',
    'active.protection.awaitingAssessment': 'Valutazione del rischio da fare',
    'active.protection.monitored': 'Rischio valutato',
    'active.protection.protectedObservation': 'Osservazione protetta',
    'active.protection.protectedObservation.inTime': 'Osservazione nei tempi',
    'active.protection.protectedObservation.overdue': 'Osservazione oltre la durata massima',
    'active.protection.shelterSearch': 'Ricerca della casa rifugio',
    'active.protection.inShelter': 'In casa rifugio',
    'active.referrals': 'Invii ai servizi',
    'active.referrals.cav': 'Centro Antiviolenza',
    ...serviceLabels('cav'),
    'active.referrals.cav.referred.inTime': 'Primo contatto nei termini',
    'active.referrals.cav.referred.overdue': 'Primo contatto in ritardo',
    'active.referrals.socialServices': 'Servizi sociali',
    ...serviceLabels('socialServices'),
    'active.referrals.consultorio': 'Consultorio',
    ...serviceLabels('consultorio'),
    'active.children': 'Figli minori',
    'active.children.notInvolved': 'Nessun minore coinvolto',
    'active.children.referred': 'Segnalati alla Tutela Minori',
    'active.children.assessment': 'Valutazione della Tutela Minori in firma',
    'active.children.assessed': 'Percorso congiunto madre-bambino',
    'active.children.reportedToProsecutor': 'Segnalati alla Procura per i minorenni',
    'active.interventions': 'Interventi',
    'active.interventions.libertyIncome': 'Reddito di libertà',
    'active.interventions.libertyIncome.notRequested': 'Non richiesto',
    'active.interventions.libertyIncome.signatures': 'Firme del CAV e del servizio sociale',
    'active.interventions.libertyIncome.submitted': 'Domanda inviata all’INPS',
    'active.interventions.libertyIncome.granted': 'Concesso',
    'active.interventions.libertyIncome.refused': 'Non concesso',
    'active.interventions.internship': 'Tirocinio',
    ...interventionLabels('internship'),
    'active.interventions.psychotherapy': 'Psicoterapia',
    ...interventionLabels('psychotherapy'),
    ...Object.fromEntries(outcomeSpecs.map(([, { state, label }]) => [state, label])),
  },
  machine,
});
