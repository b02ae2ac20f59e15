import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { searchAttributes } from '../workflows/search-attributes.js';
import { actors, eventually, settled, startCaseStack, type CaseStack } from './support/harness.js';
import { serdReferral } from './support/samples.js';

let stack: CaseStack;
beforeAll(async () => {
  stack = await startCaseStack('engine');
});
afterAll(() => stack?.stop());

const approve = { round: 'evaluation', decision: 'approve' };
const openCase = async (actor = actors.socialWorker, extra: Record<string, unknown> = {}) =>
  (await stack.cases.start({ kind: 'hello', data: { summary: 'Caso di prova del motore' }, actor, ...extra })).caseRef;
const historyLength = async (caseRef: string) => (await stack.client.workflow.getHandle(caseRef).fetchHistory()).events?.length ?? 0;

/** The same query a coordinator would type, through the real Temporal CLI. */
function cliList(query: string): string[] {
  const run = spawnSync(inject('temporalCli'), ['workflow', 'list', '--address', inject('temporalAddress'), '--query', query, '--output', 'json'], {
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return (JSON.parse(run.stdout || '[]') as { execution: { workflowId: string } }[]).map((row) => row.execution.workflowId).sort();
}

describe('the update validator', () => {
  it('rejects bad events with their reason and leaves no trace in the history', async () => {
    const caseRef = await openCase();
    const before = await settled(stack.client, caseRef);

    await expect(stack.cases.send(caseRef, 'case.explode', {}, actors.socialWorker)).rejects.toMatchObject({
      status: 400,
      code: 'UnknownEvent',
      message: 'Evento sconosciuto: case.explode',
    });
    await expect(stack.cases.send(caseRef, 'signoff.submit', { round: 'evaluation', decision: 'forse' }, actors.physician)).rejects.toMatchObject({
      status: 400,
      code: 'InvalidPayload',
      issues: [expect.objectContaining({ path: 'decision' })],
    });
    await expect(stack.cases.send(caseRef, 'case.withdraw', { reason: 'non serve' }, actors.physician)).rejects.toMatchObject({
      status: 403,
      code: 'RoleNotAllowed',
    });
    // A nurse may sign only in place of the physician: on her own behalf she has nothing pending.
    await expect(stack.cases.send(caseRef, 'signoff.submit', approve, actors.nurse)).rejects.toMatchObject({
      status: 409,
      code: 'NotAllowedNow',
      message: expect.stringContaining('In valutazione'),
    });
    await expect(stack.cases.send(caseRef, 'case.withdraw', { reason: '' }, actors.socialWorker)).rejects.toMatchObject({
      status: 400,
      issues: [{ path: 'reason', message: 'Indicare il motivo' }],
    });

    expect(await historyLength(caseRef)).toBe(before);
    await stack.cases.send(caseRef, 'signoff.submit', approve, actors.physician);
    expect(await historyLength(caseRef)).toBeGreaterThan(before);
  });

  it('refuses an event on an unknown case with 404', async () => {
    await expect(stack.cases.send('RAC-2026-NOCASE', 'signoff.submit', approve, actors.physician)).rejects.toMatchObject({ status: 404 });
  });
});

describe('sign-off rounds', () => {
  it('records a substitute signing for an absent evaluator, and the task inbox fields', async () => {
    const caseRef = await openCase();
    const claimed = await stack.cases.send(caseRef, 'signoff.claim', { round: 'evaluation' }, actors.socialWorker);
    const task = claimed.pendingSignoffs.find((pending) => pending.candidateRole === 'social-worker');
    expect(task).toMatchObject({ assignee: 'social-worker', roundLabel: 'Valutazione congiunta', priority: 'normal' });
    expect(Date.parse(task!.followUpAt)).toBeLessThan(Date.parse(task!.dueAt));

    const signed = await stack.cases.send(caseRef, 'signoff.submit', { ...approve, onBehalfOf: 'physician', notes: 'Medico assente' }, actors.nurse);
    expect(signed.rounds[0]!.decisions.physician).toMatchObject({ signedBy: 'nurse', signedByRole: 'nurse', substitute: true, notes: 'Medico assente' });
    expect(signed.pendingSignoffs.map((pending) => pending.candidateRole)).toEqual(['social-worker']);
  });

  it("keep one durable timer for a round's reminder, escalation and deadline, and leave it to a closing case", async () => {
    const caseRef = await openCase();
    await settled(stack.client, caseRef);
    const opened = await stack.cases.view(caseRef);
    expect(opened.pendingSignoffs).toHaveLength(2);
    await stack.cases.send(caseRef, 'signoff.submit', approve, actors.physician);
    await stack.cases.send(caseRef, 'signoff.submit', approve, actors.socialWorker);
    await stack.client.workflow.getHandle(caseRef).result();

    const events = (await stack.client.workflow.getHandle(caseRef).fetchHistory()).events ?? [];
    const timers = events.filter((event) => event.timerStartedEventAttributes || event.timerCanceledEventAttributes);
    expect(timers).toHaveLength(1);
    // Armed for the earliest of the three: the first reminder, the task's follow-up date, well before its deadline.
    const timeout = timers[0]!.timerStartedEventAttributes!.startToFireTimeout!;
    const firesAt = Date.parse(opened.startedAt) + Number(timeout.seconds) * 1000 + (timeout.nanos ?? 0) / 1e6;
    const task = opened.pendingSignoffs[0]!;
    expect(Math.abs(firesAt - Date.parse(task.followUpAt))).toBeLessThan(1000);
    expect(firesAt).toBeLessThan(Date.parse(task.dueAt));
  });

  it('closes the case as soon as one evaluator rejects', async () => {
    const caseRef = await openCase();
    const closed = await stack.cases.send(caseRef, 'signoff.submit', { round: 'evaluation', decision: 'reject', notes: 'Non di competenza' }, actors.physician);
    expect(closed).toMatchObject({ status: 'done', state: 'closed', stateLabel: 'Chiuso', pendingSignoffs: [] });
  });
});

describe('search attributes', () => {
  it('let the CLI find cases by kind, state and pending role', async () => {
    const waiting = await openCase();
    const approved = await openCase();
    await stack.cases.send(waiting, 'signoff.submit', approve, actors.physician);
    await stack.cases.send(approved, 'signoff.submit', approve, actors.physician);
    await stack.cases.send(approved, 'signoff.submit', approve, actors.socialWorker);
    const mine = `CaseRef IN ('${waiting}', '${approved}')`;

    await eventually(async () => cliList(`PathwayKind='hello' AND PathwayState='approved' AND ${mine}`).join() === approved, 20_000, 'visibility');
    expect(cliList(`PathwayKind='hello' AND PathwayState='evaluation' AND ${mine}`)).toEqual([waiting]);
    expect(cliList(`PendingRoles='social-worker' AND ${mine}`)).toEqual([waiting]);
    expect(cliList(`PendingRoles='physician' AND ${mine}`)).toEqual([]);
    expect(cliList(`NextDeadline > '2000-01-01T00:00:00Z' AND ${mine}`)).toEqual([waiting]);
  });
});

describe('starts from external systems', () => {
  it('open one case however many times the same signal arrives, even concurrently', async () => {
    const externalKey = `ospedale-demo:encounter-${Date.now()}`;
    const starts = await Promise.all(
      Array.from({ length: 20 }, () => stack.cases.start({ kind: 'hello', data: { summary: 'Dimissione' }, actor: actors.socialWorker, externalKey })),
    );
    const refs = new Set(starts.map((start) => start.caseRef));
    expect(refs.size).toBe(1);
    expect(starts.filter((start) => start.created)).toHaveLength(1);
    const [caseRef] = refs;
    expect(caseRef).not.toContain('encounter');

    await stack.cases.send(caseRef!, 'case.withdraw', { reason: 'Dimissione annullata' }, actors.socialWorker);
    await stack.client.workflow.getHandle(caseRef!).result();
    const again = await stack.cases.start({ kind: 'hello', data: { summary: 'Dimissione' }, actor: actors.socialWorker, externalKey });
    expect(again).toEqual({ caseRef, created: false });
    await eventually(async () => cliList(`CaseRef='${caseRef}'`).length === 1, 20_000, 'visibility');
  });
});

describe('long cases', () => {
  it('continue as new carrying state, decisions and timeline', async () => {
    const caseRef = await openCase(actors.socialWorker, { continueAsNewAfterEvents: 20 });
    const handle = stack.client.workflow.getHandle(caseRef);
    const firstRun = (await handle.describe()).runId;
    await stack.cases.send(caseRef, 'signoff.submit', approve, actors.physician);
    for (let i = 0; i < 6; i++) await stack.cases.send(caseRef, 'signoff.claim', { round: 'evaluation' }, actors.socialWorker);
    await eventually(async () => (await handle.describe()).runId !== firstRun, 20_000, 'continue-as-new');

    const view = await stack.cases.view(caseRef);
    expect(view.state).toBe('evaluation');
    expect(view.rounds[0]!.decisions.physician).toMatchObject({ decision: 'approve' });
    expect(view.timeline).toHaveLength(8);
    const done = await stack.cases.send(caseRef, 'signoff.submit', approve, actors.socialWorker);
    expect(done.outcome).toBe('approved');
  });

  it('carry the organisations the case was handed over to, and not the one that handed it back', async () => {
    const { judicialMeasure: _measure, ...referral } = serdReferral(6);
    const operator = (role: string, organisation: string) => ({ id: `${role}-op`, role, organisation });
    const [serd, nil, host] = [
      operator('addiction-service', 'health-authority'),
      operator('job-placement', 'health-authority'),
      operator('host-company', 'host'),
    ];
    const { caseRef } = await stack.cases.start({ kind: 'job-placement', data: referral, actor: serd, continueAsNewAfterEvents: 20 });
    const handle = stack.client.workflow.getHandle(caseRef);
    const firstRun = (await handle.describe()).runId;
    for (const by of [nil, actors.socialWorker, serd]) await stack.cases.send(caseRef, 'signoff.submit', { round: 'evaluation', decision: 'approve' }, by);
    const proposal = { hostName: 'Cooperativa ospitante', hostOrganisation: 'host', plannedMonths: 6 };
    await stack.cases.send(caseRef, 'host.proposed', proposal, nil);
    await eventually(async () => (await handle.describe()).runId !== firstRun, 20_000, 'continue-as-new');
    expect((await stack.cases.state(caseRef)).coOwners).toEqual(['health-authority', 'municipality', 'host']);

    // In the new run, from the carried list.
    await stack.cases.act(caseRef, 'host.declined', {}, host);
    expect((await stack.cases.state(caseRef)).coOwners).toEqual(['health-authority', 'municipality']);
    expect((await handle.describe()).typedSearchAttributes.get(searchAttributes.organisations)).toEqual(['health-authority', 'municipality']);
    await expect(stack.cases.send(caseRef, 'host.accepted', {}, host)).rejects.toMatchObject({ status: 404 });

    await stack.cases.send(caseRef, 'host.proposed', proposal, nil);
    expect((await stack.cases.send(caseRef, 'host.accepted', {}, host)).state).toBe('agreement');
  });
});
