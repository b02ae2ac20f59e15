import { z } from 'zod';
import { eventTime, type CaseEvent } from './case.js';
import { caseContext, caseSetup, type CaseContext } from './case-setup.js';
import { choice } from './form.js';
import { definePathway, signoffEvents } from './pathway.js';
import { reminderPolicySchema, type RoundSpec } from './signoff.js';

/**
 * Job placement (inserimento lavorativo): a service that has the person in charge refers them; the chart checks the
 * route's requirements (inclusion internship, TIS, or targeted placement under L.68/99); a team evaluates; the NIL/SIL
 * finds a host; service, promoter, host and trainee sign the agreement and project; insurance is activated; the
 * internship runs with monthly tutor reviews and, under a judicial measure, quarterly reports to the judge; at the end
 * the person is hired, the internship extended or the pathway closed.
 */

/** Services that refer a person and may follow them as the service in charge. */
const referringServiceLabels = {
  'addiction-service': 'SerD (servizio dipendenze)',
  'mental-health': 'CPS/CSM (salute mentale)',
  probation: 'UEPE (esecuzione penale esterna)',
  'social-worker': 'Assistente sociale',
  'employment-centre': 'Centro per l’impiego (collocamento mirato)',
  'child-neuropsychiatry': 'UONPIA (neuropsichiatria infantile)',
} as const;
type ReferringService = keyof typeof referringServiceLabels;
const referringServices = Object.keys(referringServiceLabels) as ReferringService[];

const promoter = 'job-placement';
const host = 'host-company';
/** The trainee signs on paper; the case manager records that signature in the trainee's place. */
const trainee = 'trainee';

const inclusionInternship = 'inclusion-internship';

