import { sql } from 'kysely';
import type { CaseIndex, CaseState } from '../machines/case-state.js';
import type { PersonIdentity } from '../machines/pathway.js';
import { findPathway } from '../machines/registry.js';
import { blindIndexes, normaliseFiscalCode, open, seal } from './crypto.js';
import { FILED_CHANNEL } from './filings.js';
import { dataKeyOf, openIdentity, personForCase } from './persons.js';
import type { CaseRecord } from './record.js';

const SNAPSHOT = (caseRef: string) => `case-snapshot:${caseRef}`;

/**
 * Where in the workflow's history a write was made. A workflow task's transitions are Temporal's only once the task
 * completes; the write comes before that, so that an update answers only once the record shows it. A worker that dies
 * in between leaves in the record transitions that the next worker makes anew, perhaps at another time or in another
 * order. So writes are ordered by (run, task, transition), and each one may replace what the record holds past
 * `committed`.
 */
export interface WritePosition {
  /** How many times the workflow continued as new before this run. */
  run: number;
  /** The history length when the task began (Temporal's workflowInfo().historyLength): it grows with each task. */
  task: number;
  /** How many timeline entries the completed tasks before this one made: those are final. */
  committed: number;
}

/** For a case whose workflow has closed: every entry is final, and nothing the workflow wrote comes after. */
export const closedCasePosition = (state: CaseState): WritePosition => ({ run: 2 ** 31 - 1, task: 2 ** 31 - 1, committed: state.timeline.length });

/** What the workflow hands the record after each transition. */
export interface CaseRecordEntry {
  state: CaseState;
  index: CaseIndex;
  position: WritePosition;
}

type Ordered = [run: number, task: number, transition: number];
const before = (a: Ordered, b: Ordered) => (a[0] !== b[0] ? a[0] < b[0] : a[1] !== b[1] ? a[1] < b[1] : a[2] < b[2]);

/**
 * Files the case as it now is. Idempotent on (case reference, transition number), the number being the length of its
 * timeline; applied in order: an older write retried late changes nothing, the same one again writes the same. The
 * timeline entries past the last committed one are replaced by the write's, so that each is there once.
 */
export async function writeCase(record: CaseRecord, { state, index, position }: CaseRecordEntry): Promise<void> {
  const pathway = findPathway(state.kind, state.version);
  if (!pathway) throw new Error(`case ${state.caseRef} runs on an unregistered pathway ${state.kind}@${state.version}`);
  const transition = state.timeline.length;
  await record.db.transaction().execute(async (tx) => {
    const filed = await tx
      .selectFrom('cases')
      .innerJoin('persons', 'persons.id', 'cases.person_id')
      .select(['cases.transition', 'cases.written_in_run', 'cases.written_in_task', 'cases.person_id', 'persons.wrapped_key', 'persons.wrapping_key_id'])
      .where('cases.case_ref', '=', state.caseRef)
      .forUpdate('cases')
      .executeTakeFirst();
    // The same position again rewrites: a task Temporal retried after a lost worker runs at the position it had.
    if (filed && before([position.run, position.task, transition], [filed.written_in_run, filed.written_in_task, filed.transition])) return;
    const person = filed ? { personId: filed.person_id, dataKey: dataKeyOf(record, filed) } : await personForCase(tx, record, pathway, state.context.data);
    // An erased person's cases take no new data: there is no key to seal it under.
    if (!person.dataKey) return;
    const closedAt = state.status === 'done' ? (state.timeline.at(-1)?.at ?? new Date().toISOString()) : null;
    const columns = {
      status: state.status,
      active_paths: index.activePaths,
      pending_roles: index.pendingRoles,
      organisations: index.organisations,
      next_deadline: state.status === 'done' ? null : (index.nextDeadline ?? null),
      closed_at: closedAt,
      retain_until: closedAt ? record.retention(state.kind, closedAt.slice(0, 10)) : null,
      transition,
      written_in_run: position.run,
      written_in_task: position.task,
      snapshot: seal(person.dataKey, state, SNAPSHOT(state.caseRef)),
      updated_at: new Date(),
    };
    if (filed) {
      await tx.updateTable('cases').set(columns).where('case_ref', '=', state.caseRef).execute();
    } else {
      await tx
        .insertInto('cases')
        .values({ case_ref: state.caseRef, person_id: person.personId, kind: state.kind, version: state.version, started_at: state.startedAt, ...columns })
        .execute();
      // Delivered at the commit, to whoever waits for the case to exist (awaitFiling).
      await sql`select pg_notify(${FILED_CHANNEL}, ${state.caseRef})`.execute(tx);
    }
    const from = Math.min(filed?.transition ?? 0, position.committed);
    if (filed && filed.transition > from) await tx.deleteFrom('timeline').where('case_ref', '=', state.caseRef).where('seq', '>', from).execute();
    const missing = state.timeline.slice(from).map((entry, offset) => ({
      case_ref: state.caseRef,
      seq: from + offset + 1,
      at: entry.at,
      event: entry.event,
      from_state: entry.from,
      to_state: entry.to,
      actor_id: entry.actor?.id ?? null,
      actor_role: entry.actor?.role ?? null,
    }));
    if (missing.length) await tx.insertInto('timeline').values(missing).execute();
  });
}

