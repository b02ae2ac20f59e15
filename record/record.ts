import type { KeyObject } from 'node:crypto';
import { loadKeyring, type Keyring } from '../platform/codec.js';
import type { Config } from '../platform/config.js';
import { loadIndexKey } from './crypto.js';
import { openRecordDatabase, type RecordDatabase } from './database.js';
import { filingsOf, type Filings } from './filings.js';
import { loadRetention, type RetentionRule } from './retention.js';

/** The case record: the database and the keys that seal and find what it holds. */
export interface CaseRecord {
  db: RecordDatabase;
  keyring: Keyring;
  indexKey: KeyObject;
  retention: RetentionRule;
  filings: Filings;
  close(): Promise<void>;
}

export type RecordConfig = Pick<
  Config,
  | 'DATABASE_URL'
  | 'DATABASE_POOL_SIZE'
  | 'RACCORDO_INDEX_KEY'
  | 'RACCORDO_INDEX_KEY_FILE'
  | 'RACCORDO_RETENTION_FILE'
  | 'RACCORDO_PAYLOAD_KEYS'
  | 'RACCORDO_PAYLOAD_KEY_FILE'
  | 'RACCORDO_DEMO_MODE'
>;

/** Keys and configuration first, so that a missing one is reported before any connection is tried. */
export async function openRecord(config: RecordConfig): Promise<CaseRecord> {
  const keyring = loadKeyring(config);
  const indexKey = loadIndexKey(config);
  const retention = loadRetention(config.RACCORDO_RETENTION_FILE);
  const db = await openRecordDatabase(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const filings = filingsOf(config.DATABASE_URL!);
  return {
    db,
    keyring,
    indexKey,
    retention,
    filings,
    async close() {
      await filings.close();
      await db.destroy();
    },
  };
}