const startSchema = z
  .object({
    person: z
      .object({
        fullName: z.string().trim().min(1, 'Indicare nome e cognome').max(200).meta({ title: 'Nome e cognome', sensitive: 'personal' }),
        fiscalCode: z
          .string()
          .trim()
          .toUpperCase()
          .regex(/^[A-Z0-9]{16}$/, 'Il codice fiscale ha 16 caratteri alfanumerici')
          .meta({ title: 'Codice fiscale', sensitive: 'personal' }),
      })
      .meta({ title: 'Persona inviata', sensitive: 'personal' }),
    referringService: choice('Servizio inviante', referringServiceLabels, 'Indicare il servizio inviante'),
    caseManager: z
      .object({
        name: z.string().trim().min(1, 'Indicare il nome del case manager').max(200).meta({ title: 'Nome del case manager' }),
        role: choice('Servizio del case manager', referringServiceLabels, 'Indicare il servizio del case manager'),
      })
      .meta({ title: 'Case manager' }),
    route: choice(
      'Tipo di inserimento',
      { [inclusionInternship]: 'Tirocinio di inclusione (TIS)', 'targeted-placement': 'Collocamento mirato (L.68/99)' },
      'Indicare il percorso',
    ),
    alreadyInCharge: z.boolean({ error: 'Indicare se la persona è già in carico' }).meta({ title: 'Già in carico a un servizio sociale o sanitario' }),
    inChargeSince: z.iso.date({ error: 'Data non valida' }).optional().meta({ title: 'In carico dal' }),
    tisMonthsUsed: z
      .int({ error: 'Indicare un numero intero di mesi' })
      .min(0, 'I mesi non possono essere negativi')
      .optional()
      .meta({ title: 'Mesi di tirocinio di inclusione già fruiti' }),
    employmentCentreRegistered: z.boolean().optional().meta({ title: 'Iscritto alle liste del collocamento mirato', sensitive: 'special-category' }),
    invalidityPercent: z
      .number({ error: 'Indicare la percentuale di invalidità' })
      .min(0, 'La percentuale va da 0 a 100')
      .max(100, 'La percentuale va da 0 a 100')
      .optional()
      .meta({ title: 'Percentuale di invalidità civile', sensitive: 'special-category' }),
    diagnosisCategory: choice('Categoria diagnostica', {
      'substance-use': 'Dipendenza da sostanze',
      psychiatric: 'Disturbo psichiatrico',
      'intellectual-disability': 'Disabilità intellettiva',
      'physical-disability': 'Disabilità fisica',
      'sensory-disability': 'Disabilità sensoriale',
      other: 'Altro',
    })
      .optional()
      .meta({ sensitive: 'special-category' }),
    judicialMeasure: z
      .object({
        measure: choice(
          'Misura giudiziaria',
          {
            'probation-to-social-services': 'Affidamento in prova ai servizi sociali',
            'probation-with-trial': 'Messa alla prova',
            'home-detention': 'Detenzione domiciliare',
            'semi-liberty': 'Semilibertà',
            'external-work': 'Lavoro all’esterno (art. 21 O.P.)',
            other: 'Altra misura',
          },
          'Indicare la misura',
        ).meta({ sensitive: 'criminal' }),
        probationContact: z.string().trim().min(1, 'Indicare il referente UEPE').max(200).meta({ title: 'Referente UEPE', sensitive: 'criminal' }),
        restrictions: z.string().trim().max(2000).optional().meta({ title: 'Prescrizioni e limitazioni', sensitive: 'criminal' }),
      })
      .optional()
      .meta({ title: 'Misura giudiziaria in corso', sensitive: 'criminal' }),
    skills: z.string().trim().max(2000).optional().meta({ title: 'Competenze ed esperienze', sensitive: 'personal' }),
    isee: z.number().min(0, 'L’ISEE non può essere negativo').optional().meta({ title: 'ISEE (euro)', sensitive: 'personal' }),
    monthlyAllowance: z
      .number()
      .min(0, 'L’indennità non può essere negativa')
      .optional()
      .meta({ title: 'Indennità mensile di tirocinio (euro)', sensitive: 'personal' }),
  })
  .refine((data) => data.caseManager.role === 'social-worker' || data.caseManager.role === data.referringService, {
    message: 'Il case manager è l’assistente sociale o un operatore del servizio inviante',
    path: ['caseManager', 'role'],
  })
  .refine((data) => !data.alreadyInCharge || data.inChargeSince !== undefined, {
    message: 'Indicare da quando la persona è in carico',
    path: ['inChargeSince'],
  })
  .refine((data) => data.route !== inclusionInternship || data.tisMonthsUsed !== undefined, {
    message: 'Indicare i mesi di tirocinio di inclusione già fruiti (0 se nessuno)',
    path: ['tisMonthsUsed'],
  })
  .refine((data) => data.route === inclusionInternship || data.employmentCentreRegistered !== undefined, {
    message: 'Indicare se la persona è iscritta al collocamento mirato',
    path: ['employmentCentreRegistered'],
  })
  .refine((data) => data.route === inclusionInternship || data.invalidityPercent !== undefined, {
    message: 'Indicare la percentuale di invalidità',
    path: ['invalidityPercent'],
  });
type StartData = z.output<typeof startSchema>;

const roundTimingsSchema = z.object({ deadlineWorkingDays: z.int().min(1), reminders: reminderPolicySchema });

const parametersSchema = z.object({
  /** National guidelines on inclusion internships, 22/01/2015: at most 24 months over the person's life. */
  tisMaxMonths: z.int().min(1),
  /** L.68/99 targeted placement: invalidity strictly above this percentage. */
  targetedPlacementInvalidityAbovePercent: z.number().min(0).max(100),
  /** ASSUMPTION (pathways.md): the tutor reviews the internship monthly. */
  tutorReviewEveryMonths: z.int().min(1),
  /** Probation reports to the judge at least this often while a judicial measure is running. */
  judgeReportEveryMonths: z.int().min(1),
  /** Deadlines and reminders of the two rounds (ASSUMPTION: no protocol fixes them); the engine reads `rounds` by round id. */
  rounds: z.object({ evaluation: roundTimingsSchema, agreement: roundTimingsSchema }),
});
type JobPlacementParameters = z.infer<typeof parametersSchema>;