export interface FiledCase {
  state: CaseState;
  personId: string;
  transition: number;
}

/** The case as the record last filed it; undefined if it has no record, or its person was erased. */
export async function readCase(record: CaseRecord, caseRef: string): Promise<FiledCase | undefined> {
  const row = await record.db
    .selectFrom('cases')
    .innerJoin('persons', 'persons.id', 'cases.person_id')
    .select(['cases.snapshot', 'cases.person_id', 'cases.transition', 'persons.wrapped_key', 'persons.wrapping_key_id'])
    .where('cases.case_ref', '=', caseRef)
    .executeTakeFirst();
  const dataKey = row && dataKeyOf(record, row);
  if (!row || !dataKey) return undefined;
  return { state: open<CaseState>(dataKey, row.snapshot, SNAPSHOT(caseRef)), personId: row.person_id, transition: row.transition };
}

/** How often a wait for a filing reads the record anyway, should a notification be missed while the listener reconnects. */
const FILING_POLL_MS = 500;

/** The case once the record has it, or undefined if it has not within `withinMs`. */
export async function awaitFiling(record: CaseRecord, caseRef: string, withinMs: number): Promise<FiledCase | undefined> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    // Waiting first, then reading: a filing between the two is seen by the one or the other.
    const next = record.filings.next(caseRef, Math.min(FILING_POLL_MS, Math.max(0, deadline - Date.now())));
    const filed = await readCase(record, caseRef);
    if (filed || Date.now() >= deadline) return filed;
    await next;
  }
}

export type CaseSort = 'started' | 'deadline';

/** Where the last page ended: its last row's sort key and reference. */
export interface ListCursor {
  key: string;
  caseRef: string;
}

export interface RecordQuery {
  /** The viewer's organisation: only cases it co-owns. */
  organisation: string;
  kinds: readonly string[];
  state?: string;
  pendingRole?: string;
  overdue?: boolean;
  /** Only cases about persons these blind indexes find (see `personSearch`). */
  person?: PersonSearch;
  personId?: string;
  sort: CaseSort;
  after?: ListCursor;
  limit: number;
}

export interface ListedCase {
  caseRef: string;
  kind: string;
  version: string;
  status: 'active' | 'done';
  activePaths: string[];
  pendingRoles: string[];
  nextDeadline?: string;
  startedAt: string;
  personId: string;
  /** The person's identity, opened only when asked for (`withIdentity`). */
  identity?: PersonIdentity;
  cursor: ListCursor;
}

export type PersonSearch = { column: 'fiscal_index' | 'name_birth_index' | 'name_index'; value: Buffer };

const fiscalCodePattern = /^[A-Za-z0-9]{16}$/;
const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/;
const italianDate = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

/**
 * What a search box's text looks for: a fiscal code (16 letters and digits), or "family name given name" with a
 * birth date at the end (2001-02-03 or 3/2/2001); undefined when it holds neither.
 */
