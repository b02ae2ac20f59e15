import { z } from 'zod';
import { concealedParts, mayReadIdentity } from '../machines/access.js';
import type { PathwayDefinition } from '../machines/pathway.js';
import { findPathway } from '../machines/registry.js';
import { personSearch, queryCases, type CaseSort, type ListCursor, type ListedCase } from '../record/cases.js';
import type { CaseRecord } from '../record/record.js';
import type { SessionUser } from './auth.js';
import { CaseError } from './errors.js';
import { pathwaysOf } from './routes/pathways.js';
import type { CaseSummary } from './schemas.js';

export interface CaseFilters {
  kind?: string;
  state?: string;
  pendingRole?: string;
  overdue?: boolean;
  /** A fiscal code, or "family name given name" with an optional birth date. */
  q?: string;
  personId?: string;
  sort?: CaseSort;
  after?: ListCursor;
  limit?: number;
}

export const MAX_PAGE = 100;

/** A page's end, opaque to the client: base64url of the last row's sort key and reference. */
export const cursorParam = z
  .string()
  .max(200)
  .transform((cursor, context) => {
    try {
      return z.object({ key: z.string(), caseRef: z.string() }).parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    } catch {
      context.addIssue({ code: 'custom', message: 'Segnalibro di pagina non valido: ricaricare la lista' });
      return z.NEVER;
    }
  });
const encodeCursor = (cursor: ListCursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function deepestLabelled(pathway: PathwayDefinition | undefined, paths: readonly string[]): { state: string; stateLabel: string } {
  const labelled = paths.filter((path) => pathway?.stateLabels[path]).sort((a, b) => b.split('.').length - a.split('.').length);
  const state = labelled[0] ?? paths[0] ?? '';
  return { state, stateLabel: pathway?.stateLabels[state] ?? state };
}

/** A row as this role may see it: without the states and roles it must not learn of, with the name if it may read it. */
export function summaryOf(listed: ListedCase, role: string, now: string): CaseSummary {
  const pathway = findPathway(listed.kind, listed.version);
  const concealed = pathway && concealedParts(pathway, role);
  const pendingRoles = listed.pendingRoles.filter((pending) => !concealed?.roles.has(pending));
  return {
    caseRef: listed.caseRef,
    kind: listed.kind,
    title: pathway?.title ?? listed.kind,
    ...deepestLabelled(
      pathway,
      listed.activePaths.filter((path) => !concealed?.states.has(path)),
    ),
    pendingRoles,
    pendingRoleLabels: pendingRoles.map((pending) => pathway?.roles[pending] ?? pending),
    ...(listed.nextDeadline ? { nextDeadline: listed.nextDeadline } : {}),
    overdue: !!listed.nextDeadline && listed.nextDeadline < now && listed.status === 'active',
    closed: listed.status === 'done',
    startedAt: listed.startedAt,
    ...(listed.identity ? { name: listed.identity.name, ...(pathway?.person?.pseudonymous ? {} : { personId: listed.personId }) } : {}),
  };
}

/** Whether this role reads the names of this pathway's cases. */
const readsIdentity = (role: string) => (kind: string, version: string) => {
  const pathway = findPathway(kind, version);
  return !!pathway && mayReadIdentity(pathway, role);
};

/**
 * The cases an operator may list, a page at a time: of the pathways their role takes part in, co-owned by their
 * organisation, without the states and roles their role must not learn of. A search by person looks only where the
 * role may read who the case is about, and never among pseudonymous cases.
 */
export async function listCases(
  record: CaseRecord,
  { role, organisation }: SessionUser,
  filters: CaseFilters,
): Promise<{ cases: CaseSummary[]; nextCursor?: string }> {
  const person = filters.q === undefined ? undefined : personSearch(record, filters.q);
  if (filters.q !== undefined && !person) {
    throw new CaseError(400, 'InvalidPayload', 'Ricerca non valida', [
      { path: 'q', message: 'Indicare un codice fiscale, oppure cognome e nome con la data di nascita facoltativa' },
    ]);
  }
  // A filter on a state or role the role must not learn of finds nothing, whatever the cases: it tells nothing either.
  const visible = [
    ...new Set(
      pathwaysOf(role)
        .filter((pathway) => !(filters.state && concealedParts(pathway, role).states.has(filters.state)))
        .filter((pathway) => !(filters.pendingRole && concealedParts(pathway, role).roles.has(filters.pendingRole)))
        .filter((pathway) => !person || (mayReadIdentity(pathway, role) && !pathway.person?.pseudonymous))
        .map((pathway) => pathway.kind),
    ),
  ];
  const kinds = filters.kind ? visible.filter((kind) => kind === filters.kind) : visible;
  const limit = Math.min(filters.limit ?? MAX_PAGE, MAX_PAGE);
  const rows = await queryCases(
    record,
    {
      organisation,
      kinds,
      ...(filters.state ? { state: filters.state } : {}),
      ...(filters.pendingRole ? { pendingRole: filters.pendingRole } : {}),
      ...(filters.overdue ? { overdue: true } : {}),
      ...(person ? { person } : {}),
      ...(filters.personId ? { personId: filters.personId } : {}),
      sort: filters.sort ?? 'started',
      ...(filters.after ? { after: filters.after } : {}),
      limit,
    },
    readsIdentity(role),
  );
  const now = new Date().toISOString();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { cases: page.map((row) => summaryOf(row, role, now)), ...(rows.length > limit && last ? { nextCursor: encodeCursor(last.cursor) } : {}) };
}
