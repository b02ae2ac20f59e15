// The actions of the case page: the sign-off, claim and event forms the projection offers, and sending them.
import { api, ApiError, byId, h, replaceChildren } from './common.js';
import { requiredMark } from './form-fields.js';
import { renderErrorSummary, schemaForm } from './schema-form.js';

/**
 * @typedef {import('../../../machines/projection.js').CaseProjection} CaseView
 * @typedef {import('../../../machines/projection.js').CaseAction} CaseAction
 * @typedef {import('../../schemas.js').HandedBack} HandedBack
 */

/**
 * The actions the projection offers this person, each as a form; sending one re-renders the page with the answer.
 * @param {CaseView} view @param {(next: CaseView) => Promise<void>} rerender
 */
export function renderActions(view, rerender) {
  const send = sender(view.caseRef, rerender);
  const container = byId('actions');
  const actions = view.actions;
  if (actions.length === 0) {
    replaceChildren(
      container,
      h('p', {
        text: view.status === 'done' ? 'Il caso è concluso: non ci sono azioni da compiere.' : 'Nessuna azione disponibile per il suo ruolo in questo momento.',
      }),
    );
    return;
  }
  const signoffFirst = [...actions].sort((a, b) => Number(b.kind === 'signoff') - Number(a.kind === 'signoff'));
  replaceChildren(
    container,
    signoffFirst.map((action, index) =>
      h(
        'details',
        { class: 'action', 'data-event': action.type, open: index === 0 && (action.kind === 'signoff' || actions.length === 1) },
        h('summary', {}, h('span', { class: 'action-title', text: action.label })),
        action.kind === 'signoff' ? signoffForm(action, send) : action.kind === 'claim' ? claimForm(action, send) : eventForm(action, send),
      ),
    ),
  );
}

/** @param {string} id @param {NonNullable<CaseAction['targets']>} targets */
function targetSelect(id, targets) {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id, text: 'Valutazione' }),
    h(
      'select',
      { id, name: 'round', 'aria-required': 'true' },
      targets.map((target, index) => h('option', { value: String(index), text: target.label })),
    ),
  );
}

/** @param {HTMLFormElement} form @param {NonNullable<CaseAction['targets']>} targets */
function chosenTarget(form, targets) {
  return targets[Number(/** @type {HTMLSelectElement} */ (form.elements.namedItem('round')).value)]?.payload ?? {};
}

/** @param {CaseAction} action @param {Send} send */
function signoffForm(action, send) {
  const targets = action.targets ?? [];
  const decisions = action.decisions ?? [];
  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1', hidden: true });
  const decisionError = h('p', { class: 'field-error', id: 'signoff-decision-error', hidden: true });
  const notesError = h('p', { class: 'field-error', id: 'signoff-notes-error', hidden: true });
  const radios = decisions.map(({ value, label }) =>
    h(
      'div',
      { class: 'field field-check' },
      h('input', { type: 'radio', name: 'decision', id: `signoff-decision-${value}`, value, 'aria-describedby': 'signoff-decision-error' }),
      h('label', { for: `signoff-decision-${value}`, text: label }),
    ),
  );
  const notes = /** @type {HTMLTextAreaElement} */ (
    h('textarea', { id: 'signoff-notes', name: 'notes', rows: 4, maxlength: 4000, 'aria-describedby': 'signoff-notes-hint signoff-notes-error' })
  );
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { class: 'action-form', id: 'signoff-form', novalidate: true },
      summary,
      targetSelect('signoff-round', targets),
      h(
        'fieldset',
        { class: 'group group-choices', 'aria-describedby': 'signoff-decision-error' },
        h('legend', {}, 'Decisione', requiredMark(true)),
        decisionError,
        h('div', { class: 'choices choices-inline' }, radios),
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'signoff-notes', text: 'Note' }),
        h('p', { class: 'hint', id: 'signoff-notes-hint', text: 'Facoltative. Motivare in particolare una richiesta di modifiche o un rifiuto.' }),
        notesError,
        notes,
      ),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button', text: 'Firma la valutazione' })),
    )
  );
  form.addEventListener('submit', (submitEvent) => {
    submitEvent.preventDefault();
    const decision = /** @type {HTMLInputElement | null} */ (form.querySelector('input[name="decision"]:checked'))?.value;
    for (const slot of [decisionError, notesError]) slot.hidden = true;
    if (!decision) {
      showFieldError(decisionError, 'Scegliere una decisione');
      const first = /** @type {HTMLElement | undefined} */ (radios[0]?.firstChild ?? undefined);
      renderErrorSummary(summary, 'La firma non è stata registrata', [{ label: 'Decisione', message: 'Scegliere una decisione', focus: first }]);
      return;
    }
    const text = notes.value.trim();
    const payload = { ...chosenTarget(form, targets), decision, ...(text ? { notes: text } : {}) };
    const chosenLabel = decisions.find((option) => option.value === decision)?.label ?? decision;
    void send(
      action,
      payload,
      form,
      (issues) => {
        const fieldOf = (/** @type {string} */ path) => (path.startsWith('notes') ? 'Note' : path.startsWith('decision') ? 'Decisione' : 'Valutazione');
        for (const issue of issues) {
          const target = issue.path.startsWith('notes') ? notesError : issue.path.startsWith('decision') ? decisionError : null;
          if (target) showFieldError(target, issue.message);
        }
        renderErrorSummary(
          summary,
          'La firma non è stata registrata',
          issues.map((issue) => ({ label: fieldOf(issue.path), message: issue.message })),
        );
      },
      `Firma registrata: ${chosenLabel}.`,
    );
  });
  return form;
}

