import { sleep } from '@temporalio/workflow';
import { caseWorkflow as current } from '../../workflows/case-workflow.js';
import type { CaseStart } from '../../workflows/messages.js';

/** The interpreter as a careless change could leave it: one timer more before the case starts. */
export async function caseWorkflow(start: CaseStart) {
  await sleep('1 minute');
  return current(start);
}
