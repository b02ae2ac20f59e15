// /cases/new: choose a pathway the role may open, fill the form generated from its start schema, open the case.
import { api, ApiError, byId, clearError, h, hideLoading, loadPathways, replaceChildren, requireUser, showError, announce, timeElement } from './common.js';
import { renderErrorSummary, schemaForm } from './schema-form.js';

/**
 * @typedef {import('../../schemas.js').PathwaySummary} PathwaySummary
 * @typedef {import('../../schemas.js').PersonMatch} PersonMatch
 * @typedef {import('./schema-form.js').JsonSchema} JsonSchema
 */

const pathwayForm = byId('pathway-form');
const select = /** @type {HTMLSelectElement} */ (byId('pathway'));
const startForm = /** @type {HTMLFormElement} */ (byId('start-form'));
const fields = byId('start-fields');
const summary = byId('error-summary');
const submit = /** @type {HTMLButtonElement} */ (startForm.querySelector('button[type="submit"]'));
const matchNotice = byId('person-match');

/** @type {ReturnType<typeof schemaForm> | undefined} */
let form;
/** @type {PathwaySummary[]} */
let startable = [];

async function main() {
  await requireUser();
  startable = (await loadPathways()).filter((pathway) => pathway.canStart);
  hideLoading();
  if (startable.length === 0) {
    byId('no-pathways').hidden = false;
    return;
  }
  for (const pathway of startable) select.appendChild(h('option', { value: pathway.kind, text: pathway.title }));
  const wanted = new URLSearchParams(location.search).get('kind');
  if (wanted && startable.some((pathway) => pathway.kind === wanted)) select.value = wanted;
  pathwayForm.hidden = false;
  pathwayForm.addEventListener('submit', (event) => event.preventDefault());
  select.addEventListener('change', () => {
    const url = new URL(location.href);
    url.searchParams.set('kind', select.value);
    history.replaceState(null, '', url);
    build();
    announce(`Modulo del percorso ${selected().title}`);
  });
  build();
}

/** The chosen pathway: there is one, since the page shows no form when the role may open none. */
function selected() {
  return /** @type {PathwaySummary} */ (startable.find((pathway) => pathway.kind === select.value) ?? startable[0]);
}

function build() {
  const pathway = selected();
  summary.hidden = true;
  clearError();
  form = schemaForm(pathway.startSchema, fields, `start-${pathway.kind}`);
  byId('start-title').textContent = `Apertura di un caso: ${pathway.title}`;
  matchNotice.hidden = true;
  startForm.hidden = false;
}

startForm.addEventListener('submit', (event) => void openCase(event));

/** @type {ReturnType<typeof setTimeout> | undefined} */
let matchTimer;
// Once the person's identity is typed in, the coordinator sees, before sending, whether the new case joins a person
// already known: the record links the two (same fiscal code, or same name and birth date).
startForm.addEventListener('input', () => {
  clearTimeout(matchTimer);
  matchTimer = setTimeout(() => void showMatch(), 500);
});

async function showMatch() {
  const pathway = selected();
  if (!form || !pathway.personField) return;
  const data = /** @type {Record<string, unknown>} */ (form.value());
  if (!data[pathway.personField]) return;
  const { match } = /** @type {PersonMatch} */ (
    await api('POST', '/api/persons/match', { kind: pathway.kind, data: { [pathway.personField]: data[pathway.personField] } }).catch(() => ({ match: null }))
  );
  matchNotice.hidden = !match;
  if (!match) return;
  replaceChildren(
    matchNotice,
    h(
      'p',
      {},
      'Questa persona è già nota: ',
      h('a', { href: `/persons/${encodeURIComponent(match.id)}`, text: match.name }),
      match.birthDate ? [', nata/o il ', timeElement(match.birthDate, false)] : null,
      '.',
    ),
    h(
      'ul',
      {},
      match.cases.map((summary) =>
        h(
          'li',
          {},
          h('a', { href: `/cases/${encodeURIComponent(summary.caseRef)}`, class: 'ref', text: summary.caseRef }),
          ` ${summary.title}: ${summary.stateLabel}`,
        ),
      ),
    ),
    h('p', { text: 'Il nuovo caso sarà collegato a questa persona.' }),
  );
}

/** @param {SubmitEvent} event */
async function openCase(event) {
  event.preventDefault();
  if (!form) return;
  const pathway = selected();
  clearError();
  summary.hidden = true;
  form.clearIssues();
  submit.disabled = true;
  submit.textContent = 'Apertura in corso…';
  try {
    const created = /** @type {{ caseRef: string }} */ (await api('POST', '/api/cases', { kind: pathway.kind, data: form.value() }));
    location.assign(`/cases/${encodeURIComponent(created.caseRef)}`);
  } catch (error) {
    submit.disabled = false;
    submit.textContent = 'Apri il caso';
    if (error instanceof ApiError && error.status === 400 && error.issues.length) {
      // Issues of the body itself ("data.x") are relative to the form as well.
      const { properties = {} } = /** @type {JsonSchema} */ (pathway.startSchema);
      const ownData = 'data' in properties;
      const issues = error.issues.map((issue) => ({
        ...issue,
        path: issue.path === 'data' ? '' : !ownData && issue.path.startsWith('data.') ? issue.path.slice(5) : issue.path,
      }));
      const entries = form.showIssues(issues);
      const count = entries.length;
      renderErrorSummary(summary, `${error.message}: ${count === 1 ? 'c’è 1 errore da correggere' : `ci sono ${count} errori da correggere`}`, entries);
      return;
    }
    showError(error instanceof Error ? error.message : String(error));
    byId('page-error').scrollIntoView({ block: 'center' });
  }
}

main().catch((error) => showError(error instanceof Error ? error.message : String(error)));
