import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
// CommonJS: its namespace is only reachable through the default import under Node's ESM loader.
import proto from '@temporalio/proto';
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Config } from './config.js';

/**
 * Case data is health and social data (GDPR art. 9): every payload the worker and the API hand to Temporal is
 * encrypted here first, so that Temporal's database and UI only ever hold ciphertext. AES-256-GCM, a random 12-byte
 * IV per payload, the whole original payload (metadata included) serialised inside, the key id in the clear beside it
 * so that keys can be rotated: the active key encrypts, every key of the keyring decrypts.
 */

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const ENCODING_METADATA_KEY = 'encoding';
export const KEY_ID_METADATA_KEY = 'encryption-key-id';
const CIPHER = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Key ids travel in every payload's metadata and in the key list's `id:key` syntax: no separators, nothing secret. */
const keyIdPattern = /^[A-Za-z0-9._-]{1,64}$/;
const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;

export interface Keyring {
  /** The key that encrypts new payloads. */
  readonly activeKeyId: string;
  /** Every key that may have encrypted a stored payload, by id. KeyObjects never print their material. */
  readonly keys: ReadonlyMap<string, KeyObject>;
}

export class PayloadKeyError extends Error {
  override name = 'PayloadKeyError';
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** One key, checked; messages name the key id and the source, never the key itself. */
function secretKey(source: string, id: string, base64: string): KeyObject {
  // Not echoed: a key pasted where its id belongs would end up in the logs.
  if (!keyIdPattern.test(id)) throw new PayloadKeyError(`${source}: a key id must be 1-64 letters, digits, '.', '_' or '-'`);
  const trimmed = base64.trim();
  if (trimmed.length % 4 !== 0 || !base64Pattern.test(trimmed)) {
    throw new PayloadKeyError(`${source}: key "${id}" is not base64 (create one with: openssl rand -base64 32)`);
  }
  const bytes = Buffer.from(trimmed, 'base64');
  if (bytes.length !== KEY_BYTES) {
    throw new PayloadKeyError(`${source}: key "${id}" is ${bytes.length} bytes, AES-256 needs ${KEY_BYTES} (create one with: openssl rand -base64 32)`);
  }
  return createSecretKey(bytes);
}

function keyringOf(source: string, activeKeyId: string, entries: [string, string][]): Keyring {
  if (entries.length === 0) throw new PayloadKeyError(`${source}: no key`);
  const keys = new Map<string, KeyObject>();
  for (const [id, base64] of entries) {
    if (keys.has(id)) throw new PayloadKeyError(`${source}: key id "${id}" appears twice`);
    keys.set(id, secretKey(source, id, base64));
  }
  if (!keys.has(activeKeyId)) {
    const named = keyIdPattern.test(activeKeyId) ? ` "${activeKeyId}"` : '';
    throw new PayloadKeyError(`${source}: the active key${named} is not among the keys`);
  }
  return { activeKeyId, keys };
}

/** `id1:base64key,id2:base64key`: the first encrypts, all decrypt. */
export function parseKeyList(list: string, source = 'RACCORDO_PAYLOAD_KEYS'): Keyring {
  const entries = list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry): [string, string] => {
      const separator = entry.indexOf(':');
      // The entry may be a bare key pasted without its id: say where, not what.
      if (separator < 1) throw new PayloadKeyError(`${source}: each entry must be id:base64key`);
      return [entry.slice(0, separator), entry.slice(separator + 1)];
    });
  return keyringOf(source, entries[0]?.[0] ?? '', entries);
}

const keyFileSchema = z.object({ active: z.string(), keys: z.record(z.string(), z.string()) });

