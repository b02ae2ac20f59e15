import { z } from 'zod';

/**
 * A closed choice whose options carry their Italian labels into the form's JSON Schema (`oneOf` of `const`/`title`),
 * so that people read "Cure intermedie", never "intermediate-care".
 */
export function choice<const K extends string>(title: string, labels: Record<K, string>, error = 'Scegliere una delle opzioni previste') {
  const keys = Object.keys(labels) as [K, ...K[]];
  return z.enum(keys, { error }).meta({ title, oneOf: keys.map((key) => ({ const: key, title: labels[key] })) });
}
