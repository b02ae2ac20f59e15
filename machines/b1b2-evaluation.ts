import { z } from 'zod';
import { and, not } from 'xstate';
import { eventTime, type CaseEvent } from './case.js';
import { caseContext, caseSetup, type CaseContext } from './case-setup.js';
import { choice } from './form.js';
import { definePathway, signoffEvents } from './pathway.js';
import { roundParametersSchema, type RoundSpec } from './signoff.js';

/**
 * Lombardy's Fondo Non Autosufficienze measures: B1 for very severe disability (run by the ASST) and B2 for severe
 * disability and non-self-sufficiency (run by the Ambito). An application inside the call window is checked for
 * completeness, tested against the year's thresholds, evaluated by the team of the measure, turned into a Progetto
 * Individuale signed by the person or the guardian, ranked and funded, paid monthly, and renewed every year.
 */

const asiaGrades = ['A', 'B', 'C', 'D', 'E'] as const;

const dateSchema = (title: string) => z.iso.date({ error: 'Data non valida (AAAA-MM-GG)' }).meta({ title });

const personSchema = z.object({
  fullName: z.string().trim().min(1, 'Indicare nome e cognome').max(200, 'Al massimo 200 caratteri').meta({ title: 'Nome e cognome' }),
  fiscalCode: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z0-9]{16}$/, 'Codice fiscale non valido')
    .meta({ title: 'Codice fiscale' }),
});

const guardianSchema = personSchema.extend({
  relationship: z
    .enum(['parent', 'legal-guardian', 'support-administrator', 'family-member'], { error: 'Indicare il rapporto con la persona' })
    .meta({ title: 'Rapporto con la persona (genitore, tutore, amministratore di sostegno, familiare)' }),
});

const iseeSchema = (title: string) =>
  z
    .object({
      value: z.number({ error: 'Indicare il valore ISEE in euro' }).min(0, 'Il valore ISEE non può essere negativo').meta({ title: 'Valore (euro)' }),
      issuedOn: dateSchema('Data di rilascio dell’attestazione'),
    })
    .optional()
    .meta({ title, sensitive: 'personal' });

const limbScore = (title: string) => z.int('Punteggio MRC intero da 0 a 5').min(0, 'Punteggio MRC da 0 a 5').max(5, 'Punteggio MRC da 0 a 5').meta({ title });
const oneOf = (allowed: readonly number[], message: string) => z.number().refine((value) => allowed.includes(value), message);

/** Scores certified by a specialist; B1 needs at least one of them past its cut-off. */
const scalesSchema = z
  .object({
    certifiedOn: dateSchema('Data della certificazione specialistica'),
    gcs: z.int('GCS intero da 3 a 15').min(3, 'GCS da 3 a 15').max(15, 'GCS da 3 a 15').optional().meta({ title: 'Glasgow Coma Scale (GCS)' }),
    cdrs: oneOf([0, 0.5, 1, 2, 3, 4, 5], 'CDRS: 0, 0,5, 1, 2, 3, 4 o 5').optional().meta({ title: 'Clinical Dementia Rating Scale (CDRS)' }),
    asia: z.enum(asiaGrades, { error: 'ASIA: A, B, C, D o E' }).optional().meta({ title: 'ASIA Impairment Scale' }),
    mrc: z
      .object({
        upperLeft: limbScore('Arto superiore sinistro'),
        upperRight: limbScore('Arto superiore destro'),
        lowerLeft: limbScore('Arto inferiore sinistro'),
        lowerRight: limbScore('Arto inferiore destro'),
      })
      .optional()
      .meta({ title: 'Medical Research Council (MRC) sui quattro arti' }),
    edss: z
      .number()
      .min(0, 'EDSS da 0 a 10')
      .max(10, 'EDSS da 0 a 10')
      .multipleOf(0.5, 'EDSS a passi di 0,5')
      .optional()
      .meta({ title: 'Expanded Disability Status Scale (EDSS)' }),
    hoehnYahr: oneOf([0, 1, 1.5, 2, 2.5, 3, 4, 5], 'Hoehn e Yahr modificata: 0, 1, 1,5, 2, 2,5, 3, 4 o 5')
      .optional()
      .meta({ title: 'Hoehn e Yahr modificata' }),
  })
  .optional()
  .meta({ title: 'Scale di valutazione certificate dallo specialista', sensitive: 'special-category' });

