// Shared helpers of the Raccordo pages: DOM building (text only, never HTML from data), the JSON API, the session,
// Italian dates and messages.

/**
 * @typedef {import('../../schemas.js').ApiErrorBody} ApiErrorBody
 * @typedef {import('../../schemas.js').PathwaySummary} PathwaySummary
 * @typedef {import('../../schemas.js').SessionUserView} SessionUserView
 */

/**
 * Builds an element. Attributes: `class`, `for`, `text`, data-* and aria-* as attributes, `hidden`/`disabled`/… as
 * properties; children: nodes or strings (inserted as text), null/false/undefined skipped, arrays flattened.
 * @param {string} tag
 * @param {Record<string, unknown>} [attributes]
 * @param {...unknown} children
 * @returns {HTMLElement}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = String(value);
    else if (name === 'text') element.textContent = String(value);
    else if (name === 'for') element.setAttribute('for', String(value));
    else if (name.startsWith('data-') || name.startsWith('aria-') || name === 'role') element.setAttribute(name, String(value));
    else if (value === true) element.setAttribute(name, '');
    else if (name in element && typeof value !== 'string') Object.assign(element, { [name]: value });
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

/** One term and its value, in a `dl class="facts"`. @param {string} term @param {...unknown} value */
export function fact(term, ...value) {
  return h('div', { class: 'fact' }, h('dt', { text: term }), h('dd', {}, ...value));
}

