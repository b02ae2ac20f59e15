import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Sensitivity } from '../../machines/pathway.js';
import { pathways } from '../../machines/registry.js';
import type { Sample } from './samples.js';

/**
 * The check behind "no personal data in logs": which values of the samples are about a person, and on which line of
 * which log any of them turns up.
 */

export interface SeededValue {
  value: string;
  /** The sample and field it comes from, to name it without printing the log line. */
  source: string;
}

export interface LogFinding {
  file: string;
  /** From 1. */
  line: number;
  seeded: SeededValue;
}

type SchemaNode = {
  sensitive?: Sensitivity;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  enum?: unknown[];
  const?: unknown;
};

/**
 * A closed choice's code tells something about the person only when its class is art. 9 or 10 (a diagnosis category,
 * a judicial measure); a personal code such as `none` or `expired` identifies nobody, and reads like any word of a log.
 */
const revealingCodeClasses: ReadonlySet<Sensitivity> = new Set(['special-category', 'criminal']);

/** The text values of a sample that lie in a field marked sensitive, or below one. Numbers and flags are left out. */
export function sensitiveValuesOf({ name, schema, data }: Sample): SeededValue[] {
  const found: SeededValue[] = [];
  const walk = (node: SchemaNode, value: unknown, inherited: Sensitivity | undefined, path: string) => {
    const sensitivity = node.sensitive ?? inherited;
    for (const option of [...(node.anyOf ?? []), ...(node.oneOf ?? [])]) walk(option, value, sensitivity, path);
    if (typeof value === 'string') {
      const isCode = node.enum !== undefined || node.const !== undefined;
      if (sensitivity && value.trim() && (!isCode || revealingCodeClasses.has(sensitivity))) found.push({ value, source: `${name}: ${path}` });
    } else if (Array.isArray(value)) {
      if (node.items) for (const item of value) walk(node.items, item, sensitivity, `${path}[]`);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        const property = node.properties?.[key];
        if (property) walk(property, child, sensitivity, path ? `${path}.${key}` : key);
      }
    }
  };
  walk(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as SchemaNode, data, undefined, '');
  // A choice reaches its value through each of its labelled options too.
  return [...new Map(found.map((seeded) => [`${seeded.source}\n${seeded.value}`, seeded])).values()];
}

/** The values of data sent as `schema` that are about the person: what a test looks for where none may be. */
export const personalValues = (schema: z.ZodType, data: unknown) => sensitiveValuesOf({ name: '', schema, data }).map((seeded) => seeded.value);

/** Every sensitive value of the samples, each once (the first sample that holds it names it). */
export function seededValues(samples: readonly Sample[]): SeededValue[] {
  const byValue = new Map<string, SeededValue>();
  for (const seeded of samples.flatMap(sensitiveValuesOf)) {
    const key = seeded.value.toLowerCase();
    if (!byValue.has(key)) byValue.set(key, seeded);
  }
  return [...byValue.values()];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Every line of the files where a seeded value appears as a whole word, in any case: "ROSSI" in an HL7 field counts,
 * "prossimo" does not count as "Rossi".
 */
export function findSeededValues(files: readonly string[], values: readonly SeededValue[]): LogFinding[] {
  if (!values.length) return [];
  const byText = new Map(values.map((seeded) => [seeded.value.toLowerCase(), seeded]));
  const longestFirst = [...byText.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${longestFirst.join('|')})(?![\\p{L}\\p{N}])`, 'giu');
  const findings: LogFinding[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((text, index) => {
        for (const match of text.matchAll(pattern)) findings.push({ file, line: index + 1, seeded: byText.get(match[0].toLowerCase())! });
      });
  }
  return findings;
}

/** One line per finding, naming the file, the line and the seeded value, never the rest of the line. */
export const describeFinding = ({ file, line, seeded }: LogFinding) => `${file}:${line}: "${seeded.value}" (${seeded.source})`;

/**
 * What would tell which pathway a case is on: each pathway's kind and Italian title, and the reference prefixes
 * pathways had before references became neutral (`VIO-` said "gender violence").
 */
export function pathwayNames(): SeededValue[] {
  return pathways
    .flatMap((pathway) => [
      { value: pathway.kind, source: `${pathway.kind}: kind` },
      { value: pathway.title, source: `${pathway.kind}: title` },
    ])
    .concat(['HLO', 'VIO', 'DSD', 'B12', 'INL'].map((prefix) => ({ value: prefix, source: `former reference prefix ${prefix}` })));
}
