import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../scripts/services.js';
import { startApi, type ApiStack } from './support/api.js';
import { launchChromium, openPage, screenshot } from './support/browser.js';

/**
 * An operator who holds two roles (test/fixtures/directory-two-territories.json): Nordvalle's head of social services,
 * who is also a social worker. Only the head may read a case's register of accesses (the default audit role).
 */
let api: ApiStack;
let baseURL: string;
let browser: Browser | undefined;
beforeAll(async () => {
  const port = await freePort();
  baseURL = `http://127.0.0.1:${port}`;
  api = await startApi('roles', {
    RACCORDO_DIRECTORY_FILE: join(import.meta.dirname, 'fixtures', 'directory-two-territories.json'),
    PUBLIC_URL: baseURL,
  });
  await api.app.listen({ host: '127.0.0.1', port });
});
afterAll(async () => {
  await browser?.close();
  await api?.stop();
});

const call = (method: 'GET' | 'POST' | 'PUT', url: string, cookie: string, payload?: object) =>
  api.app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });

describe('an operator with several roles', () => {
  it('acts in the first until switching, and only in the roles the directory gives', async () => {
    const cookie = await api.login('resp-nord');
    const session = (await call('GET', '/api/session', cookie)).json().user;
    expect(session).toMatchObject({
      role: 'social-worker',
      roles: ['social-worker', 'social-service-head'],
      roleLabels: { 'social-service-head': 'Responsabile del servizio sociale' },
    });
    const { caseRef } = (await call('POST', '/api/cases', cookie, { kind: 'hello', data: { summary: 'Caso del responsabile' } })).json();
    expect((await call('GET', `/api/cases/${caseRef}/accesses`, cookie)).statusCode).toBe(403);

    const switched = await call('PUT', '/api/session/role', cookie, { role: 'social-service-head' });
    expect([switched.statusCode, switched.json().user.role]).toEqual([200, 'social-service-head']);
    const accesses = await call('GET', `/api/cases/${caseRef}/accesses`, cookie);
    expect(accesses.statusCode).toBe(200);
    // The register says in which role each access was made.
    expect(accesses.json().accesses.map((entry: { actor: { role: string } }) => entry.actor.role)).toEqual(['social-worker', 'social-worker']);

    const refused = await call('PUT', '/api/session/role', cookie, { role: 'physician' });
    expect([refused.statusCode, refused.json().code, refused.json().issues[0].path]).toEqual([400, 'RoleNotAssigned', 'role']);
    expect((await call('GET', '/api/session', cookie)).json().user.role).toBe('social-service-head');
  });

  it('switches role from the page header, in Italian', async () => {
    browser = await launchChromium();
    const { page, problems } = await openPage(browser, baseURL);
    await page.goto('/login');
    await page.getByLabel('Nome utente').fill('resp-nord');
    await page.getByLabel('Password').fill('raccordo-demo');
    await page.getByRole('button', { name: 'Accedi' }).click();
    await page.waitForURL(`${baseURL}/`);
    const roleSwitch = page.getByLabel('Ruolo con cui operi');
    await roleSwitch.waitFor();
    expect(await roleSwitch.locator('option').allTextContents()).toEqual(['Assistente sociale', 'Responsabile del servizio sociale']);

    await Promise.all([page.waitForEvent('load'), roleSwitch.selectOption('social-service-head')]);
    await expect.poll(() => page.getByLabel('Ruolo con cui operi').inputValue()).toBe('social-service-head');
    await screenshot(page, '11-role-switch');
    expect(problems).toEqual([]);
  });
});
