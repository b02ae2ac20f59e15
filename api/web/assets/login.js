// /login: username and password → POST /api/session → the page asked for (or "I miei compiti"); or, where single sign-on
// is configured, off to the identity provider, which comes back here through /api/session/oidc/callback.
import { api, ApiError, byId, safeNext } from './common.js';

/** @typedef {import('../../schemas.js').LoginMethods} LoginMethods */

const form = /** @type {HTMLFormElement} */ (byId('login-form'));
const errorBox = byId('login-error');
const username = /** @type {HTMLInputElement} */ (byId('username'));
const password = /** @type {HTMLInputElement} */ (byId('password'));
const submit = /** @type {HTMLButtonElement} */ (form.querySelector('button[type="submit"]'));
const next = safeNext(new URLSearchParams(location.search).get('next'));

/** @param {string} message @param {HTMLInputElement | null} field */
function fail(message, field) {
  errorBox.textContent = message;
  errorBox.hidden = false;
  for (const input of [username, password]) input.removeAttribute('aria-invalid');
  if (field) {
    field.setAttribute('aria-invalid', 'true');
    field.focus();
  }
}

// Already signed in (a link from an e-mail, or the way back from the identity provider, arrives without the
// SameSite=Strict cookie; the fetch has it): go on.
api('GET', '/api/session').then(
  () => location.replace(next),
  () => username.focus(),
);

/** @type {Promise<LoginMethods>} */ (api('GET', '/api/session/methods')).then(
  (methods) => {
    const providerLogin = byId('oidc-login');
    if (methods.oidc) {
      const link = /** @type {HTMLAnchorElement} */ (providerLogin.querySelector('a'));
      if (next !== '/') link.href = `/api/session/oidc?next=${encodeURIComponent(next)}`;
      providerLogin.hidden = false;
    }
    form.hidden = !methods.password;
  },
  (error) => fail(error instanceof Error ? error.message : String(error), null),
);

form.addEventListener('submit', (event) => void logIn(event));

/** @param {SubmitEvent} event */
async function logIn(event) {
  event.preventDefault();
  errorBox.hidden = true;
  if (!username.value.trim()) return fail('Indicare il nome utente.', username);
  if (!password.value) return fail('Indicare la password.', password);
  submit.disabled = true;
  submit.textContent = 'Accesso in corso…';
  try {
    await api('POST', '/api/session', { username: username.value.trim(), password: password.value });
    location.assign(next);
  } catch (error) {
    const status = error instanceof ApiError ? error.status : 0;
    password.value = '';
    if (status === 401 || status === 400) fail('Credenziali non valide. Verificare nome utente e password.', password);
    else fail(error instanceof Error ? error.message : 'Accesso non riuscito.', null);
  } finally {
    submit.disabled = false;
    submit.textContent = 'Accedi';
  }
}
