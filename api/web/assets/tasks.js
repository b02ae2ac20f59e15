// "/": I miei compiti — the cases waiting for the person's role, overdue ones first.
import { api, byId, h, hideLoading, isPast, overdueBadge, replaceChildren, requireUser, roleLabel, showError, timeElement, loadPathways } from './common.js';

async function main() {
  const user = await requireUser();
  const [tasks, pathways] = await Promise.all([api('GET', '/api/tasks'), loadPathways().catch(() => [])]);
  const rolesOf = new Map(pathways.map((pathway) => [pathway.kind, pathway.roles]));
  // The API sorts overdue first; sorting again keeps that promise even if it ever changes.
  const sorted = [...tasks].sort(
    (a, b) => Number(overdue(b)) - Number(overdue(a)) || (a.nextDeadline ?? '~').localeCompare(b.nextDeadline ?? '~'),
  );
  hideLoading();
  const intro = byId('tasks-intro');
  const late = sorted.filter(overdue).length;
  intro.textContent =
    sorted.length === 0
      ? ''
      : `${sorted.length === 1 ? '1 compito' : `${sorted.length} compiti`} per il ruolo ${roleLabel(user.role)}` +
        (late ? `, di cui ${late} in ritardo.` : '.');
  intro.hidden = sorted.length === 0;
  byId('tasks-empty').hidden = sorted.length > 0;
  const list = byId('task-list');
  replaceChildren(list, sorted.map((task) => taskItem(task, rolesOf.get(task.kind))));
  list.hidden = sorted.length === 0;
}

function overdue(task) {
  return task.overdue || isPast(task.nextDeadline);
}

function taskItem(task, pathwayRoles) {
  const late = overdue(task);
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
      h('div', {}, h('dt', { text: 'Compito per' }), h('dd', { text: roleLabel(task.role, pathwayRoles) })),
      h('div', {}, h('dt', { text: 'Scadenza' }), h('dd', {}, timeElement(task.nextDeadline))),
    ),
  );
}

main().catch((error) => showError(error instanceof Error ? error.message : String(error)));
