// /cases: the cases of the pathways the person's role takes part in, a page at a time, found by person or filtered,
// with the search and filters kept in the address (shareable).
import { api, byId, h, hideLoading, loadPathways, overdueBadge, replaceChildren, requireUser, showError, timeElement } from './common.js';

/**
 * @typedef {import('../../schemas.js').CaseSummary} CaseSummary
 * @typedef {import('../../schemas.js').CasePage} CasePage
 * @typedef {import('../../schemas.js').PathwaySummary} PathwaySummary
 * @typedef {{ q: string, kind: string, state: string, pendingRole: string, overdue: boolean, sort: string }} Filters
 */

const kindSelect = /** @type {HTMLSelectElement} */ (byId('filter-kind'));
const stateSelect = /** @type {HTMLSelectElement} */ (byId('filter-state'));
const roleSelect = /** @type {HTMLSelectElement} */ (byId('filter-role'));
const overdueBox = /** @type {HTMLInputElement} */ (byId('filter-overdue'));
const searchBox = /** @type {HTMLInputElement} */ (byId('filter-q'));
const sortSelect = /** @type {HTMLSelectElement} */ (byId('filter-sort'));
const moreButton = /** @type {HTMLButtonElement} */ (byId('cases-more'));

async function main() {
  await requireUser();
  const pathways = await loadPathways();
  const params = new URLSearchParams(location.search);
  /** @type {Filters} */
  const filters = {
    q: params.get('q') ?? '',
    sort: params.get('sort') === 'deadline' ? 'deadline' : 'started',
    kind: params.get('kind') ?? '',
    state: params.get('state') ?? '',
    pendingRole: params.get('pendingRole') ?? '',
    overdue: params.get('overdue') === 'true',
  };

  for (const pathway of pathways) kindSelect.appendChild(h('option', { value: pathway.kind, text: pathway.title }));
  /** @type {Map<string, string>} */
  const roles = new Map();
  for (const pathway of pathways.filter((candidate) => !filters.kind || candidate.kind === filters.kind)) {
    for (const [role, label] of Object.entries(pathway.roles)) if (!roles.has(role)) roles.set(role, label);
  }
  for (const [role, label] of [...roles].sort((a, b) => a[1].localeCompare(b[1], 'it'))) roleSelect.appendChild(h('option', { value: role, text: label }));
  kindSelect.value = filters.kind;
  roleSelect.value = filters.pendingRole;
  overdueBox.checked = filters.overdue;
  searchBox.value = filters.q;
  sortSelect.value = filters.sort;

  const query = (/** @type {boolean} */ withState, cursor = '') => {
    const search = new URLSearchParams();
    if (filters.q) search.set('q', filters.q);
    if (filters.sort !== 'started') search.set('sort', filters.sort);
    if (cursor) search.set('cursor', cursor);
    if (filters.kind) search.set('kind', filters.kind);
    if (withState && filters.state) search.set('state', filters.state);
    if (filters.pendingRole) search.set('pendingRole', filters.pendingRole);
    if (filters.overdue) search.set('overdue', 'true');
    const text = search.toString();
    return `/api/cases${text ? `?${text}` : ''}`;
  };
  // The states to choose from are those the other filters find (a pathway's states are not listed by the API).
  const [first, forStates] = /** @type {[CasePage, CasePage | undefined]} */ (
    await Promise.all([api('GET', query(true)), filters.state ? api('GET', query(false)) : undefined])
  );
  fillStates((forStates ?? first).cases, filters.state, pathways);
  hideLoading();
  /** @type {CaseSummary[]} */
  const shown = [];
  const show = (/** @type {CasePage} */ page) => {
    shown.push(...page.cases);
    render(shown, filters, !!page.nextCursor);
    moreButton.hidden = !page.nextCursor;
    moreButton.onclick = async () => {
      moreButton.disabled = true;
      try {
        show(/** @type {CasePage} */ (await api('GET', query(true, page.nextCursor))));
      } catch (error) {
        showError(error instanceof Error ? error.message : String(error));
      } finally {
        moreButton.disabled = false;
      }
    };
  };
  show(first);
}

/** @param {CaseSummary[]} cases @param {string} chosen @param {PathwaySummary[]} pathways */
function fillStates(cases, chosen, pathways) {
  const titles = new Map(pathways.map((pathway) => [pathway.kind, pathway.title]));
  /** @type {Map<string, Map<string, string>>} */
  const byKind = new Map();
  for (const summary of cases) {
    /** @type {Map<string, string>} */
    const states = byKind.get(summary.kind) ?? new Map();
    states.set(summary.state, summary.stateLabel);
    byKind.set(summary.kind, states);
  }
  let found = false;
  for (const [kind, states] of byKind) {
    const group = h('optgroup', { label: titles.get(kind) ?? kind });
    for (const [state, label] of [...states].sort((a, b) => a[1].localeCompare(b[1], 'it'))) {
      group.appendChild(h('option', { value: state, text: label }));
      if (state === chosen) found = true;
    }
    stateSelect.appendChild(group);
  }
  if (chosen && !found) stateSelect.appendChild(h('option', { value: chosen, text: chosen }));
  stateSelect.value = chosen;
}

/** @param {CaseSummary[]} cases @param {Filters} filters @param {boolean} more */
function render(cases, filters, more) {
  const active = [filters.q, filters.kind, filters.state, filters.pendingRole, filters.overdue].some(Boolean);
  const count = byId('cases-count');
  const shown = cases.length === 1 ? '1 caso' : `${cases.length} casi`;
  count.textContent =
    cases.length === 0
      ? active
        ? 'Nessun caso corrisponde alla ricerca.'
        : 'Nessun caso visibile per il suo ruolo.'
      : `${more ? `Primi ${shown}` : shown}${active ? ' corrispondenti alla ricerca' : ''}${more ? ': altri con «Mostra altri casi».' : '.'}`;
  count.hidden = false;
  byId('cases-wrap').hidden = cases.length === 0;
  // In the order the API pages them: newest first, or nearest deadline first.
  replaceChildren(
    byId('cases-table').querySelector('tbody') ?? byId('cases-table'),
    cases.map((summary) => {
      const late = summary.overdue;
      return h(
        'tr',
        { class: late ? 'row-overdue' : undefined },
        h('th', { scope: 'row' }, h('a', { href: `/cases/${encodeURIComponent(summary.caseRef)}`, class: 'ref', text: summary.caseRef })),
        h('td', {}, summary.personId ? h('a', { href: `/persons/${encodeURIComponent(summary.personId)}`, text: summary.name }) : summary.name || '—'),
        h('td', { text: summary.title }),
        h('td', { text: summary.closed ? `${summary.stateLabel} (chiuso)` : summary.stateLabel }),
        h('td', { text: summary.pendingRoleLabels.join(', ') || '—' }),
        h('td', {}, timeElement(summary.nextDeadline), late ? [' ', overdueBadge()] : null),
        h('td', {}, timeElement(summary.startedAt, false)),
      );
    }),
  );
}

main().catch((error) => showError(error instanceof Error ? error.message : String(error)));

// Empty filters stay out of the address.
byId('filters').addEventListener('submit', (event) => {
  event.preventDefault();
  const search = new URLSearchParams();
  for (const [name, value] of new FormData(/** @type {HTMLFormElement} */ (event.currentTarget))) if (value) search.set(name, String(value));
  const text = search.toString();
  location.assign(`/cases${text ? `?${text}` : ''}`);
});
