import { readFileSync } from 'node:fs';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildServer } from '../api/server.js';
import { createDataConverter, ENCRYPTED_ENCODING, loadKeyring, parseKeyList, PayloadEncryptionCodec, payloadKeyId, readKeyFile } from '../platform/codec.js';
import { hello } from '../machines/hello.js';
import { homelessDischarge } from '../machines/homeless-discharge.js';
import { startApi, type ApiStack } from './support/api.js';
import { personalValues } from './support/log-scan.js';
import { helloNamingPerson, homelessReferral } from './support/samples.js';
import { actors, settled, startCaseStack, TEST_PAYLOAD_KEYS, testConfig, testDataConverter, type CaseStack } from './support/harness.js';

const approve = { round: 'evaluation', decision: 'approve' };
const newKey = () => randomBytes(32).toString('base64');
const jsonPayload = (value: unknown): Payload => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(value)) });
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

/** Every payload of a history or description in the CLI's JSON (protobuf JSON: base64 values), with where it sits. */
function payloadsIn(json: unknown, path = ''): { path: string; encoding: string; keyId?: string; data: string }[] {
  if (Array.isArray(json)) return json.flatMap((item, index) => payloadsIn(item, `${path}[${index}]`));
  if (!json || typeof json !== 'object') return [];
  const record = json as Record<string, unknown>;
  const metadata = record.metadata as Record<string, string> | undefined;
  if (metadata && typeof metadata === 'object' && typeof metadata.encoding === 'string') {
    const decode = (value: string | undefined) => (value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8'));
    return [{ path, encoding: decode(metadata.encoding)!, keyId: decode(metadata['encryption-key-id']), data: String(record.data ?? '') }];
  }
  return Object.entries(record).flatMap(([key, value]) => payloadsIn(value, `${path}.${key}`));
}

function temporalCli(...args: string[]): string {
  const run = spawnSync(inject('temporalCli'), [...args, '--address', inject('temporalAddress'), '--output', 'json'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`temporal ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

describe('the keyring', () => {
  const key = newKey();

  it('takes the first key of RACCORDO_PAYLOAD_KEYS as the active one, and every key to decrypt', () => {
    const keyring = parseKeyList(` new:${key} , old:${newKey()}`);
    expect(keyring.activeKeyId).toBe('new');
    expect([...keyring.keys.keys()]).toEqual(['new', 'old']);
  });

  it('refuses keys that are not 32 bytes of base64, naming the key id and never the key', () => {
    const short = randomBytes(16).toString('base64');
    expect(() => parseKeyList(`k1:${short}`)).toThrow(/key "k1" is 16 bytes, AES-256 needs 32/);
    expect(() => parseKeyList('k1:not base64!')).toThrow(/key "k1" is not base64/);
    expect(() => parseKeyList(`k1:${key},k1:${key}`)).toThrow(/"k1" appears twice/);
    // A key pasted without its id, or in its place: neither may end up in an error message, hence in a log.
    for (const list of [key, `${key}:k1`]) {
      const error = (() => {
        try {
          parseKeyList(list);
        } catch (caught) {
          return caught as Error;
        }
      })();
      expect(error?.message).toMatch(/RACCORDO_PAYLOAD_KEYS/);
      expect(error?.message).not.toContain(key.slice(0, 12));
    }
  });

  it('reads a key file, whose JSON errors do not quote the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'raccordo-keys-'));
    try {
      const file = join(dir, 'keys.json');
      writeFileSync(file, JSON.stringify({ active: 'b', keys: { a: newKey(), b: key } }));
      expect(readKeyFile(file).activeKeyId).toBe('b');
      writeFileSync(file, `{ "active": "a", "keys": { "a": "${key}" `);
      expect(() => readKeyFile(file)).toThrow(/is not valid JSON$/);
      expect(() => readKeyFile(file)).not.toThrow(key.slice(0, 12));
      writeFileSync(file, JSON.stringify({ active: 'c', keys: { a: key } }));
      expect(() => readKeyFile(file)).toThrow(/the active key "c" is not among the keys/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is required at start-up, in production with a message saying so', async () => {
    const none = { RACCORDO_PAYLOAD_KEYS: undefined, RACCORDO_PAYLOAD_KEY_FILE: undefined };
    expect(() => loadKeyring({ ...none, RACCORDO_DEMO_MODE: false })).toThrow(/No payload encryption key.*RACCORDO_PAYLOAD_KEYS.*demo mode is off/);
    expect(() => loadKeyring({ ...none, RACCORDO_DEMO_MODE: true })).toThrow(/npm start/);
    expect(() => loadKeyring({ RACCORDO_PAYLOAD_KEYS: `a:${key}`, RACCORDO_PAYLOAD_KEY_FILE: '/x.json', RACCORDO_DEMO_MODE: false })).toThrow(/not both/);
    // The API refuses to build without one (the worker calls the same loadKeyring in createCaseWorker).
    await expect(buildServer(testConfig({ RACCORDO_DEMO_MODE: 'false', RACCORDO_PAYLOAD_KEYS: '' }))).rejects.toThrow(/demo mode is off/);
  });
});

describe('the codec', () => {
  const codec = new PayloadEncryptionCodec(parseKeyList(`k2:${newKey()},k1:${newKey()}`));

  it('encrypts with the active key, a fresh IV each time, and decrypts back to the very payload', async () => {
    const plain = jsonPayload({ name: 'Mario Rossi' });
    const [first, second] = await codec.encode([plain, plain]);
    expect(text(first!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(payloadKeyId(first!)).toBe('k2');
    expect(text(first!.data)).not.toContain('Mario');
    expect(Buffer.from(first!.data!).equals(Buffer.from(second!.data!))).toBe(false);
    const [decoded] = await codec.decode([first!]);
    expect(text(decoded!.metadata!.encoding)).toBe('json/plain');
    expect(JSON.parse(text(decoded!.data))).toEqual({ name: 'Mario Rossi' });
  });

  it('passes payloads written before encryption through unchanged', async () => {
    const plain = jsonPayload('in chiaro');
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('names the key id, and only it, when the key is unknown or wrong', async () => {
    const otherKey = newKey();
    const [foreign] = await new PayloadEncryptionCodec(parseKeyList(`gone:${otherKey}`)).encode([jsonPayload('x')]);
    await expect(codec.decode([foreign!])).rejects.toThrow(/^Payload encrypted with key "gone", which is not in the keyring/);
    const [impostor] = await new PayloadEncryptionCodec(parseKeyList(`k1:${otherKey}`)).encode([jsonPayload('x')]);
    await expect(codec.decode([impostor!])).rejects.toThrow(/key "k1" does not decrypt/);
    const [relabelled] = await codec.encode([jsonPayload('x')]);
    relabelled!.metadata!['encryption-key-id'] = Buffer.from('k1');
    await expect(codec.decode([relabelled!])).rejects.toThrow(/key "k1" does not decrypt/);
  });
});

describe('on the real Temporal server', () => {
  let stack: CaseStack;
  beforeAll(async () => {
    stack = await startCaseStack('codec');
  });
  afterAll(() => stack?.stop());

  const referral = homelessReferral();
  const secrets = [...personalValues(hello.startSchema, helloNamingPerson), ...personalValues(homelessDischarge.startSchema, referral)];

  it('keeps case data out of Temporal: the history and the description hold ciphertext only', async () => {
    const helloCase = await stack.cases.start({ kind: 'hello', data: helloNamingPerson, actor: actors.socialWorker });
    const discharge = await stack.cases.start({ kind: 'homeless-discharge', data: referral, actor: actors.ward });
    // An update too: its arguments and its outcome (the whole case view, data included) are payloads of the history.
    await stack.cases.send(helloCase.caseRef, 'signoff.submit', { ...approve, notes: `Sentito al telefono: ${helloNamingPerson.summary}` }, actors.physician);
    for (const caseRef of [helloCase.caseRef, discharge.caseRef]) {
      await settled(stack.client, caseRef);
      const show = temporalCli('workflow', 'show', '--workflow-id', caseRef);
      const describe = temporalCli('workflow', 'describe', '--workflow-id', caseRef);
      for (const secret of secrets) {
        expect(show).not.toContain(secret);
        expect(describe).not.toContain(secret);
      }
      const payloads = [...payloadsIn(JSON.parse(show)), ...payloadsIn(JSON.parse(describe))];
      // Search attributes stay readable: Temporal indexes them, and they hold no case data (workflows/search-attributes.ts).
      // So do the SDK's patch markers, which its core writes without the codec: they hold the patch's name only; and
      // its local activities' markers (the record's writes), whose bookkeeping holds their sequence, type and times.
      const coreBookkeeping = (payload: { path: string; encoding: string; data: string }) =>
        payload.encoding === 'json/plain' &&
        /markerRecordedEventAttributes\.details\.data\./.test(payload.path) &&
        'activity_type' in JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8'));
      const caseData = payloads.filter(
        (payload) => !/searchAttributes|markerRecordedEventAttributes\.details\.patch-data/i.test(payload.path) && !coreBookkeeping(payload),
      );
      expect(caseData.length).toBeGreaterThan(3);
      for (const payload of caseData) {
        expect(payload, payload.path).toMatchObject({ encoding: ENCRYPTED_ENCODING, keyId: 'test' });
        for (const secret of secrets) expect(Buffer.from(payload.data, 'base64').toString('latin1')).not.toContain(secret);
      }
    }
    // Through the client with the codec, the case reads as ever.
    expect((await stack.cases.view(helloCase.caseRef)).data).toEqual(helloNamingPerson);
    expect((await stack.cases.view(discharge.caseRef)).data).toMatchObject({ identity: referral.identity });
  });

  it('replays an encrypted history with the codec', async () => {
    const { caseRef } = await stack.cases.start({ kind: 'hello', data: helloNamingPerson, actor: actors.socialWorker });
    await stack.cases.send(caseRef, 'signoff.submit', approve, actors.physician);
    await stack.cases.send(caseRef, 'signoff.submit', approve, actors.socialWorker);
    const history = await stack.client.workflow.getHandle(caseRef).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: testDataConverter() }, history, caseRef);
  });
});

// A worker restarted on the same task queue waits out the old one's sticky queue: slow on a loaded 2-core machine.
describe('key rotation', { timeout: 180_000 }, () => {
  // The old key is the tests' shared one: other test files list cases, and so decode the memos of these too.
  const rotatedKeys = `rotated:${newKey()},${TEST_PAYLOAD_KEYS}`;
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('carries a case written with the old key on under the new one, and a keyring without the old key cannot read it', async () => {
    const before = await startCaseStack('rotation');
    cleanups.push(() => before.stop());
    const { caseRef } = await before.cases.start({ kind: 'hello', data: helloNamingPerson, actor: actors.socialWorker });
    await before.cases.send(caseRef, 'signoff.submit', approve, actors.physician);
    await before.stop();
    cleanups.pop();

    // The same task queue, a fresh worker (so it replays the old history) and client with the new key active.
    const after = await startCaseStack('rotation', { RACCORDO_PAYLOAD_KEYS: rotatedKeys }, before.taskQueue);
    cleanups.push(() => after.stop());
    const handle = after.client.workflow.getHandle(caseRef);

    const done = await after.cases.send(caseRef, 'signoff.submit', approve, actors.socialWorker);
    expect(done).toMatchObject({ status: 'done', outcome: 'approved', data: helloNamingPerson });
    expect(await handle.result()).toMatchObject({ context: { outcome: 'approved' } });
    expect((await handle.describe()).memo?.startToken).toEqual(expect.any(String));

    const events = (await handle.fetchHistory()).events ?? [];
    const keyIdOf = (payload: Payload | undefined | null) => (payload ? payloadKeyId(payload) : undefined);
    const started = events[0]!.workflowExecutionStartedEventAttributes!;
    expect(keyIdOf(started.input!.payloads![0])).toBe('test');
    const completed = events.at(-1)!.workflowExecutionCompletedEventAttributes!;
    expect(keyIdOf(completed.result!.payloads![0])).toBe('rotated');

    // Only the new key: the memo and the start input, written under the old one, do not decrypt.
    const newOnly = new Client({ connection: after.client.connection, dataConverter: createDataConverter(parseKeyList(rotatedKeys.split(',')[0]!)) });
    await expect(newOnly.workflow.getHandle(caseRef).describe()).rejects.toThrow(/Payload encrypted with key "test", which is not in the keyring/);
    const newOnlyCodec = new PayloadEncryptionCodec(parseKeyList(rotatedKeys.split(',')[0]!));
    await expect(newOnlyCodec.decode([started.input!.payloads![0]!])).rejects.toThrow(/key "test"/);
  });
});

describe('the codec endpoint for the Temporal UI', () => {
  let api: ApiStack;
  const uiOrigin = 'http://localhost:8233';
  beforeAll(async () => {
    api = await startApi('codec-endpoint');
  });
  afterAll(() => api?.stop());

  const toJson = (payload: Payload) => ({
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value!).toString('base64')])),
    data: Buffer.from(payload.data ?? []).toString('base64'),
  });
  const post = (path: string, payloads: unknown[], headers: Record<string, string> = {}) =>
    api.app.inject({ method: 'POST', url: path, payload: { payloads }, headers: { 'x-namespace': 'default', ...headers } });

  it('decodes a case’s payloads for a session of an allowed role, from the UI’s origin, and encodes back', async () => {
    const { caseRef } = await api.stack.cases.start({ kind: 'hello', data: helloNamingPerson, actor: actors.socialWorker });
    const history = await api.stack.client.workflow.getHandle(caseRef).fetchHistory();
    const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]! as Payload;
    expect(payloadKeyId(input)).toBe('test');

    const cookie = await api.login('social-service-head');
    const decoded = await post('/codec/decode', [toJson(input)], { cookie, origin: uiOrigin });
    expect(decoded.statusCode).toBe(200);
    expect(decoded.headers['access-control-allow-origin']).toBe(uiOrigin);
    expect(decoded.headers['access-control-allow-credentials']).toBe('true');
    const [plain] = decoded.json<{ payloads: { metadata: Record<string, string>; data: string }[] }>().payloads;
    expect(Buffer.from(plain!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(plain!.data, 'base64').toString())).toMatchObject({ caseRef, data: helloNamingPerson });
    const register = readFileSync(testConfig().RACCORDO_AUDIT_FILE, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(register.at(-1)).toMatchObject({ action: 'payload.decode', actor: { id: 'social-service-head', role: 'social-service-head' }, outcome: 200 });
    expect(JSON.stringify(register)).not.toContain(helloNamingPerson.summary);

    const encoded = await post('/codec/encode', [plain], { cookie, origin: uiOrigin });
    expect(encoded.statusCode).toBe(200);
    const [cipher] = encoded.json<{ payloads: { metadata: Record<string, string>; data: string }[] }>().payloads;
    expect(Buffer.from(cipher!.metadata.encoding!, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(cipher!.data, 'base64').toString('latin1')).not.toContain(helloNamingPerson.summary);
    const again = await post('/codec/decode', [cipher], { cookie });
    expect(again.json<{ payloads: unknown[] }>().payloads).toEqual([plain]);

    const [foreign] = await new PayloadEncryptionCodec(parseKeyList(`retired:${newKey()}`)).encode([jsonPayload('x')]);
    const undecodable = await post('/codec/decode', [toJson(foreign!)], { cookie });
    expect(undecodable.statusCode).toBe(422);
    expect(undecodable.json()).toMatchObject({ message: expect.stringMatching(/key "retired"/) });
  });

  it('answers 401 without a session and 403 to another role or another origin', async () => {
    const payloads = [toJson(jsonPayload('x'))];
    expect((await post('/codec/decode', payloads, { origin: uiOrigin })).statusCode).toBe(401);
    expect((await post('/codec/encode', payloads)).statusCode).toBe(401);
    const socialWorker = await api.login('social-worker');
    expect((await post('/codec/decode', payloads, { cookie: socialWorker, origin: uiOrigin })).statusCode).toBe(403);
    const head = await api.login('social-service-head');
    const foreign = await post('/codec/decode', payloads, { cookie: head, origin: 'http://evil.example' });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('lets only the UI’s origin through CORS, with credentials', async () => {
    const preflight = (origin: string) =>
      api.app.inject({
        method: 'OPTIONS',
        url: '/codec/decode',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
      });
    const fromUi = await preflight(uiOrigin);
    expect(fromUi.statusCode).toBe(204);
    expect(fromUi.headers).toMatchObject({ 'access-control-allow-origin': uiOrigin, 'access-control-allow-credentials': 'true' });
    expect(String(fromUi.headers['access-control-allow-headers']).toLowerCase()).toContain('x-namespace');
    const fromElsewhere = await preflight('http://evil.example');
    expect(fromElsewhere.headers['access-control-allow-origin']).toBeUndefined();
    expect(fromElsewhere.statusCode).toBe(403);
  });
});
