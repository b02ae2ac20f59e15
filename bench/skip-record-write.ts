import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

/**
 * Bundled into the interpreter for phase `interpreter-unrecorded` only: the case record's write (a local activity) is
 * never scheduled, so that the phase measures the interpreter as it ran before the record, against the same code.
 */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [{ scheduleLocalActivity: (input, next) => (input.activityType === 'recordCase' ? Promise.resolve(undefined) : next(input)) }],
});