const hostProposalSchema = z.object({
  hostName: z.string().trim().min(1, 'Indicare l’azienda o l’ente ospitante').max(200).meta({ title: 'Azienda o ente ospitante' }),
  /** Only a host with operators in Raccordo is in the register; the others sign on paper. */
  hostOrganisation: z.string().trim().max(100).optional().meta({ title: 'Ospitante registrato in Raccordo (se c’è)' }),
  hostedByHealthAuthority: z.boolean().default(false).meta({ title: 'Ospitato dalla stessa ASST' }),
  plannedMonths: z.int({ error: 'Indicare un numero intero di mesi' }).min(1, 'Almeno un mese').meta({ title: 'Durata prevista (mesi)' }),
});
const extensionSchema = z.object({
  months: z.int({ error: 'Indicare un numero intero di mesi' }).min(1, 'Almeno un mese').meta({ title: 'Mesi di proroga' }),
});
const insuranceSchema = z.object({
  policyReference: z.string().trim().min(1, 'Indicare gli estremi della copertura').max(200).meta({ title: 'Estremi della copertura INAIL e RC' }),
});
const hiringSchema = z.object({
  contract: choice(
    'Tipo di contratto',
    { permanent: 'Tempo indeterminato', 'fixed-term': 'Tempo determinato', apprenticeship: 'Apprendistato', other: 'Altro' },
    'Indicare il tipo di contratto',
  ),
});
const exitSchema = z.object({
  reason: z.string().trim().min(1, 'Indicare il motivo').max(1000).meta({ title: 'Motivo', sensitive: 'personal' }),
});
const noPayload = z.object({});

/** What the case learns after the referral; the start form stays as it was sent. */
interface Progress {
  project?: z.output<typeof hostProposalSchema>;
  insurance?: z.output<typeof insuranceSchema> & { activatedAt: string };
  /** The first period and each extension: they count towards the TIS cap. */
  periods?: { from: string; months: number }[];
  lastTutorReviewAt?: string;
  lastJudgeReportAt?: string;
  contract?: z.output<typeof hiringSchema>['contract'];
  exitReason?: string;
}
export type JobPlacementData = StartData & Progress;

/** One event type per name, so that each name narrows to its own payload. */
type EventsOf<TType extends string, TPayload> = TType extends string ? CaseEvent<TType, TPayload> : never;
type ExitEventType = 'trainee.withdrew' | 'host.withdrew' | 'dropout.recorded' | 'case.closed';
type JobPlacementEvent =
  | EventsOf<'evaluation.reopened' | 'host.accepted' | 'host.declined' | 'internship.started', z.output<typeof noPayload>>
  | EventsOf<'review.recorded' | 'probation.reported' | 'certificate.issued', z.output<typeof noPayload>>
  | EventsOf<'host.proposed', z.output<typeof hostProposalSchema>>
  | EventsOf<'insurance.activated', z.output<typeof insuranceSchema>>
  | EventsOf<'internship.extended', z.output<typeof extensionSchema>>
  | EventsOf<'trainee.hired', z.output<typeof hiringSchema>>
  | EventsOf<ExitEventType, z.output<typeof exitSchema>>;

type Context = CaseContext<JobPlacementData, JobPlacementParameters>;
type Payload<T extends JobPlacementEvent['type']> = Extract<JobPlacementEvent, { type: T }>['payload'];
const payloadOf = <T extends JobPlacementEvent['type']>(event: object) => (event as { payload: Payload<T> }).payload;
const unique = <T>(items: readonly T[]) => [...new Set(items)];

function isEligible(data: JobPlacementData, parameters: JobPlacementParameters): boolean {
  if (data.route === inclusionInternship) return data.alreadyInCharge && (data.tisMonthsUsed ?? 0) < parameters.tisMaxMonths;
  return data.employmentCentreRegistered === true && (data.invalidityPercent ?? 0) > parameters.targetedPlacementInvalidityAbovePercent;
}

/** The TIS cap counts the months used before this referral and every period agreed in it; L.68/99 has no such cap. */
function fitsTisCap(data: JobPlacementData, parameters: JobPlacementParameters, moreMonths: number): boolean {
  if (data.route !== inclusionInternship) return true;
  const agreed = (data.periods ?? []).reduce((sum, period) => sum + period.months, 0);
  return (data.tisMonthsUsed ?? 0) + agreed + moreMonths <= parameters.tisMaxMonths;
}

/** Calendar months in UTC, clamped to the month's last day, so "every 3 months" never runs past the date it promises. */
export function monthsLater(fromEpochMs: number, months: number): number {
  const from = new Date(fromEpochMs);
  const target = new Date(from);
  target.setUTCDate(1);
  target.setUTCMonth(from.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(from.getUTCDate(), lastDay));
  return target.getTime();
}

