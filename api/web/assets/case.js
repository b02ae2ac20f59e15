// /cases/:ref — the case: state, diagram, sign-offs, deadlines, timeline, and the actions the person's role may take now.
import {
  api,
  ApiError,
  byId,
  formatDate,
  h,
  hideLoading,
  isPast,
  loadPathways,
  overdueBadge,
  replaceChildren,
  requireUser,
  roleLabel,
  showError,
  timeElement,
} from './common.js';
import { renderErrorSummary, schemaForm } from './schema-form.js';

const decisionLabels = { approve: 'Approva', 'request-changes': 'Richiede modifiche', reject: 'Respinge' };
const decisionClasses = { approve: 'badge-ok', 'request-changes': 'badge-warn', reject: 'badge-bad' };

const caseRef = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] ?? '');

/** @type {{ id: string, name: string, role: string } | undefined} */
let user;
/** @type {Record<string, string> | undefined} */
let pathwayRoles;
/** @type {any} */
let pathway;
/** @type {any} */
let view;
let diagramCounter = 0;

async function main() {
  user = await requireUser();
  const [loaded, pathways] = await Promise.all([api('GET', `/api/cases/${encodeURIComponent(caseRef)}`), loadPathways().catch(() => [])]);
  pathway = pathways.find((candidate) => candidate.kind === loaded.kind);
  pathwayRoles = pathway?.roles;
  hideLoading();
  byId('case-body').hidden = false;
  await render(loaded);
}

const role = (name) => roleLabel(name, pathwayRoles);

/** @param {any} next */
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
      deeper.length ? h('ul', { class: 'active-states' }, deeper.map((state) => h('li', { text: state.label }))) : null,
    ),
    fact('Situazione', view.status === 'done' ? h('span', { class: 'badge badge-done', text: 'Concluso' }) : h('span', { class: 'badge badge-active', text: 'In corso' })),
    view.outcome ? fact('Esito', view.outcome) : null,
    fact('Prossima scadenza', timeElement(view.nextDeadline), ' ', view.status !== 'done' && isPast(view.nextDeadline) ? overdueBadge() : null),
    fact('Aperto il', timeElement(view.startedAt), view.startedBy ? ` da ${role(view.startedBy.role)}` : ''),
    fact('Percorso', `${view.title} (versione ${view.version})`),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Actions

function renderActions() {
  const container = byId('actions');
  // Sign-off events are open to the round's roles while it runs, also to one who has already signed: only offered
  // while a signature of theirs is pending.
  const signable = signableRounds().length > 0;
  const claimable = claimableRounds().length > 0;
  const events = (view.allowedEvents ?? []).filter((event) =>
    event.type === 'signoff.claim' ? claimable : event.type === 'signoff.submit' ? signable : true,
  );
  if (events.length === 0) {
    replaceChildren(
      container,
      h('p', {
        text: view.status === 'done' ? 'Il caso è concluso: non ci sono azioni da compiere.' : 'Nessuna azione disponibile per il suo ruolo in questo momento.',
      }),
    );
    return;
  }
  const signoffFirst = [...events].sort((a, b) => Number(b.type === 'signoff.submit') - Number(a.type === 'signoff.submit'));
  replaceChildren(
    container,
    signoffFirst.map((event, index) => {
      const form = event.type === 'signoff.submit' ? signoffForm(event) : event.type === 'signoff.claim' ? claimForm(event) : eventForm(event);
      const details = h(
        'details',
        { class: 'action', 'data-event': event.type, open: index === 0 && (event.type === 'signoff.submit' || events.length === 1) },
        h('summary', {}, h('span', { class: 'action-title', text: event.label })),
        form,
      );
      return details;
    }),
  );
}

/**
 * The rounds the person may sign now: those waiting for their own role; those of a party without an account whose
 * signature their role records (`recordedBy`); and those of an absent evaluator their role may stand in for
 * (`substitutes`). The last two are sent on behalf of that role.
 */
function signableRounds() {
  const pending = view.pendingSignoffs ?? [];
  return pending.flatMap((signoff) => {
    const given = (on) => `${signoff.roundLabel}${on} (scadenza ${formatDate(signoff.dueAt)})`;
    if (signoff.candidateRole === user?.role) return [{ signoff, onBehalfOf: undefined, label: given('') }];
    const forWhom = role(signoff.candidateRole);
    if ((signoff.recordedBy ?? []).includes(user?.role)) return [{ signoff, onBehalfOf: signoff.candidateRole, label: given(` — firma di: ${forWhom}`) }];
    if ((signoff.substitutes ?? []).includes(user?.role)) {
      return [{ signoff, onBehalfOf: signoff.candidateRole, label: given(` — in sostituzione di: ${forWhom}`) }];
    }
    return [];
  });
}

