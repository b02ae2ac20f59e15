import { sensitiveFields, type PathwayDefinition, type Sensitivity } from '../machines/pathway.js';

/** Break-glass reasons are audited: they must say something. */
export const BREAK_GLASS_HEADER = 'x-break-glass-reason';
export const MIN_BREAK_GLASS_REASON = 15;

const fieldsByPathway = new Map<PathwayDefinition, [string, Sensitivity][]>();
function fieldsOf(pathway: PathwayDefinition): [string, Sensitivity][] {
  let fields = fieldsByPathway.get(pathway);
  if (!fields) fieldsByPathway.set(pathway, (fields = Object.entries(sensitiveFields(pathway.startSchema))));
  return fields;
}

/** The dotted paths ('children[].age') this role must not read on this pathway. */
export function hiddenFields(pathway: PathwayDefinition, role: string): string[] {
  const restricted = pathway.restrictedFrom ?? {};
  return fieldsOf(pathway)
    .filter(([, sensitivity]) => restricted[sensitivity]?.includes(role))
    .map(([path]) => path);
}

function without(value: unknown, path: string[]): unknown {
  if (value === null || typeof value !== 'object' || path.length === 0) return value;
  const [head, ...rest] = path as [string, ...string[]];
  if (head.endsWith('[]')) {
    const key = head.slice(0, -2);
    const list = (value as Record<string, unknown>)[key];
    if (!Array.isArray(list)) return value;
    return { ...value, [key]: list.map((item) => (rest.length ? without(item, rest) : item)) };
  }
  if (!(head in value)) return value;
  if (rest.length === 0) {
    const { [head]: _hidden, ...kept } = value as Record<string, unknown>;
    return kept;
  }
  return { ...value, [head]: without((value as Record<string, unknown>)[head], rest) };
}

/**
 * The case data as this role may read it: restricted fields are removed outright, as if never filled in, so that
 * what is hidden cannot be told from what is absent.
 */
export function redactCaseData(pathway: PathwayDefinition, role: string, data: unknown): unknown {
  return hiddenFields(pathway, role).reduce((current, path) => without(current, path.split('.')), data);
}