const inMonths =
  (months: (context: Context) => number) =>
  ({ context, event }: { context: Context; event: { type: string } }) =>
    monthsLater(eventTime(event), months(context)) - eventTime(event);

/**
 * The team that evaluates: the NIL/SIL for employability, the social worker for the social side, and the referring
 * service (SerD, CPS, UONPIA, UEPE or the employment centre) that knows the person; one round, whoever referred.
 */
const evaluators = (data: JobPlacementData): Pick<RoundSpec, 'roles'> => ({ roles: unique([promoter, 'social-worker', data.referringService]) });

/** The four parties to the agreement and project; the trainee's signature is recorded by the case manager. */
const agreementParties = (data: JobPlacementData): Pick<RoundSpec, 'roles' | 'recordedBy'> => ({
  roles: unique([data.referringService, promoter, host, trainee]),
  recordedBy: { [trainee]: [data.caseManager.role] },
});

/** Signers from the referral, timings from the parameters in force when the case started. */
const roundOf =
  (id: keyof JobPlacementParameters['rounds'], parties: (data: JobPlacementData) => Pick<RoundSpec, 'roles' | 'recordedBy'>) => (context: Context) => ({
    quorum: 'all' as const,
    ...context.settings.parameters.rounds[id],
    ...parties(context.data),
  });

/** Services that must take the person back when the placement ends early: the one in charge, and UEPE under a measure. */
const servicesInCharge = (data: JobPlacementData): string[] => unique<string>([data.referringService, ...(data.judicialMeasure ? ['probation'] : [])]);

const base = caseSetup<JobPlacementData, JobPlacementEvent, JobPlacementParameters>();
const pathway = base.extend({
  guards: {
    isEligible: ({ context }) => isEligible(context.data, context.settings.parameters),
    projectFitsTisCap: ({ context, event }) => fitsTisCap(context.data, context.settings.parameters, payloadOf<'host.proposed'>(event).plannedMonths),
    extensionFitsTisCap: ({ context, event }) => fitsTisCap(context.data, context.settings.parameters, payloadOf<'internship.extended'>(event).months),
    insuranceActive: ({ context }) => context.data.insurance !== undefined,
    hasJudicialMeasure: ({ context }) => context.data.judicialMeasure !== undefined,
  },
  delays: {
    tutorReviewDue: inMonths((context) => context.settings.parameters.tutorReviewEveryMonths),
    judgeReportDue: inMonths((context) => context.settings.parameters.judgeReportEveryMonths),
    plannedEnd: ({ context, event }) => {
      const current = context.data.periods?.at(-1);
      return current ? Math.max(0, monthsLater(Date.parse(current.from), current.months) - eventTime(event)) : 0;
    },
  },
});

const updateData = (update: (data: JobPlacementData, event: JobPlacementEvent) => Partial<JobPlacementData>) =>
  pathway.assign(({ context, event }) => ({ data: { ...context.data, ...update(context.data, event as JobPlacementEvent) } }));

const startPeriod = (months: (data: JobPlacementData, event: JobPlacementEvent) => number) =>
  updateData((data, event) => ({ periods: [...(data.periods ?? []), { from: event.at, months: months(data, event) }] }));

const notifyServicesInCharge = { type: 'notify' as const, params: ({ context }: { context: Context }) => ({ roles: servicesInCharge(context.data) }) };

/** Every exit an operator records keeps its reason, and its outcome says what happened. */
const exitTo = (target: string, outcome: string) => ({
  target,
  actions: [updateData((_, event) => ({ exitReason: payloadOf<ExitEventType>(event).reason })), { type: 'setOutcome' as const, params: { outcome } }],
});
const interruptions = {
  'trainee.withdrew': exitTo('interrupted', 'interrupted-by-trainee'),
  'host.withdrew': exitTo('interrupted', 'interrupted-by-host'),
};

const agreementRound = base.signoffRound(
  { id: 'agreement', label: 'Firma di convenzione e progetto di tirocinio', resolve: roundOf('agreement', agreementParties) },
  { approved: 'startPending', rejected: 'hostMatching', expired: 'hostMatching' },
);

