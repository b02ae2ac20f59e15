// A form generated from a JSON Schema (as zod's toJSONSchema writes a pathway's start or event schema), and the
// display of the server's field issues next to the fields they concern.
//
//   object            → <fieldset> with <legend> = title (the root object is a plain group); optional objects have a
//                       "Compilare questa sezione" switch and are sent only when it is on
//   string            → text input (textarea when maxLength > 200); format date → date input; format date-time →
//                       datetime-local input, sent as ISO 8601 with the browser's UTC offset
//   enum (+ oneOf)    → <select> with the Italian titles of oneOf's const/title pairs
//   boolean           → checkbox when required or with a default; otherwise Sì / No / Non indicato
//   number / integer  → number input (step 1 for integers), min and max from the schema
//   array of enums    → a group of checkboxes
//   other arrays      → a repeatable group with "Aggiungi" and "Rimuovi"
// Required fields come from `required`; empty optional fields are left out of the data; empty required ones are sent
// empty, so that the server answers with its own Italian message for that field.

import { h, replaceChildren, announce } from './common.js';

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
const nextId = (/** @type {string} */ prefix) => `${prefix}-${++counter}`;

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
const isObject = (schema) => schema.type === 'object' || (!!schema.properties && !schema.type);
/** @param {JsonSchema} schema @param {string} key */
const labelOf = (schema, key) => schema.title ?? fallbackLabels[key] ?? key;
/** @param {JsonSchema} schema */
const hasDefault = (schema) => Object.prototype.hasOwnProperty.call(schema, 'default');

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
function errorSlot(id) {
  return h('p', { class: 'field-error', id, hidden: true });
}

/** @param {JsonSchema} schema @param {string} id */
function sensitivityNote(schema, id) {
  if (!schema.sensitive) return undefined;
  return h('p', { class: 'badge badge-sensitive', id, text: sensitivityLabels[schema.sensitive] ?? 'Dati riservati' });
}

/**
 * @param {JsonSchema} schema @param {string} key @param {boolean} required @param {string} prefix
 * @returns {Control}
 */
function control(schema, key, required, prefix) {
  if (schema.type === 'array') {
    const items = schema.items ?? {};
    if (items.enum || items.oneOf) return checkboxGroup(schema, key, required, prefix);
    return repeatable(schema, key, required, prefix);
  }
  if (isObject(schema)) return objectControl(schema, key, required, prefix, false);
  return leaf(schema, key, required, prefix);
}

/** A label with the required mark. @param {string} id @param {string} text @param {boolean} required */
function labelFor(id, text, required) {
  return h('label', { for: id }, text, required ? [h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' })] : null);
}

/** @param {JsonSchema} schema @param {string} key @param {boolean} required @param {string} prefix @returns {Control} */
function leaf(schema, key, required, prefix) {
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

/**
 * @param {JsonSchema} schema @param {string} key @param {boolean} required @param {string} prefix
 * @param {boolean} root the form itself: a plain group, without legend or switch
 * @returns {Control}
 */
function objectControl(schema, key, required, prefix, root) {
  const properties = Object.entries(schema.properties ?? {});
  const requiredKeys = new Set(schema.required ?? []);
  const children = new Map(properties.map(([name, child]) => [name, control(child, name, requiredKeys.has(name), prefix)]));
  const body = h(
    'div',
    { class: 'fieldset-body' },
    [...children.values()].map((child) => child.element),
  );
  const read = () => {
    /** @type {Record<string, unknown>} */
    const value = {};
    for (const [name, child] of children) {
      const childValue = child.read();
      if (childValue !== undefined) value[name] = childValue;
    }
    return value;
  };
  const locateChild = (/** @type {string[]} */ segments) => {
    const [head, ...rest] = segments;
    return head === undefined ? undefined : children.get(head)?.locate(rest);
  };
  const firstChild = () => {
    for (const child of children.values()) {
      const found = child.first();
      if (found) return found;
    }
    return undefined;
  };

  if (root) {
    const slot = errorSlot(nextId(prefix));
    return {
      element: h('div', { class: 'schema-root' }, slot, body),
      read,
      locate: (segments) => locateChild(segments) ?? { errorSlot: slot, focus: firstChild() ?? slot, label: 'Modulo', invalid: [] },
      first: firstChild,
    };
  }

  const id = nextId(prefix);
  const label = labelOf(schema, key);
  const slot = errorSlot(`${id}-error`);
  const note = sensitivityNote(schema, `${id}-note`);
  const optional = !required && !hasDefault(schema);
  /** @type {HTMLInputElement | undefined} */
  let toggle;
  const parts = [h('legend', {}, label, required ? h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null), note, slot];
  if (optional) {
    const toggleId = `${id}-toggle`;
    toggle = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: toggleId, 'aria-controls': `${id}-body`, 'aria-expanded': 'false' }));
    parts.push(h('div', { class: 'field field-check section-toggle' }, toggle, h('label', { for: toggleId, text: 'Compilare questa sezione' })));
    body.id = `${id}-body`;
    body.hidden = true;
    const element = toggle;
    element.addEventListener('change', () => {
      body.hidden = !element.checked;
      element.setAttribute('aria-expanded', String(element.checked));
      if (element.checked) firstChild()?.focus();
    });
  }
  parts.push(body);
  const fieldset = h('fieldset', { class: 'group', id, 'aria-describedby': `${id}-error` }, parts);
  return {
    element: fieldset,
    read: () => (toggle && !toggle.checked ? undefined : read()),
    locate: (segments) => {
      const own = { errorSlot: slot, focus: toggle ?? firstChild() ?? fieldset, label, invalid: [] };
      if (toggle && !toggle.checked) return own;
      return locateChild(segments) ?? own;
    },
    first: () => toggle ?? firstChild(),
  };
}

