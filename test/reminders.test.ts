import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addWorkingDays } from '../machines/calendar.js';
import type { caseWorkflow } from '../workflows/case-workflow.js';
import { actors, mailbox, recipients, startTimeSkippingStack, type TimeSkippingStack } from './support/harness.js';

/**
 * Reminders count working days, so these run on Temporal's time-skipping server: days pass in seconds while the
 * worker, the activities and the SMTP server are the real ones.
 */
let stack: TimeSkippingStack;
beforeAll(async () => {
  stack = await startTimeSkippingStack('reminders');
});
afterAll(() => stack?.stop());

const MINUTE = 60_000;
const calendar = {};
const approve = { round: 'evaluation', decision: 'approve' };

async function openCase(extra: Record<string, unknown> = {}) {
  const { caseRef } = await stack.cases.start({ kind: 'hello', data: { summary: 'Valutazione con solleciti' }, actor: actors.socialWorker, ...extra });
  const view = await stack.cases.view(caseRef);
  await mailbox.expectCount(caseRef, 2);
  return { caseRef, openedAt: Date.parse(view.rounds[0]!.openedAt) };
}

/** Lets server time run until just past `epochMs`, then waits for the case's e-mails to settle at `count`. */
async function advanceTo(epochMs: number, caseRef: string, count: number) {
  const now = await stack.env.currentTimeMs();
  await stack.env.sleep(Math.max(0, epochMs - now) + MINUTE);
  return mailbox.expectCount(caseRef, count);
}

const subjects = {
  reminder: 'Raccordo: promemoria di un compito in attesa',
  escalation: 'Raccordo: un compito è in ritardo',
};

describe('the reminder policy of a sign-off round', () => {
  it('reminds only the evaluators still pending, escalates to the coordinator, and stops when they sign', async () => {
    const { caseRef, openedAt } = await openCase();
    await stack.cases.send(caseRef, 'signoff.submit', approve, actors.socialWorker);

    // hello: first reminder after 2 working days, then every 2, escalation after 5, deadline after 10.
    const firstReminder = addWorkingDays(openedAt, 2, calendar);
    let mails = await advanceTo(firstReminder, caseRef, 3);
    const reminders = () => mails.filter((mail) => mail.subject === subjects.reminder);
    expect(recipients(reminders())).toEqual(['physician@demo.raccordo.local']);

    mails = await advanceTo(addWorkingDays(firstReminder, 2, calendar), caseRef, 4);
    expect(recipients(reminders())).toEqual(['physician@demo.raccordo.local', 'physician@demo.raccordo.local']);

    mails = await advanceTo(addWorkingDays(openedAt, 5, calendar), caseRef, 5);
    const escalations = mails.filter((mail) => mail.subject === subjects.escalation);
    expect(recipients(escalations)).toEqual(['social-worker@demo.raccordo.local']);

    const view = await stack.cases.view(caseRef);
    expect(view.pendingSignoffs).toEqual([expect.objectContaining({ candidateRole: 'physician' })]);
    const done = await stack.cases.send(caseRef, 'signoff.submit', approve, actors.physician);
    expect(done.outcome).toBe('approved');

    const settled = await advanceTo(addWorkingDays(openedAt, 15, calendar), caseRef, 5);
    expect(settled).toHaveLength(5);
    expect(new Set(settled.map((mail) => mail.headers['message-id'])).size).toBe(5);
  });

  it('closes the round at its deadline when nobody signs', async () => {
    const { caseRef, openedAt } = await openCase();
    const now = await stack.env.currentTimeMs();
    await stack.env.sleep(addWorkingDays(openedAt, 10, calendar) - now + MINUTE);
    const result = await stack.client.workflow.getHandle<typeof caseWorkflow>(caseRef).result();
    expect(result).toMatchObject({ status: 'done', value: 'closed' });
    expect(result.timeline.map((entry) => entry.event)).toContain('round.expire');
    expect(result.timeline.filter((entry) => entry.event === 'round.escalate')).toHaveLength(1);
  });

  it('keeps its timers across continue-as-new', async () => {
    const { caseRef, openedAt } = await openCase({ continueAsNewAfterEvents: 20 });
    const handle = stack.client.workflow.getHandle(caseRef);
    const firstRun = (await handle.describe()).runId;
    await stack.cases.send(caseRef, 'signoff.submit', approve, actors.physician);
    for (let i = 0; i < 6; i++) await stack.cases.send(caseRef, 'signoff.claim', { round: 'evaluation' }, actors.socialWorker);
    expect((await handle.describe()).runId).not.toBe(firstRun);

    const mails = await advanceTo(addWorkingDays(openedAt, 2, calendar), caseRef, 3);
    expect(recipients(mails.filter((mail) => mail.subject === subjects.reminder))).toEqual(['social-worker@demo.raccordo.local']);
  });
});

describe('a scheduled evaluation', () => {
  it('opens its round only when the meeting date comes', async () => {
    const start = await stack.env.currentTimeMs();
    const evaluationFrom = new Date(start + 3 * 24 * 3_600_000).toISOString();
    const { caseRef } = await stack.cases.start({ kind: 'hello', data: { summary: 'UVM programmata', evaluationFrom }, actor: actors.socialWorker });
    expect((await stack.cases.view(caseRef)).state).toBe('scheduled');
    await stack.env.sleep(3 * 24 * 3_600_000 + MINUTE);
    await mailbox.expectCount(caseRef, 2);
    expect((await stack.cases.view(caseRef)).stateLabel).toBe('In valutazione');
  });
});
