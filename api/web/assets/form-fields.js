// The fields of a generated form (machines' JSON Schemas, see schema-form.js): one input, select or group of
// checkboxes per leaf of the schema, with its label, its sensitivity note and the slot its error is shown in.
import { h } from './common.js';

/**
 * What the form reads of a JSON Schema; `sensitive` is the pathways' own mark (machines/pathway.ts's Sensitivity).
 * @typedef {object} JsonSchema
 * @property {string} [type]
 * @property {string} [title]
 * @property {string} [format]
 * @property {Record<string, JsonSchema>} [properties]
 * @property {string[]} [required]
 * @property {JsonSchema} [items]
 * @property {unknown[]} [enum]
 * @property {{ const?: unknown, title?: string }[]} [oneOf]
 * @property {unknown} [default]
 * @property {number} [minimum]
 * @property {number} [maximum]
 * @property {number} [exclusiveMinimum]
 * @property {number} [exclusiveMaximum]
 * @property {number} [maxLength]
 * @property {number} [minItems]
 * @property {number} [maxItems]
 * @property {string} [sensitive]
 */

let counter = 0;
export const nextId = (/** @type {string} */ prefix) => `${prefix}-${++counter}`;

/**
 * Names of fields that have no title in their schema (the sign-off payloads, a few events).
 * @type {Record<string, string>}
 */
const fallbackLabels = {
  reason: 'Motivo',
  notes: 'Note',
  outcome: 'Esito',
  round: 'Valutazione',
  decision: 'Decisione',
  onBehalfOf: 'Per conto del ruolo',
  summary: 'Sintesi',
  name: 'Nome',
  date: 'Data',
};

/** @type {Record<string, string>} */
const sensitivityLabels = {
  personal: 'Dati personali',
  'special-category': 'Dati sanitari e particolari (art. 9 GDPR)',
  criminal: 'Dati giudiziari (art. 10 GDPR)',
};

/** @param {JsonSchema} schema */
export const isObject = (schema) => schema.type === 'object' || (!!schema.properties && !schema.type);
/** @param {JsonSchema} schema @param {string} key */
export const labelOf = (schema, key) => schema.title ?? fallbackLabels[key] ?? key;
/** @param {JsonSchema} schema */
export const hasDefault = (schema) => Object.prototype.hasOwnProperty.call(schema, 'default');

/** Italian labels of an enum: oneOf's titles when given, else the values themselves. @param {JsonSchema} schema */
function enumOptions(schema) {
  const titles = new Map((schema.oneOf ?? []).filter((option) => 'const' in option).map((option) => [option.const, option.title]));
  const values = schema.enum ?? (schema.oneOf ?? []).map((option) => option.const);
  return values.map((value) => ({ value: String(value), label: titles.get(value) ?? String(value) }));
}