const machine = pathway.createMachine({
  id: 'job-placement',
  context: ({ input }) => caseContext(input),
  initial: 'eligibility',
  states: {
    eligibility: {
      always: [{ guard: 'isEligible', target: 'evaluation' }, { target: 'notEligible' }],
    },
    evaluation: {
      ...base.signoffRound(
        { id: 'evaluation', label: 'Valutazione multidimensionale per l’inserimento lavorativo', resolve: roundOf('evaluation', evaluators) },
        { approved: 'hostMatching', rejected: 'notEligible', changesRequested: 'evaluationSuspended', expired: 'evaluationSuspended' },
      ),
    },
    evaluationSuspended: {
      on: { 'evaluation.reopened': 'evaluation' },
    },
    hostMatching: {
      on: {
        'host.proposed': {
          guard: 'projectFitsTisCap',
          target: 'hostPending',
          actions: updateData((_, event) => ({ project: payloadOf<'host.proposed'>(event) })),
        },
      },
    },
    hostPending: {
      entry: { type: 'notify', params: { roles: [host] } },
      on: { 'host.accepted': 'agreement', 'host.declined': 'hostMatching' },
    },
    // A party that refuses or wants changes sends the project back to the promoter, who proposes it again.
    agreement: agreementRound,
    startPending: {
      entry: { type: 'notify', params: { roles: [promoter] } },
      on: {
        'insurance.activated': {
          actions: updateData((_, event) => ({ insurance: { ...payloadOf<'insurance.activated'>(event), activatedAt: event.at } })),
        },
        'internship.started': {
          guard: 'insuranceActive',
          target: 'active',
          actions: startPeriod((data) => data.project?.plannedMonths ?? 0),
        },
        ...interruptions,
      },
    },
    active: {
      type: 'parallel',
      after: { plannedEnd: { actions: { type: 'notify', params: { roles: [promoter] } } } },
      on: { 'certificate.issued': 'ended', ...interruptions },
      states: {
        // Each repeating timer re-enters a child of its own region: re-entering the region itself would
        // re-enter the whole parallel state and restart the other region's clock.
        tutorReviews: {
          initial: 'scheduled',
          states: {
            scheduled: {
              after: { tutorReviewDue: { target: 'scheduled', reenter: true, actions: { type: 'notify', params: { roles: [promoter] } } } },
              on: { 'review.recorded': { actions: updateData((_, event) => ({ lastTutorReviewAt: event.at })) } },
            },
          },
        },
        judgeReports: {
          initial: 'assessing',
          states: {
            assessing: {
              always: [{ guard: 'hasJudicialMeasure', target: 'scheduled' }, { target: 'notRequired' }],
            },
            notRequired: {},
            scheduled: {
              after: { judgeReportDue: { target: 'scheduled', reenter: true, actions: { type: 'notify', params: { roles: ['probation'] } } } },
              on: { 'probation.reported': { actions: updateData((_, event) => ({ lastJudgeReportAt: event.at })) } },
            },
          },
        },
      },
    },
    ended: {
      on: {
        'trainee.hired': {
          target: 'hired',
          actions: updateData((_, event) => ({ contract: payloadOf<'trainee.hired'>(event).contract })),
        },
        'internship.extended': {
          guard: 'extensionFitsTisCap',
          target: 'active',
          actions: startPeriod((_, event) => payloadOf<'internship.extended'>(event).months),
        },
        'case.closed': exitTo('closed', 'closed'),
      },
    },
    hired: { type: 'final', entry: { type: 'setOutcome', params: { outcome: 'hired' } } },
    closed: { type: 'final' },
    interrupted: { type: 'final', entry: notifyServicesInCharge },
    droppedOut: { type: 'final', entry: notifyServicesInCharge },
    notEligible: { type: 'final', entry: [{ type: 'setOutcome', params: { outcome: 'not-eligible' } }, notifyServicesInCharge] },
  },
  on: {
    'dropout.recorded': exitTo('.droppedOut', 'dropped-out'),
  },
});

const participants = [promoter, host, ...referringServices];