/** Pending signatures of the person's that nobody has taken on yet. */
function claimableRounds() {
  return signableRounds().filter((round) => !round.signoff.assignee);
}

function roundSelect(id, rounds) {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id, text: 'Valutazione' }),
    h('select', { id, name: 'round', 'aria-required': 'true' }, rounds.map((round, index) => h('option', { value: String(index), text: round.label }))),
  );
}

function signoffForm(event) {
  const rounds = signableRounds();
  if (rounds.length === 0) return h('p', { text: 'Nessuna valutazione in attesa della sua firma.' });
  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1', hidden: true });
  const decisionError = h('p', { class: 'field-error', id: 'signoff-decision-error', hidden: true });
  const notesError = h('p', { class: 'field-error', id: 'signoff-notes-error', hidden: true });
  const radios = Object.entries(decisionLabels).map(([value, label]) =>
    h(
      'div',
      { class: 'field field-check' },
      h('input', { type: 'radio', name: 'decision', id: `signoff-decision-${value}`, value, 'aria-describedby': 'signoff-decision-error' }),
      h('label', { for: `signoff-decision-${value}`, text: label }),
    ),
  );
  const notes = h('textarea', { id: 'signoff-notes', name: 'notes', rows: 4, maxlength: 4000, 'aria-describedby': 'signoff-notes-hint signoff-notes-error' });
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { class: 'action-form', id: 'signoff-form', novalidate: true },
      summary,
      roundSelect('signoff-round', rounds),
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
  form.addEventListener('submit', async (submitEvent) => {
    submitEvent.preventDefault();
    const chosen = rounds[Number(/** @type {HTMLSelectElement} */ (form.elements.namedItem('round')).value)];
    const decision = /** @type {HTMLInputElement | null} */ (form.querySelector('input[name="decision"]:checked'))?.value;
    for (const slot of [decisionError, notesError]) slot.hidden = true;
    if (!decision) {
      showFieldError(decisionError, 'Scegliere una decisione');
      renderErrorSummary(summary, 'La firma non è stata registrata', [{ label: 'Decisione', message: 'Scegliere una decisione', focus: /** @type {HTMLElement} */ (radios[0]?.firstChild) }]);
      return;
    }
    const text = /** @type {HTMLTextAreaElement} */ (notes).value.trim();
    const payload = {
      round: chosen?.signoff.round,
      decision,
      ...(text ? { notes: text } : {}),
      ...(chosen?.onBehalfOf ? { onBehalfOf: chosen.onBehalfOf } : {}),
    };
    await send(event, payload, form, (issues) => {
      const entries = [];
      for (const issue of issues) {
        const target = issue.path.startsWith('notes') ? notesError : issue.path.startsWith('decision') ? decisionError : null;
        if (target) showFieldError(target, issue.message);
        entries.push({ label: issue.path.startsWith('notes') ? 'Note' : issue.path.startsWith('decision') ? 'Decisione' : 'Valutazione', message: issue.message });
      }
      renderErrorSummary(summary, 'La firma non è stata registrata', entries);
    }, `Firma registrata: ${decisionLabels[decision]}.`);
  });
  return form;
}

function claimForm(event) {
  const rounds = claimableRounds();
  if (rounds.length === 0) return h('p', { text: 'Nessuna valutazione da prendere in carico.' });
  const id = `claim-round`;
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      { class: 'action-form', novalidate: true },
      h('p', { class: 'hint', text: 'Il compito sarà assegnato a lei: gli altri operatori dello stesso ruolo lo vedranno come preso in carico.' }),
      roundSelect(id, rounds),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button button-secondary', text: 'Prendi in carico' })),
    )
  );
  form.addEventListener('submit', async (submitEvent) => {
    submitEvent.preventDefault();
    const chosen = rounds[Number(/** @type {HTMLSelectElement} */ (form.elements.namedItem('round')).value)];
    await send(event, { round: chosen?.signoff.round, ...(chosen?.onBehalfOf ? { onBehalfOf: chosen.onBehalfOf } : {}) }, form, undefined, 'Compito preso in carico.');
  });
  return form;
}

