import { execFile } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditIntegrityError, openAuditLog, verifyAuditLog, type AuditEntry } from '../api/audit.js';
import { hospitalDischargeSchema } from '../api/hospital.js';
import { buildServer } from '../api/server.js';
import { startApi, type ApiStack } from './support/api.js';
import { testConfig } from './support/harness.js';
import { personalValues } from './support/log-scan.js';
import { hospitalDischargeSignal } from './support/samples.js';

const root = join(import.meta.dirname, '..');
const directory = mkdtempSync(join(tmpdir(), 'raccordo-audit-'));
// A directory that does not exist yet: the register creates it.
const file = join(directory, 'nested', 'audit.jsonl');

const CASE_SUMMARY = 'Segnalazione riservata di prova per il registro';
const WITHDRAW_REASON = 'Motivo riservato del ritiro';
const BREAK_GLASS_REASON = 'Pronto soccorso: valutazione urgente del rischio';

let api: ApiStack;
/** The app the tests talk to: the first server, then the one started on the same register. */
let app: FastifyInstance;
let restarted: FastifyInstance | undefined;
const cookies: Record<string, string> = {};

beforeAll(async () => {
  api = await startApi('audit', { RACCORDO_AUDIT_FILE: file });
  app = api.app;
  for (const role of ['social-worker', 'physician', 'ward', 'social-service-head']) cookies[role] = await api.login(role);
});
afterAll(async () => {
  if (restarted) {
    await restarted.close();
    await api?.stack.stop();
  } else {
    await api?.stop();
  }
  rmSync(directory, { recursive: true, force: true });
});

const call = (method: 'GET' | 'POST', url: string, role?: string, options: { payload?: object; headers?: Record<string, string> } = {}) =>
  app.inject({
    method,
    url,
    headers: { ...(role ? { cookie: cookies[role]! } : {}), ...options.headers },
    ...(options.payload ? { payload: options.payload } : {}),
  });

const lines = (path = file) => readFileSync(path, 'utf8').split('\n').filter(Boolean);
const entries = (path = file): AuditEntry[] => lines(path).map((line) => JSON.parse(line) as AuditEntry);
const actorOf = (role: string, organisation: string) => ({ id: role, role, organisation });

async function openCase(): Promise<string> {
  const response = await call('POST', '/api/cases', 'social-worker', { payload: { kind: 'hello', data: { summary: CASE_SUMMARY } } });
  expect(response.statusCode).toBe(201);
  return response.json().caseRef;
}

