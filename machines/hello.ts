import { z } from 'zod';
import { eventTime, type CaseEvent } from './case.js';
import { caseContext, caseSetup } from './case-setup.js';
import { definePathway, signoffEvents } from './pathway.js';

/**
 * The smallest real pathway: a signal, one joint evaluation by a physician and a social worker, an outcome.
 * It is the smoke test of the whole stack and the engine's own test subject.
 */

const startSchema = z.object({
  summary: z.string().trim().min(1, 'Indicare una sintesi della segnalazione').max(2000).meta({ title: 'Sintesi della segnalazione', sensitive: 'personal' }),
  /** When the team meets: the round opens then, not at once. */
  evaluationFrom: z.iso.datetime({ offset: true, error: 'Data e ora non valide' }).optional().meta({ title: 'Data della valutazione congiunta' }),
});
export type HelloData = z.infer<typeof startSchema>;

const withdrawSchema = z.object({ reason: z.string().trim().min(1, 'Indicare il motivo').max(500) });

type HelloEvent = CaseEvent<'case.withdraw', z.infer<typeof withdrawSchema>>;

const evaluators = ['physician', 'social-worker'] as const;

const base = caseSetup<HelloData, HelloEvent>();
const pathway = base.extend({
  guards: {
    evaluationIsDue: ({ context, event }) => !context.data.evaluationFrom || Date.parse(context.data.evaluationFrom) <= eventTime(event),
  },
  delays: {
    untilEvaluation: ({ context, event }) => Math.max(0, Date.parse(context.data.evaluationFrom ?? context.startedAt) - eventTime(event)),
  },
});

const machine = pathway.createMachine({
  id: 'hello',
  context: ({ input }) => caseContext(input),
  initial: 'scheduled',
  states: {
    scheduled: {
      always: { guard: 'evaluationIsDue', target: 'evaluation' },
      after: { untilEvaluation: 'evaluation' },
    },
    evaluation: {
      ...base.signoffRound(
        {
          id: 'evaluation',
          label: 'Valutazione congiunta',
          roles: evaluators,
          quorum: 'all',
          deadlineWorkingDays: 10,
          reminders: { firstAfterWorkingDays: 2, repeatEveryWorkingDays: 2, escalateAfterWorkingDays: 5 },
          substitutes: { physician: ['nurse'] },
        },
        { approved: 'approved', rejected: 'closed', expired: 'closed' },
      ),
    },
    approved: { type: 'final', entry: { type: 'setOutcome', params: { outcome: 'approved' } } },
    closed: { type: 'final' },
  },
  on: {
    'case.withdraw': { target: '.closed', actions: { type: 'setOutcome', params: { outcome: 'withdrawn' } } },
  },
});

export const hello = definePathway({
  kind: 'hello',
  version: '1',
  title: 'Percorso di prova',
  startSchema,
  startRoles: ['social-worker'],
  roles: { 'social-worker': 'Assistente sociale', physician: 'Medico', nurse: 'Infermiere' },
  organisations: ['municipality', 'health-authority'],
  events: {
    ...signoffEvents([...evaluators, 'nurse']),
    'case.withdraw': { schema: withdrawSchema, roles: ['social-worker'], label: 'Ritiro della segnalazione' },
  },
  stateLabels: { scheduled: 'Valutazione programmata', evaluation: 'In valutazione', approved: 'Approvato', closed: 'Chiuso' },
  machine,
});
