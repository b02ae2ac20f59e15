import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

/**
 * A database of its own for each test file, on the run's one PostgreSQL: a list, a page or a search sees only the
 * cases its file opened, whatever other files run beside it.
 */
const shared = new URL(inject('databaseUrl'));
const name = `raccordo_${randomBytes(6).toString('hex')}`;
const admin = new pg.Client({ connectionString: shared.href });
await admin.connect();
await admin.query(`create database ${name}`);
await admin.end();
process.env.RACCORDO_TEST_DATABASE_URL = new URL(`/${name}`, shared).href;