/** What the applicant may complete or update later: documents sent on request, a renewal's new ISEE and certifications. */
const completableFields = {
  guardian: guardianSchema.optional().meta({ title: 'Tutore, amministratore di sostegno o familiare di riferimento', sensitive: 'personal' }),
  iseeSociosanitario: iseeSchema('ISEE sociosanitario'),
  iseeOrdinary: iseeSchema('ISEE ordinario (per i minorenni)'),
  scales: scalesSchema,
  law104Severe: z.boolean().meta({ title: 'Disabilità grave riconosciuta (L. 104/92 art. 3 c. 3)', sensitive: 'special-category' }),
  attendanceAllowance: z.boolean().meta({ title: 'Indennità di accompagnamento', sensitive: 'special-category' }),
  atHome: z.boolean().meta({ title: 'Vive al proprio domicilio', sensitive: 'personal' }),
  healthNeeds: z.boolean().optional().meta({ title: 'Bisogni sanitari (per la B2: valutazione integrata con l’ASST)', sensitive: 'special-category' }),
};

const startSchema = z.object({
  measure: choice(
    'Misura richiesta',
    { B1: 'B1: disabilità gravissima (ASST)', B2: 'B2: disabilità grave o non autosufficienza (Ambito)' },
    'Indicare la misura richiesta (B1 o B2)',
  ),
  benefits: z
    .array(choice('Beneficio', { buono: 'Buono mensile', voucher: 'Voucher per servizi' }, 'Indicare buono o voucher'))
    .min(1, 'Indicare buono e/o voucher')
    .refine((chosen) => new Set(chosen).size === chosen.length, 'Ogni beneficio va indicato una sola volta')
    .meta({ title: 'Buono e/o voucher' }),
  /** The protocol date: the call window is about when the person applied, not when the office registered it. */
  submittedOn: dateSchema('Data di presentazione della domanda (protocollo)'),
  applicant: personSchema.meta({ title: 'Persona per cui si chiede la misura', sensitive: 'personal' }),
  residenceMunicipality: z
    .string()
    .trim()
    .min(1, 'Indicare il comune di residenza')
    .max(100, 'Al massimo 100 caratteri')
    .meta({ title: 'Comune di residenza', sensitive: 'personal' }),
  minor: z.boolean().meta({ title: 'Persona minorenne', sensitive: 'personal' }),
  ...completableFields,
});
type Application = z.infer<typeof startSchema>;

const applicationUpdateSchema = z.object(completableFields).partial();

/** The application as completed over time, and what the case records about the plan and the measure. */
type B12Data = Application & { planSignedBy?: Signatory; activatedAt?: string };

const callWindowFields = {
  callOpensOn: z.iso.date(),
  callClosesOn: z.iso.date(),
};
const inOrder = (window: { callOpensOn: string; callClosesOn: string }) => window.callOpensOn <= window.callClosesOn;
const windowOrderMessage = { message: 'Il bando deve aprirsi prima di chiudersi', path: ['callClosesOn'] };

const parametersSchema = z.object({
  ...roundParametersSchema.shape,
  /** From the application to the funding decision; suspended while the office waits for documents. */
  procedureWorkingDays: z.int().min(1),
  /** Granted to the applicant to complete the application before it is declared inadmissible. */
  documentsWorkingDays: z.int().min(1),
  renewalAfterMonths: z.int().min(1),
  /** Granted to the person to renew once the year is over, before the measure lapses. */
  renewalWorkingDays: z.int().min(1),
  B1: z
    .object({
      ...callWindowFields,
      maxIseeSociosanitario: z.number().positive(),
      maxOrdinaryIseeForMinors: z.number().positive(),
      cutoffs: z.object({
        maxGcs: z.number(),
        minCdrs: z.number(),
        asiaGrades: z.array(z.enum(asiaGrades)).min(1),
        maxMrcOnEachLimb: z.number(),
        minEdss: z.number(),
        minHoehnYahr: z.number(),
      }),
    })
    .refine(inOrder, windowOrderMessage),
  B2: z.object({ ...callWindowFields, maxIseeSociosanitario: z.number().positive() }).refine(inOrder, windowOrderMessage),
});
type B12Parameters = z.infer<typeof parametersSchema>;

