import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrations } from './migrations.js';
import type { RecordSchema } from './schema.js';

export type RecordDatabase = Kysely<RecordSchema>;

export class RecordSchemaError extends Error {
  override name = 'RecordSchemaError';
}

/** Applies the migrations this version knows, after refusing a database that a newer version has already migrated. */
async function migrate(db: RecordDatabase): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const applied = await sql<{ name: string }>`select name from kysely_migration`
    .execute(db)
    .then((result) => result.rows.map((row) => row.name))
    .catch(() => [] as string[]);
  const unknown = applied.filter((name) => !(name in migrations));
  if (unknown.length) {
    throw new RecordSchemaError(
      `The case record's database has a newer schema than this version of Raccordo knows (migrations ${unknown.join(', ')}): ` +
        'start the version that migrated it, or restore the backup taken before the upgrade.',
    );
  }
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    throw new RecordSchemaError(`The case record's migration ${failed ?? ''} failed: ${(error as Error).message}`);
  }
}

/** The record's database, migrated to this version's schema. */
export async function openRecordDatabase(url: string | undefined, poolSize = 10): Promise<RecordDatabase> {
  if (!url) {
    throw new RecordSchemaError(
      'DATABASE_URL is not set: the case record needs PostgreSQL (`npm start` runs an embedded one; production a `raccordo` database, postgres://user:password@host:5432/raccordo)',
    );
  }
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle connection dropped by the server must not crash the process: the pool replaces it.
  pool.on('error', () => undefined);
  const db = new Kysely<RecordSchema>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}
