// /login: username and password → POST /api/session → the page asked for (or "I miei compiti").
import { api, ApiError, byId, safeNext } from './common.js';

const form = /** @type {HTMLFormElement} */ (byId('login-form'));
const errorBox = byId('login-error');
const username = /** @type {HTMLInputElement} */ (byId('username'));
const password = /** @type {HTMLInputElement} */ (byId('password'));
const submit = /** @type {HTMLButtonElement} */ (form.querySelector('button[type="submit"]'));
const next = safeNext(new URLSearchParams(location.search).get('next'));

function fail(message, field) {
  errorBox.textContent = message;
  errorBox.hidden = false;
  for (const input of [username, password]) input.removeAttribute('aria-invalid');
  if (field) {
    field.setAttribute('aria-invalid', 'true');
    field.focus();
  }
}

// Already signed in (a link from an e-mail arrives without the SameSite=Strict cookie, the fetch has it): go on.
api('GET', '/api/session').then(
  () => location.replace(next),
  () => username.focus(),
);

form.addEventListener('submit', async (event) => {
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
});
