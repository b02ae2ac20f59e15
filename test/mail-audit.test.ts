import { describe, expect, it } from 'vitest';
import { renderNotification } from '../activities/notifications.js';
import { mailsOutsideTemplates } from './support/mail-audit.js';

describe('the e-mail audit of the test run', () => {
  const url = 'http://raccordo.test';
  const template = renderNotification('reminder', 'RAC-2026-ABC123', url);

  it('accepts a notification exactly as rendered', () => {
    expect(mailsOutsideTemplates([template, renderNotification('new-task', 'RAC-2026-ABC123', 'http://127.0.0.1:41234')])).toEqual([]);
  });

  it('flags a message that carries anything more, or is not a notification at all', () => {
    const leaking = { ...template, text: template.text.replace('Apri:', 'Mario Rossi, dimesso dal reparto. Apri:') };
    const html = { ...template, html: `${template.html}<p>Diagnosi: F20</p>` };
    const foreign = { subject: 'Ciao', text: 'Testo libero', html: '' };
    const elsewhere = renderNotification('new-task', 'RAC-2026-ABC123', 'https://phishing.example');
    expect(mailsOutsideTemplates([leaking, html, foreign, elsewhere])).toEqual([leaking, html, foreign, elsewhere]);
  });
});
