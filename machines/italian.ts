import { z } from 'zod';

/**
 * Every message zod writes is Italian: its own Italian locale, and for the checks people meet most (a field left
 * empty, a value of the wrong kind) the project's plainer words. Imported by machines/pathway.ts, so that whatever
 * loads a pathway (the API, the worker, the workflow's validator) speaks Italian.
 */
const kinds: Record<string, string> = {
  string: 'un testo',
  number: 'un numero',
  int: 'un numero intero',
  bigint: 'un numero intero',
  boolean: 'sì o no',
  object: 'un insieme di campi',
  array: 'un elenco',
  date: 'una data',
};

z.config(z.locales.it());
z.config({
  customError: (issue) => {
    if (issue.code !== 'invalid_type') return undefined;
    if (issue.input === undefined) return 'Campo obbligatorio';
    return `Valore non valido: indicare ${kinds[issue.expected] ?? 'un valore del tipo previsto'}`;
  },
});
