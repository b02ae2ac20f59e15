import pg from 'pg';

/** Where writeCase announces a case's first filing (its reference, never more): PostgreSQL's LISTEN/NOTIFY. */
export const FILED_CHANNEL = 'case_filed';

/** The first filings of cases, as they happen: the API's start waits on them rather than asking the workflow. */
export interface Filings {
  /** Resolves at the next filing of `caseRef` or after `ms`, whichever comes first; waits from the call on. */
  next(caseRef: string, ms: number): Promise<void>;
  close(): Promise<void>;
}

/** Listens on a connection of its own, opened at the first wait and again after it drops. */
export function filingsOf(url: string): Filings {
  const waiters = new Map<string, Set<() => void>>();
  let listening: Promise<pg.Client> | undefined;
  const listen = () =>
    (listening ??= (async () => {
      const client = new pg.Client({ connectionString: url });
      client.on('notification', ({ payload }) => {
        for (const wake of [...(waiters.get(payload ?? '') ?? [])]) wake();
      });
      const drop = () => {
        listening = undefined;
        client.end().catch(() => undefined);
      };
      client.on('error', drop);
      client.on('end', () => (listening = undefined));
      await client.connect();
      await client.query(`listen ${FILED_CHANNEL}`);
      return client;
    })().catch((error: unknown) => {
      listening = undefined;
      throw error;
    }));

  return {
    next(caseRef, ms) {
      // A database that cannot be reached leaves the timeout: the caller reads the record again then.
      listen().catch(() => undefined);
      return new Promise<void>((resolve) => {
        const waiting = waiters.get(caseRef) ?? new Set<() => void>();
        waiters.set(caseRef, waiting);
        const wake = () => {
          clearTimeout(timer);
          waiting.delete(wake);
          if (waiting.size === 0) waiters.delete(caseRef);
          resolve();
        };
        const timer = setTimeout(wake, ms);
        waiting.add(wake);
      });
    },
    async close() {
      const client = await listening?.catch(() => undefined);
      listening = undefined;
      await client?.end();
    },
  };
}
