import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parametersFileSchema, valuesInForce } from '../machines/parameters.js';

/** Years the record keeps a closed case, by pathway kind, with `default` for the others. */
const yearsSchema = z.record(z.string(), z.number().int().min(1).max(100));

/** Until when a case closed on a day is kept: the years in force on that day, by its pathway. */
export type RetentionRule = (kind: string, closedOn: string) => string;

/**
 * The record's retention, as dated configuration (config/retention.json): `[{ "validFrom", "values": { "default": 10,
 * "<kind>": years } }]`. The rule in force when a case closes sets its date, which later changes do not move.
 */
export function loadRetention(file: string): RetentionRule {
  let entries;
  try {
    entries = parametersFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    for (const entry of entries) yearsSchema.parse(entry.values);
  } catch (error) {
    throw new Error(`${file}: not a valid retention file (${error instanceof z.ZodError ? z.prettifyError(error) : (error as Error).message})`, {
      cause: error,
    });
  }
  return (kind, closedOn) => {
    const years = yearsSchema.parse(valuesInForce(entries, closedOn) ?? {});
    const kept = years[kind] ?? years.default;
    if (kept === undefined) throw new Error(`${file}: no retention in force on ${closedOn} for ${kind}, and no default`);
    const until = new Date(`${closedOn}T00:00:00Z`);
    until.setUTCFullYear(until.getUTCFullYear() + kept);
    return until.toISOString().slice(0, 10);
  };
}