export const jobPlacement = definePathway({
  kind: 'job-placement',
  version: '1',
  title: 'Inserimento lavorativo e tirocinio di inclusione',
  startSchema,
  person: { field: 'person', identify: ({ person }: StartData) => ({ name: person.fullName, fiscalCode: person.fiscalCode }) },
  parametersSchema,
  startRoles: referringServices,
  roles: {
    ...referringServiceLabels,
    [promoter]: 'NIL/SIL (servizio inserimento lavorativo)',
    [host]: 'Azienda o ente ospitante',
    [trainee]: 'Tirocinante (firma raccolta dal case manager)',
  } satisfies Record<ReferringService | typeof promoter | typeof host | typeof trainee, string>,
  organisations: ['municipality', 'health-authority'],
  // UEPE co-owns a placement under a judicial measure, and only then; the host company once it is proposed.
  organisationsWhen: { justice: (data: JobPlacementData) => data.judicialMeasure !== undefined },
  // The host company learns who the trainee is and what they can do: never their diagnosis, invalidity or judicial measure.
  restrictedFrom: { 'special-category': [host], criminal: [host] },
  // Nor learns it from the case's states and history: UEPE's reports to the judge exist only under a measure.
  revealedBy: {
    criminal: { states: ['active.judgeReports'], events: ['probation.reported'], roles: ['probation'], fields: ['lastJudgeReportAt'] },
    // Why a placement ended is free text, written by the services: a relapse or a hospital stay reads there first.
    'special-category': { fields: ['exitReason'] },
  },
  events: {
    ...signoffEvents(participants),
    'evaluation.reopened': { schema: noPayload, roles: [promoter, ...referringServices], label: 'Ripresa della valutazione' },
    'host.proposed': {
      schema: hostProposalSchema,
      roles: [promoter],
      label: 'Proposta dell’azienda ospitante e della durata',
      handsOver: { field: 'hostOrganisation', organisationType: 'host' },
    },
    'host.accepted': { schema: noPayload, roles: [host], label: 'Disponibilità dell’ospitante confermata' },
    'host.declined': { schema: noPayload, roles: [host], label: 'Disponibilità dell’ospitante negata', handsBack: true },
    'insurance.activated': { schema: insuranceSchema, roles: [promoter], label: 'Copertura assicurativa attivata' },
    'internship.started': { schema: noPayload, roles: [promoter], label: 'Avvio del tirocinio' },
    'review.recorded': { schema: noPayload, roles: [promoter, host], label: 'Verifica periodica del tutor registrata' },
    'probation.reported': { schema: noPayload, roles: ['probation'], label: 'Relazione all’autorità giudiziaria inviata' },
    'certificate.issued': { schema: noPayload, roles: [promoter], label: 'Attestazione finale rilasciata' },
    'trainee.hired': { schema: hiringSchema, roles: [promoter, host], label: 'Assunzione del tirocinante' },
    'internship.extended': { schema: extensionSchema, roles: [promoter], label: 'Proroga del tirocinio' },
    'case.closed': { schema: exitSchema, roles: [promoter], label: 'Chiusura del percorso senza assunzione' },
    'trainee.withdrew': { schema: exitSchema, roles: [promoter, ...referringServices], label: 'Interruzione da parte del tirocinante' },
    'host.withdrew': { schema: exitSchema, roles: [promoter, host], label: 'Interruzione da parte dell’ospitante' },
    'dropout.recorded': { schema: exitSchema, roles: [promoter, ...referringServices], label: 'Abbandono del percorso' },
  },
  stateLabels: {
    eligibility: 'Verifica dei requisiti',
    evaluation: 'Valutazione multidimensionale',
    evaluationSuspended: 'Valutazione sospesa',
    hostMatching: 'Ricerca dell’azienda ospitante',
    hostPending: 'In attesa della risposta dell’ospitante',
    agreement: 'Firma di convenzione e progetto',
    startPending: 'In attesa di avvio',
    active: 'Tirocinio in corso',
    'active.tutorReviews': 'Verifiche periodiche del tutor',
    'active.tutorReviews.scheduled': 'Prossima verifica del tutor programmata',
    'active.judgeReports': 'Relazioni all’autorità giudiziaria',
    'active.judgeReports.assessing': 'Verifica della misura giudiziaria',
    'active.judgeReports.notRequired': 'Relazioni non previste',
    'active.judgeReports.scheduled': 'Relazioni periodiche dell’UEPE',
    ended: 'Tirocinio concluso',
    hired: 'Assunto',
    closed: 'Chiuso senza assunzione',
    interrupted: 'Interrotto',
    droppedOut: 'Abbandonato',
    notEligible: 'Non ammissibile',
  },
  machine,
});
