import type { Connection } from '@temporalio/client';
import type { Transporter } from 'nodemailer';

export interface HealthReport {
  status: 'ok' | 'degraded';
  temporal: 'up' | 'down';
  smtp: 'up' | 'down';
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

const probe = async (work: () => Promise<unknown>): Promise<'up' | 'down'> => {
  try {
    await within(3000, work());
    return 'up';
  } catch {
    return 'down';
  }
};

export async function checkHealth(connection: Connection, mailer: Transporter): Promise<HealthReport> {
  const [temporal, smtp] = await Promise.all([
    probe(() => connection.workflowService.getSystemInfo({})),
    probe(() => mailer.verify()),
  ]);
  return { status: temporal === 'up' && smtp === 'up' ? 'ok' : 'degraded', temporal, smtp };
}
