import { demoDirectory } from '../../platform/directory.js';
import { Client, Connection } from '@temporalio/client';
import { expect, inject } from 'vitest';
import { createCaseService, type CaseService } from '../../api/cases.js';
import type { caseWorkflow } from '../../workflows/case-workflow.js';
import type { CaseState } from '../../machines/case-state.js';
import { openRecord } from '../../record/record.js';
import { actors, testConfig, testDataConverter, type ReceivedMail } from '../support/harness.js';
import { messageIdOf } from '../support/processes.js';

/** Shared by the fault and load tests: many hello cases, driven in bounded batches, and what a user would check. */

export const approve = { round: 'evaluation', decision: 'approve' };

/** A client of the cases on a task queue, as the API has one; `close` ends its connection. */
export async function connectCases(taskQueue: string, address = inject('temporalAddress')) {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, dataConverter: testDataConverter() });
  const record = await openRecord(testConfig());
  return {
    client,
    record,
    cases: createCaseService(client, taskQueue, { directory: demoDirectory(), record }),
    close: async () => {
      await connection.close();
      await record.close();
    },
  };
}

/** Runs `work` on every item, `size` at a time: at most `size` calls in flight, batch after batch. */
export async function inBatches<T, R>(items: readonly T[], size: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let from = 0; from < items.length; from += size) {
    results.push(...(await Promise.all(items.slice(from, from + size).map((item, i) => work(item, from + i)))));
  }
  return results;
}

export const range = (count: number) => Array.from({ length: count }, (_, i) => i);

/** Opens `count` hello cases as the social worker, 25 starts at a time; `evaluationFrom` defers their round. */
export async function startHelloCases(cases: CaseService, count: number, label: string, evaluationFrom?: string): Promise<string[]> {
  return inBatches(range(count), 25, async (i) => {
    const { caseRef } = await cases.start({
      kind: 'hello',
      data: { summary: `${label} ${i + 1}`, ...(evaluationFrom ? { evaluationFrom } : {}) },
      actor: actors.socialWorker,
    });
    return caseRef;
  });
}

/** Seconds since `from`, to one decimal, for the log lines that report sizes and durations. */
export const secondsSince = (from: number) => ((Date.now() - from) / 1000).toFixed(1);

/** Marks the phases of a test with the seconds since it began: `opened 3.1 s, notified 20.4 s, …` for the log. */
export function stopwatch() {
  const began = Date.now();
  const marks: string[] = [];
  return {
    mark: (phase: string) => void marks.push(`${phase} ${secondsSince(began)} s`),
    toString: () => marks.join(', '),
  };
}

/** Every case's final view, from its workflow's result: resolves only for cases that completed. */
export async function finalViews(client: Client, caseRefs: readonly string[]): Promise<CaseState[]> {
  return inBatches(caseRefs, 50, (caseRef) => client.workflow.getHandle<typeof caseWorkflow>(caseRef).result());
}

/** A hello case that went through one sign-off round: its timeline holds exactly these events, each once. */
export function expectApprovedOnce(views: readonly CaseState[], before: string[] = ['xstate.init']) {
  for (const view of views) {
    expect({ caseRef: view.caseRef, status: view.status, outcome: view.context.outcome, alerts: view.alerts }).toEqual({
      caseRef: view.caseRef,
      status: 'done',
      outcome: 'approved',
      alerts: [],
    });
    expect({ caseRef: view.caseRef, events: view.timeline.map((entry) => entry.event) }).toEqual({
      caseRef: view.caseRef,
      events: [...before, 'signoff.submit', 'signoff.submit'],
    });
    expect(
      view.timeline
        .filter((entry) => entry.event === 'signoff.submit')
        .map((entry) => entry.actor?.role)
        .sort(),
    ).toEqual(['physician', 'social-worker']);
  }
}

const caseRefOf = (mail: ReceivedMail) => /Riferimento: (\S+)/.exec(mail.text)?.[1] ?? '';

/**
 * Each case got exactly its two new-task messages, one to each evaluator, each Message-ID once: the product derives
 * the Message-ID from the case and the effect, so a message sent twice shows up as a repeated Message-ID.
 */
export function expectNotifiedOnce(mails: readonly ReceivedMail[], caseRefs: readonly string[]) {
  const repeated = mails.length - new Set(mails.map(messageIdOf)).size;
  expect(repeated, 'messages sent twice (same Message-ID)').toBe(0);
  const byCase = new Map<string, ReceivedMail[]>();
  for (const mail of mails) byCase.set(caseRefOf(mail), [...(byCase.get(caseRefOf(mail)) ?? []), mail]);
  expect([...byCase.keys()].sort()).toEqual([...caseRefs].sort());
  for (const caseRef of caseRefs) {
    const received = byCase.get(caseRef) ?? [];
    expect({ caseRef, to: received.map((mail) => mail.to.map((to) => to.address).join()).sort() }).toEqual({
      caseRef,
      to: ['physician@demo.raccordo.local', 'social-worker@demo.raccordo.local'],
    });
    expect(new Set(received.map(messageIdOf)).size).toBe(2);
  }
  expect(mails).toHaveLength(2 * caseRefs.length);
}
