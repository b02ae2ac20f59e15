import { z } from 'zod';

/**
 * Amounts, thresholds, call windows and the protocol values nobody has fixed yet change by decree and by territory:
 * they live in configuration with validity dates, and the values in force when a case starts are pinned in it.
 */
export const effectiveValuesSchema = z.object({
  validFrom: z.iso.date(),
  validTo: z.iso.date().optional(),
  values: z.record(z.string(), z.unknown()),
});
export type EffectiveValues = z.infer<typeof effectiveValuesSchema>;

/** One pathway's file: its effective-dated values, any order. */
export const parametersFileSchema = z.array(effectiveValuesSchema);

/** pathway kind → its effective-dated values. */
export type PathwayParameters = Record<string, EffectiveValues[]>;

/** The values in force on a date ('YYYY-MM-DD'): the latest entry that has started and not ended. */
export function valuesInForce(entries: readonly EffectiveValues[], date: string): Record<string, unknown> | undefined {
  return entries
    .filter((entry) => entry.validFrom <= date && (!entry.validTo || date <= entry.validTo))
    .sort((a, b) => a.validFrom.localeCompare(b.validFrom))
    .at(-1)?.values;
}
