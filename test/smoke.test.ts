import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorFor, actors, eventually, mailbox, recipients, startCaseStack, type CaseStack } from './support/harness.js';

let stack: CaseStack;
beforeAll(async () => {
  stack = await startCaseStack('smoke');
});
afterAll(() => stack?.stop());

describe('the hello pathway on the real Temporal server and SMTP server', () => {
  it('runs from signal to approval, e-mailing each evaluator once', async () => {
    const { caseRef, created } = await stack.cases.start({ kind: 'hello', data: { summary: 'Prova di fumo' }, actor: actors.socialWorker });
    expect(created).toBe(true);
    expect(caseRef).toMatch(/^RAC-\d{4}-[0-9A-Z]{6}$/);

    const opened = await stack.cases.view(caseRef, actorFor('physician'));
    expect(opened.stateLabel).toBe('In valutazione');
    expect(opened.actions.map((action) => action.type)).toContain('signoff.submit');
    expect(opened.pendingSignoffs.map((task) => task.candidateRole)).toEqual(['physician', 'social-worker']);

    await stack.cases.send(caseRef, 'signoff.submit', { round: 'evaluation', decision: 'approve' }, actors.physician);
    const done = await stack.cases.send(caseRef, 'signoff.submit', { round: 'evaluation', decision: 'approve' }, actors.socialWorker);
    expect(done.status).toBe('done');
    expect(done.outcome).toBe('approved');
    expect(done.timeline.map((entry) => `${entry.from}→${entry.to}`)).toEqual(['→evaluation', 'evaluation→evaluation', 'evaluation→approved']);

    const result = await stack.client.workflow.getHandle(caseRef).result();
    expect(result).toMatchObject({ status: 'done', value: 'approved' });

    const mails = await mailbox.expectCount(caseRef, 2);
    expect(recipients(mails)).toEqual(['physician@demo.raccordo.local', 'social-worker@demo.raccordo.local']);
    expect(mails.every((mail) => mail.subject === 'Raccordo: hai un nuovo compito')).toBe(true);
    expect(mails.every((mail) => mail.text.includes(`http://raccordo.test/cases/${caseRef}`))).toBe(true);
    expect(mails.some((mail) => mail.text.includes('Prova di fumo') || mail.html.includes('Prova di fumo'))).toBe(false);

    const listed = await eventually(
      async () => {
        const found = [];
        for await (const execution of stack.client.workflow.list({ query: `PathwayKind='hello' AND PathwayState='approved' AND CaseRef='${caseRef}'` })) {
          found.push(execution.workflowId);
        }
        return found.length ? found : undefined;
      },
      20_000,
      'the case in visibility',
    );
    expect(listed).toEqual([caseRef]);
  });
});
