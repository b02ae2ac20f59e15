import { Context } from '@temporalio/activity';
import type { Transporter } from 'nodemailer';
import { coOwnedBy } from '../machines/access.js';
import type { Directory, Operator } from '../platform/directory.js';

export type NotificationTemplate = 'new-task' | 'reminder' | 'escalation' | 'update';

export interface NotificationRequest {
  caseRef: string;
  /** Unique per effect of a case: the same key on a retry yields the same Message-ID. */
  messageKey: string;
  template: NotificationTemplate;
  recipients: {
    roles?: readonly string[];
    operators?: readonly string[];
    /** The case's co-owners: nobody outside them hears of it, whatever their role. */
    organisations?: readonly string[];
  };
}

export interface NotificationResult {
  sent: string[];
  /** Operators whose address the SMTP server refused permanently: reported on the case, never retried. */
  undeliverable: string[];
  /** Roles nobody holds in the directory, or in the case's co-owners. */
  unstaffedRoles: string[];
}

/**
 * Texts carry nothing about the person, the pathway, a diagnosis or a place: only that there is something to do,
 * the case reference and a link to a page that needs login (privacy rules, GDPR art. 9).
 */
const templates: Record<NotificationTemplate, { subject: string; lead: string }> = {
  'new-task': { subject: 'Raccordo: hai un nuovo compito', lead: 'hai un nuovo compito in Raccordo.' },
  reminder: { subject: 'Raccordo: promemoria di un compito in attesa', lead: 'ti ricordiamo che un compito in Raccordo attende la tua risposta.' },
  escalation: { subject: 'Raccordo: un compito è in ritardo', lead: 'un compito di un caso che coordini è in ritardo.' },
  update: { subject: 'Raccordo: aggiornamento su un caso', lead: 'un caso che ti riguarda è stato aggiornato.' },
};

export function renderNotification(template: NotificationTemplate, caseRef: string, publicUrl: string) {
  const link = new URL(`/cases/${encodeURIComponent(caseRef)}`, publicUrl).toString();
  const { subject, lead } = templates[template];
  const privacy = 'Per riservatezza questo messaggio non contiene dati del caso: i dettagli sono visibili solo dopo l’accesso.';
  const text = `Buongiorno,\n${lead}\n\nRiferimento: ${caseRef}\nApri: ${link}\n\n${privacy}\n`;
  const html =
    `<p>Buongiorno,<br>${lead}</p><p>Riferimento: <strong>${caseRef}</strong><br>` +
    `<a href="${link}">Apri il caso in Raccordo</a></p><p><small>${privacy}</small></p>`;
  return { subject, text, html };
}

const isPermanentRefusal = (error: unknown) => {
  const code = (error as { responseCode?: number }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
};

export interface NotificationDeps {
  mailer: Transporter;
  directory: Directory;
  mailFrom: string;
  publicUrl: string;
}

export function createNotificationActivities({ mailer, directory, mailFrom, publicUrl }: NotificationDeps) {
  function resolveRecipients(request: NotificationRequest) {
    const { roles = [], operators = [], organisations } = request.recipients;
    const holders = new Map(roles.map((role) => [role, directory.withRole(role, organisations)]));
    const unstaffedRoles = roles.filter((role) => holders.get(role)!.length === 0);
    const byRole = [...holders.values()].flat();
    const named = operators
      .map((id) => directory.byId(id))
      .filter((operator): operator is Operator => !!operator && coOwnedBy(organisations, operator.organisation));
    const unique = new Map([...byRole, ...named].map((operator) => [operator.id, operator]));
    return { operators: [...unique.values()], unstaffedRoles };
  }

  return {
    /** SMTP trouble throws, so Temporal retries with backoff; a permanent refusal is returned, never retried. */
    async sendNotification(request: NotificationRequest): Promise<NotificationResult> {
      const { operators, unstaffedRoles } = resolveRecipients(request);
      const message = renderNotification(request.template, request.caseRef, publicUrl);
      // A retry resumes where the last attempt stopped, so that nobody gets the same message twice.
      const done = new Set<string>((Context.current().info.heartbeatDetails as string[] | undefined) ?? []);
      const result: NotificationResult = { sent: [], undeliverable: [], unstaffedRoles };
      for (const operator of operators) {
        if (done.has(operator.id)) {
          result.sent.push(operator.id);
          continue;
        }
        try {
          await mailer.sendMail({
            from: mailFrom,
            to: operator.email,
            subject: message.subject,
            text: message.text,
            html: message.html,
            messageId: `<${request.messageKey}.${operator.id}@raccordo>`,
          });
          result.sent.push(operator.id);
        } catch (error) {
          if (!isPermanentRefusal(error)) throw error;
          result.undeliverable.push(operator.id);
        }
        done.add(operator.id);
        Context.current().heartbeat([...done]);
      }
      return result;
    },
  };
}
