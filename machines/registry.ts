import { hello } from './hello.js';
import { b1b2Evaluation } from './b1b2-evaluation.js';
import { violenceReferral } from './violence-referral.js';
import { pathwayKey, type PathwayDefinition } from './pathway.js';
import { jobPlacement } from './job-placement.js';
import { homelessDischarge } from './homeless-discharge.js';

/** Every pathway version that open cases may still run on: remove a version only when no case uses it. */
export const pathways: readonly PathwayDefinition[] = [hello, jobPlacement, homelessDischarge, b1b2Evaluation, violenceReferral];

const byKey = new Map(pathways.map((pathway) => [pathwayKey(pathway.kind, pathway.version), pathway]));

export function findPathway(kind: string, version: string): PathwayDefinition | undefined {
  return byKey.get(pathwayKey(kind, version));
}

/** The version new cases of a kind start on. */
export function currentPathway(kind: string): PathwayDefinition | undefined {
  return pathways.filter((pathway) => pathway.kind === kind).at(-1);
}
