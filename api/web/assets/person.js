// /persons/:id — the "Scheda persona": who the person is, and every case about them that this role and organisation
// may see, newest first. What is shown is what the API answers for this viewer: it decides nothing of its own.
import { api, byId, fact, h, hideLoading, replaceChildren, requireUser, showError, timeElement } from './common.js';

/** @typedef {import('../../schemas.js').PersonPage} PersonPage */

const personId = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] ?? '');

async function main() {
  await requireUser();
  const person = /** @type {PersonPage} */ (await api('GET', `/api/persons/${encodeURIComponent(personId)}`));
  hideLoading();
  document.title = `Scheda persona · Raccordo`;
  byId('person-title').textContent = `Scheda persona: ${person.name}`;
  replaceChildren(
    byId('person-facts'),
    fact('Nome', person.name),
    fact('Data di nascita', person.birthDate ? timeElement(person.birthDate, false) : 'non indicata'),
    fact('Codice fiscale', person.fiscalCode ?? 'non indicato'),
    fact(
      'Documenti',
      person.documents.length
        ? h(
            'ul',
            {},
            person.documents.map((document) => h('li', { text: `${document.label}${document.number ? ` n. ${document.number}` : ''}` })),
          )
        : 'nessuno',
    ),
  );
  replaceChildren(
    byId('person-cases').querySelector('tbody') ?? byId('person-cases'),
    person.cases.map((summary) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row' }, h('a', { href: `/cases/${encodeURIComponent(summary.caseRef)}`, class: 'ref', text: summary.caseRef })),
        h('td', { text: summary.title }),
        h('td', { text: summary.closed ? `${summary.stateLabel} (chiuso)` : summary.stateLabel }),
        h('td', {}, timeElement(summary.startedAt, false)),
      ),
    ),
  );
  byId('person-body').hidden = false;
}

main().catch((error) => showError(error instanceof Error ? error.message : String(error)));