/** @param {CaseAction} action @param {Send} send */
function claimForm(action, send) {
  const targets = action.targets ?? [];
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { class: 'action-form', novalidate: true },
      h('p', { class: 'hint', text: 'Il compito sarà assegnato a lei: gli altri operatori dello stesso ruolo lo vedranno come preso in carico.' }),
      targetSelect('claim-round', targets),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button button-secondary', text: 'Prendi in carico' })),
    )
  );
  form.addEventListener('submit', (submitEvent) => {
    submitEvent.preventDefault();
    void send(action, chosenTarget(form, targets), form, undefined, 'Compito preso in carico.');
  });
  return form;
}

/** @param {CaseAction} action @param {Send} send */
function eventForm(action, send) {
  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1', hidden: true });
  const fields = h('div');
  const form = /** @type {HTMLFormElement} */ (h('form', { class: 'action-form', novalidate: true, 'data-event': action.type }, summary, fields));
  const generated = schemaForm(action.form, fields, `event-${action.type.replace(/[^A-Za-z0-9]/g, '-')}`);
  if (!generated.hasFields()) fields.appendChild(h('p', { class: 'hint', text: 'Questa azione non richiede altri dati. Confermare per registrarla.' }));
  form.appendChild(h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button', text: `Registra: ${action.label}` })));
  form.addEventListener('submit', (submitEvent) => {
    submitEvent.preventDefault();
    generated.clearIssues();
    summary.hidden = true;
    void send(
      action,
      generated.value(),
      form,
      (issues) => renderErrorSummary(summary, `«${action.label}» non è stato registrato`, generated.showIssues(issues)),
      `«${action.label}» registrato.`,
    );
  });
  return form;
}

/** @param {HTMLElement} slot @param {string} message */
function showFieldError(slot, message) {
  replaceChildren(slot, h('span', { class: 'visually-hidden', text: 'Errore: ' }), message);
  slot.hidden = false;
}

/**
 * @typedef {(event: CaseAction, payload: unknown, form: HTMLFormElement, onIssues: ((issues: { path: string, message: string }[]) => void) | undefined, done: string) => Promise<void>} Send
 */

/**
 * Sends one event; on success shows the new state, on refusal the server's Italian message.
 * @param {string} caseRef @param {(next: CaseView) => Promise<void>} rerender
 * @returns {Send}
 */
const sender = (caseRef, rerender) => async (event, payload, form, onIssues, done) => {
  const actionError = byId('action-error');
  const result = byId('action-result');
  actionError.hidden = true;
  result.hidden = true;
  const button = /** @type {HTMLButtonElement | null} */ (form.querySelector('button[type="submit"]'));
  const buttonText = button?.textContent ?? '';
  if (button) {
    button.disabled = true;
    button.textContent = 'Invio in corso…';
  }
  try {
    const next = /** @type {CaseView | HandedBack} */ (await api('POST', `/api/cases/${encodeURIComponent(caseRef)}/events`, { type: event.type, payload }));
    if ('handedBack' in next) {
      const notice = h('p', { class: 'notice notice-success', role: 'status', tabindex: '-1', text: next.message });
      byId('case-body').replaceWith(notice);
      notice.focus();
      return;
    }
    await rerender(next);
    result.textContent = `${done} Stato attuale del caso: ${next.stateLabel}.`;
    result.hidden = false;
    result.setAttribute('tabindex', '-1');
    result.focus();
  } catch (error) {
    if (button) {
      button.disabled = false;
      button.textContent = buttonText;
    }
    if (error instanceof ApiError && error.status === 400 && error.issues.length && onIssues) {
      onIssues(error.issues.map((issue) => ({ ...issue, path: issue.path.replace(/^payload\.?/, '') })));
      return;
    }
    const lead =
      error instanceof ApiError && error.status === 409
        ? 'Azione non più ammessa: il caso è cambiato nel frattempo.'
        : error instanceof ApiError && error.status === 403
          ? 'Azione non consentita al suo ruolo.'
          : `«${event.label}» non è stato registrato.`;
    replaceChildren(actionError, h('strong', { text: lead }), ' ', error instanceof Error ? error.message : String(error));
    actionError.hidden = false;
    actionError.focus();
    if (error instanceof ApiError && error.status === 409) {
      // The case moved on: show what it is now, keeping the message.
      try {
        await rerender(/** @type {CaseView} */ (await api('GET', `/api/cases/${encodeURIComponent(caseRef)}`)));
      } catch {
        // The message above is what matters.
      }
    }
  }
};