const documentsRequestSchema = z.object({
  missing: z
    .array(
      choice(
        'Documento',
        {
          isee: 'Attestazione ISEE',
          'specialist-certification': 'Certificazione dello specialista (scale di valutazione)',
          'disability-certification': 'Certificazione di invalidità o L.104/92',
          'guardian-appointment': 'Nomina del tutore o amministratore di sostegno',
          'identity-document': 'Documento di identità',
          other: 'Altro',
        },
        'Documento non previsto',
      ),
    )
    .min(1, 'Indicare i documenti mancanti')
    .meta({ title: 'Documenti mancanti' }),
  notes: z.string().trim().max(1000, 'Al massimo 1000 caratteri').optional().meta({ title: 'Note per il richiedente', sensitive: 'personal' }),
});
const noPayloadSchema = z.object({});
const planSignedSchema = z.object({
  signedBy: choice(
    'Firmato da',
    { person: 'La persona', guardian: 'Il tutore o amministratore di sostegno' },
    'Indicare chi ha firmato: la persona o il tutore',
  ),
});
type Signatory = z.infer<typeof planSignedSchema>['signedBy'];
const rankingSchema = z.object({ funded: z.boolean({ error: 'Indicare se la domanda è finanziata' }).meta({ title: 'Finanziata' }) });
const suspensionSchema = z.object({
  reason: z
    .enum(['hospitalisation', 'respite-stay', 'other'], { error: 'Indicare il motivo della sospensione' })
    .meta({ title: 'Motivo (ricovero ospedaliero, ricovero di sollievo, altro)', sensitive: 'special-category' }),
});
const closureSchema = z.object({
  reason: z
    .enum(['renounced', 'moved-out-of-region', 'death'], { error: 'Indicare il motivo della chiusura' })
    .meta({ title: 'Motivo (rinuncia, trasferimento fuori regione, decesso)', sensitive: 'personal' }),
});

type B12Event =
  | CaseEvent<'documents.requested', z.infer<typeof documentsRequestSchema>>
  | CaseEvent<'documents.received' | 'renewal.requested', z.infer<typeof applicationUpdateSchema>>
  | CaseEvent<'check.completed' | 'evaluation.rescheduled' | 'measure.resumed' | 'waitlist.lapsed', z.infer<typeof noPayloadSchema>>
  | CaseEvent<'plan.signed', z.infer<typeof planSignedSchema>>
  | CaseEvent<'ranking.published', z.infer<typeof rankingSchema>>
  | CaseEvent<'measure.suspended', z.infer<typeof suspensionSchema>>
  | CaseEvent<'case.closed', z.infer<typeof closureSchema>>;

type Context = CaseContext<B12Data, B12Parameters>;

// ---- the domain rules, read from the parameters pinned when the case started ----

/** B1 counts the ordinary ISEE for minors and the ISEE sociosanitario for adults; B2 always the sociosanitario. */
function relevantIsee(application: Application) {
  return application.measure === 'B1' && application.minor ? application.iseeOrdinary : application.iseeSociosanitario;
}

function iseeCeiling(application: Application, parameters: B12Parameters): number {
  if (application.measure === 'B2') return parameters.B2.maxIseeSociosanitario;
  return application.minor ? parameters.B1.maxOrdinaryIseeForMinors : parameters.B1.maxIseeSociosanitario;
}

function scoresPastCutoff(scales: NonNullable<Application['scales']>, cutoffs: B12Parameters['B1']['cutoffs']): boolean[] {
  const { gcs, cdrs, asia, mrc, edss, hoehnYahr } = scales;
  return [
    gcs !== undefined && gcs <= cutoffs.maxGcs,
    cdrs !== undefined && cdrs >= cutoffs.minCdrs,
    asia !== undefined && cutoffs.asiaGrades.includes(asia),
    mrc !== undefined && Object.values(mrc).every((score) => score <= cutoffs.maxMrcOnEachLimb),
    edss !== undefined && edss >= cutoffs.minEdss,
    hoehnYahr !== undefined && hoehnYahr >= cutoffs.minHoehnYahr,
  ];
}

const hasAnyScore = ({ scales }: Application) =>
  !!scales && [scales.gcs, scales.cdrs, scales.asia, scales.mrc, scales.edss, scales.hoehnYahr].some((score) => score !== undefined);

/** Complete: the ISEE the measure is assessed on and, for B1, a certified scale score. */
const isComplete = (application: Application) => !!relevantIsee(application) && (application.measure === 'B2' || hasAnyScore(application));

function isEligible(application: Application, parameters: B12Parameters): boolean {
  const isee = relevantIsee(application);
  if (!isee || isee.value > iseeCeiling(application, parameters)) return false;
  if (application.measure === 'B2') return application.law104Severe || application.attendanceAllowance;
  return application.atHome && !!application.scales && scoresPastCutoff(application.scales, parameters.B1.cutoffs).some(Boolean);
}

