import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SESSION_COOKIE } from '../session-auth.js';

/**
 * The web interface: server-rendered HTML shells that hold no case data, and one small vanilla module per page that
 * talks to the JSON API (api/routes.ts) with fetch. No inline script, style or handler anywhere, so that the strict
 * Content-Security-Policy set by helmet (script-src 'self') holds; every datum reaches the page through textContent.
 */

const assetsDir = fileURLToPath(new URL('./assets/', import.meta.url));
// The package's export map opens "./*", so the browser bundle resolves like any file of the package.
const mermaidDir = dirname(createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js'));

interface PageSpec {
  title: string;
  /** The page's module under /assets; a page that only says something has none. */
  script?: string;
  /** Pages shown without a session (the login page) have no navigation. */
  public?: boolean;
  /** Classic scripts the module needs first (mermaid's bundle defines a global). */
  before?: string[];
  /** Static markup of <main>; never any datum. */
  main: string;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

function render(spec: PageSpec, path: string): string {
  const navItem = (href: string, label: string) => `<li><a href="${href}"${href === path ? ' aria-current="page"' : ''}>${label}</a></li>`;
  const header = spec.public
    ? `<header class="site-header"><div class="bar"><span class="brand">Raccordo</span></div></header>`
    : `<header class="site-header">
  <div class="bar">
    <a class="brand" href="/">Raccordo</a>
    <nav aria-label="Navigazione principale">
      <ul class="nav">
        ${navItem('/', 'I miei compiti')}
        ${navItem('/cases', 'Elenco casi')}
        ${navItem('/cases/new', 'Nuovo caso')}
      </ul>
    </nav>
    <div class="user" id="user-box" hidden>
      <span class="user-name" id="user-name"></span>
      <span class="user-role" id="user-role"></span>
      <button type="button" class="button button-quiet" id="logout">Esci</button>
    </div>
  </div>
</header>`;
  const scripts = [
    ...(spec.before ?? []).map((src) => `<script src="/assets/${src}" defer></script>`),
    ...(spec.script ? [`<script type="module" src="/assets/${spec.script}"></script>`] : []),
  ].join('\n  ');
  return `<!doctype html>
<html lang="it">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(spec.title)} · Raccordo</title>
  <link rel="stylesheet" href="/assets/style.css">
  ${scripts}
</head>
<body>
<a class="skip-link" href="#main">Vai al contenuto principale</a>
${header}
<main id="main" tabindex="-1">
${spec.main}
</main>
<footer class="site-footer"><p>Raccordo · percorsi integrati sociosanitari · <a href="/privacy">Privacy e diritti degli interessati</a></p></footer>
</body>
</html>
`;
}

/** Where a page error or notice is announced to screen readers. */
const notices = `<div id="page-error" class="notice notice-error" role="alert" hidden></div>
<div id="page-status" class="visually-hidden" role="status" aria-live="polite"></div>`;
const loading = `<p class="loading" id="loading">Caricamento in corso…</p>`;

const pages = {
  login: {
    title: 'Accesso',
    script: 'login.js',
    public: true,
    main: `<div class="narrow">
<h1>Accesso a Raccordo</h1>
<div id="login-error" class="notice notice-error" role="alert" hidden></div>
<p id="oidc-login" hidden><a class="button" href="/api/session/oidc">Accedi con il fornitore di identità</a></p>
<form id="login-form" class="stack" novalidate>
  <div class="field">
    <label for="username">Nome utente</label>
    <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required aria-required="true">
  </div>
  <div class="field">
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required aria-required="true">
  </div>
  <button type="submit" class="button">Accedi</button>
</form>
</div>`,
  },
  tasks: {
    title: 'I miei compiti',
    script: 'tasks.js',
    main: `<div class="page-heading">
  <h1>I miei compiti</h1>
  <p class="actions"><a class="button" href="/cases/new">Nuovo caso</a> <a class="button button-secondary" href="/cases">Elenco casi</a></p>
</div>
${notices}
${loading}
<p id="tasks-intro" class="lead" hidden></p>
<ul id="task-list" class="card-list" aria-labelledby="tasks-intro" hidden></ul>
<p id="tasks-empty" hidden>Nessun compito in attesa per il suo ruolo.</p>`,
  },
  newCase: {
    title: 'Nuovo caso',
    script: 'new-case.js',
    main: `<h1 id="page-title">Nuovo caso</h1>
${notices}
${loading}
<form id="pathway-form" class="stack" hidden>
  <div class="field">
    <label for="pathway">Percorso</label>
    <select id="pathway" name="pathway"></select>
  </div>
</form>
<p id="no-pathways" hidden>Il suo ruolo non può aprire casi in nessun percorso.</p>
<div id="error-summary" class="error-summary" role="alert" tabindex="-1" hidden></div>
<form id="start-form" class="schema-form" novalidate hidden aria-labelledby="start-title">
  <h2 id="start-title"></h2>
  <p class="hint">I campi contrassegnati con <span class="req" aria-hidden="true">*</span> sono obbligatori.</p>
  <div id="start-fields"></div>
  <div id="person-match" class="notice notice-info" role="status" aria-live="polite" hidden></div>
  <div class="form-actions">
    <button type="submit" class="button">Apri il caso</button>
    <a href="/" class="button button-secondary">Annulla</a>
  </div>
</form>`,
  },
  caseList: {
    title: 'Elenco casi',
    script: 'cases.js',
    main: `<div class="page-heading">
  <h1>Elenco casi</h1>
  <p class="actions"><a class="button" href="/cases/new">Nuovo caso</a></p>
</div>
<form id="filters" class="filters" method="get" action="/cases" role="search" aria-label="Ricerca e filtri dei casi">
  <div class="field field-wide">
    <label for="filter-q">Persona</label>
    <input id="filter-q" name="q" type="search" autocomplete="off" spellcheck="false" aria-describedby="filter-q-hint">
    <p class="hint" id="filter-q-hint">Codice fiscale, oppure cognome e nome con la data di nascita facoltativa (es. Rossi Mario 12/03/1957)</p>
  </div>
  <div class="field">
    <label for="filter-kind">Percorso</label>
    <select id="filter-kind" name="kind"><option value="">Tutti i percorsi</option></select>
  </div>
  <div class="field">
    <label for="filter-state">Stato</label>
    <select id="filter-state" name="state"><option value="">Tutti gli stati</option></select>
  </div>
  <div class="field">
    <label for="filter-role">In attesa di</label>
    <select id="filter-role" name="pendingRole"><option value="">Qualsiasi ruolo</option></select>
  </div>
  <div class="field">
    <label for="filter-sort">Ordina per</label>
    <select id="filter-sort" name="sort"><option value="started">Data di apertura, dal più recente</option><option value="deadline">Prossima scadenza</option></select>
  </div>
  <div class="field field-check">
    <input id="filter-overdue" name="overdue" type="checkbox" value="true">
    <label for="filter-overdue">Solo in ritardo</label>
  </div>
  <div class="filter-actions">
    <button type="submit" class="button">Cerca</button>
    <a class="button button-secondary" href="/cases">Azzera</a>
  </div>
</form>
${notices}
${loading}
<p id="cases-count" class="lead" hidden></p>
<div class="table-wrap" id="cases-wrap" hidden>
<table class="data-table" id="cases-table">
  <caption class="visually-hidden">Casi</caption>
  <thead><tr>
    <th scope="col">Riferimento</th><th scope="col">Persona</th><th scope="col">Percorso</th><th scope="col">Stato</th>
    <th scope="col">In attesa di</th><th scope="col">Prossima scadenza</th><th scope="col">Aperto il</th>
  </tr></thead>
  <tbody></tbody>
</table>
</div>
<p class="actions"><button type="button" class="button button-secondary" id="cases-more" hidden>Mostra altri casi</button></p>`,
  },
  person: {
    title: 'Scheda persona',
    script: 'person.js',
    main: `<p class="breadcrumb"><a href="/">I miei compiti</a> › <a href="/cases">Elenco casi</a></p>
<h1 id="person-title">Scheda persona</h1>
${notices}
${loading}
<div id="person-body" hidden>
  <section class="summary" aria-labelledby="identity-heading">
    <h2 id="identity-heading">Identità</h2>
    <dl class="facts" id="person-facts"></dl>
  </section>
  <section aria-labelledby="person-cases-heading" class="panel">
    <h2 id="person-cases-heading">Casi, dal più recente</h2>
    <p class="hint">I casi di tutti i percorsi che il suo ruolo e il suo ente possono vedere.</p>
    <div class="table-wrap">
    <table class="data-table" id="person-cases">
      <caption class="visually-hidden">Casi della persona, dal più recente</caption>
      <thead><tr><th scope="col">Riferimento</th><th scope="col">Percorso</th><th scope="col">Stato</th><th scope="col">Aperto il</th></tr></thead>
      <tbody></tbody>
    </table>
    </div>
  </section>
</div>`,
  },
  case: {
    title: 'Caso',
    script: 'case.js',
    before: ['mermaid.min.js'],
    main: `<p class="breadcrumb"><a href="/">I miei compiti</a> › <a href="/cases">Elenco casi</a></p>
<h1 id="case-title">Caso</h1>
${notices}
${loading}
<div id="case-body" hidden>
  <section class="summary" aria-labelledby="summary-heading">
    <h2 id="summary-heading" class="visually-hidden">Sintesi</h2>
    <dl class="facts" id="case-facts"></dl>
  </section>
  <div id="action-result" class="notice notice-success" role="status" aria-live="polite" hidden></div>
  <section aria-labelledby="actions-heading" class="panel">
    <h2 id="actions-heading">Azioni disponibili</h2>
    <div id="action-error" class="notice notice-error" role="alert" tabindex="-1" hidden></div>
    <div id="actions"></div>
  </section>
  <section aria-labelledby="signoffs-heading" class="panel">
    <h2 id="signoffs-heading">Firme in attesa</h2>
    <div id="signoffs"></div>
  </section>
  <section aria-labelledby="rounds-heading" class="panel">
    <h2 id="rounds-heading">Valutazioni e decisioni</h2>
    <div id="rounds"></div>
  </section>
  <section aria-labelledby="deadlines-heading" class="panel">
    <h2 id="deadlines-heading">Scadenze</h2>
    <div id="deadlines"></div>
  </section>
  <section aria-labelledby="alerts-heading" class="panel" id="alerts-panel" hidden>
    <h2 id="alerts-heading">Avvisi</h2>
    <div id="alerts"></div>
  </section>
  <section aria-labelledby="diagram-heading" class="panel">
    <h2 id="diagram-heading">Diagramma del percorso</h2>
    <div class="diagram-tools">
      <p class="hint">Gli stati attivi sono evidenziati in giallo; gli stati che li contengono in giallo chiaro.</p>
      <button type="button" class="button button-secondary button-small" id="diagram-zoom" aria-pressed="false" aria-controls="diagram">Grandezza naturale</button>
    </div>
    <figure class="diagram" id="diagram-figure">
      <div id="diagram" class="diagram-canvas"></div>
      <figcaption id="diagram-caption"></figcaption>
    </figure>
  </section>
  <section aria-labelledby="timeline-heading" class="panel">
    <h2 id="timeline-heading">Cronologia</h2>
    <div class="table-wrap">
    <table class="data-table" id="timeline">
      <caption class="visually-hidden">Cronologia del caso, dal più recente</caption>
      <thead><tr><th scope="col">Data</th><th scope="col">Evento</th><th scope="col">Ruolo</th><th scope="col">Passaggio di stato</th></tr></thead>
      <tbody></tbody>
    </table>
    </div>
  </section>
  <section aria-labelledby="data-heading" class="panel">
    <details id="case-data-details">
      <summary><h2 id="data-heading" class="inline-heading">Dati del caso</h2></summary>
      <div id="case-data"></div>
    </details>
  </section>
</div>`,
  },
} satisfies Record<string, PageSpec>;

/** Where a login that went out to the identity provider comes back refused: the reason, and the way back. */
export function loginRefusedPage(message: string): string {
  return render(
    {
      title: 'Accesso non riuscito',
      public: true,
      main: `<div class="narrow">
<h1>Accesso non riuscito</h1>
<div class="notice notice-error" role="alert">${escapeHtml(message)}</div>
<p><a class="button" href="/login">Torna alla pagina di accesso</a></p>
</div>`,
    },
    '/login',
  );
}

function hasSessionCookie(request: FastifyRequest): boolean {
  const parsed = (request as { cookies?: Record<string, string | undefined> }).cookies;
  if (parsed) return !!parsed[SESSION_COOKIE];
  return (request.headers.cookie ?? '').split(';').some((part) => part.trim().startsWith(`${SESSION_COOKIE}=`));
}

function sendPage(request: FastifyRequest, reply: FastifyReply, spec: PageSpec) {
  const path = request.url.split('?')[0] ?? '/';
  // A quick server-side gate; the page script still asks GET /api/session, which alone knows if the session is live.
  // (A SameSite=Strict cookie is not sent on a link followed from an e-mail: the login page forwards at once then.)
  if (!spec.public && !hasSessionCookie(request)) {
    return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
  }
  return reply.header('Cache-Control', 'no-store').header('Referrer-Policy', 'same-origin').type('text/html; charset=utf-8').send(render(spec, path));
}

export const DEMO_PRIVACY_CONTACT = 'privacy@demo.raccordo.local';

/** An e-mail address or a web address becomes a link; anything else is shown as written. */
function contactMarkup(contact: string): string {
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(contact)) return `<a href="mailto:${escapeHtml(contact)}">${escapeHtml(contact)}</a>`;
  if (/^https?:\/\/\S+$/.test(contact)) return `<a href="${escapeHtml(contact)}">${escapeHtml(contact)}</a>`;
  return escapeHtml(contact);
}

/** What the people whose data Raccordo holds may ask, and where: public, like the login page. */
function privacyPage(contact: string): PageSpec {
  return {
    title: 'Privacy e diritti degli interessati',
    public: true,
    main: `<div class="narrow">
<h1>Privacy e diritti degli interessati</h1>
<p>Raccordo tratta dati personali, anche relativi alla salute, delle persone seguite insieme dai servizi sociali dei
Comuni, dall’Azienda sanitaria e dagli enti che hanno firmato i protocolli dei percorsi: questi enti sono contitolari
del trattamento (art. 26 del Regolamento UE 2016/679).</p>
<p>Ogni caso è visibile soltanto agli enti che lo seguono e, al loro interno, agli operatori con un ruolo nel percorso.
Ogni consultazione è registrata.</p>
<p>Per esercitare i diritti previsti dal Regolamento (accesso ai propri dati, elenco di chi li ha consultati, rettifica,
limitazione, opposizione) ci si può rivolgere a: <strong>${contactMarkup(contact)}</strong>.</p>
<p><a href="/login">Accedi a Raccordo</a></p>
</div>`,
  };
}

export default async function webPages(app: FastifyInstance, { privacyContact }: { privacyContact: string }): Promise<void> {
  await app.register(fastifyStatic, {
    root: assetsDir,
    prefix: '/assets/',
    index: false,
    // The API's server may already have given replies a sendFile (Swagger UI does not, but a later plugin might).
    decorateReply: !app.hasReplyDecorator('sendFile'),
    schemaHide: true,
  });
  const hide = { schema: { hide: true } };
  app.get('/assets/mermaid.min.js', hide, (_request, reply) => reply.header('Cache-Control', 'public, max-age=86400').sendFile('mermaid.min.js', mermaidDir));
  app.get('/login', hide, (request, reply) => sendPage(request, reply, pages.login));
  const privacy = privacyPage(privacyContact);
  app.get('/privacy', hide, (request, reply) => sendPage(request, reply, privacy));
  app.get('/', hide, (request, reply) => sendPage(request, reply, pages.tasks));
  app.get('/cases', hide, (request, reply) => sendPage(request, reply, pages.caseList));
  app.get('/cases/new', hide, (request, reply) => sendPage(request, reply, pages.newCase));
  app.get('/cases/:ref', hide, (request, reply) => sendPage(request, reply, pages.case));
  app.get('/persons/:id', hide, (request, reply) => sendPage(request, reply, pages.person));
}