export function personSearch(record: CaseRecord, text: string): PersonSearch | undefined {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 1 && fiscalCodePattern.test(words[0]!)) {
    return { column: 'fiscal_index', value: blindIndexes(record.indexKey, { fiscalCode: normaliseFiscalCode(words[0]!) }).fiscal! };
  }
  const last = words.at(-1) ?? '';
  const italian = italianDate.exec(last);
  const birthDate = isoDate.test(last) ? last : italian ? `${italian[3]}-${italian[2]!.padStart(2, '0')}-${italian[1]!.padStart(2, '0')}` : undefined;
  const name = (birthDate ? words.slice(0, -1) : words).join(' ');
  const indexes = blindIndexes(record.indexKey, { name, ...(birthDate ? { birthDate } : {}) });
  if (birthDate) return indexes.nameBirth && { column: 'name_birth_index', value: indexes.nameBirth };
  return indexes.name && { column: 'name_index', value: indexes.name };
}

/** Cases without a deadline come last; 'infinity' keeps them in the keyset, where a null would fall out of it. */
const deadlineKey = sql<string>`coalesce(cases.next_deadline, 'infinity'::timestamptz)`;

/** One page of cases, in a stable order: newest first, or nearest deadline first; `limit + 1` rows tell a next page. */
export async function queryCases(record: CaseRecord, query: RecordQuery, withIdentity: (kind: string, version: string) => boolean): Promise<ListedCase[]> {
  if (!query.kinds.length) return [];
  const now = new Date();
  let select = record.db
    .selectFrom('cases')
    .innerJoin('persons', 'persons.id', 'cases.person_id')
    .select([
      'cases.case_ref',
      'cases.kind',
      'cases.version',
      'cases.status',
      'cases.active_paths',
      'cases.pending_roles',
      'cases.next_deadline',
      'cases.started_at',
      'cases.person_id',
      'persons.wrapped_key',
      'persons.wrapping_key_id',
      'persons.identity',
      sql<string>`${deadlineKey}::text`.as('deadline_key'),
    ])
    .where('cases.kind', 'in', query.kinds)
    .where(sql<boolean>`cases.organisations @> array[${query.organisation}]::text[]`);
  if (query.state) select = select.where(sql<boolean>`cases.active_paths @> array[${query.state}]::text[]`);
  if (query.pendingRole) select = select.where(sql<boolean>`cases.pending_roles @> array[${query.pendingRole}]::text[]`);
  if (query.overdue) select = select.where('cases.status', '=', 'active').where('cases.next_deadline', '<', now);
  if (query.personId) select = select.where('cases.person_id', '=', query.personId);
  if (query.person) select = select.where(`persons.${query.person.column}`, '=', query.person.value);
  if (query.sort === 'deadline') {
    if (query.after) select = select.where(sql<boolean>`(${deadlineKey}, cases.case_ref) > (${query.after.key}::timestamptz, ${query.after.caseRef})`);
    select = select.orderBy(deadlineKey).orderBy('cases.case_ref');
  } else {
    if (query.after) select = select.where(sql<boolean>`(cases.started_at, cases.case_ref) < (${query.after.key}::timestamptz, ${query.after.caseRef})`);
    select = select.orderBy('cases.started_at', 'desc').orderBy('cases.case_ref', 'desc');
  }
  const rows = await select.limit(query.limit + 1).execute();
  return rows.map((row) => {
    const startedAt = new Date(row.started_at).toISOString();
    const identity = withIdentity(row.kind, row.version) ? openIdentity(record, row) : undefined;
    return {
      caseRef: row.case_ref,
      kind: row.kind,
      version: row.version,
      status: row.status,
      activePaths: row.active_paths,
      pendingRoles: row.pending_roles,
      ...(row.next_deadline ? { nextDeadline: new Date(row.next_deadline).toISOString() } : {}),
      startedAt,
      personId: row.person_id,
      ...(identity ? { identity } : {}),
      cursor: { key: query.sort === 'deadline' ? row.deadline_key : startedAt, caseRef: row.case_ref },
    };
  });
}