function insideCallWindow({ data, settings }: Context): boolean {
  const { callOpensOn, callClosesOn } = settings.parameters[data.measure];
  return callOpensOn <= data.submittedOn && data.submittedOn <= callClosesOn;
}

/** A minor cannot sign; a guardian can sign only when the application names one. */
function maySign(data: B12Data, signatory: Signatory): boolean {
  return signatory === 'guardian' ? !!data.guardian : !data.minor;
}

/** B1 is run by the ASST, B2 by the Ambito: that service's social worker follows the plan and the measure. */
const caseManagerRoles = ({ context }: { context: Context }) => ({
  roles: [context.data.measure === 'B1' ? 'health-social-worker' : 'social-worker'],
});

function renewalDueAt(data: B12Data, months: number): number {
  if (!data.activatedAt) throw new Error('the measure has no activation date to renew from');
  const due = new Date(data.activatedAt);
  due.setUTCMonth(due.getUTCMonth() + months);
  return due.getTime();
}

// ---- the chart ----

const base = caseSetup<B12Data, B12Event, B12Parameters>();
const pathway = base.extend({
  guards: {
    outsideCallWindow: ({ context }) => !insideCallWindow(context),
    applicationComplete: ({ context }) => isComplete(context.data),
    eligible: ({ context }) => isEligible(context.data, context.settings.parameters),
    requestsB1: ({ context }) => context.data.measure === 'B1',
    hasHealthNeeds: ({ context }) => context.data.healthNeeds === true,
    signatoryMaySign: ({ context, event }) => event.type === 'plan.signed' && maySign(context.data, event.payload.signedBy),
    funded: ({ event }) => event.type === 'ranking.published' && event.payload.funded,
  },
  delays: {
    untilRenewal: ({ context, event }) => Math.max(0, renewalDueAt(context.data, context.settings.parameters.renewalAfterMonths) - eventTime(event)),
  },
});

const recordApplicationUpdate = pathway.assign({
  data: ({ context, event }) =>
    event.type === 'documents.received' || event.type === 'renewal.requested' ? { ...context.data, ...event.payload } : context.data,
});
const recordSignatory = pathway.assign({
  data: ({ context, event }) => (event.type === 'plan.signed' ? { ...context.data, planSignedBy: event.payload.signedBy } : context.data),
});
const recordActivation = pathway.assign({
  data: ({ context, event }) => ({ ...context.data, activatedAt: new Date(eventTime(event)).toISOString() }),
});

type WorkingDayParameter = 'procedureWorkingDays' | 'documentsWorkingDays' | 'renewalWorkingDays';

/**
 * `base.deadline.start` takes a fixed length, but these lengths are parameters: its start action gets the spec
 * built from the values pinned in the case, and keeps the timer `start` arms.
 */
function startClock(id: string, label: string, length: WorkingDayParameter) {
  return base.deadline.start({ id, label, length: { workingDays: 0 } }).map((action) =>
    typeof action === 'object' && action.type === 'startDeadline'
      ? {
          ...action,
          params: ({ context }: { context: Context }) => ({
            spec: { id, label, length: { workingDays: context.settings.parameters[length] } },
          }),
        }
      : action,
  );
}

const isClock = (id: string) => ({ type: 'isDeadline' as const, params: { id } });
const closeAs = (outcome: string) => ({ type: 'final' as const, entry: { type: 'setOutcome' as const, params: { outcome } } });
const notify = (...roles: string[]) => ({ type: 'notify' as const, params: { roles } });
const notifyCaseManager = { type: 'notify' as const, params: caseManagerRoles };

// No source fixes the evaluation's timing: these are defaults, and the parameters' `rounds` set the values in force.
const evaluationRoundDefaults = {
  quorum: 'all',
  deadlineWorkingDays: 20,
  reminders: { firstAfterWorkingDays: 5, repeatEveryWorkingDays: 3, escalateAfterWorkingDays: 10 },
} as const;

const roundSpecs = {
  b1Evaluation: {
    ...evaluationRoundDefaults,
    id: 'b1-evaluation',
    label: 'Valutazione multidimensionale ASST (Misura B1)',
    roles: ['physician', 'nurse', 'health-social-worker'],
  },
  b2Evaluation: {
    ...evaluationRoundDefaults,
    id: 'b2-evaluation',
    label: 'Valutazione sociale dell’Ambito (Misura B2)',
    roles: ['social-worker'],
  },
  b2JointEvaluation: {
    ...evaluationRoundDefaults,
    id: 'b2-joint-evaluation',
    label: 'Valutazione integrata Ambito e ASST (Misura B2)',
    roles: ['social-worker', 'nurse'],
    substitutes: { nurse: ['physician'] },
  },
} satisfies Record<string, RoundSpec>;