/** `npm run audit:verify` as an operator would run it. */
async function runVerifyCommand(path: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('npm', ['run', '--silent', 'audit:verify', '--', path], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

let caseRef: string;

describe('the register of accesses', () => {
  it('records every case read with who, role, organisation and when, and a start with its new case', async () => {
    const before = new Date().toISOString();
    caseRef = await openCase();
    expect((await call('GET', `/api/cases/${caseRef}`, 'physician')).statusCode).toBe(200);
    expect((await call('GET', `/api/cases/${caseRef}`, 'social-worker')).statusCode).toBe(200);
    const after = new Date().toISOString();

    const forCase = entries().filter((entry) => entry.caseRef === caseRef);
    expect(forCase.map(({ action, actor, outcome }) => ({ action, actor, outcome }))).toEqual([
      { action: 'case.start', actor: actorOf('social-worker', 'municipality'), outcome: 201 },
      { action: 'case.read', actor: actorOf('physician', 'health-authority'), outcome: 200 },
      { action: 'case.read', actor: actorOf('social-worker', 'municipality'), outcome: 200 },
    ]);
    expect(forCase[0]!.detail).toBe('hello');
    for (const entry of forCase) {
      expect(entry.at >= before && entry.at <= after, `${entry.at} within ${before}..${after}`).toBe(true);
    }
  });

  it('records a refused read as refused, and a break-glass read with its reason', async () => {
    // The hospital co-owns no hello case.
    const denied = await call('GET', `/api/cases/${caseRef}`, 'ward');
    expect(denied.statusCode).toBe(404);
    const emergency = await call('GET', `/api/cases/${caseRef}`, 'ward', { headers: { 'x-break-glass-reason': BREAK_GLASS_REASON } });
    expect(emergency.statusCode).toBe(200);

    const reads = entries().filter((entry) => entry.caseRef === caseRef && entry.actor.role === 'ward');
    expect(reads).toMatchObject([
      { action: 'case.read', actor: actorOf('ward', 'hospital'), outcome: 404 },
      { action: 'case.read', actor: actorOf('ward', 'hospital'), outcome: 200, detail: 'break-glass', reason: BREAK_GLASS_REASON },
    ]);
    expect(reads[0]!.detail).toBeUndefined();
  });

  it('records events by type and status, refusals included, and never their payload', async () => {
    const refused = await call('POST', `/api/cases/${caseRef}/events`, 'physician', {
      payload: { type: 'case.withdraw', payload: { reason: WITHDRAW_REASON } },
    });
    expect(refused.statusCode).toBe(403);
    const other = await openCase();
    const accepted = await call('POST', `/api/cases/${other}/events`, 'social-worker', {
      payload: { type: 'case.withdraw', payload: { reason: WITHDRAW_REASON } },
    });
    expect(accepted.statusCode).toBe(200);

    const events = entries().filter((entry) => entry.action === 'case.event');
    expect(events).toMatchObject([
      { caseRef, actor: actorOf('physician', 'health-authority'), detail: 'case.withdraw', outcome: 403 },
      { caseRef: other, actor: actorOf('social-worker', 'municipality'), detail: 'case.withdraw', outcome: 200 },
    ]);
    // Identifiers only: no case data, no payload, not even the operators' names.
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(CASE_SUMMARY);
    expect(text).not.toContain(WITHDRAW_REASON);
    expect(text).not.toContain('(demo)');
  });

  it('records a hospital system’s discharge signal with the case it opened', async () => {
    const signal = hospitalDischargeSignal(`AUDIT-${Date.now()}`);
    const response = await app.inject({
      method: 'POST',
      url: '/api/hospital/discharges',
      headers: { authorization: 'Bearer raccordo-demo-hospital-key' },
      payload: signal,
    });
    expect(response.statusCode).toBe(201);
    expect(entries().at(-1)).toMatchObject({
      action: 'case.start',
      actor: { id: 'system:demo-hospital', role: 'ward', organisation: 'demo-hospital' },
      caseRef: response.json().caseRef,
      detail: 'hospital-discharge',
      outcome: 201,
    });
    const register = readFileSync(file, 'utf8');
    for (const personal of [...personalValues(hospitalDischargeSchema, signal), signal.encounterId]) expect(register).not.toContain(personal);
  });

  it('records lists without case references, and nothing for requests without a session', async () => {
    expect((await call('GET', '/api/cases', 'physician')).statusCode).toBe(200);
    expect((await call('GET', '/api/tasks', 'physician')).statusCode).toBe(200);
    expect(entries().slice(-2)).toMatchObject([
      { action: 'case.list', actor: actorOf('physician', 'health-authority'), outcome: 200 },
      { action: 'case.list', actor: actorOf('physician', 'health-authority'), outcome: 200, detail: 'tasks' },
    ]);
    expect(
      entries()
        .slice(-2)
        .every((entry) => entry.caseRef === undefined),
    ).toBe(true);

    const count = lines().length;
    expect((await call('GET', `/api/cases/${caseRef}`)).statusCode).toBe(401);
    expect(lines()).toHaveLength(count);
  });

  it('lists a case’s accesses to the roles allowed, records that too, and refuses others', async () => {
    const refused = await call('GET', `/api/cases/${caseRef}/accesses`, 'physician');
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('RoleNotAllowed');

    const response = await call('GET', `/api/cases/${caseRef}/accesses`, 'social-service-head');
    expect(response.statusCode).toBe(200);
    const { accesses } = response.json() as { accesses: AuditEntry[] };
    expect(accesses.map(({ action, actor, outcome }) => `${action} ${actor.id} ${outcome}`)).toEqual([
      'case.start social-worker 201',
      'case.read physician 200',
      'case.read social-worker 200',
      'case.read ward 404',
      'case.read ward 200',
      'case.event physician 403',
      'audit.read physician 403',
    ]);
    expect(accesses[4]).toMatchObject({ reason: BREAK_GLASS_REASON, detail: 'break-glass', actor: actorOf('ward', 'hospital') });
    expect(accesses.every((access) => typeof access.at === 'string' && !('hash' in access))).toBe(true);

    expect(entries().at(-1)).toMatchObject({ action: 'audit.read', caseRef, actor: { id: 'social-service-head', role: 'social-service-head' }, outcome: 200 });
  });

  it('keeps one unbroken chain under concurrent requests', async () => {
    const count = lines().length;
    const responses = await Promise.all(Array.from({ length: 12 }, () => call('GET', `/api/cases/${caseRef}`, 'physician')));
    expect(responses.every((response) => response.statusCode === 200)).toBe(true);
    expect(entries().map((entry) => entry.seq)).toEqual(Array.from({ length: count + 12 }, (_, index) => index + 1));
    expect(await verifyAuditLog(file)).toEqual({ ok: true, entries: count + 12 });
  });
});

describe('tampering with the register', () => {
  /** A copy of the register with its lines changed: the real one keeps serving the API. */
  function tampered(name: string, change: (lines: string[]) => string[]): string {
    const copy = join(directory, `${name}.jsonl`);
    writeFileSync(copy, `${change(lines()).join('\n')}\n`);
    return copy;
  }

  it('is detected, whether an entry is altered by one byte, deleted, or swapped with another', async () => {
    const deniedLine = lines().findIndex((line) => line.includes('"outcome":403'));
    expect(deniedLine).toBeGreaterThan(0);
    // The most tempting forgery: a refusal turned into a granted access, by one byte.
    const altered = tampered('altered', (all) => all.map((line, index) => (index === deniedLine ? line.replace('"outcome":403', '"outcome":203') : line)));
    const deleted = tampered('deleted', (all) => all.filter((_, index) => index !== 2));
    const swapped = tampered('swapped', (all) => [all[0]!, all[2]!, all[1]!, ...all.slice(3)]);

    expect(await verifyAuditLog(altered)).toMatchObject({
      ok: false,
      firstBadSeq: deniedLine + 1,
      entries: deniedLine,
      problem: expect.stringContaining('alterata'),
    });
    expect(await verifyAuditLog(deleted)).toMatchObject({ ok: false, firstBadSeq: 3, entries: 2, problem: expect.stringContaining('cancellate') });
    expect(await verifyAuditLog(swapped)).toMatchObject({ ok: false, firstBadSeq: 2, entries: 1, problem: expect.stringContaining('spostate') });

    const [intact, ...broken] = await Promise.all([file, altered, deleted, swapped].map(runVerifyCommand));
    expect(intact).toMatchObject({ code: 0, stdout: expect.stringContaining(`Registro degli accessi integro: ${lines().length} voci`) });
    expect(broken.map((run) => run.code)).toEqual([1, 1, 1]);
    expect(broken[0]!.stderr).toContain(`voce n. ${deniedLine + 1}`);
    expect(broken[0]!.stderr).toContain('voce alterata');
    expect(broken[1]!.stderr).toContain('trovata la voce n. 4 al posto della n. 3');
    expect(broken[2]!.stderr).toContain('trovata la voce n. 3 al posto della n. 2');
  });

  it('reports a truncated last line, and will not continue a chain from it', async () => {
    const truncated = join(directory, 'truncated.jsonl');
    copyFileSync(file, truncated);
    appendFileSync(truncated, lines().at(-1)!.slice(0, 40));

    expect(await verifyAuditLog(truncated)).toMatchObject({ ok: false, firstBadSeq: lines().length + 1, problem: expect.stringContaining('troncata') });
    await expect(openAuditLog(truncated)).rejects.toThrow(AuditIntegrityError);
    const run = await runVerifyCommand(truncated);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ultima riga troncata');
  });
});

describe('across restarts', () => {
  it('continues the same chain when the API starts again on the same register', async () => {
    const before = entries();
    await api.app.close();
    ({ app: restarted } = await buildServer(
      testConfig({ TEMPORAL_TASK_QUEUE: api.stack.taskQueue, RACCORDO_AUDIT_FILE: file, RACCORDO_LOGIN_RATE_LIMIT: '1000' }),
    ));
    await restarted.ready();
    app = restarted;
    const login = await call('POST', '/api/session', undefined, { payload: { username: 'physician', password: 'raccordo-demo' } });
    cookies.physician = `raccordo_session=${login.cookies.find((cookie) => cookie.name === 'raccordo_session')!.value}`;

    expect((await call('GET', `/api/cases/${caseRef}`, 'physician')).statusCode).toBe(200);
    const after = entries();
    expect(after).toHaveLength(before.length + 1);
    expect(after.at(-1)).toMatchObject({ seq: before.length + 1, prevHash: before.at(-1)!.hash, action: 'case.read', caseRef });
    expect(await verifyAuditLog(file)).toEqual({ ok: true, entries: before.length + 1 });
  });

  it('refuses to serve a case once the register cannot be written, rather than serve it unrecorded', async () => {
    // Another writer died halfway through a line.
    appendFileSync(file, '{"seq":');
    const response = await call('GET', `/api/cases/${caseRef}`, 'physician');
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain(CASE_SUMMARY);
    expect(response.json().code).toBe('InternalError');
  });
});
