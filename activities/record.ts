import { writeCase, type CaseRecordEntry } from '../record/cases.js';
import type { CaseRecord } from '../record/record.js';

export interface RecordDeps {
  record: CaseRecord;
}

/** The workflow files each committed transition in the case record (record/cases.ts), idempotently, in order. */
export function createRecordActivities({ record }: RecordDeps) {
  return {
    async recordCase(entry: CaseRecordEntry): Promise<void> {
      await writeCase(record, entry);
    },
  };
}