const evaluators = ['physician', 'nurse', 'health-social-worker', 'social-worker'] as const;

/** Every evaluation closes the same way; the team asking for changes sends the application back to the office. */
const evaluationRound = (spec: RoundSpec) =>
  base.signoffRound(spec, {
    approved: 'plan',
    changesRequested: 'administrativeCheck',
    rejected: '#b1b2-evaluation.evaluationNegative',
    expired: 'evaluationOverdue',
  });

/** The team of the measure: the ASST for B1; for B2 the Ambito, joined by the ASST when there are health needs. */
const toEvaluationTeam = (...precondition: 'applicationComplete'[]) => [
  { guard: and([...precondition, 'requestsB1']), target: 'b1Evaluation' },
  // Only B2 applications get this far: B1 always goes to the ASST team above.
  { guard: and([...precondition, 'hasHealthNeeds']), target: 'b2JointEvaluation' },
  { guard: and(precondition), target: 'b2Evaluation' },
];

const onFunding = {
  guard: 'funded' as const,
  target: '#b1b2-evaluation.measure',
  actions: [recordActivation, notifyCaseManager],
};

const machine = pathway.createMachine({
  id: 'b1b2-evaluation',
  context: ({ input }) => caseContext(input),
  initial: 'procedure',
  on: {
    'case.closed': { target: '.closed', actions: { type: 'setOutcome', params: ({ event }) => ({ outcome: event.payload.reason }) } },
  },
  states: {
    procedure: {
      entry: startClock('procedure', 'Termine del procedimento', 'procedureWorkingDays'),
      exit: base.deadline.stop('procedure'),
      initial: 'administrativeCheck',
      // An overdue procedure is the office's fault, not the applicant's: the office is told, the case goes on.
      on: { 'deadline.expire': { guard: isClock('procedure'), actions: notify('administrative-officer') } },
      states: {
        administrativeCheck: {
          // The protocol date never changes, so this decides once, when the application arrives.
          always: { guard: 'outsideCallWindow', target: '#b1b2-evaluation.outOfWindow' },
          on: {
            'documents.requested': 'awaitingDocuments',
            'check.completed': [
              { guard: and(['applicationComplete', not('eligible')]), target: '#b1b2-evaluation.notEligible' },
              ...toEvaluationTeam('applicationComplete'),
            ],
          },
        },
        awaitingDocuments: {
          entry: [...base.deadline.suspend('procedure'), ...startClock('documents', 'Termine per l’integrazione documentale', 'documentsWorkingDays')],
          exit: base.deadline.stop('documents'),
          on: {
            'documents.received': {
              target: 'administrativeCheck',
              actions: [recordApplicationUpdate, ...base.deadline.resume('procedure')],
            },
            'deadline.expire': { guard: isClock('documents'), target: '#b1b2-evaluation.inadmissible' },
          },
        },
        b1Evaluation: evaluationRound(roundSpecs.b1Evaluation),
        b2Evaluation: evaluationRound(roundSpecs.b2Evaluation),
        b2JointEvaluation: evaluationRound(roundSpecs.b2JointEvaluation),
        evaluationOverdue: {
          entry: notify('administrative-officer'),
          on: { 'evaluation.rescheduled': toEvaluationTeam() },
        },
        plan: {
          entry: notifyCaseManager,
          on: { 'plan.signed': { guard: 'signatoryMaySign', target: 'ranking', actions: recordSignatory } },
        },
        ranking: {
          entry: notify('administrative-officer'),
          on: { 'ranking.published': [onFunding, { target: '#b1b2-evaluation.waitingList' }] },
        },
      },
    },
    waitingList: {
      on: {
        'ranking.published': onFunding,
        'waitlist.lapsed': 'notFunded',
      },
    },
    measure: {
      initial: 'active',
      // The year runs from activation, suspensions included: the renewal is an annual re-assessment.
      after: { untilRenewal: 'renewalDue' },
      states: {
        active: { on: { 'measure.suspended': { target: 'suspended', actions: notify('administrative-officer') } } },
        suspended: { on: { 'measure.resumed': { target: 'active', actions: notify('administrative-officer') } } },
      },
    },
    renewalDue: {
      entry: [notify('administrative-officer'), notifyCaseManager, ...startClock('renewal', 'Termine per il rinnovo', 'renewalWorkingDays')],
      exit: base.deadline.stop('renewal'),
      on: {
        'renewal.requested': { target: 'procedure', actions: recordApplicationUpdate },
        'deadline.expire': { guard: isClock('renewal'), target: 'notRenewed' },
      },
    },
    outOfWindow: closeAs('out-of-window'),
    inadmissible: closeAs('inadmissible'),
    notEligible: closeAs('not-eligible'),
    evaluationNegative: closeAs('evaluation-negative'),
    notFunded: closeAs('not-funded'),
    notRenewed: closeAs('not-renewed'),
    closed: { type: 'final' },
  },
});

