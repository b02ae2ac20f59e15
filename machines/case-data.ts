/** A case's data as its page shows it: each field of the start form by its Italian label, values in words. */
export interface JsonSchemaNode {
  title?: string;
  format?: string;
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
  oneOf?: { const?: unknown; title?: string }[];
}

const dateTimeFormat = new Intl.DateTimeFormat('it-IT', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Rome' });
const dateFormat = new Intl.DateTimeFormat('it-IT', { dateStyle: 'medium', timeZone: 'Europe/Rome' });

/** A day as the services read it, in their time zone: "3 dic 2026". */
export const formatDate = (iso: string | number): string => dateFormat.format(typeof iso === 'string' ? Date.parse(iso) : iso);

function displayValue(schema: JsonSchemaNode | undefined, value: unknown): string {
  if (value === undefined || value === null || value === '') return '—';
  if (typeof value === 'boolean') return value ? 'Sì' : 'No';
  const option = schema?.oneOf?.find((candidate) => candidate.const === value);
  if (option?.title) return option.title;
  const time = typeof value === 'string' ? Date.parse(value) : NaN;
  if (schema?.format === 'date-time' && !Number.isNaN(time)) return dateTimeFormat.format(time);
  if (schema?.format === 'date' && !Number.isNaN(time)) return formatDate(time);
  return typeof value === 'object' ? JSON.stringify(value) : String(value as string | number);
}

/** The data as a list of labelled lines, in the order of its form, nested parts indented: what the page shows. */
export function dataFields(schema: JsonSchemaNode, data: unknown, depth = 0): { label: string; text: string; depth: number }[] {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [];
  const properties = schema.properties ?? {};
  const record = data as Record<string, unknown>;
  const keys = [...Object.keys(properties).filter((key) => key in record), ...Object.keys(record).filter((key) => !(key in properties))];
  return keys.flatMap((key) => {
    const field = properties[key];
    const label = field?.title ?? key;
    const value = record[key];
    if (Array.isArray(value)) {
      if (!value.length) return [{ label, text: 'Nessuno', depth }];
      return [
        { label, text: '', depth },
        ...value.flatMap((item, index) =>
          item !== null && typeof item === 'object'
            ? [{ label: `${field?.items?.title ?? 'Voce'} ${index + 1}`, text: '', depth: depth + 1 }, ...dataFields(field?.items ?? {}, item, depth + 2)]
            : [{ label: `${index + 1}`, text: displayValue(field?.items, item), depth: depth + 1 }],
        ),
      ];
    }
    if (value !== null && typeof value === 'object') return [{ label, text: '', depth }, ...dataFields(field ?? {}, value, depth + 1)];
    return [{ label, text: displayValue(field, value), depth }];
  });
}