/** A JSON file `{ "active": "id", "keys": { "id": "base64key" } }`. */
export function readKeyFile(path: string, variable = 'RACCORDO_PAYLOAD_KEY_FILE'): Keyring {
  const source = `${variable} (${path})`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PayloadKeyError(`${source}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the text around the fault, which may be key material.
    throw new PayloadKeyError(`${source}: is not valid JSON`);
  }
  const parsed = keyFileSchema.safeParse(json);
  if (!parsed.success) throw new PayloadKeyError(`${source}: must be { "active": "<id>", "keys": { "<id>": "<base64 key>" } }`);
  return keyringOf(source, parsed.data.active, Object.entries(parsed.data.keys));
}

export type KeyringConfig = Pick<Config, 'RACCORDO_PAYLOAD_KEYS' | 'RACCORDO_PAYLOAD_KEY_FILE' | 'RACCORDO_DEMO_MODE'>;

/** The keyring of the configuration, read once at start-up: without one, nothing starts. */
export function loadKeyring(config: KeyringConfig): Keyring {
  const list = config.RACCORDO_PAYLOAD_KEYS?.trim();
  const file = config.RACCORDO_PAYLOAD_KEY_FILE?.trim();
  if (list && file) throw new PayloadKeyError('Set RACCORDO_PAYLOAD_KEYS or RACCORDO_PAYLOAD_KEY_FILE, not both');
  if (list) return parseKeyList(list);
  if (file) return readKeyFile(file);
  throw new PayloadKeyError(
    'No payload encryption key: case data is encrypted before it reaches Temporal. Set RACCORDO_PAYLOAD_KEYS=<id>:<base64 key> ' +
      '(a key is 32 random bytes: openssl rand -base64 32) or RACCORDO_PAYLOAD_KEY_FILE=<json file>' +
      (config.RACCORDO_DEMO_MODE ? '; `npm start` creates a local key file by itself.' : ' (demo mode is off: production needs its own keys).'),
  );
}

/**
 * Writes a key file with one fresh random key, unless the file exists: losing it makes every stored case unreadable,
 * so it is never overwritten. Readable by its owner only. Returns whether it was created.
 */
export function ensureKeyFile(path: string, keyId: string, note?: string): boolean {
  if (existsSync(path)) return false;
  if (!keyIdPattern.test(keyId)) throw new PayloadKeyError(`a key id must be 1-64 letters, digits, '.', '_' or '-'`);
  mkdirSync(dirname(path), { recursive: true });
  const file = { ...(note ? { note } : {}), active: keyId, keys: { [keyId]: randomBytes(KEY_BYTES).toString('base64') } };
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return true;
}

const isEncrypted = (payload: Payload) => {
  const encoding = payload.metadata?.[ENCODING_METADATA_KEY];
  return encoding !== undefined && encoding !== null && fromUtf8.decode(encoding) === ENCRYPTED_ENCODING;
};

/** The id of the key that encrypted a payload, or undefined for a payload in the clear. */
export function payloadKeyId(payload: Payload): string | undefined {
  const id = payload.metadata?.[KEY_ID_METADATA_KEY];
  return isEncrypted(payload) && id ? fromUtf8.decode(id) : undefined;
}

export class PayloadEncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: Keyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decrypt(payload));
  }

  private encrypt(payload: Payload): Payload {
    const keyId = this.keyring.activeKeyId;
    const keyIdBytes = utf8.encode(keyId);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, this.keyring.keys.get(keyId)!, iv);
    // The key id is authenticated too: a payload relabelled with another id fails rather than decrypting oddly.
    cipher.setAAD(keyIdBytes);
    const ciphertext = Buffer.concat([cipher.update(PayloadMessage.encode(payload).finish()), cipher.final()]);
    return {
      metadata: { [ENCODING_METADATA_KEY]: utf8.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA_KEY]: keyIdBytes },
      data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    };
  }

  private decrypt(payload: Payload): Payload {
    // Histories written before encryption (test/fixtures/histories among them) must still replay and read.
    if (!isEncrypted(payload)) return payload;
    const keyIdBytes = payload.metadata?.[KEY_ID_METADATA_KEY];
    if (!keyIdBytes) throw new PayloadKeyError(`An encrypted payload has no ${KEY_ID_METADATA_KEY}`);
    const keyId = fromUtf8.decode(keyIdBytes);
    const key = this.keyring.keys.get(keyId);
    if (!key) throw new PayloadKeyError(`Payload encrypted with key "${keyId}", which is not in the keyring: add it to RACCORDO_PAYLOAD_KEYS or the key file`);
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadKeyError(`Payload encrypted with key "${keyId}" is truncated`);
    const decipher = createDecipheriv(CIPHER, key, data.subarray(0, IV_BYTES));
    decipher.setAAD(keyIdBytes);
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadKeyError(`Payload encrypted with key "${keyId}" does not decrypt: another key under that id, or altered data`);
    }
    const { metadata, data: original } = PayloadMessage.decode(plaintext);
    return { metadata, data: original };
  }
}

/** For the worker, the client and the replayer alike: the same codec, so that each reads what the others write. */
export function createDataConverter(keyring: Keyring): DataConverter {
  return { payloadCodecs: [new PayloadEncryptionCodec(keyring)] };
}
