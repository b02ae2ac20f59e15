import type { Connection } from '@temporalio/client';
import { sql } from 'kysely';
import type { Transporter } from 'nodemailer';
import type { CaseRecord } from '../record/record.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  temporal: 'up' | 'down';
  smtp: 'up' | 'down';
  /** The case record's PostgreSQL. */
  record: 'up' | 'down';
  /** The OpenID provider's discovery document, when single sign-on is configured. */
  oidc?: 'up' | 'down';
}

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const PROBE_MS = 3000;

const probe = async (work: () => Promise<unknown>): Promise<'up' | 'down'> => {
  try {
    await within(PROBE_MS, work());
    return 'up';
  } catch {
    return 'down';
  }
};

export interface HealthCheck {
  report(): Promise<HealthReport>;
  /**
   * Resolves once no probe of Temporal is under way. The client retries a call in the background after the report has
   * given up on it, and a retry on a connection closed meanwhile throws: close the connection after this.
   */
  settled(): Promise<void>;
}

export function createHealthCheck(connection: Connection, mailer: Transporter, record: CaseRecord, identityProvider?: URL): HealthCheck {
  const discovery = identityProvider && `${identityProvider.href.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const askProvider = async () => {
    const response = await fetch(discovery!, { signal: AbortSignal.timeout(PROBE_MS) });
    if (!response.ok) throw new Error(`discovery answered ${response.status}`);
  };
  const underWay = new Set<Promise<void>>();
  // The deadline ends the client's retries too: past it, an attempt fails at once and is not retried.
  const askTemporal = () => {
    const call = connection.withDeadline(Date.now() + PROBE_MS, () => connection.workflowService.getSystemInfo({}));
    const done = call.then(
      () => undefined,
      () => undefined,
    );
    underWay.add(done);
    void done.then(() => underWay.delete(done));
    return call;
  };
  return {
    async report() {
      const [temporal, smtp, recordUp, oidc] = await Promise.all([
        probe(askTemporal),
        probe(() => mailer.verify()),
        probe(() => sql`select 1`.execute(record.db)),
        discovery ? probe(askProvider) : undefined,
      ]);
      const status = temporal === 'up' && smtp === 'up' && recordUp === 'up' && oidc !== 'down' ? 'ok' : 'degraded';
      return { status, temporal, smtp, record: recordUp, ...(oidc ? { oidc } : {}) };
    },
    async settled() {
      await Promise.all(underWay);
    },
  };
}
