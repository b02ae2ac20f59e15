// /cases/:ref — the case: state, diagram, sign-offs, deadlines, timeline, and the actions the person's role may take now.
import { api, ApiError, byId, fact, h, hideLoading, overdueBadge, replaceChildren, requireUser, showError, timeElement } from './common.js';
import { renderActions } from './case-actions.js';

/**
 * @typedef {import('../../../machines/projection.js').CaseProjection} CaseView
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
  renderActions(view, render);
  renderSignoffs();
  renderRounds();
  renderDeadlines();
  renderAlerts();
  renderTimeline();
  renderData();
  await renderDiagram();
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