/** @param {Node} parent @param {unknown[]} children */
function append(parent, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/** @param {Element} element @param {...unknown} children */
export function replaceChildren(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

/** @param {string} id @returns {HTMLElement} */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} missing`);
  return element;
}

// ---------------------------------------------------------------------------------------------------------------
// The JSON API

export class ApiError extends Error {
  /** @param {number} status @param {Partial<ApiErrorBody> | undefined} body */
  constructor(status, body) {
    super(apiMessage(status, body));
    this.status = status;
    this.code = body?.code;
    this.issues = body?.issues ?? [];
  }
}

/** @type {Record<number, string>} */
const statusMessages = {
  0: 'Impossibile contattare il server: verificare la connessione e riprovare.',
  400: 'I dati inviati non sono validi.',
  401: 'Sessione scaduta: accedere di nuovo.',
  403: 'Operazione non consentita per il suo ruolo.',
  404: 'Elemento non trovato.',
  409: 'Azione non ammessa nello stato attuale del caso.',
  429: 'Troppi tentativi ravvicinati: attendere un minuto e riprovare.',
  500: 'Errore del server: riprovare più tardi.',
};

/** The server's Italian message when it gave one, otherwise one by status. @param {number} status @param {Partial<ApiErrorBody> | undefined} body */
function apiMessage(status, body) {
  if (body && typeof body.message === 'string' && body.message.trim()) return body.message;
  return statusMessages[status] ?? (status >= 500 ? statusMessages[500] : `Errore imprevisto (${status}).`);
}

/**
 * Calls the API. Without a session it sends the person to the login page (except for the login calls themselves).
 * The answer is unchecked JSON: each caller asserts the response type the route declares (api/schemas.ts).
 * @param {string} method @param {string} path @param {unknown} [body]
 * @returns {Promise<unknown>}
 */
export async function api(method, path, body) {
  /** @type {Response} */
  let response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: { Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, undefined);
  }
  const text = await response.text();
  /** @type {unknown} */
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (response.status === 401 && path !== '/api/session') {
    goToLogin();
    // The page is leaving: nothing more to show.
    await new Promise(() => {});
  }
  // A refusal of the API has the shape of ApiErrorBody; anything else (a proxy's page) falls back to the status message.
  if (!response.ok) throw new ApiError(response.status, /** @type {Partial<ApiErrorBody> | undefined} */ (data));
  return data;
}

function goToLogin() {
  const next = `${location.pathname}${location.search}`;
  location.replace(next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Session, header and shared data

/** @type {Promise<PathwaySummary[]> | undefined} */
let pathwaysPromise;
/** The pathways the person's role takes part in. */
export function loadPathways() {
  pathwaysPromise ??= /** @type {Promise<PathwaySummary[]>} */ (api('GET', '/api/pathways'));
  return pathwaysPromise;
}

/**
 * The logged-in person, or off to the login page. Fills the header (name, role, "Esci").
 * @returns {Promise<SessionUserView>}
 */
export async function requireUser() {
  let session;
  try {
    session = /** @type {{ user: SessionUserView }} */ (await api('GET', '/api/session'));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      goToLogin();
      await new Promise(() => {});
    }
    throw error;
  }
  const user = session.user;
  const box = document.getElementById('user-box');
  if (box) {
    byId('user-name').textContent = user.name;
    if (user.roles.length > 1) showRoleSwitch(user);
    else byId('user-role').textContent = user.roleLabels[user.role] ?? user.role;
    box.hidden = false;
    byId('logout').addEventListener('click', () => void logout());
  }
  return user;
}

/**
 * Someone with several roles picks the one they act in; the page reloads, since lists, tasks and forms all follow it.
 * @param {SessionUserView} user
 */
function showRoleSwitch(user) {
  const select = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { id: 'role-switch', class: 'role-switch' },
      ...user.roles.map((role) => h('option', { value: role, text: user.roleLabels[role] ?? role, selected: role === user.role })),
    )
  );
  select.addEventListener('change', () => void switchRole(select, user.role));
  replaceChildren(byId('user-role'), h('label', { for: 'role-switch', class: 'visually-hidden', text: 'Ruolo con cui operi' }), select);
}

/** @param {HTMLSelectElement} select @param {string} current */
async function switchRole(select, current) {
  select.disabled = true;
  try {
    await api('PUT', '/api/session/role', { role: select.value });
    location.reload();
  } catch (error) {
    select.value = current;
    select.disabled = false;
    showError(error instanceof Error ? error.message : String(error));
  }
}

async function logout() {
  let ended;
  try {
    ended = /** @type {{ logoutUrl: string } | undefined} */ (await api('DELETE', '/api/session'));
  } catch {
    // Even if the server cannot be reached, leave: the session expires on its own.
  }
  // A single sign-on session ends at the identity provider too, which then sends the browser back to the login.
  location.assign(ended?.logoutUrl ?? '/login');
}

// ---------------------------------------------------------------------------------------------------------------
// Notices

/**
 * Shows a page-level error in the #page-error alert (or the given element) and hides the loading line.
 * @param {string} message @param {HTMLElement | null} [element]
 */
export function showError(message, element = document.getElementById('page-error')) {
  hideLoading();
  if (!element) return;
  element.textContent = message;
  element.hidden = false;
}

/** @param {HTMLElement | null} [element] */
export function clearError(element = document.getElementById('page-error')) {
  if (!element) return;
  element.textContent = '';
  element.hidden = true;
}

export function hideLoading() {
  const loading = document.getElementById('loading');
  if (loading) loading.hidden = true;
}

/** Polite announcement to screen readers. @param {string} message */
export function announce(message) {
  const status = document.getElementById('page-status');
  if (!status) return;
  status.textContent = '';
  // A fresh text node after a tick, so that the same message twice is announced twice.
  setTimeout(() => {
    status.textContent = message;
  }, 50);
}

// ---------------------------------------------------------------------------------------------------------------
// Dates (Italian, in the time zone of the services)

const TIME_ZONE = 'Europe/Rome';
const dateTimeFormat = new Intl.DateTimeFormat('it-IT', { dateStyle: 'medium', timeStyle: 'short', timeZone: TIME_ZONE });
const dateFormat = new Intl.DateTimeFormat('it-IT', { dateStyle: 'medium', timeZone: TIME_ZONE });

/** @param {string | undefined} iso @param {boolean} [withTime] */
function formatDate(iso, withTime = true) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return (withTime ? dateTimeFormat : dateFormat).format(date);
}

/** A <time> element with the machine-readable instant. @param {string | undefined} iso @param {boolean} [withTime] */
export function timeElement(iso, withTime = true) {
  if (!iso) return h('span', { text: '—' });
  return h('time', { datetime: iso, text: formatDate(iso, withTime) });
}

/** The "In ritardo" badge. */
export function overdueBadge() {
  return h('span', { class: 'badge badge-overdue', text: 'In ritardo' });
}

/**
 * A path inside the site, safe to go to after login (no other origin, no protocol-relative URL).
 * @param {string | null} next
 */
export function safeNext(next) {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.startsWith('/login')) return '/';
  return next;
}