const officeRoles = ['administrative-officer', 'social-worker'] as const;
const caseManagers = ['social-worker', 'health-social-worker'] as const;

export const b1b2Evaluation = definePathway({
  kind: 'b1b2-evaluation',
  version: '1',
  title: 'Misure B1/B2 per la disabilità grave e gravissima',
  startSchema,
  person: { field: 'applicant', identify: ({ applicant }: Application) => ({ name: applicant.fullName, fiscalCode: applicant.fiscalCode }) },
  parametersSchema,
  startRoles: officeRoles,
  roles: {
    'administrative-officer': 'Istruttore amministrativo',
    'social-worker': 'Assistente sociale dell’Ambito',
    'health-social-worker': 'Assistente sociale dell’ASST',
    physician: 'Medico',
    nurse: 'Infermiere',
  },
  organisations: ['municipality', 'health-authority'],
  events: {
    ...signoffEvents(evaluators),
    'documents.requested': { schema: documentsRequestSchema, roles: officeRoles, label: 'Richiesta di integrazione documentale' },
    'documents.received': { schema: applicationUpdateSchema, roles: officeRoles, label: 'Integrazione documentale ricevuta' },
    'check.completed': { schema: noPayloadSchema, roles: officeRoles, label: 'Verifica amministrativa completata' },
    'evaluation.rescheduled': { schema: noPayloadSchema, roles: [...officeRoles, 'health-social-worker'], label: 'Valutazione riprogrammata' },
    'plan.signed': { schema: planSignedSchema, roles: caseManagers, label: 'Progetto Individuale sottoscritto' },
    'ranking.published': { schema: rankingSchema, roles: ['administrative-officer'], label: 'Graduatoria pubblicata' },
    'waitlist.lapsed': { schema: noPayloadSchema, roles: ['administrative-officer'], label: 'Lista d’attesa decaduta' },
    'measure.suspended': { schema: suspensionSchema, roles: [...caseManagers, 'administrative-officer'], label: 'Misura sospesa' },
    'measure.resumed': { schema: noPayloadSchema, roles: [...caseManagers, 'administrative-officer'], label: 'Misura ripresa' },
    'renewal.requested': { schema: applicationUpdateSchema, roles: officeRoles, label: 'Domanda di rinnovo presentata' },
    'case.closed': { schema: closureSchema, roles: [...caseManagers, 'administrative-officer'], label: 'Chiusura del caso' },
  },
  stateLabels: {
    procedure: 'Istruttoria della domanda',
    'procedure.administrativeCheck': 'Verifica amministrativa',
    'procedure.awaitingDocuments': 'In attesa di integrazione documentale',
    'procedure.b1Evaluation': 'Valutazione multidimensionale ASST (B1)',
    'procedure.b2Evaluation': 'Valutazione sociale dell’Ambito (B2)',
    'procedure.b2JointEvaluation': 'Valutazione integrata Ambito e ASST (B2)',
    'procedure.evaluationOverdue': 'Valutazione scaduta, da riprogrammare',
    'procedure.plan': 'Progetto Individuale da sottoscrivere',
    'procedure.ranking': 'In attesa della graduatoria',
    waitingList: 'In lista d’attesa',
    measure: 'Misura in corso',
    'measure.active': 'Misura attiva (erogazione mensile)',
    'measure.suspended': 'Misura sospesa',
    renewalDue: 'Rinnovo annuale',
    outOfWindow: 'Chiuso: domanda fuori dai termini del bando',
    inadmissible: 'Chiuso: domanda inammissibile (integrazione non pervenuta)',
    notEligible: 'Chiuso: requisiti non posseduti',
    evaluationNegative: 'Chiuso: valutazione negativa',
    notFunded: 'Chiuso: non finanziato',
    notRenewed: 'Chiuso: rinnovo non presentato',
    closed: 'Chiuso',
  },
  machine,
});
