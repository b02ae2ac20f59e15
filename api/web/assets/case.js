// /cases/:ref — the case: state, diagram, sign-offs, deadlines, timeline, and the actions the person's role may take now.
import { api, ApiError, byId, h, hideLoading, overdueBadge, replaceChildren, requireUser, showError, timeElement } from './common.js';
import { renderErrorSummary, schemaForm } from './schema-form.js';

/**
 * @typedef {import('../../../machines/projection.js').CaseProjection} CaseView
 * @typedef {import('../../../machines/projection.js').CaseAction} CaseAction
 * @typedef {import('../../schemas.js').HandedBack} HandedBack
 * @typedef {import('mermaid').Mermaid} Mermaid
 */

// The page renders the case as the API projects it for this person (machines/projection.ts): what they may see and
// do, with every label. It decides nothing of its own.

/** @type {Record<string, string>} */
const decisionClasses = { approve: 'badge-ok', 'request-changes': 'badge-warn', reject: 'badge-bad' };

const caseRef = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] ?? '');

/** @type {CaseView} */
let view;
let diagramCounter = 0;

async function main() {
  await requireUser();
  const loaded = /** @type {CaseView} */ (await api('GET', `/api/cases/${encodeURIComponent(caseRef)}`));
  hideLoading();
  byId('case-body').hidden = false;
  await render(loaded);
}

/** @param {CaseView} next */
async function render(next) {
  view = next;
  document.title = `${view.caseRef} · ${view.title} · Raccordo`;
  replaceChildren(byId('case-title'), h('span', { class: 'ref', text: view.caseRef }), ' ', h('span', { class: 'title-sub', text: view.title }));
  renderFacts();
  renderActions();
  renderSignoffs();
  renderRounds();
  renderDeadlines();
  renderAlerts();
  renderTimeline();
  renderData();
  await renderDiagram();
}

/** @param {string} term @param {...unknown} value */
function fact(term, ...value) {
  return h('div', { class: 'fact' }, h('dt', { text: term }), h('dd', {}, ...value));
}

