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
import { checkboxGroup, errorSlot, hasDefault, isObject, labelOf, leaf, nextId, requiredMark, sensitivityNote } from './form-fields.js';

/**
 * @typedef {import('./form-fields.js').JsonSchema} JsonSchema
 * @typedef {import('./form-fields.js').Control} Control
 */

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
  const parts = [h('legend', {}, label, requiredMark(required)), note, slot];
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
    h('legend', {}, label, requiredMark(required)),
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