/** @param {JsonSchema} schema @param {string} key @param {boolean} required @param {string} prefix @returns {Control} */
function checkboxGroup(schema, key, required, prefix) {
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
    h('legend', {}, label, required ? h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null),
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

/** @param {JsonSchema} schema @param {string} key @param {boolean} required @param {string} prefix @returns {Control} */
function repeatable(schema, key, required, prefix) {
  const id = nextId(prefix);
  const label = labelOf(schema, key);
  const itemLabel = schema.items?.title ?? 'Voce';
  const slot = errorSlot(`${id}-error`);
  const note = sensitivityNote(schema, `${id}-note`);
  const list = h('div', { class: 'repeat-list' });
  const empty = h('p', { class: 'hint', text: 'Nessuna voce inserita.' });
  /** @type {{ control: Control, element: HTMLElement, legend: HTMLElement, remove: HTMLButtonElement }[]} */
  const items = [];
  const addButton = /** @type {HTMLButtonElement} */ (
    h(
      'button',
      { type: 'button', class: 'button button-secondary button-small' },
      'Aggiungi',
      h('span', { class: 'visually-hidden', text: ` una voce a «${label}»` }),
    )
  );

  const refresh = () => {
    items.forEach((item, index) => {
      item.legend.textContent = `${itemLabel} ${index + 1}`;
      replaceChildren(item.remove, 'Rimuovi', h('span', { class: 'visually-hidden', text: ` ${itemLabel.toLowerCase()} ${index + 1}` }));
    });
    empty.hidden = items.length > 0;
    addButton.disabled = typeof schema.maxItems === 'number' && items.length >= schema.maxItems;
  };

  const add = (/** @type {boolean} */ focus) => {
    const itemSchema = schema.items ?? { type: 'string' };
    const itemControl = isObject(itemSchema)
      ? objectControl({ ...itemSchema, title: undefined }, key, true, prefix, true)
      : leaf({ ...itemSchema, title: itemSchema.title ?? label }, key, true, prefix);
    const legend = h('legend');
    const remove = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'button button-quiet button-small' }));
    const element = h('fieldset', { class: 'group repeat-item' }, legend, itemControl.element, h('div', { class: 'repeat-actions' }, remove));
    const item = { control: itemControl, element, legend, remove };
    remove.addEventListener('click', () => {
      const index = items.indexOf(item);
      items.splice(index, 1);
      element.remove();
      refresh();
      announce(`${itemLabel} ${index + 1} rimossa.`);
      addButton.focus();
    });
    items.push(item);
    list.appendChild(element);
    refresh();
    if (focus) {
      itemControl.first()?.focus();
      announce(`${itemLabel} ${items.length} aggiunta.`);
    }
  };
  addButton.addEventListener('click', () => add(true));
  for (let n = 0; n < (schema.minItems ?? 0); n += 1) add(false);
  refresh();

  const fieldset = h(
    'fieldset',
    { class: 'group group-repeat', id, 'aria-describedby': `${id}-error` },
    h('legend', {}, label, required ? h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null),
    note,
    slot,
    empty,
    list,
    h('div', { class: 'repeat-add' }, addButton),
  );
  return {
    element: fieldset,
    read: () => {
      const values = items.map((item) => item.control.read());
      return values.length || required || hasDefault(schema) ? values : undefined;
    },
    locate: (segments) => {
      const [head, ...rest] = segments;
      const item = head !== undefined && /^\d+$/.test(head) ? items[Number(head)] : undefined;
      return item?.control.locate(rest) ?? { errorSlot: slot, focus: items[0]?.control.first() ?? addButton, label, invalid: [] };
    },
    first: () => items[0]?.control.first() ?? addButton,
  };
}

