import type { ColumnType, Generated } from 'kysely';

/**
 * The tables of the case record, as Kysely reads and writes them (record/migrations.ts creates them). No column holds
 * personal data in plain text: identities and case snapshots are sealed under the person's data key, and persons are
 * found by blind indexes.
 */

type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface PersonsTable {
  id: Generated<string>;
  /** The person's data key, wrapped by the payload keyring's key `wrapping_key_id`; null once the person is erased. */
  wrapped_key: Buffer | null;
  wrapping_key_id: string;
  /** PersonIdentity as JSON, sealed under the data key. */
  identity: Buffer;
  fiscal_index: Buffer | null;
  name_birth_index: Buffer | null;
  name_index: Buffer | null;
  created_at: Generated<Timestamp>;
}

export interface CasesTable {
  case_ref: string;
  /** Every case has its person, a pseudonymous or anonymous one where the pathway identifies nobody. */
  person_id: string;
  kind: string;
  version: string;
  status: 'active' | 'done';
  /** Dotted paths of every active state, as the lists filter them. */
  active_paths: string[];
  pending_roles: string[];
  /** The co-owning organisations (register ids), or the pathway's organisation types for cases from before co-ownership. */
  organisations: string[];
  next_deadline: Timestamp | null;
  started_at: Timestamp;
  closed_at: Timestamp | null;
  /** Until when the record keeps the case after it closed (record/retention.ts). */
  retain_until: Timestamp | null;
  /** How many timeline entries the record holds: the transition number writes are idempotent on. */
  transition: number;
  /** The position of the last write in the workflow's history (record/cases.ts, WritePosition). */
  written_in_run: Generated<number>;
  written_in_task: Generated<number>;
  /** The whole CaseState as JSON, sealed under the person's data key. */
  snapshot: Buffer;
  updated_at: Timestamp;
}

export interface TimelineTable {
  case_ref: string;
  seq: number;
  at: Timestamp;
  event: string;
  from_state: string;
  to_state: string;
  actor_id: string | null;
  actor_role: string | null;
}

export interface RecordSchema {
  persons: PersonsTable;
  cases: CasesTable;
  timeline: TimelineTable;
}
