import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, screenshot } from './support/browser.js';
import { startSingleSignOn, type SingleSignOnStack } from './support/oidc.js';

/**
 * Single sign-on in a real Chromium: Raccordo on 127.0.0.1 and the OpenID provider on localhost are two sites, as in
 * production, so the browser applies its SameSite rules to the way there and back.
 */

let sso: SingleSignOnStack;
let browser: Browser;

beforeAll(async () => {
  sso = await startSingleSignOn('oidc-browser', { 'u-1029': { preferred_username: 'physician', name: 'Anna Bianchi' } });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await sso?.stop();
});

describe('single sign-on in the browser', () => {
  it('a physician signs in at the identity provider, lands on the page asked for, and signs out of both', async () => {
    const { page, problems } = await openPage(browser, sso.raccordo);
    await page.goto('/cases');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/login');
    const providerLogin = page.getByRole('link', { name: 'Accedi con il fornitore di identità' });
    await providerLogin.waitFor({ state: 'visible' });
    await screenshot(page, 'oidc-01-login-page');

    await providerLogin.click();
    // The provider's own pages: oidc-provider's development login (any password) and consent.
    await page.waitForURL((url) => url.origin === sso.idp.issuer);
    await page.locator('input[name="login"]').fill('u-1029');
    await page.locator('input[name="password"]').fill('qualsiasi');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.waitForURL(`${sso.raccordo}/cases`);
    await page.getByRole('heading', { name: 'Elenco casi' }).waitFor();
    await page.locator('#user-name').waitFor({ state: 'visible' });
    expect(await page.locator('#user-name').textContent()).toBe('Medico (demo)');
    await screenshot(page, 'oidc-02-signed-in');

    // "Esci" ends the provider's session too: its page asks for confirmation, then sends the browser back to the login.
    await page.getByRole('button', { name: 'Esci' }).click();
    await page.waitForURL((url) => url.origin === sso.idp.issuer);
    await page.getByRole('button', { name: 'Esci' }).click();
    await page.waitForURL(`${sso.raccordo}/login`);
    await providerLogin.click();
    await page.locator('input[name="login"]').waitFor({ state: 'visible' });
    // The provider's development pages ask for a web font on the internet, which this machine cannot reach.
    expect(problems.filter((problem) => !problem.includes('net::ERR_NAME_NOT_RESOLVED'))).toEqual([]);
  });
});
