import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathwayDoc, pathwayDocFile, pathwayIndex } from '../machines/diagram.js';
import { pathways } from '../machines/registry.js';

/**
 * Writes docs/pathways/<kind>.md for every registered pathway and docs/pathways/README.md listing them.
 * test/diagrams.test.ts fails when a committed page differs from what the charts generate now.
 */
const directory = join(import.meta.dirname, '..', 'docs', 'pathways');
await mkdir(directory, { recursive: true });

const pages = new Map<string, string>([
  ...pathways.map((pathway) => [pathwayDocFile(pathway, pathways), pathwayDoc(pathway)] as const),
  ['README.md', pathwayIndex(pathways)],
]);

for (const [file, content] of pages) {
  const path = join(directory, file);
  const previous = await readFile(path, 'utf8').catch(() => undefined);
  if (previous === content) continue;
  await writeFile(path, content);
  console.log(`[diagrams] ${previous === undefined ? 'wrote' : 'updated'} docs/pathways/${file}`);
}

// A page left by a pathway no longer registered is not deleted: someone may be adding it back; say so instead.
const orphans = (await readdir(directory)).filter((file) => file.endsWith('.md') && !pages.has(file));
for (const file of orphans) console.warn(`[diagrams] docs/pathways/${file} documents no registered pathway`);
console.log(`[diagrams] ${pages.size - 1} pathway page(s) up to date`);
