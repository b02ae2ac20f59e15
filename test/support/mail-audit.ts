import { renderNotification, type NotificationTemplate } from '../../activities/notifications.js';

const templates: NotificationTemplate[] = ['new-task', 'reminder', 'escalation', 'update'];
const caseRefPattern = /Riferimento: ([A-Z0-9]{2,5}-[A-Z0-9-]{4,20})\n/;
// Tests serve the app from different local addresses: the link's origin may vary, nothing else may.
const linkOriginPattern = /\nApri: (http:\/\/(?:raccordo\.test|127\.0\.0\.1:\d+))\/cases\//;

export interface MailForAudit {
  subject: string;
  text: string;
  html: string;
}

/**
 * Every message must be one of the fixed templates, word for word, for its case reference: then no name, diagnosis,
 * place or pathway can be in any e-mail, whatever the case held. Returns what does not match.
 */
export function mailsOutsideTemplates(mails: readonly MailForAudit[]): MailForAudit[] {
  return mails.filter((mail) => {
    const caseRef = mail.text.match(caseRefPattern)?.[1];
    const origin = mail.text.match(linkOriginPattern)?.[1];
    if (!caseRef || !origin) return true;
    return !templates.some((template) => {
      const expected = renderNotification(template, caseRef, origin);
      return expected.subject === mail.subject && expected.text === mail.text && expected.html === mail.html.trim();
    });
  });
}