/**
 * Builds the form's fields into `container`.
 * @param {Record<string, unknown>} jsonSchema the JSON Schema of an object, as the API serves it
 * @param {HTMLElement} container
 * @param {string} prefix unique per form on the page, for element ids
 */
export function schemaForm(jsonSchema, container, prefix) {
  const schema = /** @type {JsonSchema} */ (jsonSchema);
  const root = objectControl(schema, '', true, prefix, true);
  replaceChildren(container, root.element);
  /** @type {{ slot: HTMLElement, invalid: HTMLElement[] }[]} */
  let shown = [];

  return {
    /** The data, with optional empty fields left out. */
    value: () => root.read(),
    hasFields: () => Object.keys(schema.properties ?? {}).length > 0,
    clearIssues() {
      for (const { slot, invalid } of shown) {
        slot.hidden = true;
        slot.textContent = '';
        for (const element of invalid) element.removeAttribute('aria-invalid');
      }
      for (const element of container.querySelectorAll('.has-error')) element.classList.remove('has-error');
      shown = [];
    },
    /**
     * Shows each issue next to its field. Returns, in order, what the summary needs.
     * @param {{ path: string, message: string }[]} issues
     * @returns {{ message: string, label: string, focus: HTMLElement }[]}
     */
    showIssues(issues) {
      this.clearIssues();
      /** @type {Map<HTMLElement, string[]>} */
      const bySlot = new Map();
      const listed = [];
      for (const issue of issues) {
        const segments = issue.path ? String(issue.path).split('.').filter(Boolean) : [];
        const ref = root.locate(segments);
        if (!ref) continue;
        bySlot.set(ref.errorSlot, [...(bySlot.get(ref.errorSlot) ?? []), issue.message]);
        for (const element of ref.invalid) element.setAttribute('aria-invalid', 'true');
        ref.errorSlot.closest('.field, fieldset')?.classList.add('has-error');
        shown.push({ slot: ref.errorSlot, invalid: ref.invalid });
        listed.push({ message: issue.message, label: ref.label, focus: ref.focus });
      }
      for (const [slot, messages] of bySlot) {
        replaceChildren(slot, h('span', { class: 'visually-hidden', text: 'Errore: ' }), [...new Set(messages)].join('; '));
        slot.hidden = false;
      }
      return listed;
    },
    focusFirst() {
      root.first()?.focus();
    },
  };
}

/**
 * The error summary at the top of a form: a heading and one link per issue that moves focus to its field.
 * @param {HTMLElement} container
 * @param {string} heading
 * @param {{ message: string, label: string, focus?: HTMLElement }[]} entries
 */
export function renderErrorSummary(container, heading, entries) {
  const list = h(
    'ul',
    {},
    entries.map((entry) => {
      const text = entry.label ? `${entry.label}: ${entry.message}` : entry.message;
      if (!entry.focus?.id) return h('li', { text });
      const link = h('a', { href: `#${entry.focus.id}`, text });
      link.addEventListener('click', (event) => {
        event.preventDefault();
        entry.focus?.scrollIntoView({ block: 'center' });
        entry.focus?.focus();
      });
      return h('li', {}, link);
    }),
  );
  replaceChildren(container, h('h2', { class: 'error-summary-title', text: heading }), list);
  container.hidden = false;
  container.focus();
}