function renderFacts() {
  const deeper = view.activeStates.filter((state) => state.label !== view.stateLabel);
  replaceChildren(
    byId('case-facts'),
    fact(
      'Stato',
      h('strong', { class: 'state-label', id: 'state-label', text: view.stateLabel }),
      deeper.length
        ? h(
            'ul',
            { class: 'active-states' },
            deeper.map((state) => h('li', { text: state.label })),
          )
        : null,
    ),
    fact(
      'Situazione',
      view.status === 'done' ? h('span', { class: 'badge badge-done', text: 'Concluso' }) : h('span', { class: 'badge badge-active', text: 'In corso' }),
    ),
    view.outcome ? fact('Esito', view.outcome) : null,
    fact('Prossima scadenza', timeElement(view.nextDeadline), ' ', view.overdue ? overdueBadge() : null),
    fact('Aperto il', timeElement(view.startedAt), ` da ${view.startedBy.roleLabel}`),
    fact('Percorso', `${view.title} (versione ${view.version})`),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Actions

function renderActions() {
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
        action.kind === 'signoff' ? signoffForm(action) : action.kind === 'claim' ? claimForm(action) : eventForm(action),
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

/** @param {CaseAction} action */
function signoffForm(action) {
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
        h('legend', {}, 'Decisione', h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' })),
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

/** @param {CaseAction} action */
function claimForm(action) {
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

/** @param {CaseAction} action */
function eventForm(action) {
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
 * Sends one event; on success shows the new state, on refusal the server's Italian message.
 * @param {CaseAction} event @param {unknown} payload @param {HTMLFormElement} form
 * @param {((issues: { path: string, message: string }[]) => void) | undefined} onIssues @param {string} done
 */
async function send(event, payload, form, onIssues, done) {
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
    await render(next);
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
        await render(/** @type {CaseView} */ (await api('GET', `/api/cases/${encodeURIComponent(caseRef)}`)));
      } catch {
        // The message above is what matters.
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sign-offs, rounds, deadlines, alerts

/** @param {string} caption @param {string[]} headers @param {HTMLElement[]} rows */
function table(caption, headers, rows) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data-table' },
      h('caption', { class: 'visually-hidden', text: caption }),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((header) => h('th', { scope: 'col', text: header })),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}

function renderSignoffs() {
  const pending = view.pendingSignoffs;
  const container = byId('signoffs');
  if (pending.length === 0) {
    replaceChildren(container, h('p', { text: 'Nessuna firma in attesa.' }));
    return;
  }
  replaceChildren(
    container,
    table(
      'Firme in attesa',
      ['Valutazione', 'Ruolo', 'Assegnata a', 'Scadenza', 'Priorità'],
      pending.map((signoff) =>
        h(
          'tr',
          { class: signoff.overdue ? 'row-overdue' : undefined },
          h('td', { text: signoff.roundLabel }),
          h('td', {}, signoff.candidateRoleLabel, signoff.mine ? h('span', { class: 'badge badge-you', text: 'Il suo ruolo' }) : null),
          h('td', { text: signoff.assignee ?? 'Non ancora assegnata' }),
          h('td', {}, timeElement(signoff.dueAt), ' ', signoff.overdue ? overdueBadge() : null),
          h('td', {}, signoff.priority === 'high' ? h('span', { class: 'badge badge-warn', text: 'Alta' }) : 'Normale'),
        ),
      ),
    ),
  );
}

function renderRounds() {
  const rounds = view.rounds;
  const container = byId('rounds');
  if (rounds.length === 0) {
    replaceChildren(container, h('p', { text: 'Nessuna valutazione aperta finora.' }));
    return;
  }
  replaceChildren(
    container,
    rounds.map((round) => {
      const decisions = Object.values(round.decisions);
      return h(
        'div',
        { class: 'round' },
        h('h3', { text: round.label }),
        h(
          'p',
          { class: 'meta' },
          'Aperta il ',
          timeElement(round.openedAt),
          ' · scadenza ',
          timeElement(round.dueAt),
          round.closedAt ? [' · chiusa il ', timeElement(round.closedAt)] : ' · in corso',
        ),
        decisions.length
          ? table(
              `Decisioni: ${round.label}`,
              ['Ruolo', 'Decisione', 'Firmata da', 'Data', 'Note'],
              decisions.map((decision) =>
                h(
                  'tr',
                  {},
                  h('td', {}, decision.roleLabel, decision.substitute ? ` (sostituto: ${decision.signedByRoleLabel})` : ''),
                  h('td', {}, h('span', { class: `badge ${decisionClasses[decision.decision] ?? ''}`, text: decision.decisionLabel })),
                  h('td', { text: decision.signedBy }),
                  h('td', {}, timeElement(decision.at)),
                  h('td', { class: 'notes', text: decision.notes ?? '—' }),
                ),
              ),
            )
          : h('p', { text: 'Nessuna decisione ancora registrata.' }),
      );
    }),
  );
}

function renderDeadlines() {
  const deadlines = view.deadlines;
  const container = byId('deadlines');
  if (deadlines.length === 0) {
    replaceChildren(container, h('p', { text: 'Nessun termine procedurale in corso.' }));
    return;
  }
  replaceChildren(
    container,
    h(
      'ul',
      { class: 'plain-list' },
      deadlines.map((deadline) =>
        h(
          'li',
          {},
          h('strong', { text: deadline.label }),
          ': ',
          timeElement(deadline.dueAt),
          deadline.suspended ? h('span', { class: 'badge badge-muted', text: 'Sospeso' }) : deadline.overdue ? [' ', overdueBadge()] : null,
        ),
      ),
    ),
  );
}

function renderAlerts() {
  const alerts = view.alerts;
  byId('alerts-panel').hidden = alerts.length === 0;
  replaceChildren(
    byId('alerts'),
    h(
      'ul',
      { class: 'plain-list' },
      alerts.map((alert) => h('li', { class: 'alert-item' }, timeElement(alert.at), ' — ', alert.message)),
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Timeline

function renderTimeline() {
  const entries = [...view.timeline].reverse();
  replaceChildren(
    byId('timeline').querySelector('tbody') ?? byId('timeline'),
    entries.map((entry) =>
      h(
        'tr',
        { 'data-event': entry.event },
        h('td', { class: 'nowrap' }, timeElement(entry.at)),
        h(
          'td',
          {},
          entry.label,
          entry.decision ? [': ', h('span', { class: `badge ${decisionClasses[entry.decision.value] ?? ''}`, text: entry.decision.label })] : null,
        ),
        h('td', { text: entry.actor?.roleLabel ?? 'Sistema' }),
        h('td', { text: entry.transition }),
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Case data

function renderData() {
  replaceChildren(
    byId('case-data'),
    view.dataFields.length === 0
      ? h('p', { text: 'Dati non disponibili.' })
      : h(
          'dl',
          { class: 'data-list' },
          view.dataFields.map((field) =>
            h('div', { class: `fact depth-${Math.min(field.depth, 4)}` }, h('dt', { text: field.label }), h('dd', { text: field.text || ' ' })),
          ),
        ),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Diagram

async function renderDiagram() {
  const container = byId('diagram');
  const caption = byId('diagram-caption');
  const active = view.activeStates.map((state) => state.label);
  caption.textContent = `Stati attivi: ${active.join('; ') || view.stateLabel}.`;
  const mermaid = /** @type {Window & { mermaid?: Mermaid }} */ (window).mermaid;
  if (!view.diagram || !mermaid) {
    replaceChildren(container, h('p', { text: 'Diagramma non disponibile.' }));
    return;
  }
  mermaid.initialize({
    startOnLoad: false,
    securityLevel: 'strict',
    theme: 'neutral',
    fontFamily: 'system-ui, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
    state: { useMaxWidth: true },
  });
  const oneLine = (/** @type {string} */ text) => text.replace(/[\r\n;]+/g, ', ');
  const [first, ...rest] = view.diagram.split('\n');
  const text = [
    first,
    `  accTitle: ${oneLine(`Diagramma del percorso ${view.title}`)}`,
    `  accDescr: ${oneLine(`Stati attivi evidenziati: ${active.join(', ') || view.stateLabel}`)}`,
    ...rest,
  ].join('\n');
  // Mermaid reads the definition as text and draws (sanitised, securityLevel strict) in place of it.
  const target = h('pre', { class: 'mermaid', id: `diagram-source-${++diagramCounter}` });
  target.textContent = text;
  replaceChildren(container, target);
  try {
    await mermaid.run({ nodes: [target] });
  } catch {
    replaceChildren(container, h('p', { text: 'Non è stato possibile disegnare il diagramma.' }));
  }
}

const zoom = byId('diagram-zoom');
zoom.addEventListener('click', () => {
  const natural = zoom.getAttribute('aria-pressed') !== 'true';
  zoom.setAttribute('aria-pressed', String(natural));
  byId('diagram').classList.toggle('natural-size', natural);
});

main().catch((error) => {
  showError(error instanceof ApiError && error.status === 404 ? `Caso ${caseRef} non trovato.` : error instanceof Error ? error.message : String(error));
});