/** '2025-05-02T10:30' typed in the browser's time zone → '2025-05-02T10:30:00+02:00'. @param {string} value */
function localToIso(value) {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const offsetMinutes = -date.getTimezoneOffset();
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
  const withSeconds = value.length === 16 ? `${value}:00` : value;
  return `${withSeconds}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/**
 * @typedef {{ errorSlot: HTMLElement, focus: HTMLElement, label: string, invalid: HTMLElement[] }} FieldRef
 * @typedef {{ element: HTMLElement, read(): unknown, locate(segments: string[]): FieldRef | undefined, first(): HTMLElement | undefined }} Control
 */

/** @param {string} id */
export function errorSlot(id) {
  return h('p', { class: 'field-error', id, hidden: true });
}

/** @param {JsonSchema} schema @param {string} id */
export function sensitivityNote(schema, id) {
  if (!schema.sensitive) return undefined;
  return h('p', { class: 'badge badge-sensitive', id, text: sensitivityLabels[schema.sensitive] ?? 'Dati riservati' });
}

/** The mark of a required field, beside its label or legend. @param {boolean} required */
export const requiredMark = (required) => (required ? h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null);

/** A label with the required mark. @param {string} id @param {string} text @param {boolean} required */
function labelFor(id, text, required) {
  return h('label', { for: id }, text, requiredMark(required));
}

/** @param {JsonSchema} schema @param {string} key @param {boolean} required @param {string} prefix @returns {Control} */
export function leaf(schema, key, required, prefix) {
  const id = nextId(prefix);
  const errorId = `${id}-error`;
  const noteId = `${id}-note`;
  const label = labelOf(schema, key);
  const note = sensitivityNote(schema, noteId);
  const describedBy = [note ? noteId : null, errorId].filter(Boolean).join(' ');
  const common = { id, name: key, 'aria-describedby': describedBy, 'aria-required': required ? 'true' : undefined };
  const slot = errorSlot(errorId);
  /** @type {HTMLElement} */
  let input;
  /** @type {() => unknown} */
  let read;
  let wrapperClass = 'field';
  let labelFirst = true;

  if (schema.type === 'boolean' && (required || hasDefault(schema))) {
    input = h('input', { ...common, type: 'checkbox', checked: schema.default === true });
    read = () => /** @type {HTMLInputElement} */ (input).checked;
    wrapperClass = 'field field-check';
    labelFirst = false;
  } else if (schema.type === 'boolean') {
    input = h(
      'select',
      common,
      h('option', { value: '', text: '— Non indicato —' }),
      h('option', { value: 'true', text: 'Sì' }),
      h('option', { value: 'false', text: 'No' }),
    );
    read = () => {
      const value = /** @type {HTMLSelectElement} */ (input).value;
      return value === '' ? undefined : value === 'true';
    };
  } else if (schema.enum || schema.oneOf) {
    input = h(
      'select',
      common,
      h('option', { value: '', text: required ? '— Selezionare —' : '— Non indicato —' }),
      enumOptions(schema).map((option) => h('option', { value: option.value, text: option.label })),
    );
    if (hasDefault(schema)) /** @type {HTMLSelectElement} */ (input).value = String(schema.default);
    read = () => {
      const value = /** @type {HTMLSelectElement} */ (input).value;
      return value === '' ? (required ? '' : undefined) : value;
    };
  } else if (schema.type === 'number' || schema.type === 'integer') {
    const bound = (/** @type {number | undefined} */ value) => (typeof value === 'number' && Math.abs(value) < 1e12 ? value : undefined);
    input = h('input', {
      ...common,
      type: 'number',
      inputmode: schema.type === 'integer' ? 'numeric' : 'decimal',
      step: schema.type === 'integer' ? '1' : 'any',
      min: bound(schema.minimum ?? schema.exclusiveMinimum),
      max: bound(schema.maximum ?? schema.exclusiveMaximum),
    });
    if (typeof schema.default === 'number') /** @type {HTMLInputElement} */ (input).value = String(schema.default);
    read = () => {
      const element = /** @type {HTMLInputElement} */ (input);
      if (element.value.trim() === '') return undefined;
      const value = Number(element.value.replace(',', '.'));
      return Number.isFinite(value) ? value : element.value;
    };
  } else if (schema.format === 'date' || schema.format === 'date-time') {
    const dateTime = schema.format === 'date-time';
    input = h('input', { ...common, type: dateTime ? 'datetime-local' : 'date' });
    read = () => {
      const value = /** @type {HTMLInputElement} */ (input).value;
      if (!value) return required ? '' : undefined;
      return dateTime ? localToIso(value) : value;
    };
  } else {
    const long = (schema.maxLength ?? 0) > 200;
    input = long
      ? h('textarea', { ...common, rows: 4, maxlength: schema.maxLength })
      : h('input', { ...common, type: 'text', maxlength: schema.maxLength, autocomplete: 'off' });
    if (typeof schema.default === 'string') /** @type {HTMLInputElement} */ (input).value = schema.default;
    read = () => {
      const value = /** @type {HTMLInputElement} */ (input).value.trim();
      return value === '' ? (required ? '' : undefined) : value;
    };
  }

  const labelElement = labelFor(id, label, required);
  const element = h('div', { class: wrapperClass, 'data-field': key }, labelFirst ? [labelElement, note, slot, input] : [input, labelElement, note, slot]);
  return {
    element,
    read,
    locate: () => ({ errorSlot: slot, focus: input, label, invalid: [input] }),
    first: () => input,
  };
}

/** @param {JsonSchema} schema @param {string} key @param {boolean} required @param {string} prefix @returns {Control} */
export function checkboxGroup(schema, key, required, prefix) {
  const id = nextId(prefix);
  const label = labelOf(schema, key);
  const slot = errorSlot(`${id}-error`);
  const note = sensitivityNote(schema, `${id}-note`);
  const defaults = new Set(Array.isArray(schema.default) ? schema.default.map(String) : []);
  const boxes = enumOptions(schema.items ?? {}).map((option, index) => {
    const boxId = `${id}-${index}`;
    const box = /** @type {HTMLInputElement} */ (
      h('input', { type: 'checkbox', id: boxId, name: key, value: option.value, checked: defaults.has(option.value) })
    );
    return { box, element: h('div', { class: 'field field-check' }, box, h('label', { for: boxId, text: option.label })) };
  });
  const fieldset = h(
    'fieldset',
    { class: 'group group-choices', id, 'aria-describedby': `${id}-error` },
    h('legend', {}, label, requiredMark(required)),
    note,
    slot,
    h(
      'div',
      { class: 'choices' },
      boxes.map((entry) => entry.element),
    ),
  );
  return {
    element: fieldset,
    read: () => {
      const chosen = boxes.filter((entry) => entry.box.checked).map((entry) => entry.box.value);
      return chosen.length || required || hasDefault(schema) ? chosen : undefined;
    },
    locate: () => ({ errorSlot: slot, focus: boxes[0]?.box ?? fieldset, label, invalid: [] }),
    first: () => boxes[0]?.box,
  };
}