function eventForm(event) {
  const schema = view.eventSchemas?.[event.type] ?? { type: 'object', properties: {} };
  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1', hidden: true });
  const fields = h('div');
  const form = /** @type {HTMLFormElement} */ (
    h('form', { class: 'action-form', novalidate: true, 'data-event': event.type }, summary, fields)
  );
  const generated = schemaForm(schema, fields, `event-${event.type.replace(/[^A-Za-z0-9]/g, '-')}`);
  if (!generated.hasFields()) fields.appendChild(h('p', { class: 'hint', text: 'Questa azione non richiede altri dati. Confermare per registrarla.' }));
  form.appendChild(h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button', text: `Registra: ${event.label}` })));
  form.addEventListener('submit', async (submitEvent) => {
    submitEvent.preventDefault();
    generated.clearIssues();
    summary.hidden = true;
    await send(event, generated.value(), form, (issues) => {
      const entries = generated.showIssues(issues);
      renderErrorSummary(summary, `«${event.label}» non è stato registrato`, entries);
    }, `«${event.label}» registrato.`);
  });
  return form;
}

function showFieldError(slot, message) {
  replaceChildren(slot, h('span', { class: 'visually-hidden', text: 'Errore: ' }), message);
  slot.hidden = false;
}

/**
 * Sends one event; on success shows the new state, on refusal the server's Italian message.
 * @param {{ type: string, label: string }} event @param {unknown} payload @param {HTMLFormElement} form
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
    const next = await api('POST', `/api/cases/${encodeURIComponent(caseRef)}/events`, { type: event.type, payload });
    if (next.handedBack) {
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
    // The server names the event by its code: the person knows it by its label.
    const detail = (error instanceof Error ? error.message : String(error)).split(event.type).join(`«${event.label}»`);
    replaceChildren(actionError, h('strong', { text: lead }), ' ', detail);
    actionError.hidden = false;
    actionError.focus();
    if (error instanceof ApiError && error.status === 409) {
      // The case moved on: show what it is now, keeping the message.
      try {
        await render(await api('GET', `/api/cases/${encodeURIComponent(caseRef)}`));
      } catch {
        // The message above is what matters.
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sign-offs, rounds, deadlines, alerts

function table(caption, headers, rows) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data-table' },
      h('caption', { class: 'visually-hidden', text: caption }),
      h('thead', {}, h('tr', {}, headers.map((header) => h('th', { scope: 'col', text: header })))),
      h('tbody', {}, rows),
    ),
  );
}

function renderSignoffs() {
  const pending = view.pendingSignoffs ?? [];
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
          { class: isPast(signoff.dueAt) ? 'row-overdue' : undefined },
          h('td', { text: signoff.roundLabel }),
          h('td', {}, role(signoff.candidateRole), signoff.candidateRole === user?.role ? h('span', { class: 'badge badge-you', text: 'Il suo ruolo' }) : null),
          h('td', { text: signoff.assignee ?? 'Non ancora assegnata' }),
          h('td', {}, timeElement(signoff.dueAt), ' ', isPast(signoff.dueAt) ? overdueBadge() : null),
          h('td', {}, signoff.priority === 'high' ? h('span', { class: 'badge badge-warn', text: 'Alta' }) : 'Normale'),
        ),
      ),
    ),
  );
}

function renderRounds() {
  const rounds = view.rounds ?? [];
  const container = byId('rounds');
  if (rounds.length === 0) {
    replaceChildren(container, h('p', { text: 'Nessuna valutazione aperta finora.' }));
    return;
  }
  replaceChildren(
    container,
    rounds.map((round) => {
      const decisions = Object.entries(round.decisions ?? {});
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
              decisions.map(([roleName, decision]) =>
                h(
                  'tr',
                  {},
                  h('td', {}, role(roleName), decision.substitute ? ` (sostituto: ${role(decision.signedByRole)})` : ''),
                  h('td', {}, h('span', { class: `badge ${decisionClasses[decision.decision] ?? ''}`, text: decisionLabels[decision.decision] ?? decision.decision })),
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
  const deadlines = view.deadlines ?? [];
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
          deadline.suspended ? h('span', { class: 'badge badge-muted', text: 'Sospeso' }) : isPast(deadline.dueAt) ? [' ', overdueBadge()] : null,
        ),
      ),
    ),
  );
}

function renderAlerts() {
  const alerts = view.alerts ?? [];
  byId('alerts-panel').hidden = alerts.length === 0;
  replaceChildren(
    byId('alerts'),
    h(
      'ul',
      { class: 'plain-list' },
      alerts.map((alert) =>
        h(
          'li',
          { class: 'alert-item' },
          timeElement(alert.at),
          ' — ',
          alert.kind === 'unstaffed'
            ? `Nessun operatore disponibile per: ${(alert.roles ?? []).map(role).join(', ') || 'ruolo non indicato'}`
            : `Notifica non recapitata a: ${(alert.operators ?? []).join(', ') || 'destinatari non indicati'}`,
        ),
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Timeline

/** Labels of states by Mermaid id, read from the diagram's `state "Label" as id` lines. */
function stateLabelsFromDiagram(diagram) {
  const labels = new Map();
  for (const match of String(diagram ?? '').matchAll(/^\s*state "([^"]*)" as (\S+)/gm)) labels.set(match[2], match[1]);
  return labels;
}

function renderTimeline() {
  const fromDiagram = stateLabelsFromDiagram(view.diagram);
  const stateName = (key) => {
    if (!key) return '—';
    if (key === view.state) return view.stateLabel;
    const id = key.replace(/[^A-Za-z0-9_]/g, '_');
    return fromDiagram.get(id) ?? fromDiagram.get(`s_${id}`) ?? key;
  };
  const decisions = (view.rounds ?? []).flatMap((round) => Object.values(round.decisions ?? {}));
  const decisionOf = (entry) => {
    if (!entry.event.startsWith('signoff.submit') || !entry.actor) return undefined;
    return decisions.find((decision) => decision.signedBy === entry.actor.id && decision.at === entry.at);
  };
  const entries = [...(view.timeline ?? [])].reverse();
  replaceChildren(
    byId('timeline').querySelector('tbody') ?? byId('timeline'),
    entries.map((entry) => {
      const decision = decisionOf(entry);
      return h(
        'tr',
        { 'data-event': entry.event },
        h('td', { class: 'nowrap' }, timeElement(entry.at)),
        h(
          'td',
          {},
          entry.label,
          decision
            ? [': ', h('span', { class: `badge ${decisionClasses[decision.decision] ?? ''}`, text: decisionLabels[decision.decision] ?? decision.decision })]
            : null,
        ),
        h('td', { text: entry.actor ? role(entry.actor.role) : 'Sistema' }),
        h('td', {
          text: !entry.from
            ? `Inizio in «${stateName(entry.to)}»`
            : entry.from === entry.to
              ? `Resta in «${stateName(entry.to)}»`
              : `${stateName(entry.from)} → ${stateName(entry.to)}`,
        }),
      );
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Case data (as the start schema names it)

function displayValue(schema, value) {
  if (value === undefined || value === null || value === '') return '—';
  if (typeof value === 'boolean') return value ? 'Sì' : 'No';
  if (schema?.oneOf || schema?.enum) {
    const option = (schema.oneOf ?? []).find((candidate) => candidate.const === value);
    return option?.title ?? String(value);
  }
  if (schema?.format === 'date-time') return formatDate(String(value));
  if (schema?.format === 'date') return formatDate(String(value), false);
  return String(value);
}

function dataList(schema, value) {
  if (value === null || typeof value !== 'object') return h('span', { text: displayValue(schema, value) });
  if (Array.isArray(value)) {
    if (value.length === 0) return h('span', { text: 'Nessuno' });
    return h('ul', { class: 'plain-list' }, value.map((item) => h('li', {}, dataList(schema?.items, item))));
  }
  const properties = schema?.properties ?? {};
  const keys = [...Object.keys(properties).filter((key) => key in value), ...Object.keys(value).filter((key) => !(key in properties))];
  return h(
    'dl',
    { class: 'data-list' },
    keys.map((key) => h('div', { class: 'fact' }, h('dt', { text: properties[key]?.title ?? key }), h('dd', {}, dataList(properties[key], value[key])))),
  );
}

function renderData() {
  replaceChildren(byId('case-data'), view.data === undefined ? h('p', { text: 'Dati non disponibili.' }) : dataList(pathway?.startSchema, view.data));
}

// ---------------------------------------------------------------------------------------------------------------
// Diagram

async function renderDiagram() {
  const container = byId('diagram');
  const caption = byId('diagram-caption');
  const active = (view.activeStates ?? []).map((state) => state.label);
  caption.textContent = `Stati attivi: ${active.join('; ') || view.stateLabel}.`;
  const mermaid = /** @type {any} */ (window).mermaid;
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
  const oneLine = (text) => text.replace(/[\r\n;]+/g, ', ');
  const [first, ...rest] = String(view.diagram).split('\n');
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
