import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { activePaths } from '../machines/case-state.js';
import { findPathway } from '../machines/registry.js';
import { caseRecorded, caseState } from '../workflows/messages.js';
import { closedCasePosition, writeCase } from './cases.js';
import type { CaseRecord } from './record.js';

export interface BackfillReport {
  open: number;
  closed: number;
  failed: number;
}

/**
 * Files in the record every case whose history Temporal still holds, for a `data/` from before the record (README,
 * "Upgrading"). An open case is asked to write itself, as it does after each transition; a closed one is filed from
 * its final state. Needs a worker polling the task queue: the cases answer through it.
 */
export async function backfillRecord(client: Client, record: CaseRecord, taskQueue: string): Promise<BackfillReport> {
  const report: BackfillReport = { open: 0, closed: 0, failed: 0 };
  const filed = new Set((await record.db.selectFrom('cases').select('case_ref').execute()).map((row) => row.case_ref));
  for await (const execution of client.workflow.list({ query: `WorkflowType = 'caseWorkflow' AND TaskQueue = '${taskQueue}'` })) {
    // A case the record has is kept current by its own workflow, which retries a write until it lands.
    if (filed.has(execution.workflowId)) continue;
    const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
    try {
      if (execution.status.name === 'RUNNING') {
        await handle.executeUpdate(caseRecorded);
        report.open += 1;
      } else if (execution.status.name === 'COMPLETED') {
        const state = await handle.query(caseState);
        const pathway = findPathway(state.kind, state.version);
        const organisations = state.coOwners ?? [...(pathway?.organisations ?? [])];
        await writeCase(record, {
          state,
          index: { activePaths: activePaths(state.value), pendingRoles: [], organisations },
          position: closedCasePosition(state),
        });
        report.closed += 1;
      }
    } catch (error) {
      // A case closed or deleted since it was listed has nothing left to file.
      if (!(error instanceof WorkflowNotFoundError)) report.failed += 1;
    }
  }
  return report;
}
