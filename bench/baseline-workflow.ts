import { ApplicationFailure, allHandlersFinished, condition, defineUpdate, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { CaseActivities } from '../activities/index.js';
import type { EventRequest } from '../machines/case-state.js';
import { searchAttributes } from '../workflows/search-attributes.js';

/**
 * The benchmark's yardstick: a hello case written by hand as a plain Temporal workflow, with nothing of the
 * interpreter. Same shape as a hello case without a scheduled start: it opens, runs the same `sendNotification`
 * activity once (both evaluators, so two real e-mails), takes the two sign-offs as Updates whose validator refuses
 * an unknown role or a second signature, reminds the evaluators still pending when the reminder comes due (as a
 * pathway must: one durable timer, as `condition` with a timeout arms it), and completes once both are in and the
 * notification is done. With `listed`, it also keeps the search attributes that the API's case and task lists
 * query (state, pending roles, deadline: issue 6's lists come from Temporal visibility), as a hand-written pathway
 * serving those lists must: set at the start, the pending roles again at each sign-off, the state at the end.
 * It imports only the SDK (and the search-attribute keys, which are the SDK's): no xstate, no zod, no registry.
 */

export interface BaselineStart {
  caseRef: string;
  roles: string[];
  /** Until the first reminder, as a hello round's two working days; again as often after it. */
  remindEvery: string;
  listed: boolean;
}

export interface BaselineView {
  caseRef: string;
  status: 'active' | 'done';
  decisions: Record<string, { decision: string; signedBy: string; at: string }>;
}

/** Same argument as the interpreter's `sendEvent`: `{ type: 'signoff.submit', payload: { round, decision }, actor }`. */
export const baselineSignoff = defineUpdate<BaselineView, [EventRequest]>('signoff');

const { sendNotification } = proxyActivities<CaseActivities>({
  // The interpreter's options, so that both schedule the activity the same way.
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

export async function baselineWorkflow(start: BaselineStart): Promise<BaselineView> {
  const decisions: BaselineView['decisions'] = {};
  const done = () => start.roles.every((role) => role in decisions);
  const view = (): BaselineView => ({ caseRef: start.caseRef, status: done() ? 'done' : 'active', decisions });
  const pending = () => start.roles.filter((role) => !(role in decisions));
  const dueAt = new Date(Date.now() + 14 * 24 * 3600 * 1000);
  if (start.listed) {
    upsertSearchAttributes([
      { key: searchAttributes.kind, value: 'hello' },
      { key: searchAttributes.version, value: '1' },
      { key: searchAttributes.caseRef, value: start.caseRef },
      { key: searchAttributes.organisations, value: ['health-authority', 'municipality'] },
      { key: searchAttributes.state, value: ['evaluation'] },
      { key: searchAttributes.pendingRoles, value: pending() },
      { key: searchAttributes.nextDeadline, value: dueAt },
    ]);
  }

  setHandler(
    baselineSignoff,
    (request) => {
      decisions[request.actor.role] = {
        decision: (request.payload as { decision: string }).decision,
        signedBy: request.actor.id,
        at: new Date().toISOString(),
      };
      if (start.listed) {
        upsertSearchAttributes([
          { key: searchAttributes.pendingRoles, value: pending() },
          ...(done()
            ? [
                { key: searchAttributes.state, value: ['closed'] },
                { key: searchAttributes.nextDeadline, value: null },
              ]
            : []),
        ]);
      }
      return view();
    },
    {
      validator: (request) => {
        if (request.type !== 'signoff.submit') throw ApplicationFailure.nonRetryable(`unknown event ${request.type}`, 'UnknownEvent');
        if (!start.roles.includes(request.actor.role)) {
          throw ApplicationFailure.nonRetryable(`role ${request.actor.role} does not sign`, 'RoleNotAllowed');
        }
        if (request.actor.role in decisions) throw ApplicationFailure.nonRetryable(`${request.actor.role} already signed`, 'NotAllowedNow');
      },
    },
  );

  // The reminder clock runs from the moment the task is assigned, while its e-mail goes out.
  const assigned = sendNotification({
    caseRef: start.caseRef,
    messageKey: `${start.caseRef}.1`,
    template: 'new-task',
    recipients: { roles: start.roles, operators: [] },
  });
  for (let reminder = 1; !(await condition(done, start.remindEvery)); reminder++) {
    await sendNotification({
      caseRef: start.caseRef,
      messageKey: `${start.caseRef}.reminder.${reminder}`,
      template: 'reminder',
      recipients: { roles: pending(), operators: [] },
    });
  }
  await assigned;
  await condition(allHandlersFinished);
  return view();
}
