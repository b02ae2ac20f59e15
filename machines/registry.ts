import { hello } from './hello.js';
import { pathwayKey, type PathwayDefinition } from './pathway.js';

/** Every pathway version that open cases may still run on: remove a version only when no case uses it. */
export const pathways: readonly PathwayDefinition[] = [hello];

const byKey = new Map(pathways.map((pathway) => [pathwayKey(pathway.kind, pathway.version), pathway]));

export function findPathway(kind: string, version: string): PathwayDefinition | undefined {
  return byKey.get(pathwayKey(kind, version));
}

/** The version new cases of a kind start on. */
export function currentPathway(kind: string): PathwayDefinition | undefined {
  return pathways.filter((pathway) => pathway.kind === kind).at(-1);
}
