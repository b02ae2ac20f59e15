import { createCipheriv, createDecipheriv, createHmac, randomBytes, type KeyObject } from 'node:crypto';
import { parseKeyList, readKeyFile, PayloadKeyError, type Keyring } from '../platform/codec.js';
import type { Config } from '../platform/config.js';

/**
 * Envelope encryption of the record: each person has a data key of their own, which encrypts their identity and every
 * snapshot of their cases (AES-256-GCM); the payload keyring's active key wraps it. Destroying one wrapped key erases
 * one person. Blind indexes (HMAC-SHA256 under an index key of their own) find a person without decrypting anyone.
 */

const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

function encrypt(key: KeyObject | Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, key, iv);
  cipher.setAAD(Buffer.from(aad));
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function decrypt(key: KeyObject | Buffer, sealed: Buffer, aad: string): Buffer {
  const decipher = createDecipheriv(CIPHER, key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
}

export interface WrappedKey {
  wrappedKey: Buffer;
  wrappingKeyId: string;
}

export function newDataKey(keyring: Keyring): { dataKey: Buffer } & WrappedKey {
  const dataKey = randomBytes(32);
  const wrappingKeyId = keyring.activeKeyId;
  // The key id is authenticated: a wrapped key relabelled with another id fails rather than unwrapping oddly.
  return { dataKey, wrappedKey: encrypt(keyring.keys.get(wrappingKeyId)!, dataKey, `person-key:${wrappingKeyId}`), wrappingKeyId };
}

export function unwrapDataKey(keyring: Keyring, { wrappedKey, wrappingKeyId }: WrappedKey): Buffer {
  const key = keyring.keys.get(wrappingKeyId);
  if (!key) throw new PayloadKeyError(`A person's data key is wrapped by key "${wrappingKeyId}", which is not in the payload keyring`);
  return decrypt(key, wrappedKey, `person-key:${wrappingKeyId}`);
}

/** What is sealed for one purpose (a case's snapshot, a person's identity) opens for that purpose only. */
export const seal = (dataKey: Buffer, value: unknown, purpose: string): Buffer => encrypt(dataKey, Buffer.from(JSON.stringify(value)), purpose);
export const open = <T>(dataKey: Buffer, sealed: Buffer, purpose: string): T => JSON.parse(decrypt(dataKey, sealed, purpose).toString('utf8')) as T;

export const normaliseFiscalCode = (code: string) => code.replace(/\s+/g, '').toUpperCase();

/** Case, accents, apostrophes and order do not matter: "D'Angelo Núñez Maria" finds "maria dangelo nunez". */
export function normaliseName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/['’`]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .sort()
    .join(' ');
}

export interface BlindIndexes {
  fiscal?: Buffer;
  nameBirth?: Buffer;
  name?: Buffer;
}

export function blindIndexes(indexKey: KeyObject, identity: { name?: string; birthDate?: string; fiscalCode?: string }): BlindIndexes {
  const mac = (value: string) => createHmac('sha256', indexKey).update(value).digest();
  const name = identity.name ? normaliseName(identity.name) : '';
  const fiscal = identity.fiscalCode ? normaliseFiscalCode(identity.fiscalCode) : '';
  return {
    ...(fiscal ? { fiscal: mac(`cf:${fiscal}`) } : {}),
    ...(name && identity.birthDate ? { nameBirth: mac(`nb:${name}|${identity.birthDate}`) } : {}),
    ...(name ? { name: mac(`n:${name}`) } : {}),
  };
}

/** The index key: RACCORDO_INDEX_KEY (`id:base64key`) or RACCORDO_INDEX_KEY_FILE; `npm start` creates one in data/. */
export function loadIndexKey(config: Pick<Config, 'RACCORDO_INDEX_KEY' | 'RACCORDO_INDEX_KEY_FILE'>): KeyObject {
  const list = config.RACCORDO_INDEX_KEY?.trim();
  const file = config.RACCORDO_INDEX_KEY_FILE?.trim();
  if (list && file) throw new PayloadKeyError('Set RACCORDO_INDEX_KEY or RACCORDO_INDEX_KEY_FILE, not both');
  const keyring = list ? parseKeyList(list, 'RACCORDO_INDEX_KEY') : file ? readKeyFile(file, 'RACCORDO_INDEX_KEY_FILE') : undefined;
  if (!keyring) {
    throw new PayloadKeyError(
      'No index key: the record finds persons by blind indexes. Set RACCORDO_INDEX_KEY=<id>:<base64 key> (openssl rand -base64 32) or RACCORDO_INDEX_KEY_FILE',
    );
  }
  return keyring.keys.get(keyring.activeKeyId)!;
}
