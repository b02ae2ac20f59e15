import type { Client } from '@temporalio/client';
import { concealedParts } from '../machines/access.js';
import type { PathwayDefinition } from '../machines/pathway.js';
import { findPathway } from '../machines/registry.js';
import { searchAttributes } from '../workflows/search-attributes.js';
import type { SessionUser } from './auth.js';
import { pathwaysOf } from './routes/pathways.js';
import type { CaseSummary } from './schemas.js';

export interface CaseFilters {
  kind?: string;
  state?: string;
  pendingRole?: string;
  overdue?: boolean;
}

/** The most a list answers with. */
const LIST_LIMIT = 500;

function deepestLabelled(pathway: PathwayDefinition | undefined, paths: readonly string[]): { state: string; stateLabel: string } {
  const labelled = paths.filter((path) => pathway?.stateLabels[path]).sort((a, b) => b.split('.').length - a.split('.').length);
  const state = labelled[0] ?? paths[0] ?? '';
  return { state, stateLabel: pathway?.stateLabels[state] ?? state };
}

/**
 * The cases an operator may list: of the pathways their role takes part in, co-owned by their organisation, without
 * the states and roles their role must not learn of.
 */
export async function listCases(client: Client, { role, organisation }: SessionUser, filters: CaseFilters): Promise<CaseSummary[]> {
  // A filter on a state or role the role must not learn of finds nothing, whatever the cases: it tells nothing either.
  const visible = [
    ...new Set(
      pathwaysOf(role)
        .filter((pathway) => !(filters.state && concealedParts(pathway, role).states.has(filters.state)))
        .filter((pathway) => !(filters.pendingRole && concealedParts(pathway, role).roles.has(filters.pendingRole)))
        .map((pathway) => pathway.kind),
    ),
  ];
  if (!visible.length || (filters.kind && !visible.includes(filters.kind))) return [];
  const now = new Date().toISOString();
  const clauses = [
    `${searchAttributes.kind.name} IN (${(filters.kind ? [filters.kind] : visible).map((kind) => `'${kind}'`).join(', ')})`,
    // Register ids are keywords ([A-Za-z0-9_.-]): nothing in one can change the query's meaning.
    `${searchAttributes.organisations.name} = '${organisation}'`,
    ...(filters.state ? [`${searchAttributes.state.name} = '${filters.state}'`] : []),
    ...(filters.pendingRole ? [`${searchAttributes.pendingRoles.name} = '${filters.pendingRole}'`] : []),
    ...(filters.overdue ? [`${searchAttributes.nextDeadline.name} < '${now}'`] : []),
  ];
  const summaries: CaseSummary[] = [];
  for await (const execution of client.workflow.list({ query: clauses.join(' AND '), pageSize: 200 })) {
    const attributes = execution.typedSearchAttributes;
    const kind = attributes.get(searchAttributes.kind) ?? '';
    const pathway = findPathway(kind, attributes.get(searchAttributes.version) ?? '');
    const concealed = pathway && concealedParts(pathway, role);
    const deadline = attributes.get(searchAttributes.nextDeadline);
    const pendingRoles = (attributes.get(searchAttributes.pendingRoles) ?? []).filter((pending) => !concealed?.roles.has(pending));
    const running = execution.status.name === 'RUNNING';
    summaries.push({
      caseRef: execution.workflowId,
      kind,
      title: pathway?.title ?? kind,
      ...deepestLabelled(
        pathway,
        (attributes.get(searchAttributes.state) ?? []).filter((path) => !concealed?.states.has(path)),
      ),
      pendingRoles,
      pendingRoleLabels: pendingRoles.map((pending) => pathway?.roles[pending] ?? pending),
      ...(deadline ? { nextDeadline: deadline.toISOString() } : {}),
      overdue: !!deadline && deadline.toISOString() < now && running,
      startedAt: execution.startTime.toISOString(),
    });
    if (summaries.length >= LIST_LIMIT) break;
  }
  return summaries;
}
