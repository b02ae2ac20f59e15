import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The record's schema, one migration per change, applied in name order at every start (record/database.ts). A
 * migration, once released, never changes: a change is a new one. Names of indexes and constraints say what they
 * index, never a value.
 */
export const migrations: Record<string, Migration> = {
  '2026-12-04-01-case-record': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('persons')
        .addColumn('id', 'uuid', (column) => column.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('wrapped_key', 'bytea')
        .addColumn('wrapping_key_id', 'text', (column) => column.notNull())
        .addColumn('identity', 'bytea', (column) => column.notNull())
        .addColumn('fiscal_index', 'bytea', (column) => column.unique())
        .addColumn('name_birth_index', 'bytea')
        .addColumn('name_index', 'bytea')
        .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('persons_name_birth_index').on('persons').column('name_birth_index').execute();
      await db.schema.createIndex('persons_name_index').on('persons').column('name_index').execute();

      await db.schema
        .createTable('cases')
        .addColumn('case_ref', 'text', (column) => column.primaryKey())
        .addColumn('person_id', 'uuid', (column) => column.notNull().references('persons.id'))
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('version', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull().check(sql`status in ('active', 'done')`))
        .addColumn('active_paths', sql`text[]`, (column) => column.notNull())
        .addColumn('pending_roles', sql`text[]`, (column) => column.notNull())
        .addColumn('organisations', sql`text[]`, (column) => column.notNull())
        .addColumn('next_deadline', 'timestamptz')
        .addColumn('started_at', 'timestamptz', (column) => column.notNull())
        .addColumn('closed_at', 'timestamptz')
        .addColumn('retain_until', 'date')
        .addColumn('transition', 'integer', (column) => column.notNull())
        .addColumn('snapshot', 'bytea', (column) => column.notNull())
        .addColumn('updated_at', 'timestamptz', (column) => column.notNull())
        .execute();
      // The default list order and its keyset, newest first; the inbox's and the deadline sort's.
      await db.schema.createIndex('cases_by_start').on('cases').columns(['started_at desc', 'case_ref desc']).execute();
      await sql`create index cases_by_deadline on cases ((coalesce(next_deadline, 'infinity'::timestamptz)), case_ref)`.execute(db);
      await db.schema.createIndex('cases_by_organisation').on('cases').using('gin').column('organisations').execute();
      await db.schema.createIndex('cases_by_person').on('cases').column('person_id').execute();
      await db.schema.createIndex('cases_to_erase').on('cases').column('retain_until').execute();

      await db.schema
        .createTable('timeline')
        .addColumn('case_ref', 'text', (column) => column.notNull().references('cases.case_ref'))
        .addColumn('seq', 'integer', (column) => column.notNull())
        .addColumn('at', 'timestamptz', (column) => column.notNull())
        .addColumn('event', 'text', (column) => column.notNull())
        .addColumn('from_state', 'text', (column) => column.notNull())
        .addColumn('to_state', 'text', (column) => column.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('actor_role', 'text')
        .addPrimaryKeyConstraint('timeline_entry', ['case_ref', 'seq'])
        .execute();
    },
  },
  // Where in the workflow's history a write was made (record/cases.ts, WritePosition): a worker that died before
  // Temporal kept its task may have written transitions the next worker makes anew, differently.
  '2026-12-04-02-write-position': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('cases')
        .addColumn('written_in_run', 'integer', (column) => column.notNull().defaultTo(0))
        .addColumn('written_in_task', 'integer', (column) => column.notNull().defaultTo(0))
        .execute();
    },
  },
};
