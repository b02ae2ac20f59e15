import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parametersFileSchema, type PathwayParameters } from '../machines/parameters.js';
import { pathways } from '../machines/registry.js';

/** Reads `<dir>/<kind>.json` for every pathway that declares parameters, and fails at start-up on a bad file. */
export function loadPathwayParameters(dir: string): PathwayParameters {
  const loaded: PathwayParameters = {};
  for (const pathway of pathways) {
    if (!pathway.parametersSchema || loaded[pathway.kind]) continue;
    const file = join(dir, `${pathway.kind}.json`);
    if (!existsSync(file)) throw new Error(`${file} is missing: pathway ${pathway.kind} needs its effective-dated parameters`);
    const parsed = parametersFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    for (const [index, entry] of parsed.data.entries()) {
      const values = pathway.parametersSchema.safeParse(entry.values);
      if (!values.success) {
        throw new Error(`${file} entry ${index} (from ${entry.validFrom}): ${values.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      }
    }
    loaded[pathway.kind] = parsed.data;
  }
  return loaded;
}
