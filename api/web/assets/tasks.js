// "/": I miei compiti — the cases waiting for the person's role, overdue ones first.
import { api, byId, h, hideLoading, overdueBadge, replaceChildren, requireUser, showError, timeElement } from './common.js';

/** @typedef {import('../../schemas.js').Task} Task */

async function main() {
  const user = await requireUser();
  const sorted = /** @type {Task[]} */ (await api('GET', '/api/tasks'));
  hideLoading();
  const intro = byId('tasks-intro');
  const late = sorted.filter((task) => task.overdue).length;
  intro.textContent =
    sorted.length === 0
      ? ''
      : `${sorted.length === 1 ? '1 compito' : `${sorted.length} compiti`} per il ruolo ${user.roleLabels[user.role] ?? user.role}` +
        (late ? `, di cui ${late} in ritardo.` : '.');
  intro.hidden = sorted.length === 0;
  byId('tasks-empty').hidden = sorted.length > 0;
  const list = byId('task-list');
  replaceChildren(list, sorted.map(taskItem));
  list.hidden = sorted.length === 0;
}

/** @param {Task} task */
function taskItem(task) {
  const late = task.overdue;
  return h(
    'li',
    { class: `card${late ? ' card-overdue' : ''}` },
    h(
      'h2',
      { class: 'card-title' },
      h('a', { href: `/cases/${encodeURIComponent(task.caseRef)}` }, h('span', { class: 'ref', text: task.caseRef }), ' — ', task.title),
    ),
    late ? overdueBadge() : null,
    h(
      'dl',
      { class: 'inline-facts' },
      h('div', {}, h('dt', { text: 'Stato' }), h('dd', { text: task.stateLabel })),
      h('div', {}, h('dt', { text: 'Compito per' }), h('dd', { text: task.roleLabel })),
      h('div', {}, h('dt', { text: 'Scadenza' }), h('dd', {}, timeElement(task.nextDeadline))),
    ),
  );
}

main().catch((error) => showError(error instanceof Error ? error.message : String(error)));
