import { sql, type Kysely, type Transaction } from 'kysely';
import type { PathwayDefinition, PersonIdentity } from '../machines/pathway.js';
import { blindIndexes, newDataKey, open, seal, unwrapDataKey, type BlindIndexes } from './crypto.js';
import type { CaseRecord } from './record.js';
import type { RecordSchema } from './schema.js';

const IDENTITY = 'person-identity';

export interface PersonKey {
  personId: string;
  dataKey: Buffer;
}

/** Who the start data says the case is about: nobody, for a pathway that identifies no one. */
export function identityOf(pathway: PathwayDefinition, data: unknown): PersonIdentity | undefined {
  return pathway.person?.identify(data as never);
}

/** The person these indexes find: by fiscal code first; by name and birth date unless two fiscal codes differ. */
async function matchingPerson(db: Kysely<RecordSchema>, indexes: BlindIndexes) {
  if (!indexes.fiscal && !indexes.nameBirth) return undefined;
  const candidates = await db
    .selectFrom('persons')
    .select(['id', 'wrapped_key', 'wrapping_key_id', 'identity', 'fiscal_index'])
    .where((where) =>
      where.or([
        ...(indexes.fiscal ? [where('fiscal_index', '=', indexes.fiscal)] : []),
        ...(indexes.nameBirth ? [where('name_birth_index', '=', indexes.nameBirth)] : []),
      ]),
    )
    .where('wrapped_key', 'is not', null)
    .orderBy('created_at')
    .execute();
  // Two different fiscal codes are two people who share a name and a birth date.
  return (
    candidates.find((person) => indexes.fiscal && person.fiscal_index?.equals(indexes.fiscal)) ??
    candidates.find((person) => !indexes.fiscal || !person.fiscal_index)
  );
}

/** The person a new case with this identity would be linked to, if any. */
export async function findPerson(record: CaseRecord, identity: PersonIdentity): Promise<string | undefined> {
  return (await matchingPerson(record.db, blindIndexes(record.indexKey, identity)))?.id;
}

/** A person's identity, or undefined if there is none by that id, or they were erased. */
export async function readPerson(record: CaseRecord, id: string): Promise<PersonIdentity | undefined> {
  const person = await record.db.selectFrom('persons').select(['wrapped_key', 'wrapping_key_id', 'identity']).where('id', '=', id).executeTakeFirst();
  return person && openIdentity(record, person);
}

/**
 * The person a new case is about: the one whose fiscal code, or name and birth date, match; otherwise a new one. A
 * pseudonymous or anonymous person is always new. Creation is serialised per blind index, so that two cases of the
 * same person opened at once make one person.
 */
export async function personForCase(tx: Transaction<RecordSchema>, record: CaseRecord, pathway: PathwayDefinition, data: unknown): Promise<PersonKey> {
  const identity = identityOf(pathway, data);
  const indexes = identity && !pathway.person?.pseudonymous ? blindIndexes(record.indexKey, identity) : {};
  const lockOn = indexes.fiscal ?? indexes.nameBirth;
  if (lockOn) {
    await sql`select pg_advisory_xact_lock(${lockOn.readBigInt64BE(0).toString()}::bigint)`.execute(tx);
    const found = await matchingPerson(tx, indexes);
    if (found) {
      const dataKey = dataKeyOf(record, found)!;
      // The new case may know what the first did not: a fiscal code for a person first known by name and birth date.
      const merged = { ...open<PersonIdentity>(dataKey, found.identity, IDENTITY), ...identity };
      const known = blindIndexes(record.indexKey, merged);
      await tx
        .updateTable('persons')
        .set({
          identity: seal(dataKey, merged, IDENTITY),
          fiscal_index: known.fiscal ?? null,
          name_birth_index: known.nameBirth ?? null,
          name_index: known.name ?? null,
        })
        .where('id', '=', found.id)
        .execute();
      return { personId: found.id, dataKey };
    }
  }
  const { dataKey, wrappedKey, wrappingKeyId } = newDataKey(record.keyring);
  const created = await tx
    .insertInto('persons')
    .values({
      wrapped_key: wrappedKey,
      wrapping_key_id: wrappingKeyId,
      identity: seal(dataKey, identity ?? { name: '' }, IDENTITY),
      fiscal_index: indexes.fiscal ?? null,
      name_birth_index: indexes.nameBirth ?? null,
      name_index: indexes.name ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { personId: created.id, dataKey };
}

export interface SealedPerson {
  wrapped_key: Buffer | null;
  wrapping_key_id: string;
  identity: Buffer;
}

/** The person's data key, or undefined once they were erased. */
export function dataKeyOf(record: CaseRecord, person: Pick<SealedPerson, 'wrapped_key' | 'wrapping_key_id'>): Buffer | undefined {
  return person.wrapped_key ? unwrapDataKey(record.keyring, { wrappedKey: person.wrapped_key, wrappingKeyId: person.wrapping_key_id }) : undefined;
}

export function openIdentity(record: CaseRecord, person: SealedPerson): PersonIdentity | undefined {
  const dataKey = dataKeyOf(record, person);
  return dataKey && open<PersonIdentity>(dataKey, person.identity, IDENTITY);
}
